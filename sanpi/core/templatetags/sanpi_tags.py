"""Template filters for sanpi pages: money, rates and capabilities.

{% load sanpi_tags %}
{{ project.total_investment_wan|wan }}   → 12,345.60
{{ batch.investment_wan|yi }}            → 1.23        (亿元, half-up, 2 decimals)
{{ rates.start_rate|rate }}              → 93.8%（15/16）
{% if user|can:"change_ledger" %} … {% endif %}
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from sanpi.core.money import wan_text, wan_to_yi
from sanpi.core.rates import Rate

register = template.Library()


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def wan(value) -> str:
    """An amount in 万元: two decimals with thousands separators; "" for none."""
    amount = _decimal(value)
    return "" if amount is None else wan_text(amount)


@register.filter
def yi(value) -> str:
    """An amount in 万元 shown in 亿元: two decimals, half-up, with separators."""
    amount = _decimal(value)
    return "" if amount is None else f"{wan_to_yi(amount):,.2f}"


@register.filter
def rate(value) -> str:
    """A Rate as users read it: ``93.8%（15/16）`` (``—（0/0）`` without a denominator)."""
    return str(value) if isinstance(value, Rate) else ""


@register.filter
def pct(value) -> str:
    """Only the percentage of a Rate: ``93.8%`` or ``—``."""
    return value.pct_text() if isinstance(value, Rate) else ""


@register.filter
def can(user, cap: str) -> bool:
    """Whether the user's role has a capability (sanpi.accounts.roles.Cap value)."""
    checker = getattr(user, "can", None)
    return bool(checker and checker(cap))


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None
