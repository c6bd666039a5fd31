"""Template filters of the ranking pages.

{% load targets_tags %}
{{ item.actual|figure:item.unit }}   → 12,345.60 (万元) or 12 (a count); "—" for none
{{ item.completion|percent }}        → 83.33%; "—" for none
{{ item.points|points }}             → 25.00
"""

from __future__ import annotations

from decimal import Decimal

from django import template

from sanpi.core.money import wan_text
from sanpi.targets import rules

register = template.Library()


@register.filter
def figure(value, unit: str = "") -> str:
    if value is None or value == "":
        return "—"
    if unit == "万元":
        return wan_text(Decimal(value))
    return f"{value:,}" if isinstance(value, int) else str(value)


@register.filter
def percent(value) -> str:
    return rules.percent_text(value)


@register.filter
def points(value) -> str:
    return "—" if value is None else f"{rules.round_points(value)}"


@register.filter
def get_item(mapping, key):
    """``mapping[key]``, or None."""
    return mapping.get(key) if mapping else None
