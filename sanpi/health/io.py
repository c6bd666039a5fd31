"""The three lists as workbooks to read, print and send (.xlsx, formula-safe: core.xlsx)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit, xlsx
from sanpi.core.services import require
from sanpi.projects.models import Project

from .rules import RULE_LABELS, Rule
from .selectors import ListFilter, get_list, list_projects, loaded_state

HEADERS = (
    ("序号", 6),
    ("项目名称", 36),
    ("项目单位", 30),
    ("县(市、区)", 12),
    ("开发区", 24),
    ("阶段", 8),
    ("推进状态", 14),
    ("预警规则", 14),
    ("原因", 48),
    ("总投资(万元)", 14),
    ("签约日期", 12),
    ("开工日期", 12),
    ("计划竣工日期", 12),
)
CHUNK = 2000


@dataclass(frozen=True)
class Export:
    data: bytes
    count: int
    filename: str


def row(n: int, p: Project) -> list:
    state = loaded_state(p)
    current = state is not None and state.health == p.health
    rule = RULE_LABELS[Rule(state.rule)] if current and state.rule else ""
    return [
        n,
        p.name,
        p.enterprise.name,
        p.county.name,
        p.zone.name if p.zone_id else "",
        p.get_stage_display(),
        p.get_health_display(),
        rule,
        state.reason if current else "",
        p.total_investment_wan,
        p.signed_date,
        p.started_date,
        p.planned_completion_date,
    ]


def list_export(*, by, key: str, filters: ListFilter | None = None) -> Export:
    """One list as the user may see it, filtered as on screen. Audited (action "export")."""
    require(by, Cap.EXPORT_LEDGER)
    health_list = get_list(key)
    filters = filters or ListFilter()
    projects = list_projects(user=by, key=key, filters=filters)
    count = 0

    def rows() -> Iterator[list]:
        nonlocal count
        for p in projects.iterator(chunk_size=CHUNK):
            count += 1
            yield row(count, p)

    today = timezone.localdate()
    title = f"{health_list.title}项目清单"
    note = f"{health_list.wording}；截至{today:%Y-%m-%d}，签约和在建（已开工未投产）项目。"
    data = xlsx.report_workbook(title, HEADERS, rows(), note=note)
    params = filters.as_params()
    with transaction.atomic():
        audit.record(
            user=by,
            action="export",
            object_type="health.list",
            object_repr=title,
            after={"list": key, "filters": params, "count": count},
            message=f"导出{title}{count}个项目",
        )
    return Export(data, count, f"{title}-{today:%Y%m%d}.xlsx")
