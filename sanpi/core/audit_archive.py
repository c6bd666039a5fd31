"""Audit retention: rows past the retention window archived to a signed file, then purged.

The log keeps at least ``SANPI_AUDIT_RETENTION_DAYS`` (180 or more) of rows online. Older
rows leave it in two explicit steps:

1. **Archive** (the audit administrator, on the audit-log page as a background job, or
   ``sanpi audit archive --out FILE``): the sealed rows from the start of the online chain
   up to a cut-off date are written to a .zip holding ``rows.jsonl`` (each row's content
   with its seal: number, previous hash, hash, algorithm) and ``manifest.json`` (the seal
   and row ids of the first and last row, the count, the chain hash before the first row
   and at the last — the chain head at the boundary —, the SHA-256 of rows.jsonl, and an
   HMAC signature over all of it). Every row's hash is recomputed while it is written, and
   the file is read back and verified before it counts; `AuditArchive` records it with the
   SHA-256 of the whole file.
2. **Purge** (``sanpi audit purge --archive FILE``, on the server only): the file is
   verified again (signature, chain), must be one this system recorded, must continue the
   online chain exactly where it starts, must hold only rows past the retention window, and
   must match the online rows seal by seal and row by row. Then an `AuditPurge` row records
   the new boundary and the rows and their seals are deleted, in one transaction. The
   database's triggers (migration 0012) let through only those deletes: seals at or below the
   recorded boundary, rows older than 180 days. `audit_chain.verify` then starts at the
   boundary.

``sanpi audit archive-verify FILE`` checks a file at any time. Archive, verification and
purge each write an audit row.

The signing key is ``SANPI_AUDIT_ARCHIVE_KEY`` when set, otherwise derived from
``SECRET_KEY`` (HMAC-SHA256 of a fixed label): a file verifies only where the same key is
configured. The manifest names which, with a key id, so a changed key is told apart from a
changed file. HMAC-SHA256, or HMAC-SM3 when the chain uses SM3 (``SANPI_AUDIT_HASH=sm3``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap

from . import audit, audit_chain, sm3
from .audit_chain import Head
from .audit_export import MAX_ROWS as WEB_MAX_ROWS
from .errors import ValidationFailed
from .jobs import FileOutcome, job_kind
from .models import AuditArchive, AuditLog, AuditPurge, AuditSeal
from .services import require

FORMAT = "sanpi-audit-archive/1"
ROWS = "rows.jsonl"
MANIFEST = "manifest.json"
MANIFEST_MAX_BYTES = 1 << 20
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # as audit_chain.canonical writes times
KEY_LABEL = b"sanpi.audit.archive.v1"
MAX_LISTED = audit_chain.MAX_LISTED
NOT_SOUND = "审计链校验未通过，不能归档：请先运行 sanpi audit verify 查明原因"

# --- who may ----------------------------------------------------------------------------


def _require(by) -> None:
    """The audit administrator on the web; on the server, the operator (a SystemActor, who
    already holds the database's credentials, as for `sanpi backup`)."""
    from sanpi.accounts.actors import SystemActor

    if not isinstance(by, SystemActor):
        require(by, Cap.AUDIT_ARCHIVE)


# --- the key and the signature ------------------------------------------------------------


def signing_key() -> tuple[bytes, str]:
    """The key that signs archives, and which setting it comes from."""
    if settings.SANPI_AUDIT_ARCHIVE_KEY:
        return settings.SANPI_AUDIT_ARCHIVE_KEY.encode(), "SANPI_AUDIT_ARCHIVE_KEY"
    derived = hmac.new(settings.SECRET_KEY.encode(), KEY_LABEL, hashlib.sha256).digest()
    return derived, "SECRET_KEY"


def key_id(key: bytes) -> str:
    """Names a key without revealing it (a changed key is not a changed file)."""
    return hmac.new(key, b"key-id", hashlib.sha256).hexdigest()[:16]


SIGNATURES: dict[str, Callable[[bytes, bytes], str]] = {
    "hmac-sha256": lambda key, data: hmac.new(key, data, hashlib.sha256).hexdigest(),
    "hmac-sm3": lambda key, data: sm3.hmac(key, data).hex(),
}


def _signed_part(manifest: dict) -> bytes:
    body = {k: v for k, v in manifest.items() if k != "signature"}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


# --- rows as the file holds them ------------------------------------------------------------


def _row_out(row: dict) -> dict:
    return {**row, "at": row["at"].astimezone(dt.UTC).strftime(TIME_FORMAT)}


def _row_in(data: dict) -> dict:
    at = dt.datetime.strptime(data["at"], TIME_FORMAT).replace(tzinfo=dt.UTC)
    return {name: data[name] for name in audit_chain.FIELDS if name != "at"} | {"at": at}


def _line(seal: AuditSeal, row: dict) -> bytes:
    entry = {
        "seq": seal.seq,
        "prev": seal.prev,
        "hash": seal.hash,
        "algorithm": seal.algorithm,
        "row": _row_out(row),
    }
    return (
        json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    ).encode()


def _time_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime(TIME_FORMAT)


def _time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=dt.UTC)


# --- what to archive ------------------------------------------------------------------------


def retention_days() -> int:
    return settings.SANPI_AUDIT_RETENTION_DAYS


def latest_before(today: dt.date | None = None) -> dt.date:
    """The latest cut-off an archive may have: rows before this day are past retention."""
    return (today or timezone.localdate()) - dt.timedelta(days=retention_days())


def _cutoff(before: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(before, dt.time.min))


@dataclass(frozen=True)
class Plan:
    start: Head  # the online chain's start: the archive continues from it
    first_seq: int
    last_seq: int
    before: dt.date

    @property
    def count(self) -> int:
        return self.last_seq - self.first_seq + 1


def archive_plan(
    *, by, before: dt.date | None = None, max_rows: int | None = None, seal: bool = True
) -> Plan:
    """Which seals an archive up to ``before`` would hold (refused when none, or when
    ``before`` is inside the retention window). Pending rows are sealed first unless
    ``seal=False`` (the page and its job, which run inside a transaction that must not hold
    the sealer's lock: rows past retention were sealed long ago by the schedule)."""
    _require(by)
    latest = latest_before()
    before = before or latest
    if before > latest:
        raise ValidationFailed(
            f"审计记录至少在线保存{retention_days()}天：归档截止日期不能晚于{latest:%Y-%m-%d}"
        )
    if seal:
        audit_chain.seal_pending()
    start = audit_chain.boundary()
    seals = AuditSeal.objects.filter(seq__gt=start.seq)
    stop = (
        seals.filter(entry__at__gte=_cutoff(before))
        .order_by("seq")
        .values_list("seq", flat=True)
        .first()
    )
    last = stop - 1 if stop else seals.order_by("-seq").values_list("seq", flat=True).first()
    if not last or last <= start.seq:
        raise ValidationFailed(f"没有{before:%Y-%m-%d}以前、尚未归档清除的审计记录，无需归档")
    if max_rows:
        last = min(last, start.seq + max_rows)
    return Plan(start=start, first_seq=start.seq + 1, last_seq=last, before=before)


# --- writing --------------------------------------------------------------------------------


def _write(out: IO[bytes], plan: Plan, *, made_by: str) -> dict:
    """Write the archive of ``plan`` to ``out``; each row's hash is recomputed on the way
    (a chain that does not verify is not archived). Returns the manifest."""
    rows_sha = hashlib.sha256()
    prev, expected = plan.start.hash, plan.first_seq
    first_id = last_id = 0
    oldest: dt.datetime | None = None
    newest: dt.datetime | None = None
    algorithms: set[str] = set()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open(ROWS, "w", force_zip64=True) as fh:
            for seal, row in audit_chain.chain(after=plan.start.seq, upto=plan.last_seq):
                if (
                    seal.seq != expected
                    or seal.prev != prev
                    or row is None
                    or seal.algorithm not in audit_chain.ALGORITHMS
                    or audit_chain.seal_hash(prev, row, seal.algorithm) != seal.hash
                ):
                    raise ValidationFailed(f"{NOT_SOUND}（审计链第{expected}号）")
                line = _line(seal, row)
                fh.write(line)
                rows_sha.update(line)
                first_id = first_id or row["id"]
                last_id = row["id"]
                oldest = min(oldest, row["at"]) if oldest else row["at"]
                newest = max(newest, row["at"]) if newest else row["at"]
                algorithms.add(seal.algorithm)
                prev, expected = seal.hash, seal.seq + 1
        if expected != plan.last_seq + 1:
            raise ValidationFailed(f"{NOT_SOUND}（审计链第{expected}号起缺失）")
        key, source = signing_key()
        signature_algorithm = "hmac-sm3" if audit_chain.algorithm() == "sm3" else "hmac-sha256"
        manifest = {
            "format": FORMAT,
            "first_seq": plan.first_seq,
            "last_seq": plan.last_seq,
            "first_id": first_id,
            "last_id": last_id,
            "count": plan.count,
            "prev_hash": plan.start.hash,
            "head_hash": prev,
            "algorithms": sorted(algorithms),
            "before": plan.before.isoformat(),
            "oldest_at": _time_text(oldest),
            "newest_at": _time_text(newest),
            "rows_sha256": rows_sha.hexdigest(),
            "made_at": _time_text(timezone.now()),
            "made_by": made_by,
            "database": connection.vendor,
            "key_source": source,
            "key_id": key_id(key),
            "signature_algorithm": signature_algorithm,
        }
        manifest["signature"] = SIGNATURES[signature_algorithm](key, _signed_part(manifest))
        zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


def _default_name(plan: Plan) -> str:
    return f"审计归档-第{plan.first_seq}至{plan.last_seq}号-{timezone.localdate():%Y%m%d}.zip"


def archive_make(
    *,
    by,
    out: IO[bytes],
    before: dt.date | None = None,
    max_rows: int | None = None,
    filename: str = "",
    keep: Callable[[], None] | None = None,
    seal: bool = True,
) -> AuditArchive:
    """Archive the oldest online rows up to ``before`` (default: the end of the retention
    window) into ``out`` (readable and seekable), verify what was written, and record the
    archive (`AuditArchive`, audited). ``keep`` runs inside that transaction once the file
    verified (the CLI moves it to its final name there)."""
    plan = archive_plan(by=by, before=before, max_rows=max_rows, seal=seal)
    manifest = _write(out, plan, made_by=by.get_username())
    out.seek(0)
    checked = archive_check(out)
    if not checked.ok:
        raise ValidationFailed("归档文件写出后核验未通过：" + "；".join(checked.problems))
    with transaction.atomic():
        if keep is not None:
            keep()
        record = AuditArchive.objects.create(
            username=by.get_username()[:150],
            before=_cutoff(plan.before),
            first_seq=plan.first_seq,
            last_seq=plan.last_seq,
            first_id=manifest["first_id"],
            last_id=manifest["last_id"],
            count=plan.count,
            oldest_at=_time(manifest["oldest_at"]),
            newest_at=_time(manifest["newest_at"]),
            prev_hash=manifest["prev_hash"],
            head_hash=manifest["head_hash"],
            digest=checked.digest,
            filename=(filename or _default_name(plan))[:255],
        )
        audit.record(
            user=by,
            action=AuditLog.Action.ARCHIVE,
            obj=record,
            after=audit.snapshot(
                record,
                ["first_seq", "last_seq", "first_id", "last_id", "count", "head_hash", "digest"],
            ),
            message=(
                f"审计归档：审计链第{plan.first_seq}至{plan.last_seq}号，共{plan.count}条"
                f"（{timezone.localtime(record.oldest_at):%Y-%m-%d}至"
                f"{timezone.localtime(record.newest_at):%Y-%m-%d}），文件SHA-256 {checked.digest}"
            ),
        )
    return record


# --- reading and verifying ------------------------------------------------------------------


@dataclass
class Checked:
    """What `archive_check` found in a file."""

    digest: str = ""  # SHA-256 of the whole file
    manifest: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: str) -> None:
        if len(self.problems) < MAX_LISTED:
            self.problems.append(problem)
        elif len(self.problems) == MAX_LISTED:
            self.problems.append("问题过多，其余未列出")


def _digest(fh: IO[bytes]) -> str:
    fh.seek(0)
    sha = hashlib.sha256()
    for block in iter(lambda: fh.read(1 << 20), b""):
        sha.update(block)
    fh.seek(0)
    return sha.hexdigest()


def _lines(zf: zipfile.ZipFile, checked: Checked, sha) -> Iterator[dict]:
    with zf.open(ROWS) as fh:
        for number, raw in enumerate(fh, start=1):
            sha.update(raw)
            try:
                yield json.loads(raw)
            except ValueError:
                checked.add(f"{ROWS} 第{number}行不是有效的 JSON")


def archive_check(file: IO[bytes], *, heads: Iterable[Head] = ()) -> Checked:
    """Verify an archive file: its signature with this installation's key, and the chain
    inside it (numbers without gaps from ``first_seq``, each previous hash, each row's hash
    recomputed with its own algorithm, the count, the ids and the head the manifest
    states). Heads given (written down earlier) within its range must match."""
    checked = Checked(digest=_digest(file))
    try:
        zf = zipfile.ZipFile(file)
        info = zf.getinfo(MANIFEST)
        if info.file_size > MANIFEST_MAX_BYTES:
            raise ValueError
        manifest = json.loads(zf.read(MANIFEST))
        zf.getinfo(ROWS)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError
    except (zipfile.BadZipFile, KeyError, ValueError):
        checked.add("不是 sanpi 的审计归档文件（应为 .zip，含 manifest.json 与 rows.jsonl）")
        return checked
    checked.manifest = manifest
    with zf:
        _check_signature(manifest, checked)
        _check_rows(zf, manifest, checked, {h.seq: h.hash for h in heads})
    return checked


def _check_signature(manifest: dict, checked: Checked) -> None:
    key, source = signing_key()
    sign = SIGNATURES.get(manifest.get("signature_algorithm", ""))
    if sign is None:
        checked.add(f"签名算法“{manifest.get('signature_algorithm')}”不可识别")
    elif manifest.get("key_id") != key_id(key):
        checked.add(
            f"签名密钥与本机不同：文件由 {manifest.get('key_source')}（密钥编号 "
            f"{manifest.get('key_id')}）签名，本机为 {source}（密钥编号 {key_id(key)}）：无法核验签名"
        )
    elif not hmac.compare_digest(
        str(manifest.get("signature", "")), sign(key, _signed_part(manifest))
    ):
        checked.add("签名不符：归档文件的清单被改动过")


def _check_rows(zf: zipfile.ZipFile, manifest: dict, checked: Checked, heads: dict) -> None:
    try:
        first_seq, last_seq = int(manifest["first_seq"]), int(manifest["last_seq"])
        prev, expected = str(manifest["prev_hash"]), first_seq
        count = int(manifest["count"])
    except (KeyError, TypeError, ValueError):
        checked.add("归档清单缺少起止序号、条数或起点哈希")
        return
    sha = hashlib.sha256()
    first_id = last_id = None
    oldest = newest = None
    for entry in _lines(zf, checked, sha):
        try:
            seq, row = int(entry["seq"]), _row_in(entry["row"])
            algorithm, stated = entry["algorithm"], entry["hash"]
        except (KeyError, TypeError, ValueError):
            checked.add(f"归档第{expected}号的格式不对")
            break
        checked.rows += 1
        if seq != expected:
            checked.add(f"归档中缺号：应为第{expected}号，实为第{seq}号")
        if entry.get("prev") != prev:
            checked.add(f"归档第{seq}号的前一哈希与链不符")
        if algorithm not in audit_chain.ALGORITHMS:
            checked.add(f"归档第{seq}号的算法“{algorithm}”不可识别")
        elif audit_chain.seal_hash(prev, row, algorithm) != stated:
            checked.add(f"归档第{seq}号（审计记录编号{row['id']}）的内容与其哈希不符：已被改动")
        if seq in heads and heads.pop(seq) != stated:
            checked.add(f"归档第{seq}号的哈希与先前记下的链头不同")
        first_id = row["id"] if first_id is None else first_id
        last_id = row["id"]
        oldest = min(oldest, row["at"]) if oldest else row["at"]
        newest = max(newest, row["at"]) if newest else row["at"]
        prev, expected = stated, seq + 1
    stated_counts = {
        "count": (count, checked.rows),
        "last_seq": (last_seq, expected - 1),
        "head_hash": (manifest.get("head_hash"), prev),
        "first_id": (manifest.get("first_id"), first_id),
        "last_id": (manifest.get("last_id"), last_id),
        "oldest_at": (manifest.get("oldest_at"), oldest and _time_text(oldest)),
        "newest_at": (manifest.get("newest_at"), newest and _time_text(newest)),
        "rows_sha256": (manifest.get("rows_sha256"), sha.hexdigest()),
    }
    for name, (said, found) in stated_counts.items():
        if said != found:
            checked.add(f"归档清单的 {name} 与内容不符（清单 {said}，内容 {found}）")
    for seq in sorted(s for s in heads if first_seq <= s <= last_seq):
        checked.add(f"先前记下的链头第{seq}号不在归档中")


def archive_verify(*, by, file: IO[bytes], heads: Iterable[Head] = ()) -> Checked:
    """`archive_check`, audited (which file, whether it passed, whether it is recorded)."""
    _require(by)
    checked = archive_check(file, heads=heads)
    record = AuditArchive.objects.filter(digest=checked.digest).first()
    m = checked.manifest
    span = f"审计链第{m.get('first_seq')}至{m.get('last_seq')}号" if m else "无法读取的文件"
    verdict = "通过" if checked.ok else "未通过：" + "；".join(checked.problems)
    with transaction.atomic():
        audit.record(
            user=by,
            action=AuditLog.Action.ARCHIVE_VERIFY,
            object_type="core.auditarchive",
            object_id=str(record.pk) if record else "",
            object_repr=str(record) if record else "审计归档（未登记）",
            after={"digest": checked.digest, "ok": checked.ok, "recorded": record is not None},
            message=f"核验审计归档（{span}，文件SHA-256 {checked.digest}）：{verdict}",
        )
    return checked


# --- purging --------------------------------------------------------------------------------


def _online_matches(file: IO[bytes], first: int, last: int) -> str:
    """'' if the online seals first..last and their rows are exactly the archived ones
    (numbers, row ids, hashes, and each row's content still hashing to its seal); else the
    first difference."""
    file.seek(0)
    with zipfile.ZipFile(file) as zf:
        archived = _lines(zf, Checked(), hashlib.sha256())
        for seal, row in audit_chain.chain(after=first - 1, upto=last):
            entry = next(archived, None)
            if (
                entry is None
                or entry["seq"] != seal.seq
                or entry["hash"] != seal.hash
                or row is None
                or entry["row"]["id"] != row["id"]
            ):
                return f"审计链第{seal.seq}号与归档不同"
            if audit_chain.seal_hash(seal.prev, row, seal.algorithm) != seal.hash:
                return f"在线审计记录编号{row['id']}（审计链第{seal.seq}号）已被改写"
        if next(archived, None) is not None:
            return "归档中有在线审计链没有的记录"
    return ""


def archive_purge(*, by, file: IO[bytes]) -> AuditPurge:
    """Delete from the online log the rows of a verified, recorded archive that continues
    the online chain and holds only rows past retention; record the new boundary first."""
    _require(by)
    checked = archive_check(file)
    if not checked.ok:
        raise ValidationFailed("归档文件核验未通过，未清除：" + "；".join(checked.problems))
    m = checked.manifest
    record = AuditArchive.objects.filter(digest=checked.digest).first()
    if record is None:
        raise ValidationFailed(
            "这个文件不是本系统登记过的审计归档（其SHA-256不在归档记录中），未清除："
            "请用 sanpi audit archive 或审计日志页生成的归档文件"
        )
    done = AuditPurge.objects.filter(archive=record).first()
    if done is not None:
        raise ValidationFailed(
            f"该归档已于{timezone.localtime(done.purged_at):%Y-%m-%d %H:%M}清除过，未再清除"
        )
    days = retention_days()
    newest = _time(m["newest_at"])
    if newest >= timezone.now() - dt.timedelta(days=days):
        keep_until = timezone.localtime(newest + dt.timedelta(days=days))
        raise ValidationFailed(
            f"归档中最晚的记录（{timezone.localtime(newest):%Y-%m-%d %H:%M}）未满保留期"
            f"{days}天，未清除：须在{keep_until:%Y-%m-%d %H:%M}以后"
        )
    first, last, count = m["first_seq"], m["last_seq"], m["count"]
    try:
        with transaction.atomic():
            audit_chain.lock()
            start = audit_chain.boundary()
            if (first, m["prev_hash"]) != (start.seq + 1, start.hash):
                raise ValidationFailed(
                    f"该归档不接续在线审计链的起点（第{start.seq}号之后），未清除："
                    "请重新归档后用新文件清除"
                )
            differs = _online_matches(file, first, last)
            if differs:
                raise ValidationFailed(
                    f"在线审计记录与归档不一致（{differs}），未清除：请先运行 sanpi audit verify"
                )
            purge = AuditPurge.objects.create(
                archive=record,
                username=by.get_username()[:150],
                last_seq=last,
                head_hash=m["head_hash"],
            )
            with connection.cursor() as cursor:
                # Rows first, then their seals (the seals' trigger wants the row gone; the
                # foreign key is checked at commit).
                cursor.execute(
                    f"DELETE FROM {AuditLog._meta.db_table} WHERE id IN (SELECT entry_id FROM "
                    f"{AuditSeal._meta.db_table} WHERE seq BETWEEN %s AND %s)",
                    [first, last],
                )
                rows = cursor.rowcount
                cursor.execute(
                    f"DELETE FROM {AuditSeal._meta.db_table} WHERE seq BETWEEN %s AND %s",
                    [first, last],
                )
                seals = cursor.rowcount
            if rows != count or seals != count:
                raise ValidationFailed(
                    f"清除的记录数（{rows}条记录、{seals}条封存）与归档的{count}条不符，未清除"
                )
            audit.record(
                user=by,
                action=AuditLog.Action.PURGE,
                obj=record,
                after={"last_seq": last, "head_hash": m["head_hash"], "count": count},
                message=(
                    f"清除已归档的审计记录：审计链第{first}至{last}号，共{count}条；"
                    f"在线审计链自第{last + 1}号起（起点哈希 {m['head_hash']}）；"
                    f"归档文件SHA-256 {checked.digest}"
                ),
            )
    except DatabaseError as exc:
        raise ValidationFailed(f"数据库拒绝清除（{exc}），未清除任何记录") from None
    return purge


# --- reading for the page -------------------------------------------------------------------


def archive_list(*, user, limit: int = 20) -> list[AuditArchive]:
    """The latest archives with their purges (the audit administrator's)."""
    require(user, Cap.VIEW_AUDIT)
    return list(AuditArchive.objects.select_related("purge").order_by("-made_at", "-pk")[:limit])


@dataclass(frozen=True)
class Retention:
    days: int
    latest_before: dt.date
    start: Head  # the online chain's start (after the last purge)
    oldest_at: dt.datetime | None  # the oldest row online


def retention_state(*, user) -> Retention:
    require(user, Cap.VIEW_AUDIT)
    oldest = AuditLog.objects.order_by("at").values_list("at", flat=True).first()
    return Retention(retention_days(), latest_before(), audit_chain.boundary(), oldest)


# --- as a background job (core.jobs) --------------------------------------------------------


@job_kind("core.audit_archive", label="审计归档", idempotent=True)
def audit_archive_job(job, progress):
    """The page's archive: at most WEB_MAX_ROWS rows (archive, purge, and archive again for
    more; the CLI writes any number to a file)."""
    before = dt.date.fromisoformat(job.params["before"]) if job.params.get("before") else None
    progress(0, 0, "归档")
    buffer = io.BytesIO()
    record = archive_make(by=job.user, out=buffer, before=before, max_rows=WEB_MAX_ROWS, seal=False)
    return FileOutcome(
        f"已归档审计链第{record.first_seq}至{record.last_seq}号，共{record.count:,}条审计记录",
        {"count": record.count, "first_seq": record.first_seq, "last_seq": record.last_seq,
         "digest": record.digest},
        buffer.getvalue(),
        record.filename,
    )  # fmt: skip
