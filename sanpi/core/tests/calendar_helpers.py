"""Test helpers for the working-day calendar: a fake deadline source (fixtures in conftest.py)."""

from __future__ import annotations

import datetime as dt

from sanpi.core.calendar import MovedDeadline
from sanpi.core.workdays import WorkCalendar

D = dt.date


class FakeDeadlines:
    """Open items, each due `n` working days after its start: what an approvals app holds."""

    def __init__(self, items: list[tuple[str, dt.date, int]]) -> None:
        self.items = items
        self.calls = 0

    def __call__(self, old: WorkCalendar, new: WorkCalendar) -> list[MovedDeadline]:
        self.calls += 1
        moved = []
        for label, start, n in self.items:
            before, after = old.add(start, n).value, new.add(start, n).value
            if before != after:
                moved.append(
                    MovedDeadline(label=label, url="/projects/1/", before=before, after=after)
                )
        return moved
