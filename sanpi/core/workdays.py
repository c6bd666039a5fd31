"""Official working days. Pure: no Django imports.

A `WorkCalendar` knows, for the years it *covers*, every exception to the weekend
rule: public holidays that fall on weekdays (off) and adjusted weekend working days,
调休 (on). Outside the covered years it falls back to weekends only and marks the
answer *provisional*, because the State Council publishes each year's schedule late
in the year before.

Counting conventions (the ones time limits use):
* ``add(start, n)``: the n-th working day after `start` (`start` itself not counted);
  n = 0 gives `start`.
* ``between(a, b)``: working days after `a` up to and including `b` (0 when b ≤ a),
  so ``between(a, add(a, n).date) == n``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class WorkdayAnswer:
    """A computed date or count, and whether it relied on a year the calendar doesn't cover."""

    value: dt.date | int
    provisional: bool
    uncovered_years: tuple[int, ...] = ()

    def note(self) -> str:
        if not self.provisional:
            return ""
        years = "、".join(f"{y}年" for y in self.uncovered_years)
        return f"{years}节假日安排未录入，按周末推算"


@dataclass(frozen=True)
class WorkCalendar:
    # date → True (working day although a weekend: 调休) / False (day off although a weekday)
    exceptions: Mapping[dt.date, bool] = field(default_factory=dict)
    covered_years: frozenset[int] = frozenset()

    def covers(self, day: dt.date) -> bool:
        return day.year in self.covered_years

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def check(self, day: dt.date) -> WorkdayAnswer:
        return WorkdayAnswer(self.is_working_day(day), *self._provisional([day.year]))

    def add(self, start: dt.date, n: int) -> WorkdayAnswer:
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        years = {start.year}
        remaining = n
        while remaining:
            day += ONE_DAY
            years.add(day.year)
            if self.is_working_day(day):
                remaining -= 1
        return WorkdayAnswer(day, *self._provisional(years))

    def between(self, a: dt.date, b: dt.date) -> WorkdayAnswer:
        count = 0
        years = {a.year, b.year}
        day = a
        while day < b:
            day += ONE_DAY
            years.add(day.year)
            if self.is_working_day(day):
                count += 1
        return WorkdayAnswer(count, *self._provisional(years))

    def _provisional(self, years: Iterable[int]) -> tuple[bool, tuple[int, ...]]:
        missing = tuple(sorted(y for y in set(years) if y not in self.covered_years))
        return bool(missing), missing


def exceptions_from(
    holidays: Iterable[dt.date], workdays: Iterable[dt.date]
) -> dict[dt.date, bool]:
    """Exceptions to the weekend rule from lists of official holidays and 调休 working days."""
    out: dict[dt.date, bool] = {}
    for day in holidays:
        if day.weekday() < 5:
            out[day] = False
    for day in workdays:
        if day.weekday() >= 5:
            out[day] = True
    return out


def package_calendar() -> WorkCalendar:
    """The calendar shipped in the `chinesecalendar` package (2004 to its last year)."""
    import chinese_calendar

    years = {d.year for d in chinese_calendar.holidays}
    return WorkCalendar(
        exceptions=exceptions_from(chinese_calendar.holidays, chinese_calendar.workdays),
        covered_years=frozenset(range(min(years), max(years) + 1)),
    )
