"""Template filters of the ranking pages.

{% load targets_tags %}
{{ item.actual|figure:item.unit }}   → 12,345.60 (万元) or 12 (a count); "—" for none
{{ item.completion|percent }}        → 83.33%; "—" for none
{{ item.points|points }}             → 25.00

(A mapping's ``|get_item`` is core's: ``{% load sanpi_tags %}``.)
"""

from __future__ import annotations

from django import template

from sanpi.core.templatetags.sanpi_tags import num, wan
from sanpi.targets import rules

register = template.Library()


@register.filter
def figure(value, unit: str = "") -> str:
    if value is None or value == "":
        return "—"
    return wan(value) if unit == "万元" else num(value)


@register.filter
def percent(value) -> str:
    return rules.percent_text(value)


@register.filter
def points(value) -> str:
    return "—" if value is None else f"{rules.round_points(value)}"
