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


@register.filter
def formula_text(formula: str, scheme: engine.Scheme) -> str:
    """A formula with its keys in the names people use: 本年末贷款余额(万元) − …"""
    import re

    text = re.sub(r"[A-Za-z_][A-Za-z0-9_]*", lambda m: scheme.label(m.group(0)), formula)
    return text.replace("-", "−").replace("*", "×").replace("/", "÷")


@register.inclusion_tag("assessment/_class_badge.html")
def mujun_class(enterprise) -> dict:
    """The enterprise's published 亩均 class (the latest locked year), if any."""
    from sanpi.assessment.selectors import published_class

    found = published_class(enterprise.name) if enterprise is not None else None
    return {"year": found[0], "label": found[1]} if found else {}
