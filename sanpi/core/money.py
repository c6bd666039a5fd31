"""Exact money. Pure: no Django imports.

Amounts are stored as Decimal 万元 with two decimals (cents of 万元 = 100 元).
Bulletins speak 亿元 with two decimals, rounded half-up.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

WAN_PLACES = Decimal("0.01")
YI_PLACES = Decimal("0.01")
WAN_PER_YI = Decimal(10000)


class AmountError(ValueError):
    """A cell or field that is not an exact, non-negative amount."""


def parse_wan(value: object, *, allow_negative: bool = False) -> Decimal | None:
    """Parse an amount in 万元 with at most two decimals; None for empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise AmountError("不是数字")
    if isinstance(value, float):
        # Spreadsheets hand numbers over as binary floats; repr() gives the shortest
        # decimal that round-trips, which is what the user typed.
        text = repr(value)
    else:
        text = str(value).strip().replace(",", "").replace("，", "")
    if text == "":
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise AmountError(f"“{value}”不是数字") from None
    if not amount.is_finite():
        raise AmountError(f"“{value}”不是数字")
    if amount != amount.quantize(WAN_PLACES):
        raise AmountError("最多保留两位小数")
    if amount < 0 and not allow_negative:
        raise AmountError("不能为负数")
    return amount.quantize(WAN_PLACES)


def exact_wan(amount: Decimal | int | None) -> Decimal:
    """A sum from the database as exact 万元 with two decimals (None → 0.00)."""
    return Decimal(amount or 0).quantize(WAN_PLACES)


def wan_to_yi(amount: Decimal) -> Decimal:
    return (amount / WAN_PER_YI).quantize(YI_PLACES, rounding=ROUND_HALF_UP)


def wan_text(amount: Decimal | None) -> str:
    """万元 for tables: two decimals, thousands separators."""
    if amount is None:
        return ""
    return f"{amount:,.2f}"
