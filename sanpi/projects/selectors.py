"""Reads for projects and activities, always limited to the user's scope.

`ProjectFilter` is the one set of list filters (with the list's sort): the list page, the
export and the API all use it, so "export what I see on screen" holds by construction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, fields

from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.expressions import BaseExpression

from sanpi.accounts.roles import Cap
from sanpi.core.errors import NotFound
from sanpi.core.paging import GroupedRows
from sanpi.core.scope import restrict
from sanpi.core.services import require
from sanpi.regions.models import Enterprise

from .models import Activity, ActivityEntry, PlannedEntry, Project
from .rules import STAGE_ORDER, Action


def _stage_rank() -> BaseExpression:
    """A project's stage as its place in the lifecycle (储备 0 … 达产达效 4)."""
    return Case(
        *(When(stage=stage.value, then=Value(i)) for i, stage in enumerate(STAGE_ORDER)),
        output_field=IntegerField(),
    )


# The ledger's sortable columns: ``sort`` names one of these keys, with "-" in front for
# descending; anything else is ignored. The primary key breaks ties in the same direction,
# so pages neither overlap nor skip; projects without a date come last either way.
PROJECT_SORTS: dict[str, str | Callable[[], BaseExpression]] = {
    "name": "name",
    "county": "county__code",
    "investment": "total_investment_wan",
    "stage": _stage_rank,
    "signed": "signed_date",
    "started": "started_date",
    "produced": "produced_date",
}


def _sort_expression(key: str, *, descending: bool):
    how = PROJECT_SORTS[key]
    if callable(how):
        expression = how()
        return expression.desc() if descending else expression.asc()
    last = Project._meta.get_field(how.split("__")[0]).null  # NULLS LAST only where needed
    nulls = {"nulls_last": True} if last else {}
    return F(how).desc(**nulls) if descending else F(how).asc(**nulls)


PARAM_MAX = 200  # characters of a list filter's value
REACHED_DATES = {
    "signed": "signed_date",
    "started": "started_date",
    "produced": "produced_date",
    "reached": "reached_date",
}


def _iso_day(text: str) -> dt.date | None:
    """A filter's ISO date; None for anything else (a list filter ignores what it cannot
    read, as it ignores an unknown sort)."""
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


ENTERPRISE_IDS_MAX = 500  # enterprises a search names by id before using a subquery


@dataclass
class ProjectFilter:
    q: str = ""
    county: str = ""  # county code
    zone: str = ""  # zone id
    stage: str = ""
    health: str = ""
    industry: str = ""
    key: str = ""  # "province" | "city"
    activity: str = ""  # activity id: projects in it with any action
    action: str = ""  # with activity: only those with this action in it (sign/start/produce)
    # The projects that reached a stage (signed, started, produced, reached) between two
    # days, both included: the cockpit's drill-down from a count of a period.
    reached: str = ""
    date_from: str = ""  # ISO date
    date_to: str = ""
    sort: str = ""  # a PROJECT_SORTS key, "-" in front for descending; not a filter

    def __post_init__(self) -> None:
        if self.sort.removeprefix("-") not in PROJECT_SORTS:
            self.sort = ""  # an unknown sort is ignored, never an error

    @classmethod
    def from_params(cls, params) -> ProjectFilter:
        # Bounded: a search or filter value longer than any name is cut, never sent to the
        # database whole (SQLite refuses a LIKE pattern of some 50 KB).
        return cls(**{f.name: (params.get(f.name) or "").strip()[:PARAM_MAX] for f in fields(cls)})

    def as_params(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def apply(self, qs: QuerySet[Project]) -> QuerySet[Project]:
        if self.q:
            # The enterprises whose name matches, looked up first (their trigram index) and
            # given as ids: each side of the OR then stays on the project table, where the
            # planner can combine its indexes. Too many matches: a subquery instead.
            matching = Enterprise.objects.filter(name__icontains=self.q).values_list(
                "pk", flat=True
            )
            ids = list(matching[: ENTERPRISE_IDS_MAX + 1])
            enterprises = matching if len(ids) > ENTERPRISE_IDS_MAX else ids
            qs = qs.filter(
                Q(name__icontains=self.q)
                | Q(code__icontains=self.q)
                | Q(enterprise_id__in=enterprises)
            )
        if self.county:
            qs = qs.filter(county__code=self.county)
        if self.zone.isdigit():
            qs = qs.filter(zone_id=int(self.zone))
        if self.stage:
            qs = qs.filter(stage=self.stage)
        if self.health:
            qs = qs.filter(health=self.health)
        if self.industry:
            qs = qs.filter(industry=self.industry)
        if self.key == "province":
            qs = qs.filter(is_provincial_key=True)
        elif self.key == "city":
            qs = qs.filter(is_city_key=True)
        if self.activity.isdigit():
            entries = ActivityEntry.objects.filter(activity_id=int(self.activity))
            if self.action in {a.value for a in Action}:
                entries = entries.filter(action=self.action)
            qs = qs.filter(pk__in=entries.values("project_id"))
        if self.reached in REACHED_DATES:
            field = REACHED_DATES[self.reached]
            qs = qs.filter(**{f"{field}__isnull": False})
            for bound, lookup in ((self.date_from, "gte"), (self.date_to, "lte")):
                day = _iso_day(bound)
                if day is not None:
                    qs = qs.filter(**{f"{field}__{lookup}": day})
        return self.ordered(qs)

    def reached_text(self) -> str:
        """The stage-date filter as people read it (empty when none)."""
        if self.reached not in REACHED_DATES:
            return ""
        label = {"signed": "签约", "started": "开工", "produced": "投产", "reached": "达效"}
        first, last = _iso_day(self.date_from), _iso_day(self.date_to)
        span = f"{first or '…'}至{last or '…'}" if first or last else "任何时间"
        return f"{label[self.reached]}日期在{span}的项目"

    def ordered(self, qs: QuerySet[Project]) -> QuerySet[Project]:
        """The chosen sort, else the model's order; the primary key breaks ties."""
        if not self.sort:
            return qs.order_by(*(qs.query.order_by or Project._meta.ordering), "pk")
        descending = self.sort.startswith("-")
        key = self.sort.removeprefix("-")
        return qs.order_by(
            _sort_expression(key, descending=descending), "-pk" if descending else "pk"
        )


def project_rows(qs: QuerySet[Project], filters: ProjectFilter | None = None):
    """The rows of a project list to page through: in the ledger's own order (county,
    name) a ``GroupedRows``, whose deep pages read an index range instead of sorting the
    whole table; a chosen sort pages the queryset itself."""
    if filters and filters.sort:
        return qs
    return GroupedRows(qs, group="county", group_key="code", within=("name", "pk"))


def project_list(*, user, filters: ProjectFilter | None = None) -> QuerySet[Project]:
    require(user, Cap.VIEW_LEDGER)
    qs = restrict(Project.objects.select_related("enterprise", "county", "zone"), user)
    if filters:
        qs = filters.apply(qs)
    return qs


def project_list_for_export(*, user, filters: ProjectFilter | None = None) -> QuerySet[Project]:
    return project_list(user=user, filters=filters).prefetch_related(
        Prefetch("activity_entries", queryset=ActivityEntry.objects.select_related("activity"))
    )


def project_get(*, user, pk: int) -> Project:
    try:
        return project_list(user=user).get(pk=pk)
    except (Project.DoesNotExist, ValueError):
        raise NotFound() from None


def project_events(*, project: Project):
    return project.events.select_related("recorded_by", "activity").order_by("date", "id")


def activity_list(*, user) -> QuerySet[Activity]:
    require(user, Cap.VIEW_LEDGER)
    return restrict(Activity.objects.all(), user)


def activity_get(*, user, pk: int) -> Activity:
    try:
        return activity_list(user=user).get(pk=pk)
    except (Activity.DoesNotExist, ValueError):
        raise NotFound() from None


def activity_get_by_key(*, user, year: int, sequence: int) -> Activity:
    try:
        return activity_list(user=user).get(year=year, sequence=sequence)
    except Activity.DoesNotExist:
        raise NotFound(f"没有{year}年第{sequence}次活动") from None


def activity_entries(*, user, activity: Activity) -> QuerySet[ActivityEntry]:
    """The entries of an activity whose projects the user may see."""
    return restrict(
        ActivityEntry.objects.filter(activity=activity).select_related(
            "project", "project__enterprise", "project__county", "project__zone"
        ),
        user,
    ).order_by("action", "project__county__code", "project__name")


def planned_entries(*, user, activity):
    """A coming activity's list (拟办清单), as far as the user may see it."""
    qs = PlannedEntry.objects.filter(activity=activity).select_related(
        "project", "project__county", "project__enterprise", "project__zone"
    )
    return restrict(qs, user).order_by("action", "project__name", "pk")
