"""The official working-day calendar as the application uses it.

`official_calendar()` is the one way code gets the calendar (a `WorkCalendar`, see
core.workdays). Domain apps that hold deadlines register a *deadline source* so a
calendar edit can say which open deadlines it would move before it is saved; core
itself knows nothing about what the deadlines are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from .workdays import WorkCalendar, package_calendar


@dataclass(frozen=True)
class MovedDeadline:
    """An open deadline that a calendar change would move."""

    label: str  # e.g. "某项目 · 施工许可"
    url: str
    before: dt.date
    after: dt.date


# (old calendar, new calendar) → the open deadlines whose date differs between them
DeadlineSource = Callable[[WorkCalendar, WorkCalendar], list[MovedDeadline]]
_deadline_sources: list[DeadlineSource] = []


def register_deadline_source(source: DeadlineSource) -> None:
    if source not in _deadline_sources:
        _deadline_sources.append(source)


def moved_deadlines(old: WorkCalendar, new: WorkCalendar) -> list[MovedDeadline]:
    moved: list[MovedDeadline] = []
    for source in _deadline_sources:
        moved.extend(source(old, new))
    return moved


def official_calendar() -> WorkCalendar:
    """The calendar in force. (Until the calendar is kept in the database: the package's.)"""
    return package_calendar()
