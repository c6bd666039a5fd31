"""Reads for targets and the monthly ranking.

The ranking is published within the city: every ledger reader sees every unit's score,
computed over all projects whatever the reader's scope. Only the lists of lagging
projects are limited to the reader's scope (`project_list`).

The actual figures of a month come from three grouped queries per kind of unit, each over
all units at once (`actuals`): accepted monthly investment (dispatch.MonthlyReport),
the projects' stage dates and reserve (one query of conditional aggregates), and the
enterprises that went 上规. Never a query per unit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core.errors import NotFound, ValidationFailed
from sanpi.core.money import exact_wan
from sanpi.core.services import require
from sanpi.dispatch.models import MonthlyReport
from sanpi.dispatch.rules import Status, month_end
from sanpi.projects.models import Health, Project
from sanpi.projects.selectors import project_list
from sanpi.regions.models import County, DevelopmentZone, Enterprise

from . import rules
from .models import ScoringScheme, UnitTarget
from .rules import INDICATORS, Scheme, UnitScore

KINDS = ("county", "zone")
KIND_LABELS = {"county": "县(市、区)", "zone": "开发区"}
LAGGING_LIMIT = 10  # lagging projects listed per unit
LAGGING = (Health.LAGGING.value, Health.STALLED.value)

ActualMap = dict[int | None, dict[str, Decimal | int]]


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationFailed.of("kind", "单位类型应为 county（县(市、区)）或 zone（开发区）")
    return kind


# --- weights ---------------------------------------------------------------------------------


def scheme_for(year: int, month: int) -> Scheme:
    """The weights and cap a month is ranked with: the scheme in force from the latest
    month not after it; the defaults when none was ever set."""
    row = (
        ScoringScheme.objects.filter(Q(year__lt=year) | Q(year=year, month__lte=month))
        .order_by("-year", "-month")
        .first()
    )
    if row is None:
        return rules.DEFAULT_SCHEME
    return as_scheme(row)


def as_scheme(row: ScoringScheme) -> Scheme:
    weights = {ind.key: int(row.weights.get(ind.key, 0)) for ind in INDICATORS}
    return Scheme(weights, Decimal(row.cap), since=(row.year, row.month))


def scheme_list(*, user):
    require(user, Cap.VIEW_LEDGER)
    return ScoringScheme.objects.select_related("created_by").order_by("-year", "-month")


# --- units and targets -----------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    pk: int
    code: str  # a county's code; a zone's name
    name: str
    kind: str


def units(kind: str, **filters) -> list[Unit]:
    """Every county (by code) or every zone (by county, then name)."""
    if check_kind(kind) == "county":
        counties = County.objects.filter(**filters).order_by("code")
        return [
            Unit(pk, code, name, kind)
            for pk, code, name in counties.values_list("pk", "code", "name")
        ]
    zones = DevelopmentZone.objects.filter(**filters).order_by("county__code", "name")
    return [Unit(pk, name, name, kind) for pk, name in zones.values_list("pk", "name")]


def unit_get(*, kind: str, pk: int) -> Unit:
    """The one unit (one query: the import sets targets unit by unit)."""
    found = units(kind, pk=pk)
    if not found:
        raise NotFound()
    return found[0]


def _target_values(row: UnitTarget) -> dict[str, Decimal | int | None]:
    return {ind.key: getattr(row, ind.target_field) for ind in INDICATORS}


def targets_by_unit(year: int, kind: str) -> dict[int, dict[str, Decimal | int | None]]:
    """{unit pk: {indicator key: annual target or None}} for the year (one query)."""
    column = f"{check_kind(kind)}_id"
    rows = UnitTarget.objects.filter(year=year, **{f"{kind}__isnull": False})
    return {getattr(row, column): _target_values(row) for row in rows}


def target_get(*, year: int, kind: str, pk: int) -> UnitTarget | None:
    return UnitTarget.objects.filter(year=year, **{f"{check_kind(kind)}_id": pk}).first()


@dataclass
class TargetRow:
    unit: Unit
    values: dict[str, Decimal | int | None]
    reserve_short: bool  # the reserve target is below 5 × the investment target


def target_rows(*, user, year: int, kind: str) -> list[TargetRow]:
    """Every unit of the kind with its targets for the year (published: all units)."""
    require(user, Cap.VIEW_LEDGER)
    targets = targets_by_unit(year, kind)
    out = []
    for unit in units(kind):
        values = targets.get(unit.pk) or {ind.key: None for ind in INDICATORS}
        short = rules.reserve_short(values["reserve"], values["investment"])
        out.append(TargetRow(unit, values, short))
    return out


# --- actual figures --------------------------------------------------------------------------


def window(year: int, month: int) -> tuple[dt.date, dt.date]:
    """From 1 January of the year to the end of the month."""
    return dt.date(year, 1, 1), month_end(year, month)


def _end_instant(year: int, month: int) -> dt.datetime:
    """The first instant after the month, in the city's time."""
    day = month_end(year, month) + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day))


def actuals(year: int, month: int, kind: str) -> ActualMap:
    """{unit pk: {indicator key: actual}} for months 1..M of the year, over all projects.
    Units without any figure are absent. For counties the key None carries what belongs
    to no county (enterprises registered nowhere in the city): it counts for the city's
    total only.

    * investment: accepted monthly reports' investment, months 1..M of the year;
    * signed / started / produced: projects whose 签约/开工/投产 date lies in the window
      (signed with their total investment);
    * reserve: total investment of the projects in 储备 at the end of M: recorded by then
      and not signed by then (withdrawn projects excluded);
    * above_size: enterprises whose 上规 date lies in the window (a zone's: those with a
      project in the zone).
    """
    check_kind(kind)
    start, end = window(year, month)
    out: ActualMap = defaultdict(dict)

    reports = MonthlyReport.objects.filter(
        year=year, month__lte=month, status=Status.ACCEPTED.value
    )
    if kind == "zone":
        reports = reports.filter(project__zone__isnull=False)
    for row in (
        reports.values(unit=F(f"project__{kind}_id"))
        .annotate(investment=Sum("investment_wan"))
        .order_by()
    ):
        out[row["unit"]]["investment"] = exact_wan(row["investment"])

    signed = Q(signed_date__gte=start, signed_date__lte=end)
    reserve = (
        Q(created_at__lt=_end_instant(year, month))
        & (Q(signed_date__isnull=True) | Q(signed_date__gt=end))
        & ~Q(health=Health.WITHDRAWN.value)
    )
    projects = Project.objects.all()
    if kind == "zone":
        projects = projects.filter(zone__isnull=False)
    for row in (
        projects.values(unit=F(f"{kind}_id"))
        .annotate(
            signed=Count("pk", filter=signed),
            signed_investment=Sum("total_investment_wan", filter=signed),
            started=Count("pk", filter=Q(started_date__gte=start, started_date__lte=end)),
            produced=Count("pk", filter=Q(produced_date__gte=start, produced_date__lte=end)),
            reserve=Sum("total_investment_wan", filter=reserve),
        )
        .order_by()
    ):
        figures = out[row["unit"]]
        figures["signed"] = row["signed"]
        figures["signed_investment"] = exact_wan(row["signed_investment"])
        figures["started"] = row["started"]
        figures["produced"] = row["produced"]
        figures["reserve"] = exact_wan(row["reserve"])

    enterprises = Enterprise.objects.filter(above_size_since__gte=start, above_size_since__lte=end)
    if kind == "county":
        rows = enterprises.values(unit=F("county_id")).annotate(n=Count("pk"))
    else:
        rows = (
            enterprises.filter(projects__zone__isnull=False)
            .values(unit=F("projects__zone_id"))
            .annotate(n=Count("pk", distinct=True))
        )
    for row in rows.order_by():
        out[row["unit"]]["above_size"] = row["n"]
    return dict(out)


def _zero() -> dict[str, Decimal | int]:
    return {ind.key: (Decimal("0.00") if ind.is_amount else 0) for ind in INDICATORS}


# --- the ranking -----------------------------------------------------------------------------


@dataclass
class Ranking:
    year: int
    month: int
    kind: str
    scheme: Scheme
    units: list[UnitScore]
    # The city's totals (counties only): actuals and the sum of the counties' targets.
    totals: dict[str, Decimal | int] = field(default_factory=dict)
    total_targets: dict[str, Decimal | int | None] = field(default_factory=dict)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def progress(self) -> Decimal:
        return rules.time_progress(self.month)

    @property
    def progress_text(self) -> str:
        return rules.percent_text(self.progress)

    def podium(self) -> tuple[list[UnitScore], list[UnitScore]]:
        return rules.first_and_last(self.units)

    def as_json(self) -> dict:
        return {
            "year": self.year,
            "month": self.month,
            "kind": self.kind,
            "units": [unit_json(u) for u in self.units],
        }


def _figure_json(value: Decimal | int | None, *, amount: bool):
    if value is None:
        return None
    return f"{exact_wan(value):f}" if amount else int(value)


def unit_json(unit: UnitScore) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "rank": unit.rank,
        "score": None if unit.score is None else f"{unit.score:f}",
        "indicators": [
            {
                "key": i.key,
                "name": i.name,
                "actual": _figure_json(i.actual, amount=i.unit == "万元"),
                "target": _figure_json(i.target, amount=i.unit == "万元"),
                "completion": (
                    None if i.completion is None else f"{rules.round_completion(i.completion):f}"
                ),
                "weight": i.weight,
                "points": None if i.points is None else f"{rules.round_points(i.points):f}",
            }
            for i in unit.indicators
        ],
    }


def check_month(year: int, month: int) -> None:
    problem = rules.check_ranking_month(year, month, timezone.localdate())
    if problem:
        raise ValidationFailed.of("month", problem)


def ranking(*, user, year: int, month: int, kind: str) -> Ranking:
    """The month's ranking of every county or every zone, best first, with each unit's
    breakdown. Published: the same for every reader."""
    require(user, Cap.VIEW_LEDGER)
    check_kind(kind)
    check_month(year, month)
    scheme = scheme_for(year, month)
    figures = actuals(year, month, kind)
    targets = targets_by_unit(year, kind)
    scored = []
    for unit in units(kind):
        unit_targets = targets.get(unit.pk, {})
        result = rules.score_unit(
            code=unit.code,
            name=unit.name,
            actuals={**_zero(), **figures.get(unit.pk, {})},
            targets=unit_targets,
            scheme=scheme,
            month=month,
        )
        result.pk = unit.pk
        reserve = result.indicator("reserve").actual
        if rules.reserve_short(reserve, unit_targets.get("investment")):
            result.flags.append(f"储备项目总投资不足年度计划投资的{rules.RESERVE_MULTIPLE}倍")
        scored.append(result)
    out = Ranking(year, month, kind, scheme, rules.rank_units(scored))
    if kind == "county":
        totals = _zero()
        for values in figures.values():
            for key, value in values.items():
                totals[key] += value
        out.totals = totals
        out.total_targets = {
            ind.key: _sum_or_none(t.get(ind.key) for t in targets.values()) for ind in INDICATORS
        }
    return out


def _sum_or_none(values) -> Decimal | int | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


# --- lagging projects ------------------------------------------------------------------------


@dataclass
class Lagging:
    total: int  # the unit's lagging and stalled projects in the reader's scope
    projects: list[Project]  # the largest LAGGING_LIMIT of them


def lagging_projects(*, user, kind: str) -> dict[int, Lagging]:
    """{unit pk: its lagging (进度滞后) and stalled (停缓建) projects} within the reader's
    scope: the LAGGING_LIMIT largest by total investment per unit, and how many there
    are. One query for every unit (a window function numbers the rows per unit)."""
    column = f"{check_kind(kind)}_id"
    qs = (
        project_list(user=user)
        .filter(health__in=LAGGING, **{f"{kind}__isnull": False})
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=[F(column)],
                order_by=[F("total_investment_wan").desc(), F("pk").asc()],
            ),
            unit_total=Window(Count("pk"), partition_by=[F(column)]),
        )
        .filter(place__lte=LAGGING_LIMIT)
        .order_by(column, "place")
    )
    out: dict[int, Lagging] = {}
    for project in qs:
        key = getattr(project, column)
        entry = out.setdefault(key, Lagging(project.unit_total, []))
        entry.projects.append(project)
    return out


# --- the bulletin ----------------------------------------------------------------------------


@dataclass
class Bulletin:
    """月调度排名通报: the month's overall figures, both rankings, and each unit's lagging
    projects (within the reader's scope)."""

    year: int
    month: int
    counties: Ranking
    zones: Ranking
    lagging: dict[str, dict[int, Lagging]]
    scope_label: str

    @property
    def title(self) -> str:
        return f"{self.year}年{self.month}月项目调度排名通报"

    @property
    def rankings(self) -> tuple[Ranking, Ranking]:
        return self.counties, self.zones

    @property
    def progress_text(self) -> str:
        return self.counties.progress_text

    def overall(self) -> list[tuple[rules.Indicator, Decimal | int, Decimal | int | None, str]]:
        """(indicator, the city's actual, the counties' summed target, completion text)."""
        out = []
        for ind in INDICATORS:
            actual = self.counties.totals.get(ind.key, 0)
            target = self.counties.total_targets.get(ind.key)
            out.append((ind, actual, target, rules.percent_text(rules.completion(actual, target))))
        return out


def bulletin(*, user, year: int, month: int) -> Bulletin:
    counties = ranking(user=user, year=year, month=month, kind="county")
    zones = ranking(user=user, year=year, month=month, kind="zone")
    return Bulletin(
        year,
        month,
        counties,
        zones,
        {kind: lagging_projects(user=user, kind=kind) for kind in KINDS},
        getattr(user, "scope_label", "全市"),
    )
