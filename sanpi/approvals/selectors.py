"""Reads for approvals, always limited to the user's scope (core.scope.restrict).

Deadlines, working days used and left, overdue and on-time are computed here from the
official calendar (`core.calendar.official_calendar`, once per call) with the pure rules
of `rules.py`; nothing about them is stored, so a calendar correction moves them
everywhere at once. `today` is a parameter everywhere (default: the local date).

Definitions the pages, the API and the exports share:
* an item is *decided* in a period when its 办结日期 falls in it and it was not withdrawn;
* 按时办结率 = items decided on or before their deadline / items decided (both shown);
* working days per item: from acceptance to decision; the limit: its committed days;
* a project's total time: from its first application to its last decision, counted once
  all its items are decided; its limits: Σ over stages of the longest item limit
  (stages in sequence, items of a stage in parallel).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, fields

from django.db.models import Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core.calendar import MovedDeadline, official_calendar
from sanpi.core.errors import NotFound
from sanpi.core.rates import Rate
from sanpi.core.scope import restrict
from sanpi.core.services import require
from sanpi.core.workdays import WorkCalendar
from sanpi.regions.models import Department

from .models import (
    AgencyService,
    ApprovalProject,
    CatalogueItem,
    CatalogueMaterial,
    Commitment,
    CreditRecord,
    ProjectApproval,
    Track,
)
from .rules import (
    Clock,
    ClockState,
    Notice,
    Outcome,
    Requirement,
    average,
    clock,
    date_warnings,
    deadline,
    due_date,
    on_time_rate,
    one_time_notice,
    planned_total,
    provisional_note,
)


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


# --- departments and the catalogue ----------------------------------------------------------


def department_list(*, user) -> QuerySet[Department]:
    require(user, Cap.VIEW_APPROVALS)
    return restrict(Department.objects.select_related("county", "zone"), user).order_by(
        "level", "county__code", "name"
    )


def department_get(*, user, pk: int) -> Department:
    try:
        return department_list(user=user).get(pk=pk)
    except (Department.DoesNotExist, ValueError):
        raise NotFound() from None


def track_list(*, user) -> QuerySet[Track]:
    require(user, Cap.VIEW_APPROVALS)
    return restrict(Track.objects.all(), user).order_by("pk")


def track_get(*, user, pk: int) -> Track:
    try:
        return track_list(user=user).get(pk=pk)
    except (Track.DoesNotExist, ValueError):
        raise NotFound() from None


def catalogue_items(*, user, track: Track | None = None) -> QuerySet[CatalogueItem]:
    require(user, Cap.VIEW_APPROVALS)
    qs = restrict(CatalogueItem.objects.select_related("track"), user)
    if track is not None:
        qs = qs.filter(track=track)
    return qs.prefetch_related("materials").order_by("track", "sequence", "pk")


def catalogue_item_get(*, user, pk: int) -> CatalogueItem:
    try:
        return catalogue_items(user=user).get(pk=pk)
    except (CatalogueItem.DoesNotExist, ValueError):
        raise NotFound() from None


def material_get(*, user, pk: int) -> CatalogueMaterial:
    require(user, Cap.VIEW_APPROVALS)
    try:
        return restrict(CatalogueMaterial.objects.select_related("item"), user).get(pk=pk)
    except (CatalogueMaterial.DoesNotExist, ValueError):
        raise NotFound() from None


def notice_for(items) -> Notice:
    """The one-time materials notice of catalogue items (their materials prefetched)."""
    return one_time_notice(
        Requirement(
            item=item.name,
            material=m.name,
            copies=m.copies,
            original=m.form == CatalogueMaterial.Form.ORIGINAL,
            notes=m.notes,
        )
        for item in items
        for m in item.materials.all()
    )


@dataclass(frozen=True)
class TrackFigures:
    """A list's figures, computed from its items (the seed's 75 → 35, 288 → 21)."""

    statutory_total: int
    committed_total: int
    notice: Notice
    item_count: int


def figures_for(items) -> TrackFigures:
    items = list(items)
    return TrackFigures(
        statutory_total=planned_total((i.stage, i.statutory_days) for i in items),
        committed_total=planned_total((i.stage, i.committed_days) for i in items),
        notice=notice_for(items),
        item_count=len(items),
    )


# --- project approval items ---------------------------------------------------------------


@dataclass
class ItemFilter:
    """The list filters: the list page, the export and the API all use it."""

    q: str = ""
    county: str = ""  # county code
    zone: str = ""  # zone id
    department: str = ""  # department id
    track: str = ""  # track id
    stage: str = ""
    project: str = ""  # project id
    state: str = ""  # a ClockState value, or "open" (accepted, not decided)

    @classmethod
    def from_params(cls, params) -> ItemFilter:
        return cls(**{f.name: str(params.get(f.name) or "").strip() for f in fields(cls)})

    def as_params(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def apply(self, qs: QuerySet[ProjectApproval]) -> QuerySet[ProjectApproval]:
        if self.q:
            qs = qs.filter(
                Q(project__name__icontains=self.q)
                | Q(catalogue_item__name__icontains=self.q)
                | Q(project__enterprise__name__icontains=self.q)
            )
        if self.county:
            qs = qs.filter(project__county__code=self.county)
        if self.zone.isdigit():
            qs = qs.filter(project__zone_id=int(self.zone))
        if self.department.isdigit():
            qs = qs.filter(department_id=int(self.department))
        if self.track.isdigit():
            qs = qs.filter(catalogue_item__track_id=int(self.track))
        if self.stage:
            qs = qs.filter(catalogue_item__stage=self.stage)
        if self.project.isdigit():
            qs = qs.filter(project_id=int(self.project))
        # States the database can tell; the clock refines running/overdue, on time/late.
        if self.state == ClockState.NOT_APPLIED:
            qs = qs.filter(applied_on__isnull=True)
        elif self.state == ClockState.APPLIED:
            qs = qs.filter(applied_on__isnull=False, accepted_on__isnull=True)
        elif self.state in ("open", ClockState.RUNNING, ClockState.OVERDUE):
            qs = qs.filter(accepted_on__isnull=False, decided_on__isnull=True)
        elif self.state in (ClockState.ON_TIME, ClockState.LATE):
            qs = qs.filter(decided_on__isnull=False).exclude(outcome=Outcome.WITHDRAWN)
        elif self.state == ClockState.WITHDRAWN:
            qs = qs.filter(outcome=Outcome.WITHDRAWN)
        return qs


def item_list(*, user, filters: ItemFilter | None = None) -> QuerySet[ProjectApproval]:
    require(user, Cap.VIEW_APPROVALS)
    qs = restrict(
        ProjectApproval.objects.select_related(
            "project",
            "project__county",
            "project__zone",
            "project__enterprise",
            "catalogue_item",
            "catalogue_item__track",
            "department",
            "agent",
        ),
        user,
    )
    if filters:
        qs = filters.apply(qs)
    return qs.order_by("project__county__code", "project__name", "catalogue_item__sequence", "pk")


def item_get(*, user, pk: int) -> ProjectApproval:
    try:
        return item_list(user=user).get(pk=pk)
    except (ProjectApproval.DoesNotExist, ValueError):
        raise NotFound() from None


@dataclass(frozen=True)
class ItemRow:
    item: ProjectApproval
    clock: Clock


def item_clock(
    item: ProjectApproval, *, today: dt.date | None = None, calendar: WorkCalendar | None = None
) -> Clock:
    return clock(
        calendar or official_calendar(),
        applied_on=item.applied_on,
        accepted_on=item.accepted_on,
        decided_on=item.decided_on,
        committed_days=item.committed_days,
        today=_today(today),
        withdrawn=item.outcome == Outcome.WITHDRAWN,
    )


def item_warnings(
    item: ProjectApproval, *, today: dt.date | None = None, calendar: WorkCalendar | None = None
) -> dict[str, str]:
    """The item's dates that are allowed but unusual (rules.date_warnings), by field.
    Computed on every read, like the clock: entering a year's schedule updates them."""
    return date_warnings(
        calendar or official_calendar(),
        applied_on=item.applied_on,
        accepted_on=item.accepted_on,
        today=_today(today),
    )


def with_clocks(items, *, today: dt.date | None = None) -> list[ItemRow]:
    calendar = official_calendar()
    on = _today(today)
    return [ItemRow(i, item_clock(i, today=on, calendar=calendar)) for i in items]


def item_rows(
    *, user, filters: ItemFilter | None = None, today: dt.date | None = None
) -> list[ItemRow]:
    """The items with their clocks, filtered by clock state when asked. Running and
    overdue items are first narrowed by their stored deadline (due_on, on an index), so
    only those are clocked; the clock still decides."""
    on = _today(today)
    state = filters.state if filters else ""
    items = item_list(user=user, filters=filters)
    if state == ClockState.OVERDUE:
        items = items.filter(due_on__lt=on)
    elif state == ClockState.RUNNING:
        items = items.filter(due_on__gte=on)
    rows = with_clocks(items, today=on)
    if state in {s.value for s in ClockState}:
        rows = [r for r in rows if r.clock.state == state]
    return rows


def overdue_rows(
    *, user, filters: ItemFilter | None = None, today: dt.date | None = None
) -> list[ItemRow]:
    """Open items past their deadline, the longest overdue first."""
    base = filters or ItemFilter()
    open_filter = ItemFilter(**{**base.__dict__, "state": ClockState.OVERDUE.value})
    rows = item_rows(user=user, filters=open_filter, today=today)
    return sorted(rows, key=lambda r: (-r.clock.overdue_days, r.item.pk))


def overdue_items(*, user, filters: ItemFilter | None = None, today: dt.date | None = None):
    """The open items past their deadline as a query (stored deadline before `today`),
    longest overdue first: for a count and a first page without clocking every item
    (the cockpit). `overdue_rows` gives the same items with their clocks."""
    base = filters or ItemFilter()
    open_filter = ItemFilter(**{**base.__dict__, "state": ClockState.OVERDUE.value})
    return (
        item_list(user=user, filters=open_filter).filter(overdue_q(today)).order_by("due_on", "pk")
    )


def overdue_q(today: dt.date | None = None) -> Q:
    """Open and past the stored deadline on `today`: the overdue items, as a filter."""
    return Q(decided_on__isnull=True, due_on__lt=_today(today))


@dataclass
class OverdueGroup:
    key: str
    label: str
    count: int = 0
    max_days: int = 0
    provisional: bool = False


def overdue_groups(rows: list[ItemRow]) -> dict[str, list[OverdueGroup]]:
    """The overdue items counted per department, county and zone."""
    out: dict[str, dict[str, OverdueGroup]] = {"department": {}, "county": {}, "zone": {}}
    for row in rows:
        item = row.item
        keys = {
            "department": (str(item.department_id or ""), str(item.department or "未指定部门")),
            "county": (item.project.county.code, item.project.county.name),
            "zone": (str(item.project.zone_id or ""), str(item.project.zone or "不在开发区")),
        }
        for dimension, (key, label) in keys.items():
            group = out[dimension].setdefault(key, OverdueGroup(key, label))
            group.count += 1
            group.max_days = max(group.max_days, row.clock.overdue_days)
            group.provisional = group.provisional or row.clock.provisional
    return {
        dim: sorted(groups.values(), key=lambda g: (-g.count, -g.max_days, g.label))
        for dim, groups in out.items()
    }


def item_lead(*, user, item: ProjectApproval) -> str:
    """Who leads an item under the 全代办 service (双领办): a zone department's items the
    zone lead, the others (province, city, county) the county lead; "" without a service."""
    agency = restrict(AgencyService.objects.all(), user).filter(project_id=item.project_id).first()
    if agency is None or agency.status == "consulting":
        return ""
    if item.department_id and item.department.level == Department.Level.ZONE:
        return agency.zone_lead
    return agency.county_lead


# --- projects --------------------------------------------------------------------------------


def approval_project_list(*, user) -> QuerySet[ApprovalProject]:
    require(user, Cap.VIEW_APPROVALS)
    return restrict(
        ApprovalProject.objects.select_related("county", "zone", "enterprise"), user
    ).order_by("county__code", "name")


def approval_project_get(*, user, pk: int) -> ApprovalProject:
    try:
        return approval_project_list(user=user).get(pk=pk)
    except (ApprovalProject.DoesNotExist, ValueError):
        raise NotFound() from None


@dataclass
class ProjectFigures:
    """One project's approval figures: limits against the time actually taken."""

    project: object
    items: int
    decided: int
    first_applied: dt.date | None
    last_decided: dt.date | None
    statutory_total: int  # the 75 of the seed, for this project's items
    committed_total: int  # the 35
    actual: int | None  # working days from first application to last decision (or today)
    complete: bool  # every item decided (withdrawn ones aside)
    notice: Notice
    overdue: int
    uncovered_years: tuple[int, ...] = ()
    total_limit_days: int | None = None  # e.g. 20 for the low-risk track (40号)

    @property
    def provisional(self) -> bool:
        return bool(self.uncovered_years)

    def note(self) -> str:
        return provisional_note(self.uncovered_years)

    @property
    def within_total_limit(self) -> bool | None:
        if self.total_limit_days is None or self.actual is None:
            return None
        return self.actual <= self.total_limit_days


def project_figures(
    project,
    rows: list[ItemRow],
    *,
    today: dt.date | None = None,
    calendar: WorkCalendar | None = None,
) -> ProjectFigures:
    calendar = calendar or official_calendar()
    on = _today(today)
    items = [r.item for r in rows]
    counted = [i for i in items if i.outcome != Outcome.WITHDRAWN]
    applied = [i.applied_on for i in counted if i.applied_on]
    decided = [i.decided_on for i in counted if i.decided_on]
    complete = bool(counted) and all(i.decided_on for i in counted)
    first = min(applied) if applied else None
    last = max(decided) if decided else None
    years: set[int] = set()
    for r in rows:
        years.update(r.clock.uncovered_years)
    actual = None
    if first is not None:
        span = calendar.between(first, last if complete else on)
        years.update(span.uncovered_years)
        actual = span.value
    limits = [
        t.total_limit_days
        for t in {i.catalogue_item.track for i in counted}
        if t.total_limit_days is not None
    ]
    return ProjectFigures(
        project=project,
        items=len(counted),
        decided=len(decided),
        first_applied=first,
        last_decided=last,
        statutory_total=planned_total((i.stage, i.statutory_days) for i in counted),
        committed_total=planned_total((i.stage, i.committed_days) for i in counted),
        actual=actual,
        complete=complete,
        notice=notice_for(i.catalogue_item for i in counted),
        overdue=sum(1 for r in rows if r.clock.overdue),
        uncovered_years=tuple(sorted(years)),
        total_limit_days=min(limits) if limits else None,
    )


def _with_materials(qs: QuerySet[ProjectApproval]) -> QuerySet[ProjectApproval]:
    return qs.prefetch_related(
        Prefetch("catalogue_item__materials", queryset=CatalogueMaterial.objects.order_by("pk"))
    )


@dataclass
class ProjectApprovals:
    project: object
    rows: list[ItemRow]
    figures: ProjectFigures
    agency: AgencyService | None


def project_approvals(*, user, project, today: dt.date | None = None) -> ProjectApprovals:
    """A project's items the user may see (a department officer: their department's),
    its figures and its 全代办 service."""
    items = _with_materials(item_list(user=user, filters=ItemFilter(project=str(project.pk))))
    rows = with_clocks(items, today=today)
    agency = (
        restrict(AgencyService.objects.select_related("agent"), user)
        .filter(project_id=project.pk)
        .prefetch_related("events__recorded_by")
        .first()
    )
    return ProjectApprovals(
        project=project,
        rows=rows,
        figures=project_figures(project, rows, today=today),
        agency=agency,
    )


# --- reports ----------------------------------------------------------------------------------


@dataclass
class ApprovalReport:
    start: dt.date
    end: dt.date
    decided: list[ItemRow]
    on_time: Rate
    average_days: object  # Decimal | None: working days per decided item
    average_limit: object  # Decimal | None: committed days per decided item
    projects: list[ProjectFigures]
    average_project_days: object
    average_project_limit: object
    uncovered_years: tuple[int, ...] = ()
    definitions: tuple[str, ...] = field(
        default=(
            "办结事项：办结日期在统计期内的事项（申请人撤回的不计）。",
            "按时办结率 = 在承诺时限内办结的事项数 / 办结事项数。",
            "平均办理用时：受理次日起至办结日的工作日数；对比其承诺时限。",
            "项目总用时：从第一项申请到最后一项办结的工作日数，项目全部事项办结后计入平均；"
            "对比时限为各阶段最长承诺时限之和（阶段串联、阶段内并联）。",
        )
    )

    @property
    def provisional(self) -> bool:
        return bool(self.uncovered_years)

    def note(self) -> str:
        return provisional_note(self.uncovered_years)


def approval_report(
    *,
    user,
    start: dt.date,
    end: dt.date,
    filters: ItemFilter | None = None,
    today: dt.date | None = None,
) -> ApprovalReport:
    """Items decided in [start, end] in the user's scope (and filters), with the rates."""
    base = filters or ItemFilter()
    qs = (
        item_list(user=user, filters=ItemFilter(**{**base.__dict__, "state": ""}))
        .filter(decided_on__gte=start, decided_on__lte=end)
        .exclude(outcome=Outcome.WITHDRAWN)
    )
    decided = with_clocks(qs, today=today)
    years: set[int] = set()
    for r in decided:
        years.update(r.clock.uncovered_years)
    project_ids = {r.item.project_id for r in decided}
    all_items = _with_materials(
        item_list(user=user, filters=ItemFilter(**{**base.__dict__, "state": ""})).filter(
            project_id__in=project_ids
        )
    )
    by_project: dict[int, list[ItemRow]] = defaultdict(list)
    for row in with_clocks(all_items, today=today):
        by_project[row.item.project_id].append(row)
    calendar = official_calendar()
    projects = []
    for rows in by_project.values():
        figures = project_figures(rows[0].item.project, rows, today=today, calendar=calendar)
        years.update(figures.uncovered_years)
        projects.append(figures)
    projects.sort(key=lambda f: (f.project.county.code, f.project.name))
    complete = [p for p in projects if p.complete]
    return ApprovalReport(
        start=start,
        end=end,
        decided=decided,
        on_time=on_time_rate(r.clock for r in decided),
        average_days=average(r.clock.used for r in decided),
        average_limit=average(r.item.committed_days for r in decided),
        projects=projects,
        average_project_days=average(p.actual for p in complete),
        average_project_limit=average(p.committed_total for p in complete),
        uncovered_years=tuple(sorted(years)),
    )


def agency_comparison(
    *, user, filters: ItemFilter | None = None, today: dt.date | None = None
) -> list[tuple[AgencyService, ProjectFigures]]:
    """For each 全代办 project in scope: the statutory total against the committed one
    (the seed's 75 → 35), the time actually taken, and the materials (288 → 21)."""
    services = list(
        restrict(AgencyService.objects.select_related("agent", "project"), user).order_by(
            "project__county__code", "project__name"
        )
    )
    if not services:
        return []
    base = filters or ItemFilter()
    items = _with_materials(
        item_list(user=user, filters=ItemFilter(**{**base.__dict__, "state": ""})).filter(
            project_id__in=[s.project_id for s in services]
        )
    )
    by_project: dict[int, list[ItemRow]] = defaultdict(list)
    for row in with_clocks(items, today=today):
        by_project[row.item.project_id].append(row)
    calendar = official_calendar()
    out = []
    for service in services:
        rows = by_project.get(service.project_id, [])
        if not rows:
            continue
        project = rows[0].item.project
        out.append((service, project_figures(project, rows, today=today, calendar=calendar)))
    return out


# --- commitments and credit records -----------------------------------------------------------


def commitment_list(*, user, county: str = "", status: str = "") -> QuerySet[Commitment]:
    require(user, Cap.VIEW_APPROVALS)
    qs = restrict(
        Commitment.objects.select_related(
            "item",
            "item__catalogue_item",
            "item__project",
            "item__project__county",
            "item__project__enterprise",
        ),
        user,
    )
    if county:
        qs = qs.filter(item__project__county__code=county)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("due_on", "pk")


def commitment_get(*, user, pk: int) -> Commitment:
    try:
        return commitment_list(user=user).get(pk=pk)
    except (Commitment.DoesNotExist, ValueError):
        raise NotFound() from None


def credit_record_list(
    *, user, county: str = "", enterprise: int | None = None
) -> QuerySet[CreditRecord]:
    require(user, Cap.VIEW_APPROVALS)
    qs = restrict(
        CreditRecord.objects.select_related(
            "enterprise",
            "commitment",
            "commitment__item__catalogue_item",
            "commitment__item__project",
            "commitment__item__project__county",
        ),
        user,
    )
    if county:
        qs = qs.filter(commitment__item__project__county__code=county)
    if enterprise is not None:
        qs = qs.filter(enterprise_id=enterprise)
    return qs.order_by("-recorded_on", "-pk")


# --- the calendar's deadline source -----------------------------------------------------------


def refresh_due_dates(calendar: WorkCalendar) -> int:
    """Recompute the stored deadline (due_on) of every open item on `calendar`; how many
    moved. Run inside a calendar edit's transaction (core.calendar listeners)."""
    moved = []
    open_items = ProjectApproval.objects.filter(
        accepted_on__isnull=False, decided_on__isnull=True
    ).only("pk", "accepted_on", "committed_days", "due_on")
    for item in open_items.order_by("pk").iterator(chunk_size=2000):
        due = due_date(calendar, item.accepted_on, item.committed_days)
        if due != item.due_on:
            item.due_on = due
            moved.append(item)
    # bulk_update, not save(): save() would read the calendar in force, which this very
    # transaction is changing.
    ProjectApproval.objects.bulk_update(moved, ["due_on"], batch_size=1000)
    return len(moved)


def moved_item_deadlines(old: WorkCalendar, new: WorkCalendar) -> list[MovedDeadline]:
    """Open items (accepted, not decided) whose deadline a calendar change would move."""
    moved = []
    open_items = (
        ProjectApproval.objects.filter(accepted_on__isnull=False, decided_on__isnull=True)
        .select_related("project", "catalogue_item")
        .order_by("pk")
    )
    for item in open_items:
        before = deadline(old, item.accepted_on, item.committed_days).value
        after = deadline(new, item.accepted_on, item.committed_days).value
        if before != after:
            moved.append(
                MovedDeadline(
                    label=f"{item.project} · {item.catalogue_item.name}",
                    url=reverse("approvals:item_detail", kwargs={"pk": item.pk}),
                    before=before,
                    after=after,
                )
            )
    return moved
