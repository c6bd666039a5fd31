"""The ranking's arithmetic, as plain functions (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sanpi.targets import rules
from sanpi.targets.rules import DEFAULT_SCHEME, Scheme

D = Decimal


def test_completion_is_actual_over_target_and_none_without_a_target():
    assert rules.completion(D("600"), D("1000")) == D("0.6")
    assert rules.completion(3, 4) == D("0.75")
    assert rules.completion(5, None) is None
    assert rules.completion(5, 0) is None
    assert rules.completion(D("5.00"), D("0.00")) is None


def test_points_are_weight_times_completion_capped():
    assert rules.points(30, D("0.6"), D("1.2")) == D("18.0")
    assert rules.points(20, D("1.5"), D("1.2")) == D("24.0")  # capped at 1.2
    assert rules.points(20, D("1.2"), D("1.2")) == D("24.0")
    assert rules.points(10, D("0"), D("1.2")) == 0


def test_score_worked_by_hand():
    """Targets investment 1,000万元, signed 10, started 4, produced 5, reserve 10,000万元;
    actuals 600万元, 5, 6, 0, 8,000万元; default weights 30/20/20/20/10, cap 1.2.

    completions 0.6, 0.5, 1.5 (capped to 1.2), 0, 0.8
    points      30×0.6=18, 20×0.5=10, 20×1.2=24, 20×0=0, 10×0.8=8  → Σ 60
    score       60 ÷ (30+20+20+20+10) × 100 = 60.00
    """
    unit = rules.score_unit(
        code="141102",
        name="离石区",
        actuals={
            "investment": D("600.00"),
            "signed": 5,
            "signed_investment": D("1234.00"),
            "started": 6,
            "produced": 0,
            "reserve": D("8000.00"),
            "above_size": 2,
        },
        targets={
            "investment": D("1000.00"),
            "signed": 10,
            "signed_investment": D("5000.00"),
            "started": 4,
            "produced": 5,
            "reserve": D("10000.00"),
            "above_size": 3,
        },
        scheme=DEFAULT_SCHEME,
        month=6,
    )
    assert [(i.key, i.points) for i in unit.indicators] == [
        ("investment", D("18.0")),
        ("signed", D("10.0")),
        ("signed_investment", None),  # weight 0: shown, not scored
        ("started", D("24.0")),
        ("produced", D("0")),
        ("reserve", D("8.0")),
        ("above_size", None),
    ]
    assert unit.score == D("60.00")
    # Compared with the time progress 6/12 = 50%.
    assert [i.ahead for i in unit.indicators] == [True, True, False, True, False, True, True]
    assert unit.indicator("signed_investment").completion_text == "24.68%"


def test_missing_and_zero_targets_leave_the_indicator_out():
    """Investment has no target and signed a zero one: only started (weight 20, 0.5) and
    reserve (weight 10, 1.0) count: (20×0.5 + 10×1.0) ÷ (20+10) × 100 = 66.67 (half-up)."""
    unit = rules.score_unit(
        code="x",
        name="x",
        actuals={"investment": D("999"), "signed": 4, "started": 1, "reserve": D("50")},
        targets={"investment": None, "signed": 0, "started": 2, "reserve": D("50")},
        scheme=DEFAULT_SCHEME,
        month=3,
    )
    counted = {i.key: i.weight for i in unit.indicators if i.counted}
    assert counted == {"started": 20, "reserve": 10}
    assert unit.indicator("investment").completion is None
    assert unit.indicator("signed").completion is None
    assert unit.score == D("66.67")


def test_no_target_at_all_gives_no_score_and_no_rank():
    unit = rules.score_unit(
        code="x", name="x", actuals={}, targets={}, scheme=DEFAULT_SCHEME, month=1
    )
    assert unit.score is None
    assert rules.rank_units([unit])[0].rank is None


def test_the_cap_is_data():
    """completion 1.5 counts 1.2 with the default cap, 1.5 with a cap of 2: one
    indicator, weight 30: 120.00 and 150.00."""
    kw = {"code": "x", "name": "x", "actuals": {"investment": D("150")}, "month": 12}
    targets = {"investment": D("100")}
    assert rules.score_unit(targets=targets, scheme=DEFAULT_SCHEME, **kw).score == D("120.00")
    two = Scheme({"investment": 30}, D("2.00"))
    assert rules.score_unit(targets=targets, scheme=two, **kw).score == D("150.00")


def test_score_rounds_half_up_to_two_places():
    # 0.12345 ÷ 1 × 100 = 12.345 → 12.35 (banker's rounding would give 12.34)
    assert rules.score([(D("0.12345"), 1)]) == D("12.35")
    assert rules.score([(D("0.12344"), 1)]) == D("12.34")
    # 2/3 of 30 points and 20 of 20: (20 + 20) ÷ 50 × 100 = 80.00
    assert rules.score([(30 * (D(2) / D(3)), 30), (D(20), 20)]) == D("80.00")
    assert rules.score([]) is None


def test_equal_scores_share_a_rank_and_the_next_rank_skips():
    scores = [D("90.00"), D("80.00"), D("80.00"), D("70.00")]
    assert rules.rank_with_ties(scores) == [1, 2, 2, 4]
    assert rules.rank_with_ties([D("5"), None, D("5"), D("7")]) == [2, None, 2, 1]
    assert rules.rank_with_ties([D("1"), D("1"), D("1")]) == [1, 1, 1]
    assert rules.rank_with_ties([]) == []


def test_rank_units_orders_best_first_and_unscored_last():
    def unit(code, score):
        return rules.UnitScore(code=code, name=code, indicators=[], score=score)

    ranked = rules.rank_units(
        [unit("b", D("70")), unit("c", None), unit("a", D("80")), unit("d", D("70"))]
    )
    assert [(u.code, u.rank) for u in ranked] == [("a", 1), ("b", 2), ("d", 2), ("c", None)]


def test_first_place_and_the_last_three():
    def units(*scores):
        out = [
            rules.UnitScore(code=str(i), name=f"单位{i}", indicators=[], score=s)
            for i, s in enumerate(scores)
        ]
        return rules.rank_units(out)

    first, last = rules.first_and_last(units(D(90), D(80), D(70), D(60), D(50)))
    assert [u.name for u in first] == ["单位0"]
    assert [u.name for u in last] == ["单位2", "单位3", "单位4"]
    first, last = rules.first_and_last(units(D(90), D(90), D(80)))
    assert [u.name for u in first] == ["单位0", "单位1"] and [u.name for u in last] == ["单位2"]
    first, last = rules.first_and_last(units(D(90), None))
    assert [u.name for u in first] == ["单位0"] and last == []
    assert rules.first_and_last(units(None)) == ([], [])


def test_time_progress_and_percent_text():
    assert rules.time_progress(3) == D("0.25")
    assert rules.percent_text(rules.time_progress(1)) == "8.33%"
    assert rules.percent_text(rules.time_progress(12)) == "100.00%"
    assert rules.percent_text(None) == "—"
    assert rules.round_completion(D(2) / D(3)) == D("0.6667")


def test_reserve_below_five_times_the_planned_investment_is_flagged():
    assert rules.reserve_short(D("4999.99"), D("1000")) is True
    assert rules.reserve_short(D("5000.00"), D("1000")) is False
    assert rules.reserve_short(D("1"), None) is False
    assert rules.reserve_short(D("1"), D("0")) is False


TODAY = dt.date(2025, 5, 20)
GOOD = {"investment": 30, "signed": 20, "started": 20, "produced": 20, "reserve": 10}


@pytest.mark.parametrize(
    ("year", "month", "cap", "weights", "errors"),
    [
        (2025, 5, D("1.2"), GOOD, {}),
        (2026, 1, D("1.0"), GOOD, {}),
        (
            2025,
            4,
            D("1.2"),
            GOOD,
            {"month": "生效月份不能早于本月（2025年5月）：过去月份的排名保持当时的权重"},
        ),
        (
            2024,
            12,
            D("1.2"),
            GOOD,
            {"month": "生效月份不能早于本月（2025年5月）：过去月份的排名保持当时的权重"},
        ),
        (2027, 1, D("1.2"), GOOD, {"year": "生效年份不能晚于2026年"}),
        (2025, 13, D("1.2"), GOOD, {"month": "月份应为1至12"}),
        (2025, 6, D("0.9"), GOOD, {"cap": "封顶系数应在1.00至2.00之间"}),
        (2025, 6, D("2.01"), GOOD, {"cap": "封顶系数应在1.00至2.00之间"}),
        (2025, 6, D("1.2"), {"investment": 0}, {"": "至少一项指标的权重应大于0"}),
        (
            2025,
            6,
            D("1.2"),
            {"investment": 101},
            {"w_investment": "固定资产投资的权重应在0至100之间"},
        ),
        (
            2025,
            6,
            D("1.2"),
            {"investment": -1, "signed": 5},
            {"w_investment": "固定资产投资的权重应在0至100之间"},
        ),
        (2025, 6, D("1.2"), {"gdp": 5, "signed": 5}, {"": "不认识的指标：gdp"}),
    ],
)
def test_scheme_checks(year, month, cap, weights, errors):
    assert (
        rules.check_scheme(year=year, month=month, cap=cap, weights=weights, today=TODAY) == errors
    )


def test_ranking_month_checks():
    assert rules.check_ranking_month(2025, 5, TODAY) == ""
    assert rules.check_ranking_month(2025, 6, TODAY) == "2025年6月还没到，没有排名"
    assert rules.check_ranking_month(2025, 0, TODAY) == "月份应为1至12"
    assert rules.check_ranking_month(1999, 5, TODAY) == "年份应在2000至2025之间"
    assert rules.check_target_year(2026, TODAY) == ""
    assert rules.check_target_year(2027, TODAY) == "年度应在2000至2026之间"
