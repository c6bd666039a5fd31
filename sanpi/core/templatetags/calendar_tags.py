"""Template helpers for working-day answers and the calendar warning.

{% load calendar_tags %}
{{ answer|workday }}            → 2021-10-08, or
                                  2027-03-16（2027年节假日安排未录入，按周末推算）
{{ answer|provisional_note }}   → （2027年节假日安排未录入，按周末推算） or ""
{% calendar_warning %}          → the missing-schedule warning, for those who keep the calendar
"""

from __future__ import annotations

import datetime as dt

from django import template

from sanpi.core.calendar import coverage_warnings
from sanpi.core.workdays import WorkdayAnswer

register = template.Library()


@register.filter
def provisional_note(answer) -> str:
    """The note of a provisional answer in full-width brackets; "" otherwise."""
    if isinstance(answer, WorkdayAnswer) and answer.provisional:
        return f"（{answer.note()}）"
    return ""


@register.filter
def workday(answer) -> str:
    """A WorkdayAnswer as people read it: its date (ISO) or count, with the note if provisional."""
    if not isinstance(answer, WorkdayAnswer):
        return "" if answer is None else str(answer)
    value = answer.value
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return text + provisional_note(answer)


@register.inclusion_tag("includes/calendar_warning.html", takes_context=True)
def calendar_warning(context) -> dict:
    return {
        "calendar_warnings": coverage_warnings(context.get("user")),
        "request": context.get("request"),
    }
