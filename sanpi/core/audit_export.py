"""The audit log as .xlsx: the rows the audit administrator filtered, to read and keep.

The export reads through `core.selectors.audit_log_list` (who may read the log at all),
needs its own capability (`Cap.EXPORT_AUDIT`: the audit administrator's, never the system
administrator's), streams the rows from the database a chunk at a time into a write-only
workbook, and is itself audited (action "export", object type "core.auditlog").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap

from . import audit, xlsx
from .errors import ValidationFailed
from .jobs import FileOutcome, job_kind
from .models import AuditLog
from .selectors import audit_log_list
from .services import require
from .web import describe_audit, object_type_choices

TITLE = "审计日志"
HEADERS = (
    ("时间（北京时间）", 20),
    ("用户名", 14),
    ("姓名", 10),
    ("来源", 8),
    ("IP地址", 16),
    ("操作", 10),
    ("对象类型", 14),
    ("对象编号", 10),
    ("对象", 28),
    ("变更（前 → 后）", 60),
    ("说明", 40),
    ("请求编号", 38),
)
FILTER_LABELS = {
    "username": "用户",
    "action": "操作",
    "object_type": "对象类型",
    "object_id": "对象编号",
    "date_from": "起始日期",
    "date_to": "截止日期",
}
# One workbook holds at most this many rows; more is refused with a message to narrow the
# filters (Excel's own limit is 1,048,576 rows, and the file is built inside the request).
MAX_ROWS = 100_000
# Rows are read this many at a time: one query per related model to name the changes.
CHUNK_SIZE = 2000


@dataclass(frozen=True)
class Export:
    data: bytes
    count: int
    filename: str


def filters_text(filters: dict) -> str:
    """The filters as people read them: 操作=修改，起始日期=2024-01-01 ("" when none)."""
    labels = {
        "action": dict(AuditLog.Action.choices),
        "object_type": dict(object_type_choices()),
    }
    parts = []
    for key, name in FILTER_LABELS.items():
        value = filters.get(key)
        if value in (None, ""):
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        parts.append(f"{name}={labels.get(key, {}).get(value, value)}")
    return "，".join(parts)


def _chunks(entries: Iterable[AuditLog]) -> Iterator[list[AuditLog]]:
    chunk: list[AuditLog] = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) >= CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Rows:
    """The sheet's rows from an iterator over audit entries, counting what it wrote."""

    def __init__(self, entries: Iterable[AuditLog]) -> None:
        self.entries = entries
        self.count = 0
        self.types = dict(object_type_choices())

    def __iter__(self) -> Iterator[list[object]]:
        for chunk in _chunks(self.entries):
            for entry, changes in describe_audit(chunk):
                self.count += 1
                yield self._row(entry, changes)

    def _row(self, entry: AuditLog, changes) -> list[object]:
        created = entry.before is None
        changed = "；".join(
            f"{label}：{after}" if created else f"{label}：{before} → {after}"
            for label, before, after in changes
        )
        return [
            timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
            entry.username,
            entry.user.full_name if entry.user else "",
            entry.get_source_display(),
            entry.ip or "",
            entry.get_action_display(),
            self.types.get(entry.object_type, entry.object_type),
            entry.object_id,
            entry.object_repr,
            changed,
            entry.message,
            entry.request_id,
        ]


def _rows_to_export(*, by, filters: dict):
    """The rows, bounded by the last id (the log only grows: the count and the rows then
    agree while others keep writing), and how many; refused above MAX_ROWS."""
    require(by, Cap.EXPORT_AUDIT)
    rows = audit_log_list(user=by, **filters)
    last = AuditLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    rows = rows.filter(pk__lte=last)
    total = rows.count()
    if total > MAX_ROWS:
        raise ValidationFailed(
            f"筛选出{total:,}条记录，超过单次导出的上限{MAX_ROWS:,}条，未导出："
            "请缩小日期范围或加上其他筛选条件，分几次导出"
        )
    return rows, total


def audit_log_export_check(*, by, filters: dict) -> int:
    """How many rows an export with these filters would write (refused above MAX_ROWS):
    the page checks before it starts the export job."""
    return _rows_to_export(by=by, filters=_set(filters))[1]


def _set(filters: dict | None) -> dict:
    return {k: v for k, v in (filters or {}).items() if v not in (None, "")}


def audit_log_export(*, by, filters: dict | None = None) -> Export:
    """The audit log as the page shows it with these filters (the keyword arguments of
    `audit_log_list`), newest first, as .xlsx; the export writes its own audit row."""
    filters = _set(filters)
    rows, total = _rows_to_export(by=by, filters=filters)
    described = filters_text(filters)
    now = timezone.localtime()
    note = (
        f"筛选条件：{described or '无（全部记录）'}；共{total:,}条；"
        f"导出人：{by.get_username()}；导出时间：{now:%Y-%m-%d %H:%M}（北京时间）"
    )
    stream = _Rows(rows.iterator(chunk_size=CHUNK_SIZE))
    data = xlsx.report_workbook(TITLE, HEADERS, stream, note=note)
    with transaction.atomic():
        audit.record(
            user=by,
            action=AuditLog.Action.EXPORT,
            object_type="core.auditlog",
            object_repr=TITLE,
            after={"filters": {k: audit.jsonable(v) for k, v in filters.items()},
                   "count": stream.count},
            message=f"导出审计日志{stream.count}条" + (f"（筛选：{described}）" if described else ""),
        )  # fmt: skip
    return Export(data=data, count=stream.count, filename=f"审计日志-{now:%Y%m%d}.xlsx")


# --- as a background job (core.jobs) --------------------------------------------------------

DATE_FILTERS = ("date_from", "date_to")


def export_params(filters: dict) -> dict:
    """The filters as a job keeps them (JSON: dates as ISO text)."""
    return {k: v.isoformat() if k in DATE_FILTERS else v for k, v in _set(filters).items()}


@job_kind("core.audit_export", label="审计日志导出", idempotent=True)
def audit_export_job(job, progress):
    filters = {
        k: dt.date.fromisoformat(v) if k in DATE_FILTERS else v
        for k, v in job.params.get("filters", {}).items()
    }
    progress(0, 0, "导出")
    export = audit_log_export(by=job.user, filters=filters)
    return FileOutcome(
        f"已导出审计日志{export.count:,}条", {"count": export.count}, export.data, export.filename
    )
