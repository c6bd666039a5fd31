"""The problems' figures for a month or a year, within the reader's scope: per county, per
zone, per responsible unit and per liaising leader. Every figure is defined here and
nowhere else:

* 提出 (raised): problems raised in the period;
* 销号 (closed): problems closed (the enterprise satisfied) in the period;
* 按时销号率 (on-time closure rate): of those closed, solved by the solve clock's due
  moment (solved_at <= solve_due), as a `core.rates.Rate`;
* 办结用时中位数 (median time to close): the median of the working days from the day
  raised to the day closed (official calendar, `WorkCalendar.between`) over the problems
  closed in the period (a median, not a mean, so that one old problem does not move it);
* 超期未销号 (open overdue): problems open now that ran out of time (red, or a clock
  running past its due moment: `selectors.overdue_q`, as the leaders' pages
  count them); a snapshot of now, whatever the period;
* 满意率 (satisfaction): the enterprise's confirmations ÷ (confirmations + rejections)
  made in the period (ProblemEvents), as a `Rate`.

Per county and per zone follow the project; per unit the responsible unit (未交办 for
problems not yet assigned); per leader the projects the leader liaised (a `Liaison` in
force on at least one day of the period).

Each table is one grouped query of conditional aggregates over the period's rows, one for
the satisfaction events, and the medians are computed in Python over the period's closed
problems only (one query for every table but the leaders').
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from sanpi.accounts.models import User
from sanpi.core.calendar import check_year, official_calendar
from sanpi.core.errors import ValidationFailed
from sanpi.core.rates import Rate
from sanpi.core.scope import restrict
from sanpi.regions.models import County, Department, DevelopmentZone

from .models import Liaison, ProblemEvent, UnitKind
from .rules import Move, State
from .selectors import overdue_q, problems
from .services import local_naive

# What each figure means, as the page explains it.
WORDING = {
    "raised": "期内提出的问题数",
    "closed": "期内销号（企业确认满意）的问题数",
    "on_time": "期内销号的问题中，在办结时限内办结的比例（按时办结数/销号数）",
    "median": "期内销号的问题从提出到销号所用工作日的中位数（按官方工作日历）",
    "overdue": "目前仍未销号且已超期（红灯，或时限已过仍未完成）的问题数，不随所选期间变化",
    "satisfaction": "期内企业确认满意的次数/（确认满意次数+确认不满意次数）",
}


# --- the period ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A month, or a whole year (``month`` None)."""

    year: int
    month: int | None = None

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month or 1, 1)

    @property
    def next_first_day(self) -> dt.date:
        if self.month is None or self.month == 12:
            return dt.date(self.year + 1, 1, 1)
        return dt.date(self.year, self.month + 1, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next_first_day - dt.timedelta(days=1)

    @property
    def start(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.first_day, dt.time()))

    @property
    def end(self) -> dt.datetime:
        """The first moment after the period."""
        return timezone.make_aware(dt.datetime.combine(self.next_first_day, dt.time()))

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月" if self.month else f"{self.year}年"

    def during(self, name: str) -> Q:
        return Q(**{f"{name}__gte": self.start, f"{name}__lt": self.end})


def period_of(year: int, month: int | None = None, *, today: dt.date | None = None) -> Period:
    """The period asked for, refused (in Chinese) when it is not a month or year that has
    begun."""
    check_year(year)
    if month is not None and not 1 <= month <= 12:
        raise ValidationFailed.of("month", f"月份“{month}”无效，应为1至12")
    period = Period(year, month)
    today = today or timezone.localdate()
    if period.first_day > today:
        raise ValidationFailed.of(
            "month" if month else "year",
            f"{period.label}尚未开始（今天是{today:%Y年%m月%d日}），请选择已开始的月份或年份",
        )
    return period


def current_period(today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(today.year, today.month)


# --- the rows ------------------------------------------------------------------------------


@dataclass
class FigureRow:
    key: object
    name: str
    query: str = ""  # the ledger's filter for this row ("county=141102"), "" for none
    raised: int = 0
    closed: int = 0
    on_time: int = 0
    overdue: int = 0
    confirmed: int = 0
    rejected: int = 0
    days: list[int] = field(default_factory=list)  # working days raised → closed

    @property
    def on_time_rate(self) -> Rate:
        return Rate(self.on_time, self.closed)

    @property
    def satisfaction(self) -> Rate:
        return Rate(self.confirmed, self.confirmed + self.rejected)

    @property
    def median_days(self) -> int | float | None:
        return statistics.median(self.days) if self.days else None

    @property
    def median_text(self) -> str:
        median = self.median_days
        if median is None:
            return "—"
        return f"{median:g}"


@dataclass
class Figures:
    period: Period
    total: FigureRow
    by_county: list[FigureRow]
    by_zone: list[FigureRow]
    by_unit: list[FigureRow]
    by_leader: list[FigureRow]

    def tables(self) -> list[tuple[str, str, list[FigureRow]]]:
        """(key, title, rows) of each table, in the page's order."""
        return [
            ("county", "按县(市、区)（项目所在地）", self.by_county),
            ("zone", "按开发区（项目所在开发区）", self.by_zone),
            ("unit", "按责任单位", self.by_unit),
            ("leader", "按包联领导（期内包联的项目）", self.by_leader),
        ]


# --- the queries ---------------------------------------------------------------------------


def _conditions(period: Period, now: dt.datetime, prefix: str = "") -> dict[str, Q]:
    """The conditional aggregates' conditions, on problems reached through ``prefix``
    (``now``: the moment the overdue snapshot is taken, one for every table)."""

    def q(**kwargs) -> Q:
        return Q(**{prefix + k: v for k, v in kwargs.items()})

    raised = q(raised_at__gte=period.start, raised_at__lt=period.end)
    closed = q(state=State.CLOSED.value, closed_at__gte=period.start, closed_at__lt=period.end)
    return {
        "raised": raised,
        "closed": closed,
        "on_time": closed & q(solved_at__lte=F(prefix + "solve_due")),
        "overdue": overdue_q(now, prefix),
    }


def _aggregates(conditions: dict[str, Q], counted: str = "pk", *, distinct: bool = False):
    return {
        name: Count(counted, filter=cond, distinct=distinct) for name, cond in conditions.items()
    }


def _counted(qs: QuerySet, conds: dict[str, Q], keys: list[str]) -> dict[tuple, dict]:
    """One grouped query: the counts per value of ``keys`` over the period's rows."""
    relevant = conds["raised"] | conds["closed"] | conds["overdue"]
    rows = qs.filter(relevant).order_by().values(*keys).annotate(**_aggregates(conds))
    return {tuple(r[k] for k in keys): r for r in rows}


def _events(user, period: Period) -> QuerySet[ProblemEvent]:
    return restrict(ProblemEvent.objects.all(), user).filter(
        period.during("at"), move__in=[Move.CONFIRM.value, Move.REJECT.value]
    )


_EVENT_COUNTS = {
    "confirmed": Count("pk", filter=Q(move=Move.CONFIRM.value)),
    "rejected": Count("pk", filter=Q(move=Move.REJECT.value)),
}


def _event_counts(events: QuerySet, keys: list[str]) -> dict[tuple, dict]:
    paths = [f"problem__{k}" for k in keys]
    rows = events.order_by().values(*paths).annotate(**_EVENT_COUNTS)
    return {tuple(r[p] for p in paths): r for r in rows}


# The keys of each table (on Problem), and what the closed rows' tuple holds.
COUNTY_KEYS = ["project__county"]
ZONE_KEYS = ["project__zone"]
UNIT_KEYS = ["unit_kind", "unit_department", "unit_county", "unit_zone"]
_CLOSED_FIELDS = ["raised_at", "closed_at", *COUNTY_KEYS, *ZONE_KEYS, *UNIT_KEYS]


def _working_days(raised: dt.datetime, closed: dt.datetime, calendar) -> int:
    return calendar.between(local_naive(raised).date(), local_naive(closed).date()).value


def _fill(
    rows: dict[tuple, FigureRow],
    counts: dict[tuple, dict],
    events: dict[tuple, dict],
    days: dict[tuple, list[int]],
) -> None:
    for key, row in rows.items():
        c = counts.get(key, {})
        row.raised, row.closed = c.get("raised", 0), c.get("closed", 0)
        row.on_time, row.overdue = c.get("on_time", 0), c.get("overdue", 0)
        e = events.get(key, {})
        row.confirmed, row.rejected = e.get("confirmed", 0), e.get("rejected", 0)
        row.days = sorted(days.get(key, []))


def _rows_for(keys: Iterable[tuple], name, query) -> dict[tuple, FigureRow]:
    return {key: FigureRow(key, name(key), query(key)) for key in keys}


def figures(*, user, period: Period) -> Figures:
    """The period's figures in the user's scope (VIEW_PROBLEMS)."""
    qs = problems(user=user)
    calendar = official_calendar()
    events = _events(user, period)
    now = timezone.now()
    conds = _conditions(period, now)

    # The period's closed problems, once, for every table's medians (bounded by the period).
    closed = list(qs.filter(conds["closed"]).order_by().values_list(*_CLOSED_FIELDS))
    spent = [_working_days(r[0], r[1], calendar) for r in closed]

    def days_by(index: slice) -> dict[tuple, list[int]]:
        out: dict[tuple, list[int]] = defaultdict(list)
        for r, n in zip(closed, spent, strict=True):
            out[tuple(r[index])].append(n)
        return out

    total = FigureRow(None, "合计")
    _fill(
        {(): total},
        {(): qs.order_by().aggregate(**_aggregates(conds))},
        {(): events.order_by().aggregate(**_EVENT_COUNTS)},
        {(): spent},
    )

    tables = []
    for keys, index, rows_of in (
        (COUNTY_KEYS, slice(2, 3), _county_rows),
        (ZONE_KEYS, slice(3, 4), _zone_rows),
        (UNIT_KEYS, slice(4, 8), _unit_rows),
    ):
        counts = _counted(qs, conds, keys)
        by_event = _event_counts(events, keys)
        days = days_by(index)
        rows = rows_of(user, set(counts) | set(by_event) | set(days))
        _fill(rows, counts, by_event, days)
        tables.append(list(rows.values()))

    return Figures(period, total, *tables, by_leader=_leader_rows(user, period, now, calendar))


# --- naming the rows -----------------------------------------------------------------------


def _county_rows(user, keys: set[tuple]) -> dict[tuple, FigureRow]:
    counties = County.objects.order_by("code")
    if not user.sees_all:
        counties = counties.filter(pk__in=[k[0] for k in keys if k[0] is not None])
    return {(c.pk,): FigureRow((c.pk,), c.name, f"county={c.code}") for c in counties}


def _zone_rows(user, keys: set[tuple]) -> dict[tuple, FigureRow]:
    zones = DevelopmentZone.objects.order_by("county__code", "name")
    if not user.sees_all:
        zones = zones.filter(pk__in=[k[0] for k in keys if k[0] is not None])
    return {(z.pk,): FigureRow((z.pk,), z.name, f"zone={z.pk}") for z in zones}


UNASSIGNED = "未交办"


def _unit_rows(user, keys: set[tuple]) -> dict[tuple, FigureRow]:
    ids = defaultdict(set)
    for _kind, dept, county, zone in keys:
        ids["department"].add(dept)
        ids["county"].add(county)
        ids["zone"].add(zone)
    departments = Department.objects.in_bulk([i for i in ids["department"] if i])
    counties = County.objects.in_bulk([i for i in ids["county"] if i])
    zones = DevelopmentZone.objects.in_bulk([i for i in ids["zone"] if i])
    named = []
    for key in keys:
        kind, dept, county, zone = key
        if kind == UnitKind.DEPARTMENT and dept in departments:
            named.append((0, departments[dept].name, key, f"unit=department:{dept}"))
        elif kind == UnitKind.COUNTY and county in counties:
            c = counties[county]
            named.append((1, c.name, key, f"unit=county:{c.code}"))
        elif kind == UnitKind.ZONE and zone in zones:
            named.append((2, zones[zone].name, key, f"unit=zone:{zone}"))
        elif kind == UnitKind.CITY:
            named.append((3, UnitKind.CITY.label, key, "unit=city"))
        elif not kind:
            named.append((4, UNASSIGNED, key, ""))
    named.sort(key=lambda t: (t[0], t[1]))
    return {key: FigureRow(key, name, query) for _, name, key, query in named}


# --- per leader ----------------------------------------------------------------------------


def liaisons_during(period: Period) -> Q:
    """A liaison in force on at least one day of the period."""
    return Q(since__lte=period.last_day) & (Q(until__isnull=True) | Q(until__gte=period.first_day))


def _leader_rows(user, period: Period, now: dt.datetime, calendar) -> list[FigureRow]:
    """Per leader, the problems of the projects they liaised in the period (within the
    user's scope: a liaison is seen with its project, and whoever sees a project sees its
    problems). A problem counts once per leader however many liaisons bring it in."""
    liaisons = restrict(Liaison.objects.all(), user).filter(liaisons_during(period))
    leaders = User.objects.filter(pk__in=liaisons.values("leader")).order_by(
        "full_name", "username"
    )
    rows = {(u.pk,): FigureRow((u.pk,), str(u)) for u in leaders}
    if not rows:
        return []
    conds = _conditions(period, now, "project__problems__")
    counts = {
        (r["leader"],): r
        for r in liaisons.order_by()
        .values("leader")
        .annotate(**_aggregates(conds, "project__problems", distinct=True))
    }
    events = {
        (r["leader"],): r
        for r in liaisons.filter(
            Q(project__problems__events__move__in=[Move.CONFIRM.value, Move.REJECT.value])
            & Q(project__problems__events__at__gte=period.start)
            & Q(project__problems__events__at__lt=period.end)
        )
        .order_by()
        .values("leader")
        .annotate(
            confirmed=Count(
                "project__problems__events",
                filter=Q(project__problems__events__move=Move.CONFIRM.value),
                distinct=True,
            ),
            rejected=Count(
                "project__problems__events",
                filter=Q(project__problems__events__move=Move.REJECT.value),
                distinct=True,
            ),
        )
    }
    seen: set[tuple[int, int]] = set()
    days: dict[tuple, list[int]] = defaultdict(list)
    for leader, pk, raised, closed in (
        liaisons.filter(conds["closed"])
        .order_by()
        .values_list("leader", "project__problems", "project__problems__raised_at",
                     "project__problems__closed_at")
    ):  # fmt: skip
        if (leader, pk) not in seen:
            seen.add((leader, pk))
            days[(leader,)].append(_working_days(raised, closed, calendar))
    _fill(rows, counts, events, days)
    return list(rows.values())
