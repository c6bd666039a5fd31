"""Progress and the path, as plain functions: worked by hand, then as properties."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from sanpi.indicators import rules
from sanpi.indicators.rules import Direction, PathKind, Spec, Verdict

D = Decimal


def spec(baseline, target, rate=None, *, path=PathKind.LINEAR, direction=Direction.UP,
         unit="%", target_text=None, growth_text=None):  # fmt: skip
    def dec(v):
        return None if v is None else D(str(v))

    return Spec(
        name="测试指标",
        unit=unit,
        baseline=dec(baseline),
        target=dec(target),
        rate=dec(rate),
        direction=direction,
        path=path,
        baseline_text=rules.text(dec(baseline)),
        target_text=target_text or rules.text(dec(target)),
        growth_text=growth_text or rules.text(dec(rate)),
    )


GDP = spec("1538", "2238", "8", path=PathKind.COMPOUND, unit="亿元", growth_text=">8")
URBAN = spec("54.7", "60", "1.06", path=PathKind.POINTS)
FIRMS = spec("588", "1100", unit="户")
INDUSTRY_SHARE = spec("57.6", "55", direction=Direction.DOWN)
RD = spec("1.1", None, "15", path=PathKind.ANNUAL)
JOBLESS = spec(None, "5.5", path=PathKind.BOUND, direction=Direction.DOWN, target_text="<5.5")
GRAIN = spec("101", "100", path=PathKind.BOUND, unit="万吨")
ENERGY = spec("4.27", None, path=PathKind.NONE, target_text="完成省下达目标任务",
              growth_text="完成省下达目标任务")  # fmt: skip
CERTIFIED = spec(None, "25", target_text=">25")


# --- the path, by hand ------------------------------------------------------------------------


def test_compound_path_of_gdp_worked_by_hand():
    """1538 × 1.08 = 1661.04; × 1.08² = 1793.9232; × 1.08³ = 1937.437056 → 1937.4371
    (four places, half-up); × 1.08⁵ = 2259.8265821184 → 2259.8266."""
    assert rules.expected(GDP, 2021).value == D("1661.0400")
    assert rules.expected(GDP, 2022).value == D("1793.9232")
    assert rules.expected(GDP, 2023).value == D("1937.4371")
    assert rules.expected(GDP, 2025).value == D("2259.8266")
    assert rules.expected(GDP, 2027).value == D("2259.8266")  # after the plan: 2025's
    assert "规划期已过" in rules.expected(GDP, 2027).basis


def test_points_path_of_urbanisation_worked_by_hand():
    """54.7 + 3 × 1.06 = 57.88; + 5 × 1.06 = 60, the target."""
    assert rules.expected(URBAN, 2023).value == D("57.88")
    assert rules.expected(URBAN, 2025).value == D("60")
    assert "每年提高1.06个百分点" in rules.expected(URBAN, 2023).basis


def test_linear_paths_worked_by_hand():
    """规上工业企业 588 → 1100: 102.4 a year, 2022: 792.8. 工业增加值占比 57.6 → 55:
    −0.52 a year, 2023: 56.04."""
    assert rules.expected(FIRMS, 2022).value == D("792.8")
    assert rules.expected(INDUSTRY_SHARE, 2023).value == D("56.04")
    assert rules.expected(FIRMS, 2026).value == D("1100")


def test_verdicts_worked_by_hand():
    j = rules.judge(FIRMS, D("800"), 2022)
    assert (j.verdict, j.expected, j.year) == (Verdict.ON, D("792.8"), 2022)
    assert j.reason.startswith("2022年实际800户，高于应达值792.8户")
    assert rules.judge(FIRMS, D("790"), 2022).verdict is Verdict.BEHIND
    assert rules.judge(FIRMS, D("792.8"), 2022).verdict is Verdict.ON  # reaching it is on it
    # Lower is better: 56.0 is below 56.04, on the path; 56.1 is behind.
    assert rules.judge(INDUSTRY_SHARE, D("56.0"), 2023).verdict is Verdict.ON
    assert rules.judge(INDUSTRY_SHARE, D("56.1"), 2023).verdict is Verdict.BEHIND
    # GDP 2021: 1661.04 expected.
    assert rules.judge(GDP, D("1661.04"), 2021).verdict is Verdict.ON
    assert rules.judge(GDP, D("1661.03"), 2021).verdict is Verdict.BEHIND


def test_a_yearly_rate_is_compared_with_the_annual_rate():
    assert rules.judge(RD, D("16"), 2023).verdict is Verdict.ON
    behind = rules.judge(RD, D("14.9"), 2023)
    assert behind.verdict is Verdict.BEHIND and "年均增长目标15%" in behind.reason
    assert rules.judge(RD, D("-3"), 2022).verdict is Verdict.BEHIND
    assert rules.progress(RD, D("16")).rate is None


def test_bounds_hold_every_year_inclusive():
    """控制在5.5%以下: 5.5 is within; 粮食 ≥ 100万吨 (below the 2020 value is fine)."""
    assert rules.judge(JOBLESS, D("5.5"), 2021).verdict is Verdict.ON
    assert rules.judge(JOBLESS, D("5.6"), 2021).verdict is Verdict.BEHIND
    assert rules.judge(GRAIN, D("100"), 2024).verdict is Verdict.ON
    assert rules.judge(GRAIN, D("99.99"), 2024).verdict is Verdict.BEHIND
    assert "不低于100万吨" in rules.judge(GRAIN, D("100.5"), 2022).reason
    assert "每年须守住" in rules.progress(GRAIN, D("100")).reason


def test_words_are_no_target():
    j = rules.judge(ENERGY, D("3.5"), 2023)
    assert j.verdict is Verdict.UNKNOWN
    assert j.reason == "2025年目标为“完成省下达目标任务”，没有数值目标"
    p = rules.progress(ENERGY, D("3.5"))
    assert p.rate is None and "完成省下达目标任务" in p.reason and "不计算进度" in p.reason


def test_without_a_baseline_only_2025_is_compared_with_the_target():
    early = rules.judge(CERTIFIED, D("20"), 2023)
    assert early.verdict is Verdict.UNKNOWN and "2020年基数空缺" in early.reason
    assert rules.judge(CERTIFIED, D("26"), 2025).verdict is Verdict.ON
    assert rules.judge(CERTIFIED, D("24"), 2025).verdict is Verdict.BEHIND
    assert rules.progress(CERTIFIED, D("26")).reason == "2020年基数空缺，不计算进度"


def test_no_actual_is_undecidable():
    j = rules.judge(GDP, None, None)
    assert (j.verdict, j.label, j.reason) == (Verdict.UNKNOWN, "无法判断", "尚未录入实际值")
    # Where no value could ever be judged, the reason says why rather than "none yet".
    assert (
        rules.judge(ENERGY, None, None).reason == "2025年目标为“完成省下达目标任务”，没有数值目标"
    )
    assert rules.judge(CERTIFIED, None, None).reason == "尚未录入实际值"


# --- progress, by hand ------------------------------------------------------------------------


def test_progress_worked_by_hand():
    """GDP 1888亿元: (1888 − 1538)/(2238 − 1538) = 350/700 = 50.0%. 工业增加值占比 56.3%:
    (57.6 − 56.3)/(57.6 − 55) = 1.3/2.6 = 50.0%, in percentage points."""
    gdp = rules.progress(GDP, D("1888.0000")).rate
    assert (gdp.num, gdp.den, gdp.pct) == (D("350"), D("700"), D("50.0"))
    assert str(gdp) == "50.0%（350亿元/700亿元）"
    share = rules.progress(INDUSTRY_SHARE, D("56.3000")).rate
    assert str(share) == "50.0%（1.3个百分点/2.6个百分点）"
    # Going the wrong way is negative progress, beyond the target more than 100%.
    assert rules.progress(FIRMS, D("500")).rate.pct == D("-17.2")  # −88/512
    assert rules.progress(FIRMS, D("1200")).rate.pct == D("119.5")  # 612/512
    assert rules.progress(GDP, None).reason == "尚未录入实际值"


# --- values and years ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1661.04", D("1661.04")),
        (" 1,538 ", D("1538")),
        ("-2.5", D("-2.5")),
        ("-0", D("0")),
        ("0.6612", D("0.6612")),
        (1.1, D("1.1")),
        (12, D("12")),
        (D("3.14"), D("3.14")),
    ],
)
def test_values_as_typed(typed, value):
    assert rules.parse_value(typed) == value


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (None, "请填写实际值"),
        ("  ", "请填写实际值"),
        ("56.2%", "不是数字"),
        ("五十", "不是数字"),
        ("1e3", "不是数字"),
        ("NaN", "不是数字"),
        ("１２３", "不是数字"),
        ("12,5", "不是数字"),
        ("1.23456", "最多保留四位小数"),
        (True, "须为数字"),
        (float("inf"), "须为数字"),
        (1e300, "数值过大"),
        ("1" * 13, "数值过大"),
        ([], "须为数字"),
    ],
)
def test_values_refused(typed, message):
    with pytest.raises(ValueError, match=message):
        rules.parse_value(typed)


def test_years():
    today = dt.date(2026, 12, 1)
    assert rules.check_year(2021, today) is None and rules.check_year(2026, today) is None
    assert rules.check_year(2020, today) == "年份应在2021至2026之间"
    assert rules.check_year(2027, today) == "年份应在2021至2026之间"
    assert rules.default_year(today) == 2025
    assert rules.default_year(dt.date(2021, 3, 1)) == 2021


# --- properties ------------------------------------------------------------------------------------

values = st.decimals(
    min_value=D("-100000"), max_value=D("100000"), places=4, allow_nan=False, allow_infinity=False
)
years = st.integers(min_value=2021, max_value=2030)


def _half_up(x: Fraction) -> Decimal:
    """x to four places, half away from zero, computed with exact fractions."""
    scaled = abs(x) * 10000
    whole = math.floor(scaled + Fraction(1, 2))
    sign = -1 if x < 0 else 1
    return (D(sign * whole) / 10000).quantize(rules.PLACES)


@given(baseline=values, target=values, year=years)
def test_linear_path_runs_from_baseline_to_target(baseline, target, year):
    s = spec(baseline, target)
    value = rules.expected(s, year).value
    assert value == rules.quantize(
        D(str(_half_up(Fraction(baseline) + (Fraction(target) - Fraction(baseline))
                       * (min(year, 2025) - 2020) / 5)))
    )  # fmt: skip
    assert min(baseline, target) <= value <= max(baseline, target)
    if year >= 2025:
        assert value == target


@given(
    baseline=st.decimals(min_value=D("0"), max_value=D("1000000"), places=4),
    rate=st.decimals(min_value=D("-50"), max_value=D("50"), places=4),
    year=years,
)
def test_compound_path_is_exact(baseline, rate, year):
    """No float anywhere: the path equals the exact fraction, rounded half-up once."""
    s = spec(baseline, None, rate, path=PathKind.COMPOUND)
    exact = Fraction(baseline) * (1 + Fraction(rate) / 100) ** (min(year, 2025) - 2020)
    assert rules.expected(s, year).value == _half_up(exact)


@given(baseline=values, target=values, low=values, high=values)
def test_progress_is_the_share_of_the_way_and_monotone(baseline, target, low, high):
    assume(baseline != target)
    low, high = min(low, high), max(low, high)
    for direction in Direction:
        if (target > baseline) != (direction is Direction.UP):
            continue  # the seed's directions agree with their way (test_seed)
        s = spec(baseline, target, direction=direction)
        assert rules.progress(s, baseline).rate.pct == 0
        assert rules.progress(s, target).rate.pct == 100
        p_low = rules.progress(s, low).rate
        p_high = rules.progress(s, high).rate
        exact_low = Fraction(p_low.num) / Fraction(p_low.den)
        exact_high = Fraction(p_high.num) / Fraction(p_high.den)
        if direction is Direction.UP:
            assert exact_low <= exact_high
        else:
            assert exact_low >= exact_high
        assert exact_low == (Fraction(low) - Fraction(baseline)) / (
            Fraction(target) - Fraction(baseline)
        )


@given(baseline=values, target=values, actual=values, year=years)
def test_on_the_path_means_at_least_the_expected_value(baseline, target, actual, year):
    up = spec(baseline, target)
    expected = rules.expected(up, year).value
    verdict = rules.judge(up, actual, year).verdict
    assert verdict is (Verdict.ON if actual >= expected else Verdict.BEHIND)
    # The mirror image: the same question for an indicator that must fall.
    down = spec(-baseline, -target, direction=Direction.DOWN)
    assert rules.judge(down, -actual, year).verdict is verdict


@given(
    rate=st.decimals(min_value=D("-20"), max_value=D("40"), places=2),
    actual=values,
    year=years,
)
def test_a_yearly_rate_property(rate, actual, year):
    s = spec(None, None, rate, path=PathKind.ANNUAL)
    assert rules.judge(s, actual, year).verdict is (
        Verdict.ON if actual >= rate else Verdict.BEHIND
    )


@given(
    value=st.decimals(min_value=D("-999999999999.9999"), max_value=D("999999999999.9999"), places=4)
)
def test_values_round_trip(value):
    assert rules.parse_value(str(value)) == value
    assert rules.parse_value(f"{value:,f}") == value
    assert rules.parse_value(rules.text(value)) == value


@given(typed=st.text(max_size=30))
def test_a_refused_text_never_yields_a_number(typed):
    try:
        number = rules.parse_value(typed)
    except ValueError:
        return
    assert number == D(typed.strip().replace(",", ""))


def test_rules_and_seed_import_no_django():
    import subprocess
    import sys

    code = (
        "import sys, sanpi.indicators.rules, sanpi.indicators.seed; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
