"""The loans report as .xlsx (audited as an export)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit, xlsx
from sanpi.core.documents import Document
from sanpi.core.services import require

from .selectors import LoanReport


def report_xlsx(*, by, report: LoanReport, place: str) -> Document:
    require(by, Cap.EXPORT_LEDGER)  # the service's rule, not only the page's
    title = f"{place}政银企对接贷款发放情况"
    rows = [[bank, n, amount] for bank, n, amount in report.by_bank]
    rows.append(["合计", report.projects, report.amount_wan])
    data = xlsx.report_workbook(
        title, [("银行", 30), ("获得贷款项目数", 16), ("放贷金额(万元)", 18)], rows,
        note=report.sentence(place) + "（项目数按项目计，一个项目在多家银行获得贷款的合计时只计一次）",
    )  # fmt: skip
    with transaction.atomic():
        audit.record(user=by, action="export", object_type="finance.report", object_repr=title,
                     after={"from": report.date_from.isoformat(), "to": report.date_to.isoformat()},
                     message=f"导出{title}")  # fmt: skip
    return Document(data, f"{title}-{timezone.localdate():%Y%m%d}.xlsx")
