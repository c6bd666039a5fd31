"""The ledger as Excel out: the export of the projects a user may see (with the activities
they reference, so the file re-imports as a no-op) and the empty template to fill in."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit, cells, word, xlsx
from sanpi.core.money import wan_text
from sanpi.core.services import require
from sanpi.regions.models import DevelopmentZone

from .ledger_columns import (
    ACTIVITIES,
    INDUSTRY_LABELS,
    KIND_LABELS,
    LEDGER,
    LEVEL_LABELS,
    SIGN_MODE_LABELS,
)
from .models import Activity, Project
from .rules import STAGE_LABELS, Action, Stage
from .selectors import ProjectFilter, planned_entries, project_list_for_export

# --- export and template -----------------------------------------------------------------


def _yes_no(value: bool) -> str:
    return cells.YES if value else cells.NO


# Projects are read and written this many at a time: one query for their activity
# entries per chunk, and only one chunk of model instances alive at once.
CHUNK_SIZE = 2000


def export_row(p: Project, activities: dict[int, Activity]) -> list:
    """The ledger row of a project (its entries prefetched); the activities it references
    are added to ``activities``."""
    entries = {e.action: e for e in p.activity_entries.all()}
    batch: dict[str, str] = {}
    for e in entries.values():
        activities[e.activity_id] = e.activity
        batch[e.action] = e.activity.key
    sign = entries.get(Action.SIGN.value)
    return [
        p.code or None,
        p.name,
        p.enterprise.name,
        p.enterprise.credit_code,
        p.county.name,
        p.zone.name if p.zone_id else None,
        INDUSTRY_LABELS.get(p.industry, p.industry),
        KIND_LABELS.get(p.construction_kind, p.construction_kind),
        p.total_investment_wan,
        p.planned_output_wan,
        p.planned_tax_wan,
        p.land_mu,
        _yes_no(p.is_standard_land),
        STAGE_LABELS[Stage(p.stage)],
        p.signed_date,
        batch.get(Action.SIGN.value),
        SIGN_MODE_LABELS.get(sign.sign_mode) if sign else None,
        p.started_date,
        batch.get(Action.START.value),
        p.produced_date,
        batch.get(Action.PRODUCE.value),
        p.reached_date,
        p.planned_completion_date,
        p.actual_output_wan,
        _yes_no(p.is_provincial_key),
        _yes_no(p.is_city_key),
    ]


def export_activity_rows(activities: Iterable[Activity]) -> list[list]:
    return [
        [a.year, a.sequence, a.date, LEVEL_LABELS.get(a.level, a.level), a.venue or None]
        for a in sorted(activities, key=lambda a: (a.year, a.sequence))
    ]


@dataclass
class _Stream:
    """The export's two sheets as rows produced while the workbook is written: each
    project becomes its row as it is read, the count and the activities referenced are
    gathered on the way, and the activities sheet (written second) uses them."""

    projects: Iterable[Project]
    count: int = 0
    activities: dict[int, Activity] = field(default_factory=dict)

    def ledger_rows(self) -> Iterator[list]:
        for project in self.projects:
            self.count += 1
            yield export_row(project, self.activities)

    def activity_rows(self) -> Iterator[list]:
        # Starts only once the ledger sheet is written, when every reference is known.
        yield from export_activity_rows(self.activities.values())


@dataclass(frozen=True)
class Export:
    data: bytes
    count: int
    filename: str


def ledger_export(*, by, filters: ProjectFilter | None = None) -> Export:
    """The ledger of the projects the user may see, filtered as on screen, with the
    activities they reference. Audited (action "export").

    Streamed, so memory does not grow with the ledger: the projects are read in chunks
    (a server-side cursor on PostgreSQL) with their entries prefetched chunk by chunk,
    each turned into its row and appended to a write-only workbook as it comes.
    """
    require(by, Cap.EXPORT_LEDGER)
    filters = filters or ProjectFilter()
    projects = project_list_for_export(user=by, filters=filters)
    stream = _Stream(projects.iterator(chunk_size=CHUNK_SIZE))
    data = xlsx.write_workbook(
        [(LEDGER, stream.ledger_rows()), (ACTIVITIES, stream.activity_rows())]
    )
    params = filters.as_params()
    described = "，".join(f"{k}={v}" for k, v in params.items())
    with transaction.atomic():
        audit.record(
            user=by,
            action="export",
            object_type="projects.ledger",
            object_repr="项目台账",
            after={"filters": params, "count": stream.count},
            message=f"导出项目台账{stream.count}个项目"
            + (f"（筛选：{described}）" if described else ""),
        )
    stamp = timezone.localdate().strftime("%Y%m%d")
    return Export(data=data, count=stream.count, filename=f"项目台账-{stamp}.xlsx")


def ledger_template() -> bytes:
    """The empty ledger workbook to fill in: headers, drop-down lists, column widths.
    The 所属开发区 column offers the zones in the system."""
    zone_names = tuple(
        DevelopmentZone.objects.order_by("county__code", "name").values_list("name", flat=True)
    )
    columns = list(LEDGER.columns)
    if zone_names and len(",".join(zone_names)) < 250:
        i = next(i for i, c in enumerate(columns) if c.key == "zone")
        columns[i] = dataclasses.replace(columns[i], choices=zone_names)
    ledger = dataclasses.replace(LEDGER, columns=tuple(columns))
    return xlsx.template_workbook([ledger, ACTIVITIES])


# --- a coming activity's list, for the event -------------------------------------------------

PLANNED_HEADERS = (
    ("拟办", 10),
    ("项目名称", 36),
    ("项目单位", 30),
    ("县(市、区)", 12),
    ("开发区", 24),
    ("总投资(万元)", 14),
    ("当前阶段", 10),
)


def planned_rows(entries) -> list[list]:
    out = []
    for e in entries:
        p = e.project
        mode = f"（{e.get_sign_mode_display()}）" if e.sign_mode else ""
        out.append(
            [
                f"拟{e.get_action_display()}{mode}",
                p.name,
                p.enterprise.name,
                p.county.name,
                p.zone.name if p.zone_id else "",
                p.total_investment_wan,
                p.get_stage_display(),
            ]
        )
    return out


def planned_export(*, by, activity: Activity, fmt: str) -> Export:
    """A coming activity's list (拟签约/拟开工/拟投产) as the user may see it, as .xlsx or
    .docx for the event. Audited."""
    require(by, Cap.VIEW_LEDGER)
    entries = list(planned_entries(user=by, activity=activity))
    title = f"{activity}拟办项目清单"
    note = f"活动日期：{activity.date:%Y-%m-%d}；共{len(entries)}个项目。拟办项目在活动当天或之后确认。"
    rows = planned_rows(entries)
    if fmt == "docx":
        doc = word.document(title)
        doc.add_paragraph(note)
        word.add_table(
            doc,
            [h for h, _ in PLANNED_HEADERS],
            [[_word_cell(v) for v in r] for r in rows],
        )
        data, ext = word.finish(doc), "docx"
    else:
        data, ext = xlsx.report_workbook(title, PLANNED_HEADERS, rows, note=note), "xlsx"
    with transaction.atomic():
        audit.record(
            user=by,
            action="export",
            obj=activity,
            after={"count": len(entries), "format": ext},
            message=f"导出{title}（{len(entries)}个项目）",
        )
    return Export(data=data, count=len(entries), filename=f"{title}.{ext}")


def _word_cell(value) -> str:
    """A cell as the Word list shows it (amounts with separators)."""
    if isinstance(value, Decimal):
        return wan_text(value)
    return "" if value is None else str(value)
