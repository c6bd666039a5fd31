"""The month's report sheet: a county downloads it pre-filled for all its projects, fills
it in, and uploads it. The upload goes through the same reader as the ledger import
(``core.workbooks``, ``core.tables``: title rows, merged cells, blank rows, amounts typed
every local way) and the same rules as the report form (``dispatch.services``); every
error is listed at once with its row and column, and nothing is written on any error.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit, cells, tables, xlsx
from sanpi.core.errors import ServiceError
from sanpi.core.imports import ImportRejected
from sanpi.core.jobs import FileOutcome, job_kind
from sanpi.core.services import require
from sanpi.core.workbooks import WorkbookUnreadable, open_book
from sanpi.core.xlsx import CellError, Column, ErrorList, SheetSpec

from . import selectors, services

SHEET = "月报"
AMOUNT = cells.amount(unit="万元")
SPEC = SheetSpec(
    SHEET,
    (
        Column("code", "项目代码", cells.text(50), width=26),
        Column("name", "项目名称", cells.text(200), required=True, width=36),
        Column("enterprise", "项目单位", cells.text(200), width=30),
        Column("county", "县(市、区)", cells.text(50), width=12),
        Column("stage", "项目阶段", cells.text(10), width=10),
        Column(
            "cumulative",
            "上月末累计完成投资(万元)",
            AMOUNT,
            number_format=xlsx.AMOUNT_FORMAT,
            width=18,
        ),
        Column(
            "investment_wan",
            "本月完成投资(万元)",
            AMOUNT,
            required=True,
            number_format=xlsx.AMOUNT_FORMAT,
            width=16,
        ),
        Column("progress_percent", "形象进度(%)", cells.integer(0, 100), required=True, width=12),
        Column("progress_text", "形象进度说明", cells.text(200), width=30),
        Column("output_wan", "本月产值(万元)", AMOUNT, number_format=xlsx.AMOUNT_FORMAT, width=14),
        Column("tax_wan", "本月税收(万元)", AMOUNT, number_format=xlsx.AMOUNT_FORMAT, width=14),
        Column("jobs", "用工人数", cells.integer(0, 1_000_000), width=10),
        Column("problems", "遇到的问题", cells.text(1000), width=40),
    ),
)
KIND = "dispatch.month_sheet"
EXPORT_KIND = "dispatch.month_sheet_export"


@dataclass
class SheetResult:
    year: int
    month: int
    submitted: int

    def as_dict(self) -> dict:
        return {"year": self.year, "month": self.month, "submitted": self.submitted}

    def summary_text(self) -> str:
        return f"已报送{self.year}年{self.month}月月报{self.submitted}份"


def month_sheet(*, by, year: int, month: int) -> FileOutcome:
    """The month's sheet for every project the user may file for, pre-filled with what is
    known (names, codes, last month's cumulative, this month's values if any)."""
    require(by, Cap.FILE_REPORTS)
    before = (year - 1, 12) if month == 1 else (year, month - 1)
    rows = []
    last = {
        p.pk: p.cumulative_wan
        for p in selectors.month_rows(user=by, year=before[0], month=before[1])
    }
    reports = {r.project_id: r for r in selectors.month_reports(user=by, year=year, month=month)}
    for p in selectors.month_rows(user=by, year=year, month=month).iterator(chunk_size=1000):
        r = reports.get(p.pk)
        rows.append(
            [
                p.code,
                p.name,
                p.enterprise.name,
                p.county.name,
                p.get_stage_display(),
                last.get(p.pk, Decimal("0")),
                r.investment_wan if r else None,
                r.progress_percent if r else None,
                r.progress_text if r else "",
                r.output_wan if r else None,
                r.tax_wan if r else None,
                r.jobs if r else None,
                r.problems if r else "",
            ]
        )
    data = xlsx.write_workbook([(SPEC, rows)])
    stamp = timezone.localdate().strftime("%Y%m%d")
    return FileOutcome(
        f"{len(rows)}个项目", {"rows": len(rows)}, data, f"{year}年{month}月月报-{stamp}.xlsx"
    )


def month_sheet_import(
    *, by, year: int, month: int, data: bytes, filename: str = "", progress=None
) -> SheetResult:
    """Submit the month's reports of a filled-in sheet: all or nothing."""
    require(by, Cap.FILE_REPORTS)
    report = progress or (lambda done, total, phase: None)
    errors = ErrorList()
    report(0, 0, "读取")
    try:
        book = open_book(data, filename)
    except WorkbookUnreadable as exc:
        raise ImportRejected([CellError(str(exc))]) from None
    with book:
        name = tables.find_sheet(book.sheet_names, SHEET) or book.sheet_names[0]
        table = tables.read_table(book.sheet(name), SPEC, errors)
        if table is None:
            raise ImportRejected(errors, source=data)
        owing = {
            (p.code or "", p.name): p
            for p in selectors.month_rows(user=by, year=year, month=month).select_related(None)
        }
        by_name = {}
        for (_code, pname), p in owing.items():
            by_name.setdefault(pname, []).append(p)
        parsed = []
        report(0, 0, "校验")
        for row in table.rows(errors):
            if row.failed:
                continue
            code, pname = (row.values.get("code") or "").strip(), row.values["name"].strip()
            project = owing.get((code, pname)) if code else None
            if project is None and not code:
                matches = by_name.get(pname, [])
                project = matches[0] if len(matches) == 1 else None
                if len(matches) > 1:
                    errors.add(table.error(row.number, "name", "同名项目不止一个，请填写项目代码"))
                    continue
            if project is None:
                errors.add(
                    table.error(
                        row.number,
                        "name",
                        f"“{pname}”不是您本月需要填报的项目（不在权限范围内，或不处于签约、开工、投产阶段）",
                    )
                )
                continue
            parsed.append((row, project))
        if not parsed and not errors:
            errors.file(f"工作表“{name}”没有数据行")
        if errors:
            raise ImportRejected(errors, source=data)
        report(0, len(parsed), "写入")
        with transaction.atomic():
            for i, (row, project) in enumerate(parsed):
                values = {k: row.values.get(k) for k in services.FIELDS}
                try:
                    services.report_save(
                        by=by, project=project, year=year, month=month, data=values, submit=True
                    )
                except ServiceError as exc:
                    for field, messages in (exc.fields or {"name": [exc.message]}).items():
                        key = field if field in table.present else "name"
                        for message in messages:
                            errors.add(table.error(row.number, key, message))
                report(i + 1, len(parsed), "写入")
            if errors:
                transaction.set_rollback(True)
        if errors:
            raise ImportRejected(errors, source=data)
    audit.record(
        user=by,
        action="import",
        object_type="dispatch.monthlyreport",
        object_repr=f"{year}年{month}月月报",
        after={"year": year, "month": month, "submitted": len(parsed)},
        message=f"导入{year}年{month}月月报{len(parsed)}份",
    )
    return SheetResult(year, month, len(parsed))


@job_kind(EXPORT_KIND, label="月报表下载", idempotent=True)
def month_sheet_export_job(job, progress):
    return month_sheet(by=job.user, year=job.params["year"], month=job.params["month"])


@job_kind(KIND, label="月报导入")
def month_sheet_job(job, progress):
    return month_sheet_import(
        by=job.user,
        year=job.params["year"],
        month=job.params["month"],
        data=bytes(job.source_file),
        filename=job.filename,
        progress=progress,
    )
