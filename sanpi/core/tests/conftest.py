"""Fixtures for core's tests: the working-day calendar's deadline sources and today."""

from __future__ import annotations

import datetime as dt

import pytest

from sanpi.core import calendar
from sanpi.core.tests.calendar_helpers import FakeDeadlines


@pytest.fixture
def deadline_sources(monkeypatch):
    """Only the sources a test registers (none of the installed apps')."""
    monkeypatch.setattr(calendar, "_deadline_sources", [])

    def register(items: list[tuple[str, dt.date, int]]) -> FakeDeadlines:
        source = FakeDeadlines(items)
        calendar.register_deadline_source(source)
        return source

    return register


@pytest.fixture
def on_day(monkeypatch):
    """Pretend today is the given date (for the November warning)."""

    def _set(day: dt.date) -> None:
        monkeypatch.setattr(calendar, "today", lambda: day)

    return _set
