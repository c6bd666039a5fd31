"""Amounts as this installation writes them: 亿元 to the places the city uses.

`core.money` is the pure arithmetic; this module adds the one setting that decides how
many places a bulletin gives 亿元 (`SANPI_YI_DECIMALS`: 1 or 2, default 2), read at call
time so a changed setting (or a test's override) applies at once. Bulletin sentences and
the ``|yi`` template filter both go through `yi`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from .money import yi_text


def yi_places() -> int:
    return settings.SANPI_YI_DECIMALS


def yi(amount: Decimal, *, grouped: bool = False) -> str:
    """``1242500.00`` 万元 → ``124.25`` (2 places) or ``124.3`` (1 place), half-up."""
    return yi_text(amount, yi_places(), grouped=grouped)
