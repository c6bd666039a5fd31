"""Template filters for sanpi pages: money, rates and capabilities.

{% load sanpi_tags %}
{{ project.total_investment_wan|wan }}   → 12,345.60
{{ batch.investment_wan|yi }}            → 1.23        (亿元, half-up, SANPI_YI_DECIMALS places)
{{ totals.total|num }}                   → 12,345      (a count)
{{ rates.start_rate|rate }}              → 93.8%（15/16）
{{ rates.target_rate|fraction }}         → 2,089,821.21万元/2,566,620.69万元
{% if user|can:"change_ledger" %} … {% endif %}
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

from sanpi.core.amounts import yi as yi_amount
from sanpi.core.money import wan_text
from sanpi.core.rates import Rate

register = template.Library()


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


@register.filter
def wan(value) -> str:
    """An amount in 万元: two decimals with thousands separators; "" for none."""
    amount = _decimal(value)
    return "" if amount is None else wan_text(amount)


@register.filter
def yi(value) -> str:
    """An amount in 万元 shown in 亿元: half-up to the places the city writes
    (SANPI_YI_DECIMALS, 1 or 2), with separators."""
    amount = _decimal(value)
    return "" if amount is None else yi_amount(amount, grouped=True)


@register.filter
def num(value) -> str:
    """A count with thousands separators (``12,345``); anything else as it is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def _fraction(value: Rate) -> str:
    """An amount's fraction is long (``2,089,821.21万元/2,566,620.69万元``): on a narrow
    screen it may break before the bracket and after the slash, never inside an amount
    or its unit."""
    if not value.unit:
        return value.fraction_text()
    numerator, denominator = value.fraction_parts()
    return format_html(
        '<span class="text-nowrap">{}</span>/<wbr><span class="text-nowrap">{}</span>',
        numerator,
        denominator,
    )


@register.filter
def rate(value) -> str:
    """A Rate as users read it: ``93.8%（15/16）`` (``—（0/0）`` without a denominator),
    ``81.4%（2,089,821.21万元/2,566,620.69万元）``."""
    if not isinstance(value, Rate):
        return ""
    if not value.unit:
        return str(value)
    return format_html("{}<wbr>（{}）", value.pct_text(), _fraction(value))


@register.filter
def fraction(value) -> str:
    """Only the fraction of a Rate: ``15/16``, ``1,100.00万元/4,000.00万元``."""
    return _fraction(value) if isinstance(value, Rate) else ""


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


@register.simple_tag(takes_context=True)
def page_query(context, page, number) -> str:
    """The current address's query with ``page``'s own parameter set to ``number``."""
    query = context["request"].GET.copy()
    query[getattr(page, "param", "page")] = number
    return "?" + query.urlencode()
