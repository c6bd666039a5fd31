"""The indicator table as a workbook to read, print and send (.xlsx, formula-safe: core.xlsx)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit, xlsx
from sanpi.core.services import require

from . import rules
from .models import Indicator
from .selectors import Row, Table, indicator_table

HEADERS = (
    ("序号", 6),
    ("类别", 16),
    ("指标", 40),
    ("单位", 10),
    ("2020年实际/预计", 16),
    ("2025年目标", 18),
    ("年均增长(%)", 14),
    ("属性", 8),
    ("方向", 10),
    ("实际值", 12),
    ("实际值年份", 10),
    ("应达值", 12),
    ("进度", 10),
    ("进度（分子/分母）", 24),
    ("是否达到进度", 12),
    ("说明", 60),
    ("实际值说明", 30),
)


@dataclass(frozen=True)
class Export:
    data: bytes
    count: int
    filename: str


def _row(group_heading: str, row: Row) -> list:
    ind: Indicator = row.indicator
    rate = row.progress.rate
    reasons = [row.judgement.reason]
    if rate is None and row.progress.reason:
        reasons.append(f"进度：{row.progress.reason}")
    return [
        ind.order,
        group_heading,
        ind.name,
        ind.unit,
        ind.baseline_text,
        ind.target_text,
        ind.annual_growth_text,
        ind.get_attribute_display(),
        ind.get_direction_display(),
        rules.trim(row.actual),
        row.actual_year,
        rules.trim(row.judgement.expected),
        rate.pct_text() if rate is not None else "—",
        rate.fraction_text() if rate is not None else "",
        row.judgement.label,
        "；".join(reasons),
        row.latest.note if row.latest is not None else "",
    ]


def rows(table: Table) -> Iterator[list]:
    for group in table.groups:
        for row in group.rows:
            yield _row(group.heading, row)


def table_export(*, by, year: int) -> Export:
    """The table of `year` as the reader sees it on the page. Audited (action "export")."""
    require(by, Cap.EXPORT_LEDGER)
    table = indicator_table(user=by, year=year)
    title = f"“十四五”主要指标{year}年进展"
    today = timezone.localdate()
    summary = table.summary()
    note = (
        f"截至{today:%Y-%m-%d}；实际值为{year}年及以前最近一年的录入值。"
        f"达到进度{summary.on_path}项，落后于进度{summary.behind}项，"
        f"无法判断{summary.undecidable}项。"
    )
    data = xlsx.report_workbook(title, HEADERS, rows(table), note=note)
    with transaction.atomic():
        audit.record(
            user=by,
            action="export",
            object_type="indicators.table",
            object_repr=title,
            after={"year": year, "count": len(table.rows)},
            message=f"导出{title}（{len(table.rows)}项指标）",
        )
    return Export(data, len(table.rows), f"主要指标{year}年-{today:%Y%m%d}.xlsx")
