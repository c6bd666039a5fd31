from __future__ import annotations

from decimal import Decimal

from django import template

from sanpi.assessment import engine

register = template.Library()


@register.filter
def scheme_label(key: str, scheme: engine.Scheme) -> str:
    return scheme.label(key)


@register.filter
def method_label(method: str) -> str:
    return engine.METHOD_LABELS[engine.Method(method)]


@register.filter
def decimal_text(value: Decimal) -> str:
    """A value as exact as it is, at most 4 decimals (a ratio: 0.2, 0.3125)."""
    q = value.quantize(Decimal("0.0001"))
    return engine.num_text(q) if q == value else f"{q}…"
