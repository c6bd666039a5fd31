"""The project ledger's import: one service for the web upload, the CLI and the benchmark.

`ledger_import` reads whatever workbook a clerk sends (.xlsx, .xls or .csv, laid out as
the clerk keeps it: see `sanpi.core.tables`), checks every row against the database
(`ledger_checks.LedgerPlan`), and either refuses the whole file with *every* error
("第N行 列名（K列）: 原因"), what it understood of the file and a copy of the file with
the bad cells marked, or writes everything in one transaction with bulk operations,
audit rows included (`ledger_write.write_plan`). A row that matches a project the system
has updates it (the row is the project's ledger: an empty cell clears the field, a column
the file lacks leaves it); otherwise it creates the project, and the enterprise if it is
new. Attributions to activities are only ever added by an import, never moved or removed.
The columns are in `ledger_columns`, the export and the template in `ledger_export`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from sanpi.accounts.roles import Cap
from sanpi.core import tables
from sanpi.core.imports import ImportRejected
from sanpi.core.services import require
from sanpi.core.tables import RowSpool
from sanpi.core.workbooks import WorkbookUnreadable, open_book
from sanpi.core.xlsx import CellError, ErrorList

from .ledger_checks import LedgerPlan
from .ledger_columns import (
    ACTIVITIES,
    INTEGRITY_MESSAGE,
    LEDGER,
    STAGE_BY_LABEL,
)
from .ledger_write import write_plan

__all__ = ["ACTIVITIES", "LEDGER", "STAGE_BY_LABEL", "ImportResult", "ledger_import"]

ProgressFn = Callable[[int, int, str], None]


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    enterprises_created: int = 0
    activities_created: int = 0
    activities_updated: int = 0
    entries_created: int = 0
    events_created: int = 0
    dry_run: bool = False
    understood: dict = field(default_factory=dict)  # what the reader made of the file

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def summary_text(self) -> str:
        body = (
            f"共{self.rows}行：新增项目{self.created}个，更新{self.updated}个，"
            f"未变化{self.unchanged}个；新增企业{self.enterprises_created}家；"
            f"新增活动{self.activities_created}个"
        )
        if self.activities_updated:
            body += f"，修改活动{self.activities_updated}个"
        body += f"；新增活动归属{self.entries_created}条。"
        if self.dry_run:
            return "校验通过，未写入任何数据（仅校验）。若正式导入将：" + body
        return "导入完成。" + body


def ledger_import(
    *,
    by,
    data: bytes,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    filename: str = "",
    mapping: Mapping[str, str] | None = None,
) -> ImportResult:
    """Import a ledger file. All or nothing: raises ImportRejected with every error (and
    the marked copy of the file) when any row is bad; writes nothing on dry runs.

    ``mapping`` names, for headers of the file the reader can't match, the template
    column each one is (``{"企业名称": "项目单位"}``; an empty target ignores the column).
    """
    require(by, Cap.IMPORT_LEDGER)
    report: ProgressFn = progress or (lambda done, total, phase: None)
    errors = ErrorList()
    result = ImportResult(dry_run=dry_run)
    plan = LedgerPlan(by=by, errors=errors, progress=report, result=result)
    report(0, 0, "读取")
    try:
        book = open_book(data, filename)
    except WorkbookUnreadable as exc:
        raise ImportRejected([CellError(str(exc))]) from None
    with book, RowSpool() as spool:
        plan.spool = spool
        activity_rows = _lay_out(book, mapping, plan, errors)
        if plan.ledger is None or activity_rows is None:
            raise _rejected(errors, data, result, plan)
        plan.load_reference()
        plan.check_activities(activity_rows)
        plan.check(plan.ledger.rows(errors), estimate=plan.ledger.grid.estimated_rows)
        if not result.rows:
            errors.file(f"工作表“{plan.ledger.grid.name}”没有数据行")
        if errors:
            raise _rejected(errors, data, result, plan)
        result.understood = _understood(plan)
        if dry_run:
            report(1, 1, "完成")
            return result
        try:
            with transaction.atomic():
                write_plan(plan, spool, filename=filename)
        except IntegrityError:
            raise ImportRejected([CellError(INTEGRITY_MESSAGE)]) from None
    report(1, 1, "完成")
    return result


def _lay_out(book, mapping, plan: LedgerPlan, errors: ErrorList) -> list[tables.Row] | None:
    """Find and lay out the ledger sheet (on the plan) and read the activities sheet's
    rows (few); None when the activities sheet can't be read."""
    names = list(book.sheet_names)
    ledger_name = tables.find_sheet(names, LEDGER.name)
    acts_name = tables.find_sheet(names, ACTIVITIES.name)
    if ledger_name is None:
        others = [n for n in names if n != acts_name]
        if len(others) != 1:
            errors.file(
                f"找不到工作表“{LEDGER.name}”（文件中的工作表：{'、'.join(names)}）："
                f"请把项目台账所在的工作表命名为“{LEDGER.name}”"
            )
            return None
        ledger_name = others[0]  # the only sheet is the ledger, whatever its name
    ledger_report = tables.TableReport(kind=book.kind, encoding=getattr(book, "encoding", ""))
    plan.reports["ledger"] = ledger_report
    grid = book.sheet(ledger_name)
    plan.ledger = tables.read_table(grid, LEDGER, errors, mapping=mapping, report=ledger_report)
    activity_rows: list[tables.Row] | None = []
    if acts_name is not None and acts_name != ledger_name:
        scratch = ErrorList()
        acts_report = tables.TableReport(kind=book.kind)
        acts = tables.read_table(book.sheet(acts_name), ACTIVITIES, scratch, report=acts_report)
        empty = acts is None and all(e.row is None and "是空的" in e.message for e in scratch.items)
        if not empty:
            for error in scratch.items:  # through add(): the 1,000-error limit holds
                errors.add(error)
            plan.acts = acts
            plan.reports["activities"] = acts_report
            activity_rows = list(acts.rows(errors)) if acts is not None else None
    return activity_rows


def _rejected(errors: ErrorList, data: bytes, result: ImportResult, plan: LedgerPlan):
    result.understood = _understood(plan)
    header_rows = {r.sheet: r.header_rows[-1] for r in plan.reports.values() if r.header_rows}
    return ImportRejected(errors, source=data, details=result.as_dict(), header_rows=header_rows)


def _understood(plan: LedgerPlan) -> dict:
    out: dict = {name: report.as_dict() for name, report in plan.reports.items()}
    if plan.matched_count:
        out["matched"] = {"count": plan.matched_count, "sample": plan.matched}
    if plan.warning_count:
        out["warnings"] = {"count": plan.warning_count, "sample": plan.warnings}
    return out
