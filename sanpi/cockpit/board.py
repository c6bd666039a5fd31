"""The leaders' cockpit (领导驾驶舱): its figures, read from the summary tables.

Each function answers one panel of the screen for a user, a year and an optional month
range and place (a county or zone the user narrows to). Where the user's view is one of
the summary tables' units (the whole ledger, one county, one zone) the answer sums a few
hundred summary rows; otherwise (an enterprise, an odd narrowing) it runs the same
aggregate functions (`facts`) over the user's own projects. Either way the figure is the
one the reports state: the funnel's rates are `selectors.cohort_rates`' and its counts
`selectors.period_figures`' (tests/test_board.py compares them).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from sanpi.accounts.roles import Cap
from sanpi.core.errors import ValidationFailed
from sanpi.core.money import exact_wan
from sanpi.core.rates import Rate
from sanpi.core.services import require
from sanpi.dispatch.models import AnnualPlan, MonthlyReport
from sanpi.projects.models import Industry
from sanpi.projects.selectors import project_list
from sanpi.regions.models import County, DevelopmentZone
from sanpi.regions.selectors import zone_list

from . import facts
from .models import InvestmentCell, InvestmentYear, Level, PlanCell, RankCell, StageCell

ZERO = Decimal("0.00")
STAGE_LABELS = {
    "reserve": "储备",
    "signed": "签约",
    "started": "开工",
    "produced": "投产",
    "reached": "达效",
}
# The industry groups the city reports by: the 六新, 战略性新兴产业, 传统产业.
SIX_NEW = frozenset(
    {
        Industry.NEW_INFRA,
        Industry.NEW_TECH,
        Industry.NEW_MATERIAL,
        Industry.NEW_EQUIPMENT,
        Industry.NEW_PRODUCT,
        Industry.NEW_BUSINESS,
    }
)
INDUSTRY_GROUPS = (
    ("six_new", "六新"),
    ("strategic", "战略性新兴产业"),
    ("traditional", "传统产业"),
)


def industry_group(industry: str) -> str:
    if industry in SIX_NEW:
        return "six_new"
    return "strategic" if industry == Industry.STRATEGIC else "traditional"


# --- where the figures come from -----------------------------------------------------------


@dataclass(frozen=True)
class View:
    """What the user looks at: a unit of the summary tables, or (unit None) their own
    projects, narrowed to `county`/`zone` where they chose one."""

    level: str | None
    unit: int
    place: str
    county: County | None = None
    zone: DevelopmentZone | None = None
    user: object = None

    @property
    def from_tables(self) -> bool:
        return self.level is not None

    def projects(self) -> QuerySet:
        qs = project_list(user=self.user)
        if self.county is not None:
            qs = qs.filter(county=self.county)
        if self.zone is not None:
            qs = qs.filter(zone=self.zone)
        return qs

    def cells(self, model) -> QuerySet:
        return model.objects.filter(level=self.level, unit_id=self.unit)


def view_for(*, user, county: str = "", zone: str = "") -> View:
    """The user's view, narrowed to a county (by code) or zone (by id) they may see.
    An unknown or out-of-scope county or zone is bad input, said in Chinese."""
    require(user, Cap.VIEW_LEDGER)
    found_county = found_zone = None
    if county:
        found_county = County.objects.filter(code=county[:6]).first()
        if found_county is None:
            raise ValidationFailed.of("county", f"没有行政区划代码为“{county[:20]}”的县(市、区)")
    if zone:
        found_zone = (
            zone_list(user=user).filter(pk=int(zone)).first()
            if zone.isdigit() and len(zone) <= 9
            else None
        )
        if found_zone is None:
            raise ValidationFailed.of("zone", "开发区不存在或不在您的权限范围内")
    dimension = None if user.sees_all else user.scope_dimension
    place = getattr(user, "scope_label", "全市")
    common = {"county": found_county, "zone": found_zone, "user": user}
    if found_zone is not None:
        place = found_zone.short_name or found_zone.name
        agrees = found_county is None or found_zone.county_id == found_county.pk
        if agrees and (
            dimension is None
            or (dimension == "county" and found_zone.county_id == user.scope_value)
            or (dimension == "zone" and found_zone.pk == user.scope_value)
        ):
            return View(Level.ZONE, found_zone.pk, place, **common)
        return View(None, 0, place, **common)
    if found_county is not None:
        place = found_county.name
        if dimension is None or (dimension == "county" and found_county.pk == user.scope_value):
            return View(Level.COUNTY, found_county.pk, place, **common)
        return View(None, 0, place, **common)
    if dimension is None:
        return View(Level.ALL, 0, place, **common)
    if dimension in ("county", "zone") and user.scope_value is not None:
        return View(dimension, user.scope_value, place, **common)
    return View(None, 0, place, **common)


@dataclass(frozen=True)
class Period:
    """A year, months `first`..`last` of it."""

    year: int
    first: int = 1
    last: int = 12

    @classmethod
    def parse(cls, year: int, first: int | None = None, last: int | None = None) -> Period:
        first = first or 1
        last = last or 12
        if not 2000 <= year <= 2100:
            raise ValidationFailed.of("year", f"年份应在2000至2100之间，实为{year}")
        if not 1 <= first <= last <= 12:
            raise ValidationFailed.of(
                "months", f"月份范围应为1至12月且起始不晚于结束，实为{first}月至{last}月"
            )
        return cls(year, first, last)

    def last_year(self) -> Period:
        return Period(self.year - 1, self.first, self.last)

    def text(self) -> str:
        if (self.first, self.last) == (1, 12):
            return f"{self.year}年"
        if self.first == self.last:
            return f"{self.year}年{self.first}月"
        return f"{self.year}年{self.first}—{self.last}月"

    def dates(self) -> tuple[dt.date, dt.date]:
        from sanpi.dispatch.rules import month_end

        return dt.date(self.year, self.first, 1), month_end(self.year, self.last)


def _in_period(rows: Iterable[dict], period: Period) -> Iterable[dict]:
    return (
        r for r in rows if r["year"] == period.year and period.first <= r["month"] <= period.last
    )


# --- the funnel -----------------------------------------------------------------------------


@dataclass
class StageFigure:
    kind: str
    n: int = 0
    investment_wan: Decimal = ZERO
    next_n: int = 0
    planned_output_wan: Decimal = ZERO
    actual_output_wan: Decimal = ZERO

    def add(self, row: dict) -> None:
        self.n += row["n"]
        self.investment_wan += row["investment_wan"]
        self.next_n += row["next_n"]
        self.planned_output_wan += row["planned_output_wan"]
        self.actual_output_wan += row["actual_output_wan"]

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "label": STAGE_LABELS[self.kind],
            "count": self.n,
            "investment_wan": str(exact_wan(self.investment_wan)),
        }


@dataclass
class Funnel:
    period: Period
    stages: dict[str, StageFigure] = field(default_factory=dict)

    @property
    def start_rate(self) -> Rate:
        s = self.stages["signed"]
        return Rate(s.next_n, s.n)

    @property
    def production_rate(self) -> Rate:
        s = self.stages["started"]
        return Rate(s.next_n, s.n)

    @property
    def target_rate(self) -> Rate:
        s = self.stages["produced"]
        return Rate(exact_wan(s.actual_output_wan), exact_wan(s.planned_output_wan), unit="万元")

    def rates(self) -> dict[str, Rate]:
        return {
            "开工率": self.start_rate,
            "投产率": self.production_rate,
            "达效率": self.target_rate,
        }

    def as_json(self) -> dict:
        return {
            "period": self.period.text(),
            "stages": [self.stages[k].as_json() for k in STAGE_LABELS],
            "rates": {
                "start_rate": self.start_rate.as_json(),
                "production_rate": self.production_rate.as_json(),
                "target_rate": self.target_rate.as_json(as_strings=True),
            },
        }


def _stage_rows(view: View, years: Iterable[int]) -> list[dict]:
    fields = ("kind", "year", "month", "n", "investment_wan", "next_n",
              "planned_output_wan", "actual_output_wan")  # fmt: skip
    if view.from_tables:
        return list(
            view.cells(StageCell)
            .filter(Q(year__in=list(years)) | Q(kind="reserve"))
            .values(*fields)
        )
    return list(facts.stage_rows(view.projects()))


def _funnel(rows: list[dict], period: Period) -> Funnel:
    out = Funnel(period, {k: StageFigure(k) for k in STAGE_LABELS})
    for row in rows:
        if row["kind"] == "reserve":
            continue
        if row["year"] == period.year and period.first <= row["month"] <= period.last:
            out.stages[row["kind"]].add(row)
    # 储备 is the projects in 储备 now, whenever they were recorded.
    for row in rows:
        if row["kind"] == "reserve":
            out.stages["reserve"].add(row)
    return out


def funnel(view: View, period: Period) -> tuple[Funnel, Funnel]:
    """储备 → 签约 → 开工 → 投产 → 达效 in the period, and in the same months last year:
    counts, total investment, and the three rates of the period's cohorts."""
    rows = _stage_rows(view, (period.year, period.year - 1))
    return _funnel(rows, period), _funnel(rows, period.last_year())


# --- the map ------------------------------------------------------------------------------


MEASURES = {
    "signed_investment": ("签约项目总投资", "亿元"),
    "signed": ("签约项目数", "个"),
    "started": ("开工项目数", "个"),
    "start_rate": ("开工率", "%"),
    "completed": ("完成投资", "亿元"),
    "rank_score": ("月度排名得分", "分"),
    "overdue_problems": ("超时未办结问题", "个"),
}


def check_measure(measure: str) -> str:
    if measure not in MEASURES:
        names = "、".join(f"{k}（{label}）" for k, (label, _) in MEASURES.items())
        raise ValidationFailed.of("measure", f"不支持的指标“{measure[:30]}”，可选：{names}")
    return measure


def by_county(
    view: View, period: Period, measure: str, counties: Iterable[int]
) -> dict[int, tuple[Decimal | None, str]]:
    """The value of `measure` in the period of each of `counties` (ids: the map's),
    {county id: (value, text)}; a county outside the user's view is absent."""
    check_measure(measure)
    counties = list(counties)
    if measure == "rank_score":
        return _rank_scores(view, period, counties)
    if measure == "overdue_problems":
        return _overdue_problems(view, counties)
    if view.from_tables and view.level == Level.ALL:
        scope = {"level": Level.COUNTY, "unit_id__in": counties}
    elif view.from_tables and view.level == Level.COUNTY:
        scope = {"level": Level.COUNTY, "unit_id": view.unit}
    else:
        return _by_county_direct(view, period, measure, counties)
    months = {"year": period.year, "month__gte": period.first, "month__lte": period.last}
    if measure == "completed":
        rows = (
            InvestmentCell.objects.filter(**scope, **months)
            .values("unit_id")
            .annotate(v=Sum("investment_wan"))
            .order_by()
        )
        return {r["unit_id"]: _money_value(r["v"]) for r in rows}
    kind = "started" if measure == "started" else "signed"
    stats: dict[int, StageFigure] = defaultdict(lambda: StageFigure(kind))
    for row in StageCell.objects.filter(**scope, **months, kind=kind).values(
        "unit_id", "n", "investment_wan", "next_n", "planned_output_wan", "actual_output_wan"
    ):
        stats[row["unit_id"]].add(row)
    return {unit: _stage_value(s, measure) for unit, s in stats.items()}


def empty_value(measure: str) -> tuple[Decimal | None, str]:
    """A county in the view with nothing to count for `measure`."""
    if measure in ("completed", "signed_investment"):
        return _money_value(0)
    if measure == "rank_score":
        return None, "未参与排名"
    if measure == "overdue_problems":
        return Decimal(0), "0个"
    return _stage_value(StageFigure("signed"), measure)


def _rank_scores(view: View, period: Period, counties: list[int]) -> dict:
    """Each county's score and place in the last stored ranking of the period's months
    (rankings are published: the same for every reader of the ledger)."""
    cells = RankCell.objects.filter(
        kind="county", year=period.year, month__gte=period.first, month__lte=period.last
    )
    month = cells.order_by("-month").values_list("month", flat=True).first()
    if month is None:
        return {}
    return {
        unit: (score, f"{period.year}年{month}月第{rank}名，{score}分" if rank else "未参与排名")
        for unit, score, rank in cells.filter(month=month, unit_id__in=counties).values_list(
            "unit_id", "score", "rank"
        )
    }


def _overdue_problems(view: View, counties: list[int]) -> dict:
    """Each county's open problems out of time, of the view's projects."""
    from django.db.models import Count
    from django.utils import timezone

    from sanpi.problems.selectors import overdue_q

    if not view.user.can(Cap.VIEW_PROBLEMS):
        return {}
    qs = _open_problems(view).filter(project__county_id__in=counties)
    qs = qs.filter(overdue_q(timezone.now()))
    return {
        row["project__county_id"]: (Decimal(row["n"]), f"{row['n']}个")
        for row in qs.order_by().values("project__county_id").annotate(n=Count("pk"))
    }


def _by_county_direct(view, period, measure, counties):
    """The same figures over the user's own projects, grouped by county in one pass of
    the summary tables' own aggregate functions."""
    projects = view.projects().filter(county_id__in=counties)
    # The counties where the user has projects count, with nothing in the period too.
    theirs = set(projects.order_by().values_list("county_id", flat=True).distinct())
    out = {unit: empty_value(measure) for unit in theirs}
    if measure == "completed":
        totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
        reports = MonthlyReport.objects.filter(project__in=projects)
        for row in _in_period(facts.investment_rows(reports, by="county_id"), period):
            totals[row["unit_id"]] += row["investment_wan"]
        return out | {unit: _money_value(total) for unit, total in totals.items()}
    kind = "started" if measure == "started" else "signed"
    stats: dict[int, StageFigure] = defaultdict(lambda: StageFigure(kind))
    for row in _in_period(facts.stage_rows(projects, by="county_id"), period):
        if row["kind"] == kind:
            stats[row["unit_id"]].add(row)
    return out | {unit: _stage_value(s, measure) for unit, s in stats.items()}


def _money_value(wan) -> tuple[Decimal, str]:
    from sanpi.core.amounts import yi

    wan = exact_wan(wan)
    return wan, f"{yi(wan)}亿元"


def _stage_value(s: StageFigure, measure: str) -> tuple[Decimal | None, str]:
    if measure == "signed_investment":
        return _money_value(s.investment_wan)
    if measure == "start_rate":
        rate = Rate(s.next_n, s.n)
        return rate.pct, str(rate)
    return Decimal(s.n), f"{s.n}个"


# --- investment ----------------------------------------------------------------------------


@dataclass
class YearInvestment:
    """The year's completed investment month by month (cumulative) against the plan and
    against the time (the straight line to the year's plan), by industry group."""

    year: int
    planned_wan: Decimal
    months: list[Decimal]  # completed in each month 1..12
    by_group: dict[str, Decimal]

    def cumulative(self) -> list[Decimal]:
        out, total = [], ZERO
        for value in self.months:
            total += value
            out.append(total)
        return out

    def as_json(self) -> dict:
        cumulative = self.cumulative()
        return {
            "year": self.year,
            "planned_wan": str(self.planned_wan),
            "months": [
                {
                    "month": m,
                    "completed_wan": str(self.months[m - 1]),
                    "cumulative_wan": str(cumulative[m - 1]),
                    "time_line_wan": str(exact_wan(self.planned_wan * m / 12)),
                    "rate": Rate(cumulative[m - 1], self.planned_wan, unit="万元").as_json(
                        as_strings=True
                    ),
                }
                for m in range(1, 13)
            ],
            "by_group": [
                {"key": key, "label": label, "completed_wan": str(self.by_group[key])}
                for key, label in INDUSTRY_GROUPS
            ],
        }


def investment_year(view: View, year: int) -> YearInvestment:
    if view.from_tables:
        done = (
            view.cells(InvestmentCell)
            .filter(year=year)
            .values("industry", "month", "investment_wan")
        )
        planned = view.cells(PlanCell).filter(year=year).aggregate(s=Sum("planned_investment_wan"))
        planned_wan = exact_wan(planned["s"])
    else:
        projects = view.projects()
        done = [
            r
            for r in facts.investment_rows(MonthlyReport.objects.filter(project__in=projects))
            if r["year"] == year
        ]
        planned_wan = sum(
            (
                r["planned_investment_wan"]
                for r in facts.plan_rows(AnnualPlan.objects.filter(project__in=projects))
                if r["year"] == year
            ),
            ZERO,
        )
    months = [ZERO] * 12
    groups = {key: ZERO for key, _ in INDUSTRY_GROUPS}
    for row in done:
        months[row["month"] - 1] += row["investment_wan"]
        groups[industry_group(row["industry"])] += row["investment_wan"]
    return YearInvestment(year, exact_wan(planned_wan), months, groups)


def investment_by_zone(view: View, year: int, *, limit: int = 15) -> list[dict]:
    """The zones of the view with the most completed investment in the year (at most
    `limit`), with their plan."""
    zones = zone_list(user=view.user)
    if view.county is not None:
        zones = zones.filter(county=view.county)
    if view.zone is not None:
        zones = zones.filter(pk=view.zone.pk)
    if view.from_tables:
        rows = InvestmentYear.objects.filter(level=Level.ZONE, year=year)
        if not view.user.sees_all or view.county is not None or view.zone is not None:
            rows = rows.filter(unit_id__in=zones.values("pk"))
        done = dict(
            rows.order_by("-investment_wan", "unit_id").values_list("unit_id", "investment_wan")[
                :limit
            ]
        )
    else:
        projects = view.projects()
        reports = MonthlyReport.objects.filter(project__in=projects, project__zone__in=zones)
        done: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for row in facts.investment_rows(reports, by="zone_id"):
            if row["year"] == year:
                done[row["unit_id"]] += row["investment_wan"]
        done = dict(sorted(done.items(), key=lambda kv: -kv[1])[:limit])
    names = {z.pk: z.short_name or z.name for z in zones.filter(pk__in=list(done))}
    if view.from_tables:
        planned = dict(
            PlanCell.objects.filter(level=Level.ZONE, year=year, unit_id__in=list(done))
            .values("unit_id")
            .annotate(s=Sum("planned_investment_wan"))
            .values_list("unit_id", "s")
        )
    else:  # only the user's own projects' plans
        planned = defaultdict(lambda: ZERO)
        plans = AnnualPlan.objects.filter(project__in=view.projects(), year=year)
        for row in facts.plan_rows(plans, by="zone_id"):
            planned[row["unit_id"]] += row["planned_investment_wan"]
    return [
        {
            "zone": pk,
            "name": names.get(pk, ""),
            "completed_wan": str(exact_wan(value)),
            "planned_wan": str(exact_wan(planned.get(pk))),
        }
        for pk, value in done.items()
    ]


# --- the monthly ranking's trend -------------------------------------------------------------


def _ranked_units(view: View) -> dict[str, list[int] | None]:
    """Whose places the trend shows, per kind: the view's own county and zones, or (None)
    the best of all. Rankings are published: the same for every reader."""
    if view.zone is not None:
        return {"county": [view.zone.county_id], "zone": [view.zone.pk]}
    county = view.county.pk if view.county is not None else None
    if county is None and view.level == Level.COUNTY:
        county = view.unit
    if county is not None:
        zones = list(DevelopmentZone.objects.filter(county_id=county).values_list("pk", flat=True))
        return {"county": [county], "zone": zones}
    if view.level == Level.ZONE:
        zone = DevelopmentZone.objects.filter(pk=view.unit).first()
        return {"county": [zone.county_id] if zone else [], "zone": [view.unit]}
    return {"county": None, "zone": None}


def ranking_trend(view: View, year: int, *, limit: int = 10) -> dict:
    """Each shown unit's place in every ranked month of `year` (from the stored rankings,
    `facts.refresh_rankings`): {kind: {"of", "months", "units": [{"name", "ranks"}]}}."""
    out = {}
    for kind, units in _ranked_units(view).items():
        cells = RankCell.objects.filter(kind=kind, year=year)
        last = cells.order_by("-month").values_list("month", flat=True).first()
        if last is None:
            out[kind] = {"of": 0, "months": [], "units": []}
            continue
        latest = cells.filter(month=last)
        if units is None:
            units = list(
                latest.filter(rank__isnull=False)
                .order_by("rank", "unit_id")
                .values_list("unit_id", flat=True)[:limit]
            )
        units = units[:limit]
        model = County if kind == "county" else DevelopmentZone
        names = {
            u.pk: getattr(u, "short_name", "") or u.name for u in model.objects.filter(pk__in=units)
        }
        ranks: dict[int, dict[int, int | None]] = defaultdict(dict)
        for unit_id, month, rank in cells.filter(unit_id__in=units).values_list(
            "unit_id", "month", "rank"
        ):
            ranks[unit_id][month] = rank
        months = list(range(1, last + 1))
        out[kind] = {
            "of": latest.filter(rank__isnull=False).count(),
            "months": months,
            "units": [
                {"name": names.get(u, ""), "ranks": [ranks[u].get(m) for m in months]}
                for u in units
                if u in names
            ],
        }
    return out


# --- what needs attention: health lists, open problems, approvals past their limit, key
# projects with their leaders --------------------------------------------------------------


def _now_rows(view: View) -> list[dict]:
    """The view's projects as they stand now (the stage cells' ``now:`` rows, or computed
    over the user's own projects), each with its stage, health and key flags parsed."""
    if view.from_tables:
        rows = view.cells(StageCell).filter(kind__startswith=f"{facts.NOW}:", year=0)
        rows = rows.values("kind", "n", "investment_wan")
    else:
        rows = facts.now_rows(view.projects())
    out = []
    for row in rows:
        stage, health, provincial, city = facts.parse_now_kind(row["kind"])
        out.append({**row, "stage": stage, "health": health,
                    "provincial_key": provincial, "city_key": city})  # fmt: skip
    return out


@dataclass(frozen=True)
class LedgerTotals:
    """The view's projects now: how many, their total investment, the key projects, and
    the counts by stage, by 推进状态 and in each health list (the home page)."""

    total: int
    investment_wan: Decimal
    provincial_key: int
    city_key: int
    stages: dict[str, int]
    healths: dict[str, int]
    lists: dict[str, tuple[int, Decimal]]


def ledger_totals(view: View) -> LedgerTotals:
    from sanpi.health.selectors import LIST_STAGES, LISTS
    from sanpi.projects.models import Health, StageChoices

    rows = _now_rows(view)
    stages = dict.fromkeys(StageChoices.values, 0)
    healths = dict.fromkeys(Health.values, 0)
    lists = {}
    for row in rows:
        stages[row["stage"]] = stages.get(row["stage"], 0) + row["n"]
        healths[row["health"]] = healths.get(row["health"], 0) + row["n"]
    for key, item in LISTS.items():
        on_list = [r for r in rows if r["stage"] in LIST_STAGES and r["health"] in item.healths]
        lists[key] = (
            sum(r["n"] for r in on_list),
            exact_wan(sum((r["investment_wan"] for r in on_list), ZERO)),
        )
    return LedgerTotals(
        total=sum(r["n"] for r in rows),
        investment_wan=exact_wan(sum((r["investment_wan"] for r in rows), ZERO)),
        provincial_key=sum(r["n"] for r in rows if r["provincial_key"]),
        city_key=sum(r["n"] for r in rows if r["city_key"]),
        stages=stages,
        healths=healths,
        lists=lists,
    )


def health_lists(view: View) -> list[dict]:
    """The three lists (正常推进 / 进度滞后 / 长期停缓建) now: count and investment of each."""
    from sanpi.health.selectors import LISTS

    lists = ledger_totals(view).lists
    return [
        {"key": key, "label": item.title, "count": lists[key][0], "investment_wan": lists[key][1]}
        for key, item in LISTS.items()
    ]


def all_time_funnel(view: View) -> Funnel:
    """The cohorts of every year together: every project that reached each stage, and the
    three rates over them (the reports' rates without a year, `cohort_rates`)."""
    if view.from_tables:
        rows = list(
            view.cells(StageCell)
            .exclude(year=0)
            .values("kind").annotate(
                n=Sum("n"), investment_wan=Sum("investment_wan"), next_n=Sum("next_n"),
                planned_output_wan=Sum("planned_output_wan"),
                actual_output_wan=Sum("actual_output_wan"),
            )
        )  # fmt: skip
    else:
        rows = [r for r in facts.stage_rows(view.projects()) if r["year"]]
    out = Funnel(None, {k: StageFigure(k) for k in STAGE_LABELS})
    for row in rows:
        out.stages[row["kind"]].add(
            {
                k: row[k] or 0
                for k in (
                    "n",
                    "investment_wan",
                    "next_n",
                    "planned_output_wan",
                    "actual_output_wan",
                )
            }  # fmt: skip
        )
    return out


def _open_problems(view: View):
    """The open problems of the view's projects. A view of the summary tables' units (the
    whole ledger, a county, a zone: `view_for` gives those only to users whose scope
    covers them) filters by the project's place directly, on the state index; any other
    view goes through the user's scope."""
    from sanpi.problems.models import Problem
    from sanpi.problems.selectors import OPEN, problems

    if view.level == Level.ALL:
        return Problem.objects.filter(state__in=OPEN)
    if view.level == Level.COUNTY:
        return Problem.objects.filter(state__in=OPEN, project__county_id=view.unit)
    if view.level == Level.ZONE:
        return Problem.objects.filter(state__in=OPEN, project__zone_id=view.unit)
    qs = problems(user=view.user).filter(state__in=OPEN)
    if view.county is not None:
        qs = qs.filter(project__county=view.county)
    if view.zone is not None:
        qs = qs.filter(project__zone=view.zone)
    return qs


def open_problems(view: View) -> dict | None:
    """Open problems of the view's projects by level, and how many are out of time; None
    for a user who may not see problems. Reads only open problems (their state index)."""
    from django.db.models import Count
    from django.utils import timezone

    from sanpi.problems.rules import LEVEL_LABELS
    from sanpi.problems.selectors import overdue_q

    if not view.user.can(Cap.VIEW_PROBLEMS):
        return None
    qs = _open_problems(view)
    now = timezone.now()
    agg = qs.order_by().aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=overdue_q(now)),
        **{f"level_{level}": Count("pk", filter=Q(level=level)) for level in LEVEL_LABELS},
    )
    return {
        "total": agg["total"],
        "overdue": agg["overdue"],
        "levels": [
            {"level": str(level), "label": label, "count": agg[f"level_{level}"]}
            for level, label in LEVEL_LABELS.items()
        ],
    }


def approvals_overdue(view: View, *, limit: int = 5) -> dict | None:
    """Approval items past their time limit on the official calendar: how many, and the
    `limit` longest overdue; None for a user who may not see approvals."""
    from sanpi.approvals.models import ProjectApproval
    from sanpi.approvals.selectors import ItemFilter, overdue_items, overdue_q, with_clocks

    if not view.user.can(Cap.VIEW_APPROVALS):
        return None
    # As for problems: a view of the summary tables' units filters by the project's place
    # directly (the scope's subquery would make the database walk every overdue item).
    if view.from_tables:
        items = ProjectApproval.objects.filter(overdue_q())
        if view.level == Level.COUNTY:
            items = items.filter(project__county_id=view.unit)
        elif view.level == Level.ZONE:
            items = items.filter(project__zone_id=view.unit)
        items = items.select_related("project", "catalogue_item").order_by("due_on", "pk")
    else:
        filters = ItemFilter(
            county=view.county.code if view.county is not None else "",
            zone=str(view.zone.pk) if view.zone is not None else "",
        )
        items = overdue_items(user=view.user, filters=filters)
    # The earliest deadlines are the longest overdue: only those are clocked.
    rows = with_clocks(items[:limit])
    return {
        "count": items.count(),
        "items": [
            {
                "project": r.item.project.name,
                "item": r.item.catalogue_item.name,
                "days": r.clock.overdue_days,
                "pk": r.item.pk,
            }
            for r in rows
        ],
    }


def key_projects(view: View, *, limit: int = 8) -> list[dict]:
    """The view's largest provincial and city key projects, with the leaders who liaise
    with them now (包联) and their stage."""
    from django.db.models import Prefetch
    from django.utils import timezone

    from sanpi.problems.models import Liaison

    today = timezone.localdate()
    current = (
        Liaison.objects.filter(since__lte=today)
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .select_related("leader")
    )
    projects = (
        view.projects()
        .filter(Q(is_provincial_key=True) | Q(is_city_key=True))
        .select_related("county")
        .prefetch_related(Prefetch("liaisons", queryset=current, to_attr="current_liaisons"))
        .order_by("-total_investment_wan", "id")[:limit]
    )
    return [
        {
            "pk": p.pk,
            "name": p.name,
            "county": p.county.name,
            "level": "省重点" if p.is_provincial_key else "市重点",
            "stage": p.get_stage_display(),
            "investment_wan": p.total_investment_wan,
            "leaders": "、".join(
                (link.leader.full_name or link.leader.username) for link in p.current_liaisons
            ),
        }
        for p in projects
    ]


# --- the early warning -----------------------------------------------------------------------


def start_warnings(view: View, *, limit: int = 10) -> dict:
    """The signed projects of the view least likely to start, highest score first, with
    their reasons and the rules the score is made of (`cockpit.rules`)."""
    from .models import StartRisk
    from .services import warning_rules

    qs = StartRisk.objects.filter(score__gt=0)
    if view.level == Level.COUNTY:
        qs = qs.filter(county_id=view.unit)
    elif view.level == Level.ZONE:
        qs = qs.filter(zone_id=view.unit)
    elif view.level is None:
        qs = qs.filter(project__in=view.projects().values("pk"))
    rows = list(
        qs.select_related("project", "project__county", "project__zone").order_by(
            "-score", "-investment_wan", "project_id"
        )[:limit]
    )
    computed = rows[0].computed_at if rows else None
    return {
        "computed_at": computed,
        "rules": [{"label": r.label, "points": r.points} for r in warning_rules() if r.points],
        "projects": [
            {
                "pk": r.project_id,
                "name": r.project.name,
                "county": r.project.county.name,
                "zone": (r.project.zone.short_name or r.project.zone.name)
                if r.project.zone_id
                else "",
                "signed_date": r.project.signed_date,
                "investment_wan": r.project.total_investment_wan,
                "score": r.score,
                "reasons": r.reasons,
            }
            for r in rows
        ],
    }


# --- a "三个一批" activity as the period -------------------------------------------------------


def activity_funnel(view: View, activity) -> tuple[Funnel, Funnel | None]:
    """The funnel of an activity's batches (by 批次 attribution, `selectors.activity_figures`
    and `cohort_rates`: the bulletin's own figures), and of the same activity a year
    earlier (the same 批次 of the year before) where there was one. 储备 and 达效 are not
    batches of an activity: they stay empty."""
    from sanpi.projects.models import Activity

    from .selectors import activity_figures, cohort_rates

    def one(act) -> Funnel:
        narrow = {
            "county": view.county.code if view.county is not None else "",
            "zone": str(view.zone.pk) if view.zone is not None else "",
        }
        figures = activity_figures(user=view.user, activity=act, **narrow)
        rates = cohort_rates(user=view.user, activity=act, **narrow)
        out = Funnel(ActivityPeriod(act), {k: StageFigure(k) for k in STAGE_LABELS})
        for kind, batch, rate in (
            ("signed", figures.signed, rates.start_rate),
            ("started", figures.started, rates.production_rate),
            ("produced", figures.produced, None),
        ):
            stage = out.stages[kind]
            stage.n, stage.investment_wan = batch.count, batch.investment_wan
            stage.next_n = rate.num if rate is not None else 0
        produced = out.stages["produced"]
        produced.actual_output_wan = rates.target_rate.num
        produced.planned_output_wan = rates.target_rate.den
        return out

    before = Activity.objects.filter(year=activity.year - 1, sequence=activity.sequence).first()
    return one(activity), (one(before) if before is not None else None)


@dataclass(frozen=True)
class ActivityPeriod:
    """An activity standing where a Period stands in a Funnel."""

    activity: object

    @property
    def year(self) -> int:
        return self.activity.year

    def text(self) -> str:
        return str(self.activity)
