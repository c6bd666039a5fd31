"""Rates with their numerator and denominator. Pure: no Django imports.

Every rate in sanpi is a `Rate`; its percentage is rounded half-up to one decimal
and it always prints with the fraction it came from: ``93.8%（15/16）``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class Rate:
    num: Decimal | int
    den: Decimal | int

    @property
    def pct(self) -> Decimal | None:
        """The percentage, half-up to one decimal; None when the denominator is zero."""
        if not self.den:
            return None
        return (Decimal(self.num) * 100 / Decimal(self.den)).quantize(
            ONE_DECIMAL, rounding=ROUND_HALF_UP
        )

    def pct_text(self) -> str:
        pct = self.pct
        return "—" if pct is None else f"{pct}%"

    def __str__(self) -> str:
        return f"{self.pct_text()}（{_plain(self.num)}/{_plain(self.den)}）"

    def as_json(self, *, as_strings: bool = False) -> dict:
        pct = self.pct
        if as_strings:
            return {"num": _plain(self.num), "den": _plain(self.den), "pct": _str(pct)}
        return {"num": self.num, "den": self.den, "pct": _str(pct)}


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _plain(value: Decimal | int) -> str:
    """A number without exponent: counts as integers, amounts as given (exact 万元 with cents)."""
    if isinstance(value, int):
        return str(value)
    return f"{value:f}"
