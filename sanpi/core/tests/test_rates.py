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


def test_rate_prints_its_fraction_for_people_with_separators_and_unit():
    """达效率 once printed as （2089821.21/2566620.69）: now grouped, each side with its unit."""
    rate = Rate(Decimal("2089821.21"), Decimal("2566620.69"), unit="万元")
    assert str(rate) == "81.4%（2,089,821.21万元/2,566,620.69万元）"
    assert rate.fraction_text() == "2,089,821.21万元/2,566,620.69万元"
    assert str(Rate(12345, 23456)) == "52.6%（12,345/23,456）"
    assert str(Rate(Decimal("0.00"), Decimal("0.00"), unit="万元")) == "—（0.00万元/0.00万元）"
    # What machines read keeps the raw numbers and no unit.
    assert rate.as_json(as_strings=True) == {
        "num": "2089821.21",
        "den": "2566620.69",
        "pct": "81.4",
    }
    assert Rate(12345, 23456).as_json() == {"num": 12345, "den": 23456, "pct": "52.6"}
