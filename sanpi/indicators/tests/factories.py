"""Test data for the main indicators: the seeded 34 (put back if a transactional test
emptied the tables) and values written directly (not through the services)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from sanpi.indicators import seed
from sanpi.indicators.models import Indicator, IndicatorValue


def seeded() -> dict[int, Indicator]:
    """The 34 indicators by 序号, as the migration seeds them."""
    if Indicator.objects.count() != len(seed.INDICATORS):
        seed.load(Indicator)
    return {ind.order: ind for ind in Indicator.objects.all()}


def indicator(order: int) -> Indicator:
    return seeded()[order]


def value(ind: Indicator, year: int, actual: str, *, note: str = "", by=None) -> IndicatorValue:
    return IndicatorValue.objects.create(
        indicator=ind,
        year=year,
        actual=Decimal(actual),
        note=note,
        entered_by=by,
        entered_at=timezone.now(),
    )
