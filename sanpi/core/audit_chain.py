"""The audit log's hash chain: tamper evidence beyond the append-only triggers.

The triggers stop the application from changing the log, but whoever owns the table can
disable them, rewrite rows and enable them again. The chain makes that visible: every
audit row gets a seal (`AuditSeal`) whose hash covers the row's whole content and the
previous seal's hash, and whose ``seq`` runs 1, 2, 3… without gaps. Changing a sealed row,
deleting one (with its seal) or removing a seal breaks the chain where it happened;
rewriting the whole chain from some point on changes every later hash, which a chain head
written down earlier (in every backup, and exported by the audit administrator) exposes.

Rows are sealed shortly after they are committed, by one sealer at a time (a scheduled
job every 5 minutes, and `sanpi audit verify` / `sanpi backup` before they read the chain),
not inside each writer's transaction: a long import must not hold every other audited
write (a login, say) behind one global lock. The window in which a row is written but
not yet sealed is therefore about five minutes; docs/operations.md says so.

Hash: SHA-256, or SM3 (国密, GB/T 32905) with ``SANPI_AUDIT_HASH=sm3``. Each seal records
the algorithm it was made with and `verify` recomputes each with its own, so switching the
setting mid-chain is safe: older seals keep their SHA-256, newer ones use SM3.

The chain may start after a boundary: once the audit administrator has archived the oldest
rows to a signed file and they have been purged (core.audit_archive), `AuditPurge` records
the last seal archived and its hash, and verification starts from there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from . import sm3
from .models import AuditLog, AuditPurge, AuditSeal

GENESIS = "0" * 64
BATCH = 2000
SM3_BATCH = 200  # gmssl's SM3 is pure Python: smaller batches keep each sealing transaction short
FIELDS = (
    "id", "at", "user_id", "username", "source", "ip", "request_id", "action",
    "object_type", "object_id", "object_repr", "before", "after", "message",
)  # fmt: skip
_LOCK_KEY = 7_374_653_001  # pg_advisory_xact_lock: one sealer at a time


ALGORITHMS = ("sha256", "sm3")


def algorithm() -> str:
    """The algorithm new seals are made with (``SANPI_AUDIT_HASH``)."""
    return settings.SANPI_AUDIT_HASH


def canonical(row: dict) -> bytes:
    """A row's content as bytes that read back the same on SQLite and PostgreSQL:
    fixed field order, the time in UTC to the microsecond, JSON with sorted keys."""
    values = []
    for name in FIELDS:
        value = row[name]
        if name == "at":
            value = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        values.append(value)
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def seal_hash(prev: str, row: dict, algorithm: str = "sha256") -> str:
    data = prev.encode() + b"\n" + canonical(row)
    if algorithm == "sha256":
        return hashlib.sha256(data).hexdigest()
    if algorithm == "sm3":
        return sm3.hexdigest(data)
    raise ValueError(f"unknown audit hash algorithm {algorithm!r}")


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str

    def as_dict(self) -> dict:
        return {"seq": self.seq, "hash": self.hash}


def boundary() -> Head:
    """Where the online chain starts: the last seal archived and purged (its number and
    hash), or the genesis before any purge."""
    last = AuditPurge.objects.order_by("-last_seq").values_list("last_seq", "head_hash").first()
    return Head(*last) if last else Head(0, GENESIS)


def head() -> Head:
    """The newest seal; after a purge that left no seal, the boundary."""
    last = AuditSeal.objects.order_by("-seq").values_list("seq", "hash").first()
    start = boundary()
    return Head(*last) if last and last[0] > start.seq else start


def head_algorithm() -> str:
    """The algorithm of the newest seal (what a head written down now was hashed with)."""
    last = AuditSeal.objects.order_by("-seq").values_list("algorithm", flat=True).first()
    return last or algorithm()


def lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    # SQLite: transactions are IMMEDIATE (settings), so writers are serialized already.


def seal_pending() -> int:
    """Seal the committed rows that have no seal yet, oldest id first. Returns how many."""
    done = 0
    using = algorithm()
    batch = SM3_BATCH if using == "sm3" else BATCH
    while True:
        with transaction.atomic():
            lock()
            current = head()
            rows = list(
                AuditLog.objects.filter(seal__isnull=True).order_by("pk").values(*FIELDS)[:batch]
            )
            if not rows:
                return done
            seals = []
            prev, seq = current.hash, current.seq
            for row in rows:
                seq += 1
                digest = seal_hash(prev, row, using)
                seals.append(
                    AuditSeal(seq=seq, entry_id=row["id"], prev=prev, hash=digest, algorithm=using)
                )
                prev = digest
            AuditSeal.objects.bulk_create(seals)
            done += len(rows)


@dataclass
class Report:
    rows: int = 0
    sealed: int = 0
    head: Head = field(default_factory=lambda: Head(0, GENESIS))
    start: Head = field(default_factory=lambda: Head(0, GENESIS))  # the archived boundary
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # said, but not failures

    @property
    def ok(self) -> bool:
        return not self.problems


def chain(
    chunk: int = BATCH, *, after: int = 0, upto: int | None = None
) -> Iterator[tuple[AuditSeal, dict | None]]:
    """Every seal after ``after`` (up to ``upto``) in order with its row's content (None
    when the row is gone)."""
    last = after
    while True:
        seals = AuditSeal.objects.filter(seq__gt=last).order_by("seq")
        if upto is not None:
            seals = seals.filter(seq__lte=upto)
        seals = list(seals[:chunk])
        if not seals:
            return
        rows = {
            r["id"]: r
            for r in AuditLog.objects.filter(pk__in=[s.entry_id for s in seals]).values(*FIELDS)
        }
        for seal in seals:
            yield seal, rows.get(seal.entry_id)
        last = seals[-1].seq


MAX_LISTED = 20


def _check_purges(report: Report) -> Head:
    """The purges follow each other (each archive starts where the previous one ended,
    from the genesis) and agree with their archives; returns the boundary they reach."""
    start = Head(0, GENESIS)
    for purge in AuditPurge.objects.select_related("archive").order_by("last_seq"):
        archive = purge.archive
        if (archive.first_seq, archive.prev_hash) != (start.seq + 1, start.hash):
            report.problems.append(
                f"审计归档清除记录（至第{purge.last_seq}号）与前一次清除不接续：清除记录被伪造或改动"
            )
        if (archive.last_seq, archive.head_hash) != (purge.last_seq, purge.head_hash):
            report.problems.append(
                f"审计归档清除记录（至第{purge.last_seq}号）与其归档记录不符：清除记录被伪造或改动"
            )
        start = Head(purge.last_seq, purge.head_hash)
    return start


def verify(*, against: Iterable[Head] = ()) -> Report:
    """Recompute the whole chain from its start (the archived boundary, or the genesis):
    seq without gaps, each seal's prev the previous hash, each hash the row's content with
    the seal's own algorithm; every row sealed; and each earlier head given (from a
    backup, or exported) still in the chain with the same hash. A head in the archived
    and purged part can only be checked against the archive file (`archive-verify`)."""
    report = Report(rows=AuditLog.objects.count())
    report.start = start = _check_purges(report)
    expected_seq, prev = start.seq + 1, start.hash
    wanted = {}
    purged_heads = dict(AuditPurge.objects.values_list("last_seq", "head_hash"))
    for h in against:
        if h.seq > start.seq:
            wanted[h.seq] = h.hash
        elif h.seq in purged_heads:
            if purged_heads[h.seq] != h.hash:
                report.problems.append(
                    f"先前记下的链头第{h.seq}号与归档清除时记录的链头不同：链在归档前被整体重写"
                )
        elif h.seq:  # head 0: the empty chain
            report.notes.append(
                f"链头第{h.seq}号在已归档并清除的范围内（第1至{start.seq}号），"
                "请用 sanpi audit archive-verify 归档文件 --head 链头 核对"
            )
    leftover = AuditSeal.objects.filter(seq__lte=start.seq).count()
    if leftover:
        report.problems.append(
            f"已归档清除的范围（第1至{start.seq}号）内仍有{leftover}条封存记录：清除记录与审计链不符"
        )
    for seal, row in chain(after=start.seq):
        report.sealed += 1
        if seal.seq != expected_seq:
            report.problems.append(f"审计链缺号：第{expected_seq}至{seal.seq - 1}号封存记录不见了")
        if seal.prev != prev:
            report.problems.append(f"审计链第{seal.seq}号的前一哈希与链不符（链被改写或截断）")
        if row is None:
            report.problems.append(
                f"审计链第{seal.seq}号对应的审计记录（编号{seal.entry_id}）已被删除"
            )
        elif seal.algorithm not in ALGORITHMS:
            report.problems.append(f"审计链第{seal.seq}号的算法“{seal.algorithm}”不可识别")
        elif seal_hash(seal.prev, row, seal.algorithm) != seal.hash:
            report.problems.append(
                f"审计记录编号{seal.entry_id}（审计链第{seal.seq}号）的内容与封存时不一致：已被改写"
            )
        if seal.seq in wanted and wanted.pop(seal.seq) != seal.hash:
            report.problems.append(
                f"审计链第{seal.seq}号的哈希与先前记下的链头不同：链从此处或更早被整体重写"
            )
        prev, expected_seq = seal.hash, seal.seq + 1
        if len(report.problems) > MAX_LISTED:
            report.problems.append("问题过多，其余未列出")
            break
    else:  # the whole chain was read: a head written down earlier and not met is gone
        for seq in sorted(wanted):
            report.problems.append(f"先前记下的链头第{seq}号在审计链中不存在：链被截断")
    report.head = Head(expected_seq - 1, prev)
    unsealed = AuditLog.objects.filter(seal__isnull=True).count()
    if unsealed:
        report.problems.append(f"有{unsealed}条审计记录未封存进审计链")
    return report


def parse_head(text: str) -> Head:
    """A head as exported (JSON ``{"seq": …, "hash": …}``) or written ``seq:hash``."""
    text = text.strip()
    try:
        if text.startswith("{"):
            data = json.loads(text)
            seq, digest = int(data["seq"]), str(data["hash"])
        else:
            seq_text, digest = text.split(":", 1)
            seq = int(seq_text)
    except (ValueError, KeyError, TypeError):
        raise ValueError('链头应为 序号:哈希，或导出的 JSON（{"seq": …, "hash": …}）') from None
    if seq < 0 or len(digest) != 64:
        raise ValueError("链头的序号应为非负整数、哈希应为64位十六进制")
    return Head(seq, digest.lower())


def role_can_disable_triggers() -> str:
    """'' if the database account in use cannot switch the triggers off; else why it can
    (it owns the audit table, or is a superuser; SQLite: whoever can write the file)."""
    if connection.vendor == "sqlite":
        return "SQLite：能写数据库文件的操作系统账号可以删除触发器（生产环境请用 PostgreSQL）"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolsuper, pg_get_userbyid(c.relowner) = current_user "
            "FROM pg_class c, pg_roles r WHERE c.oid = %s::regclass AND r.rolname = current_user",
            [AuditLog._meta.db_table],
        )
        superuser, owner = cursor.fetchone()
    if superuser:
        return "当前数据库账号是超级用户，可以停用审计表的触发器"
    if owner:
        return "当前数据库账号是审计表的所有者，可以停用其触发器"
    return ""
