"""Seeding the official calendar from the `chinesecalendar` package.

Used by the data migration (core 0005) and by the post_migrate handler of
`CoreConfig`, so that `sanpi migrate` after a package upgrade adds the years the new
package carries. Works on the models it is given (historical models in a migration),
so it imports none.

The rule: a year the package covers is written only if the database doesn't already
cover it and no administrator has decided about it (an explicit "not covered" by an
administrator stays). Days already in the database, whoever entered them, are never
overwritten: the package only fills the dates that are missing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

HOLIDAY = "holiday"
WORKDAY = "workday"
PACKAGE = "package"
ADMIN = "admin"

# The package's holiday names → the names in the State Council's notices.
CHINESE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _chinese(name: object) -> str:
    text = str(getattr(name, "value", name) or "")
    return CHINESE_NAMES.get(text, text)[:50]


def package_version() -> str:
    try:
        from importlib.metadata import version

        return version("chinesecalendar")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        import chinese_calendar

        return str(getattr(chinese_calendar, "__version__", ""))


def package_schedule() -> dict[int, dict[dt.date, tuple[str, str]]]:
    """year → {date: (kind, Chinese name)} for every year the package covers.

    All official days off are listed (weekends inside a holiday period included, as the
    notices list them); adjusted working days only where they fall on a weekend.
    """
    import chinese_calendar

    schedule: dict[int, dict[dt.date, tuple[str, str]]] = defaultdict(dict)
    for day, name in chinese_calendar.holidays.items():
        schedule[day.year][day] = (HOLIDAY, _chinese(name))
    for day, name in chinese_calendar.workdays.items():
        if day.weekday() >= 5:
            schedule[day.year][day] = (WORKDAY, _chinese(name))
    if not schedule:
        return {}
    years = range(min(schedule), max(schedule) + 1)
    return {year: dict(sorted(schedule.get(year, {}).items())) for year in years}


def sync_from_package(day_model, year_model, *, using: str = "default") -> list[int]:
    """Write the package's years that the database lacks; returns the years written."""
    schedule = package_schedule()
    if not schedule:
        return []
    basis = f"chinesecalendar {package_version()}".strip()
    known = {
        row.year: row for row in year_model.objects.using(using).filter(year__in=list(schedule))
    }
    wanted = [
        year
        for year in schedule
        if year not in known or not (known[year].covered or known[year].source == ADMIN)
    ]
    if not wanted:
        return []
    dates = [day for year in wanted for day in schedule[year]]
    present = (
        set(
            day_model.objects.using(using)
            .filter(date__gte=min(dates), date__lte=max(dates))
            .values_list("date", flat=True)
        )
        if dates
        else set()
    )
    day_model.objects.using(using).bulk_create(
        [
            day_model(date=day, kind=kind, name=name, source=PACKAGE)
            for year in wanted
            for day, (kind, name) in schedule[year].items()
            if day not in present
        ],
        batch_size=500,
    )
    for year in wanted:
        if year in known:
            row = known[year]
            row.covered, row.source, row.basis = True, PACKAGE, basis
            row.save(using=using)
        else:
            year_model.objects.using(using).create(
                year=year, covered=True, source=PACKAGE, basis=basis
            )
    return wanted
