"""亿元 as the city writes them: one or two places (SANPI_YI_DECIMALS), half-up, exact."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from sanpi.core.amounts import yi
from sanpi.core.money import wan_to_yi, yi_text

D = Decimal


@pytest.mark.parametrize(
    ("wan", "places", "expected"),
    [
        # 1,242,500.00万元 = 124.25亿元 exactly: to one place half-up is 124.3 (not the
        # banker's 124.2).
        ("1242500.00", 2, "124.25"),
        ("1242500.00", 1, "124.3"),
        # 1,084,200.00万元 = 108.42亿元; to one place 108.4 (…2 rounds down).
        ("1084200.00", 2, "108.42"),
        ("1084200.00", 1, "108.4"),
        # 1,498,249.99万元 = 149.824999亿元 → 149.82; 1,498,250.00 → 149.825 → 149.83.
        ("1498249.99", 2, "149.82"),
        ("1498250.00", 2, "149.83"),
        # Zero still shows its places: the city writes 0.0亿元 / 0.00亿元.
        ("0", 1, "0.0"),
        ("0", 2, "0.00"),
        # One cent of 万元 (100元) is 0.000001亿元.
        ("0.01", 2, "0.00"),
        ("500.00", 1, "0.1"),  # 0.05亿元 half-up to one place
        ("499.99", 1, "0.0"),
    ],
)
def test_yi_rounds_half_up_to_the_places_asked(wan, places, expected):
    assert yi_text(D(wan), places) == expected
    assert wan_to_yi(D(wan), places) == D(expected)


def test_yi_is_exact_for_large_amounts_and_groups_only_when_asked():
    # 99,999,999,999,999.99万元 (the largest a 16-digit field holds): no float on the way.
    assert yi_text(D("99999999999999.99"), 2) == "10000000000.00"
    assert yi_text(D("12345678.90"), 2, grouped=True) == "1,234.57"
    assert yi_text(D("12345678.90"), 1, grouped=True) == "1,234.6"


def test_only_one_or_two_places():
    with pytest.raises(ValueError, match="一位或两位"):
        wan_to_yi(D("1"), 3)


def test_the_setting_decides_for_bulletins_and_the_yi_filter(settings):
    template = Template("{% load sanpi_tags %}{{ v|yi }}")
    settings.SANPI_YI_DECIMALS = 2
    assert yi(D("1242500.00")) == "124.25"
    assert template.render(Context({"v": D("12425000.00")})) == "1,242.50"
    settings.SANPI_YI_DECIMALS = 1
    assert yi(D("1242500.00")) == "124.3"
    assert template.render(Context({"v": D("12425000.00")})) == "1,242.5"
    # What is not an amount shows nothing, as before.
    for value in (None, "", "abc", "Infinity"):
        assert template.render(Context({"v": value})) == ""
