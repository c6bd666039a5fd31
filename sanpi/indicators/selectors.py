"""Reads of the city's main indicators: the table for a year, its summary, one indicator.

The indicators are city-level public data: every ledger reader (Cap.VIEW_LEDGER) sees
all of them whatever their scope, and the cockpit shows them for every scope. The table
is bounded (34 rows) and read with two queries: the indicators, and their values up to
the year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core.errors import NotFound, ValidationFailed
from sanpi.core.scope import restrict
from sanpi.core.services import require

from . import rules
from .models import Indicator, IndicatorValue
from .rules import Verdict

CHINESE_NUMERALS = "一二三四五六七八九十"


def check_year(year: int) -> int:
    problem = rules.check_year(year, timezone.localdate())
    if problem:
        raise ValidationFailed.of("year", problem)
    return year


def check_year_or_404(year: int) -> int:
    """A year in a page's address: one outside 2021 to this year has no page."""
    problem = rules.check_year(year, timezone.localdate())
    if problem:
        raise NotFound(problem)
    return year


def default_year() -> int:
    return rules.default_year(timezone.localdate())


def years() -> list[int]:
    """The years values may be entered for: 2021 to this year."""
    return list(range(rules.FIRST_YEAR, timezone.localdate().year + 1))


@dataclass(frozen=True)
class Row:
    """One indicator in the table for `year`: its latest actual up to that year (and the
    value of that very year, if entered), its progress and whether it is on the path."""

    indicator: Indicator
    spec: rules.Spec
    year: int
    latest: IndicatorValue | None  # the latest value of a year up to `year`
    this_year: IndicatorValue | None  # the value of `year` itself
    progress: rules.Progress
    judgement: rules.Judgement

    @property
    def actual(self):
        return self.latest.actual if self.latest is not None else None

    @property
    def actual_text(self) -> str:
        return rules.text(self.actual)

    @property
    def actual_year(self) -> int | None:
        return self.latest.year if self.latest is not None else None

    @property
    def expected_text(self) -> str:
        return rules.text(self.judgement.expected)

    @property
    def stale(self) -> bool:
        """The latest actual is of an earlier year than the one asked for."""
        return self.latest is not None and self.latest.year != self.year

    @property
    def progress_bar(self) -> int | None:
        """The progress as a whole percentage from 0 to 100, for a bar; None without one."""
        rate = self.progress.rate
        if rate is None or rate.pct is None:
            return None
        return int(min(max(rate.pct, 0), 100))


@dataclass(frozen=True)
class Group:
    number: str  # 一, 二, …
    name: str
    rows: list[Row]

    @property
    def heading(self) -> str:
        return f"{self.number}、{self.name}（{len(self.rows)}个）"


@dataclass(frozen=True)
class Summary:
    """How many indicators are on the path in a year, for the cockpit's card."""

    year: int
    on_path: int
    behind: int
    undecidable: int
    entered: int  # indicators with an actual value for a year up to `year`

    @property
    def total(self) -> int:
        return self.on_path + self.behind + self.undecidable

    def as_json(self) -> dict:
        return {
            "year": self.year,
            "on_path": self.on_path,
            "behind": self.behind,
            "undecidable": self.undecidable,
            "entered": self.entered,
            "total": self.total,
        }


@dataclass(frozen=True)
class Table:
    year: int
    rows: list[Row]
    groups: list[Group] = field(default_factory=list)

    def summary(self) -> Summary:
        counts = {v: 0 for v in Verdict}
        for row in self.rows:
            counts[row.judgement.verdict] += 1
        return Summary(
            year=self.year,
            on_path=counts[Verdict.ON],
            behind=counts[Verdict.BEHIND],
            undecidable=counts[Verdict.UNKNOWN],
            entered=sum(row.latest is not None for row in self.rows),
        )


def _indicators(user):
    require(user, Cap.VIEW_LEDGER)
    return restrict(Indicator.objects.all(), user).order_by("order")


def row_for(indicator: Indicator, values: list[IndicatorValue], year: int) -> Row:
    """The table's row of one indicator for `year`, from its values (any order)."""
    upto = [v for v in values if v.year <= year]
    latest = max(upto, key=lambda v: v.year, default=None)
    spec = indicator.spec()
    actual = latest.actual if latest is not None else None
    return Row(
        indicator=indicator,
        spec=spec,
        year=year,
        latest=latest,
        this_year=latest if latest is not None and latest.year == year else None,
        progress=rules.progress(spec, actual),
        judgement=rules.judge(spec, actual, latest.year if latest is not None else None),
    )


def indicator_table(*, user, year: int) -> Table:
    """Every indicator for `year` (2021 to this year), grouped as the plan groups them:
    baseline, target, the latest actual up to the year, progress, and the verdict. Two
    queries whatever the number of values."""
    check_year(year)
    values = IndicatorValue.objects.filter(year__lte=year).select_related("entered_by")
    indicators = _indicators(user).prefetch_related(
        Prefetch("values", queryset=values, to_attr="values_upto")
    )
    rows = [row_for(ind, ind.values_upto, year) for ind in indicators]
    groups: list[Group] = []
    for row in rows:
        if not groups or groups[-1].name != row.indicator.group:
            number = CHINESE_NUMERALS[len(groups)] if len(groups) < 10 else str(len(groups) + 1)
            groups.append(Group(number, row.indicator.group, []))
        groups[-1].rows.append(row)
    return Table(year=year, rows=rows, groups=groups)


def indicator_summary(*, user, year: int) -> Summary:
    """Counts for a card: indicators on the path in `year`, behind it, and undecidable
    (no numeric target, no value entered yet, …)."""
    return indicator_table(user=user, year=year).summary()


def indicator_get(*, user, pk: int) -> Indicator:
    found = _indicators(user).filter(pk=pk).first()
    if found is None:
        raise NotFound()
    return found


@dataclass(frozen=True)
class YearLine:
    """One year of an indicator's page: the value entered (if any), what the plan
    expects that year, and the verdict."""

    year: int
    value: IndicatorValue | None
    expected: rules.Expected
    judgement: rules.Judgement
    progress: rules.Progress

    @property
    def expected_text(self) -> str:
        return rules.text(self.expected.value)


def indicator_years(*, user, indicator: Indicator, today: dt.date | None = None) -> list[YearLine]:
    """The indicator's years 2021 to this year, each with its value and verdict."""
    require(user, Cap.VIEW_LEDGER)
    today = today or timezone.localdate()
    by_year = {
        v.year: v
        for v in IndicatorValue.objects.filter(indicator=indicator).select_related("entered_by")
    }
    spec = indicator.spec()
    lines = []
    for year in range(rules.FIRST_YEAR, today.year + 1):
        value = by_year.get(year)
        actual = value.actual if value is not None else None
        judgement = rules.judge(spec, actual, year if value is not None else None)
        if value is None and judgement.reason == "尚未录入实际值":
            judgement = rules.Judgement(Verdict.UNKNOWN, f"尚未录入{year}年实际值", year)
        lines.append(
            YearLine(
                year, value, rules.expected(spec, year), judgement, rules.progress(spec, actual)
            )
        )
    return lines


def value_get(*, user, indicator: Indicator, year: int) -> IndicatorValue | None:
    require(user, Cap.VIEW_LEDGER)
    return (
        restrict(IndicatorValue.objects.filter(indicator=indicator, year=year), user)
        .select_related("entered_by")
        .first()
    )
