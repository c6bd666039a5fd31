from decimal import Decimal

from sanpi.core.rates import Rate


def test_rate_rounds_half_up_and_shows_its_fraction():
    assert Rate(15, 16).pct == Decimal("93.8")
    assert str(Rate(15, 16)) == "93.8%（15/16）"
    assert Rate(2, 3).pct == Decimal("66.7")
    # 0.5 at the rounding place goes up, not to even
    assert Rate(1, 8).pct == Decimal("12.5")
    assert Rate(1, 16).pct == Decimal("6.3")


def test_rate_with_zero_denominator_has_no_percentage():
    assert Rate(0, 0).pct is None
    assert str(Rate(0, 0)) == "—（0/0）"


def test_value_rate_keeps_decimal_fraction():
    rate = Rate(Decimal("97400.00"), Decimal("100000.00"))  # exact 万元 with cents
    assert rate.pct == Decimal("97.4")
    assert rate.as_json(as_strings=True) == {"num": "97400.00", "den": "100000.00", "pct": "97.4"}
