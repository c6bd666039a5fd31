"""Approval exports, in Chinese: the approval ledger and the broken-commitment credit
records (.xlsx, openpyxl), the one-time materials notice (.xlsx and .docx, python-docx).

Exports read through the selectors (so they hold exactly what the user may see) and
ledger-like exports are audited (action "export").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit, word, xlsx
from sanpi.core.services import require
from sanpi.core.word import DOCX_CONTENT_TYPE
from sanpi.core.xlsx import XLSX_CONTENT_TYPE

from . import selectors
from .rules import STAGE_LABELS, ApprovalStage, Notice, provisional_note

XLSX = XLSX_CONTENT_TYPE
DOCX = DOCX_CONTENT_TYPE


@dataclass(frozen=True)
class Export:
    data: bytes
    count: int
    filename: str


def _stamp() -> str:
    return timezone.localdate().strftime("%Y%m%d")


# --- the approval ledger ------------------------------------------------------------------------

LEDGER_HEADERS = (
    ("项目名称", 28),
    ("项目单位", 26),
    ("县(市、区)", 10),
    ("开发区", 18),
    ("事项清单", 22),
    ("审批事项", 28),
    ("阶段", 8),
    ("办理部门", 22),
    ("经办人", 10),
    ("代办员", 10),
    ("法定时限(工作日)", 10),
    ("承诺时限(工作日)", 10),
    ("申请日期", 12),
    ("受理日期", 12),
    ("办结期限", 12),
    ("办结日期", 12),
    ("办理结果", 10),
    ("已用工作日", 8),
    ("剩余工作日", 8),
    ("超期工作日", 8),
    ("状态", 10),
    ("期限说明", 30),
)


def ledger_rows(rows: Iterable[selectors.ItemRow]) -> list[list[object]]:
    out = []
    for row in rows:
        item, clock = row.item, row.clock
        project = item.project
        out.append(
            [
                project.name,
                project.enterprise.name,
                project.county.name,
                project.zone.name if project.zone_id else "",
                item.catalogue_item.track.name,
                item.catalogue_item.name,
                STAGE_LABELS[ApprovalStage(item.catalogue_item.stage)],
                item.department.name if item.department_id else "未指定",
                item.handler,
                str(item.agent) if item.agent_id else "",
                item.statutory_days,
                item.committed_days,
                item.applied_on,
                item.accepted_on,
                clock.deadline,
                item.decided_on,
                item.get_outcome_display() if item.decided_on else "",
                clock.used,
                clock.left,
                clock.overdue_days or None,
                clock.label,
                clock.note(),
            ]
        )
    return out


def ledger_export(*, by, filters: selectors.ItemFilter | None = None) -> Export:
    """The approval ledger as the user sees it (filters as on screen). Audited."""
    require(by, Cap.VIEW_APPROVALS)
    filters = filters or selectors.ItemFilter()
    rows = selectors.item_rows(user=by, filters=filters)
    years: set[int] = set()
    for row in rows:
        years.update(row.clock.uncovered_years)
    note = provisional_note(years)
    data = xlsx.report_workbook(
        "审批事项台账",
        LEDGER_HEADERS,
        ledger_rows(rows),
        note=f"注：{note}，标注的期限为推算值。" if note else "",
    )
    params = filters.as_params()
    with transaction.atomic():
        audit.record(
            user=by,
            action="export",
            object_type="approvals.ledger",
            object_repr="审批事项台账",
            after={"filters": params, "count": len(rows)},
            message=f"导出审批事项台账{len(rows)}项",
        )
    return Export(data=data, count=len(rows), filename=f"审批事项台账-{_stamp()}.xlsx")


# --- credit records -----------------------------------------------------------------------------

CREDIT_HEADERS = (
    ("企业名称", 28),
    ("统一社会信用代码", 22),
    ("县(市、区)", 10),
    ("项目名称", 28),
    ("审批事项", 28),
    ("承诺内容", 36),
    ("承诺期限", 12),
    ("记录日期", 12),
    ("类型", 16),
    ("情况", 60),
)


def credit_export(*, by, county: str = "") -> Export:
    """Broken-commitment credit records the user may see. Audited."""
    records = list(selectors.credit_record_list(user=by, county=county))
    rows = [
        [
            r.enterprise.name,
            r.enterprise.credit_code,
            r.commitment.item.project.county.name,
            r.commitment.item.project.name,
            r.commitment.item.catalogue_item.name,
            r.commitment.content,
            r.commitment.due_on,
            r.recorded_on,
            r.get_kind_display(),
            r.description,
        ]
        for r in records
    ]
    data = xlsx.report_workbook("失信记录（承诺逾期未履行）", CREDIT_HEADERS, rows)
    with transaction.atomic():
        audit.record(
            user=by,
            action="export",
            object_type="approvals.creditrecord",
            object_repr="信用记录",
            after={"county": county, "count": len(rows)},
            message=f"导出信用记录{len(rows)}条",
        )
    return Export(data=data, count=len(rows), filename=f"承诺失信记录-{_stamp()}.xlsx")


# --- the one-time materials notice -------------------------------------------------------------

NOTICE_HEADERS = (
    ("序号", 6),
    ("材料名称", 34),
    ("原件/复印件", 12),
    ("份数", 6),
    ("适用事项", 60),
    ("改革前各事项分别提交(份)", 14),
    ("备注", 24),
)


def _summary(notice: Notice) -> str:
    return (
        f"共{len(notice.entries)}种基础材料，一次提交、各事项共享："
        f"各事项分别提交需{notice.copies_before}份，一次性告知后{notice.copies_after}份。"
    )


def _notice_rows(notice: Notice) -> list[list[object]]:
    return [
        [
            i,
            e.material,
            "原件" if e.original else "复印件",
            1,
            "、".join(e.items),
            e.copies_before,
            e.notes,
        ]
        for i, e in enumerate(notice.entries, start=1)
    ]


def notice_xlsx(title: str, notice: Notice) -> bytes:
    return xlsx.report_workbook(title, NOTICE_HEADERS, _notice_rows(notice), note=_summary(notice))


def notice_docx(title: str, notice: Notice) -> bytes:
    doc = word.document(title)
    doc.add_paragraph(_summary(notice))
    doc.add_paragraph(
        "项目单位按本清单一次性准备以下材料，由代办员或窗口统一收取，各审批事项共享使用。"
    )
    word.add_table(doc, [h for h, _ in NOTICE_HEADERS], _notice_rows(notice))
    return word.finish(doc)
