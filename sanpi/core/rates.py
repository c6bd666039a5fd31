"""Rates with their numerator and denominator. Pure: no Django imports.

Every rate in sanpi is a `Rate`; its percentage is rounded half-up to one decimal
and it always prints with the fraction it came from, as people read numbers (thousands
separators, the unit on each side when it has one): ``93.8%（15/16）``,
``81.4%（2,089,821.21万元/2,566,620.69万元）``. `as_json()` keeps the raw numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ONE_DECIMAL = Decimal("0.1")


@dataclass(frozen=True)
class Rate:
    num: Decimal | int
    den: Decimal | int
    unit: str = ""  # of the numerator and denominator, e.g. "万元"; counts have none

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

    def fraction_parts(self) -> tuple[str, str]:
        """Numerator and denominator as people read them: grouped digits, exact places, unit."""
        return f"{_grouped(self.num)}{self.unit}", f"{_grouped(self.den)}{self.unit}"

    def fraction_text(self) -> str:
        """``15/16``, ``2,089,821.21万元/2,566,620.69万元``."""
        return "/".join(self.fraction_parts())

    def __str__(self) -> str:
        return f"{self.pct_text()}（{self.fraction_text()}）"

    def as_json(self, *, as_strings: bool = False) -> dict:
        pct = self.pct
        if as_strings:
            return {"num": _plain(self.num), "den": _plain(self.den), "pct": _str(pct)}
        return {"num": self.num, "den": self.den, "pct": _str(pct)}


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _grouped(value: Decimal | int) -> str:
    """A number for people: thousands separators, the places it has (no rounding)."""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,f}"


def _plain(value: Decimal | int) -> str:
    """A number without exponent: counts as integers, amounts as given (exact 万元 with cents)."""
    if isinstance(value, int):
        return str(value)
    return f"{value:f}"
