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

Hash: SHA-256. A seal records its algorithm, so that another (SM3, 国密) can be added
without breaking the seals made before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction

from .models import AuditLog, AuditSeal

GENESIS = "0" * 64
BATCH = 2000
FIELDS = (
    "id", "at", "user_id", "username", "source", "ip", "request_id", "action",
    "object_type", "object_id", "object_repr", "before", "after", "message",
)  # fmt: skip
_LOCK_KEY = 7_374_653_001  # pg_advisory_xact_lock: one sealer at a time


ALGORITHM = "sha256"


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


def seal_hash(prev: str, row: dict) -> str:
    return hashlib.sha256(prev.encode() + b"\n" + canonical(row)).hexdigest()


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str

    def as_dict(self) -> dict:
        return {"seq": self.seq, "hash": self.hash}


def head() -> Head:
    last = AuditSeal.objects.order_by("-seq").values_list("seq", "hash").first()
    return Head(*last) if last else Head(0, GENESIS)


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    # SQLite: transactions are IMMEDIATE (settings), so writers are serialized already.


def seal_pending() -> int:
    """Seal the committed rows that have no seal yet, oldest id first. Returns how many."""
    done = 0
    while True:
        with transaction.atomic():
            _lock()
            current = head()
            rows = list(
                AuditLog.objects.filter(seal__isnull=True).order_by("pk").values(*FIELDS)[:BATCH]
            )
            if not rows:
                return done
            seals = []
            prev, seq = current.hash, current.seq
            for row in rows:
                seq += 1
                digest = seal_hash(prev, row)
                seals.append(
                    AuditSeal(
                        seq=seq, entry_id=row["id"], prev=prev, hash=digest, algorithm=ALGORITHM
                    )
                )
                prev = digest
            AuditSeal.objects.bulk_create(seals)
            done += len(rows)


@dataclass
class Report:
    rows: int = 0
    sealed: int = 0
    head: Head = field(default_factory=lambda: Head(0, GENESIS))
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _chain(chunk: int = BATCH) -> Iterator[tuple[AuditSeal, dict | None]]:
    """Every seal in order with its row's content (None when the row is gone)."""
    last = 0
    while True:
        seals = list(AuditSeal.objects.filter(seq__gt=last).order_by("seq")[:chunk])
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


def verify(*, against: Iterable[Head] = ()) -> Report:
    """Recompute the whole chain: seq without gaps from 1, each seal's prev the previous
    hash, each hash the row's content; every row sealed; and each earlier head given
    (from a backup, or exported) still in the chain with the same hash."""
    report = Report(rows=AuditLog.objects.count())
    expected_seq, prev = 1, GENESIS
    wanted = {h.seq: h.hash for h in against if h.seq}  # head 0: the empty chain
    for seal, row in _chain():
        report.sealed += 1
        if seal.seq != expected_seq:
            report.problems.append(f"审计链缺号：第{expected_seq}至{seal.seq - 1}号封存记录不见了")
        if seal.prev != prev:
            report.problems.append(f"审计链第{seal.seq}号的前一哈希与链不符（链被改写或截断）")
        if row is None:
            report.problems.append(
                f"审计链第{seal.seq}号对应的审计记录（编号{seal.entry_id}）已被删除"
            )
        elif seal.algorithm != ALGORITHM or seal_hash(seal.prev, row) != seal.hash:
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
