"""Exact money. Pure: no Django imports.

Amounts are stored as Decimal 万元 with two decimals (cents of 万元 = 100 元).
Bulletins speak 亿元, rounded half-up, to the places the city writes (one or two:
settings.SANPI_YI_DECIMALS, read by the callers; this module imports no Django).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

WAN_PLACES = Decimal("0.01")
YI_DECIMALS = (1, 2)  # the places 亿元 may be written to
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


def wan_to_yi(amount: Decimal, places: int = 2) -> Decimal:
    """万元 as 亿元 to `places` decimals (1 or 2), rounded half-up, exactly:
    1,242,950.00万元 → 124.30 (2) or 124.3 (1); 1,242,500.00万元 → 124.3 (1, half-up)."""
    if places not in YI_DECIMALS:
        raise ValueError(f"亿元只保留一位或两位小数，不是{places}位")
    return (Decimal(amount) / WAN_PER_YI).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )


def yi_text(amount: Decimal, places: int = 2, *, grouped: bool = False) -> str:
    """An amount in 万元 written in 亿元 as the city writes it: ``124.3`` or ``124.30``;
    ``grouped`` adds thousands separators for tables (``1,234.57``)."""
    yi = wan_to_yi(amount, places)
    return f"{yi:,f}" if grouped else f"{yi:f}"


def wan_text(amount: Decimal | None) -> str:
    """万元 for tables: two decimals, thousands separators."""
    if amount is None:
        return ""
    return f"{amount:,.2f}"
