"""The health rules as plain functions: each at its boundary, no database."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from sanpi.health import rules
from sanpi.health.rules import Facts, Rule, Thresholds, evaluate

D = dt.date
TH = Thresholds()
TODAY = D(2026, 6, 20)


def started(**over) -> Facts:
    """Started on 1 January 2026, counted through May, investing every month."""
    values = {
        "stage": "started",
        "signed_date": D(2025, 12, 1),
        "started_date": D(2026, 1, 1),
        "through": (2026, 5),
        "last_invested": (2026, 5),
        "cumulative_wan": Decimal("1000"),
        "total_investment_wan": Decimal("10000"),
    }
    return Facts(**{**values, **over})


def test_health_values_are_the_projects():
    from sanpi.projects.models import Health

    assert {rules.NORMAL, rules.LAGGING, rules.STALLED, rules.ZOMBIE, rules.WITHDRAWN} == set(
        Health.values
    )
    assert (TH.signed_days, TH.stall_months, TH.behind_percent, TH.long_stall_months) == (
        180,
        3,
        20,
        12,
    )


# --- 签约未开工 ------------------------------------------------------------------------------


def test_signed_180_days_is_normal_181_is_lagging():
    signed = lambda days: Facts(stage="signed", signed_date=TODAY - dt.timedelta(days=days))  # noqa: E731
    assert evaluate(signed(180), TH, TODAY) == rules.Verdict("normal", "", rules.NO_RULE)
    verdict = evaluate(signed(181), TH, TODAY)
    assert (verdict.health, verdict.rule) == ("lagging", Rule.SIGNED_IDLE)
    assert verdict.reason == "2025-12-21签约，超过180天（2026-06-19）仍未开工"
    assert verdict.evidence() == "【签约未开工】" + verdict.reason
    # Tuned: 200 days.
    assert evaluate(signed(181), Thresholds(signed_days=200), TODAY).health == "normal"


def test_a_started_project_is_not_judged_by_its_signing():
    facts = started(signed_date=D(2020, 1, 1))
    assert evaluate(facts, TH, TODAY).health == "normal"


@pytest.mark.parametrize("stage", ["reserve", "produced", "reached"])
def test_other_stages_are_normal(stage):
    facts = started(stage=stage, last_invested=None, cumulative_wan=Decimal("0"))
    assert evaluate(facts, TH, TODAY) == rules.Verdict("normal", "", rules.NO_RULE)


# --- 连续无投资 / 长期停滞 ----------------------------------------------------------------


def test_three_months_without_investment_is_stalled_two_are_not():
    # Invested in February: March, April, May without → stalled.
    verdict = evaluate(started(last_invested=(2026, 2)), TH, TODAY)
    assert (verdict.health, verdict.rule) == ("stalled", Rule.NO_INVESTMENT)
    assert verdict.reason == "自2026年3月起连续3个月未报完成投资（满3个月判为停滞）"
    # Invested in March: April and May only.
    assert evaluate(started(last_invested=(2026, 3)), TH, TODAY).health == "normal"
    # Never invested since January (counted from the start): 5 months.
    verdict = evaluate(started(last_invested=None), TH, TODAY)
    assert verdict.reason.startswith("自2026年1月起连续5个月")


def test_the_start_month_counts_only_from_its_first_day():
    # Started 2 March: counted from April; April and May without → not yet.
    facts = started(started_date=D(2026, 3, 2), last_invested=None)
    assert rules.idle_months(facts, None) == (2, rules.month_index(2026, 4))
    assert evaluate(facts, TH, TODAY).health == "normal"
    facts = started(started_date=D(2026, 3, 1), last_invested=None)
    assert evaluate(facts, TH, TODAY).health == "stalled"


def test_months_before_counting_began_are_not_no_investment():
    facts = started(started_date=D(2025, 1, 1), last_invested=None)
    assert evaluate(facts, TH, TODAY).health == "zombie"  # 17 months since January 2025
    since_april = Thresholds(counting_from=D(2026, 4, 1))
    assert evaluate(facts, since_april, TODAY).health == "normal"  # April, May: 2 months
    assert evaluate(facts, Thresholds(counting_from=D(2026, 3, 1)), TODAY).health == "stalled"


def test_stalled_for_twelve_more_months_is_long_stalled():
    # Through May 2026: 14 months without investment (since April 2025) → stalled;
    # 15 (since March 2025): 3 to stall, then 12 more → 长期停滞（僵尸）.
    early = {"started_date": D(2024, 1, 1)}
    assert evaluate(started(last_invested=(2025, 3), **early), TH, TODAY).health == "stalled"
    verdict = evaluate(started(last_invested=(2025, 2), **early), TH, TODAY)
    assert (verdict.health, verdict.rule) == ("zombie", Rule.LONG_STALL)
    assert verdict.reason == "自2025年3月起连续15个月未报完成投资，停滞已满12个月"
    tuned = Thresholds(long_stall_months=6)
    assert evaluate(started(last_invested=(2025, 8), **early), tuned, TODAY).health == "zombie"
    assert evaluate(started(last_invested=(2025, 9), **early), tuned, TODAY).health == "stalled"


# --- 投资落后进度 ---------------------------------------------------------------------------


def line(actual: str) -> Facts:
    # Started 1 January, to complete 28 October (300 days); through May (31 May: day 150):
    # half the line, 5,000 of 10,000 万元. 20% behind it is 4,000.
    return started(planned_completion_date=D(2026, 10, 28), cumulative_wan=Decimal(actual))


def test_exactly_twenty_percent_behind_the_line_is_not_lagging_more_is():
    assert evaluate(line("4000.00"), TH, TODAY).health == "normal"
    verdict = evaluate(line("3999.99"), TH, TODAY)
    assert (verdict.health, verdict.rule) == ("lagging", Rule.BEHIND_LINE)
    assert verdict.reason == (
        "截至2026-05-31累计完成投资3,999.99万元，按开工至计划竣工（2026-10-28）的直线进度"
        "应完成5,000.00万元，落后20.0%（超过20%）"
    )
    assert evaluate(line("3999.99"), Thresholds(behind_percent=25), TODAY).health == "normal"


def test_the_line_rule_needs_a_planned_date_and_a_total():
    assert evaluate(line("0.01"), TH, TODAY).health == "lagging"
    assert evaluate(started(cumulative_wan=Decimal("0.01")), TH, TODAY).health == "normal"
    no_total = dataclasses.replace(line("0.01"), total_investment_wan=None)
    assert evaluate(no_total, TH, TODAY).health == "normal"


def test_past_the_planned_date_the_whole_total_is_expected():
    facts = started(planned_completion_date=D(2026, 3, 31), cumulative_wan=Decimal("8000"))
    assert evaluate(facts, TH, TODAY).health == "normal"  # 8,000 of 10,000: exactly 20%
    facts = started(planned_completion_date=D(2026, 3, 31), cumulative_wan=Decimal("7999"))
    assert "应完成10,000.00万元" in evaluate(facts, TH, TODAY).reason


def test_not_judged_by_the_line_when_started_before_counting_began():
    facts = started(
        started_date=D(2025, 6, 1),
        planned_completion_date=D(2026, 12, 31),
        cumulative_wan=Decimal("1"),
    )
    assert evaluate(facts, TH, TODAY).health == "lagging"
    assert evaluate(facts, Thresholds(counting_from=D(2026, 1, 1)), TODAY).health == "normal"


def test_the_most_severe_rule_wins():
    facts = started(last_invested=(2026, 1), planned_completion_date=D(2026, 6, 1))
    verdict = evaluate(facts, TH, TODAY)
    assert (verdict.health, verdict.rule) == ("stalled", Rule.NO_INVESTMENT)


# --- months counted ---------------------------------------------------------------------------


def test_months_counted_wait_for_the_deadline():
    deadline = D(2026, 6, 5)
    assert rules.due_month(D(2026, 6, 5), deadline) == (2026, 4)  # the deadline day itself
    assert rules.due_month(D(2026, 6, 6), deadline) == (2026, 5)
    assert rules.counted_through(D(2026, 6, 3), deadline, previous_reported=True) == (2026, 5)
    assert rules.counted_through(D(2026, 6, 3), deadline, previous_reported=False) == (2026, 4)
    assert rules.due_month(D(2026, 1, 3), D(2026, 1, 8)) == (2025, 11)
    assert rules.previous_month(D(2026, 1, 3)) == (2025, 12)
    assert rules.month_end(2024, 2) == D(2024, 2, 29)


# --- fingerprint, thresholds ------------------------------------------------------------------


def test_the_fingerprint_changes_with_the_facts_not_with_time():
    base = {
        "stage": "started",
        "signed_date": D(2025, 12, 1),
        "started_date": D(2026, 1, 1),
        "planned_completion_date": None,
        "total_investment_wan": Decimal("10000"),
        "reports": 2,
        "reports_sum": Decimal("300"),
        "latest_report": rules.month_index(2026, 2),
        "last_reviewed": dt.datetime(2026, 3, 3, 9, 0, tzinfo=dt.UTC),
    }
    same = rules.fingerprint(**base)
    assert rules.fingerprint(**base) == same
    for key, value in (
        ("stage", "produced"),
        ("started_date", D(2026, 1, 2)),
        ("planned_completion_date", D(2027, 1, 1)),
        ("total_investment_wan", Decimal("10001")),
        ("reports", 3),
        ("reports_sum", Decimal("300.01")),
        ("latest_report", rules.month_index(2026, 3)),
        ("last_reviewed", dt.datetime(2026, 4, 3, tzinfo=dt.UTC)),
    ):
        assert rules.fingerprint(**{**base, key: value}) != same, key


def test_threshold_errors_in_chinese():
    good = {"signed_days": 180, "stall_months": 3, "behind_percent": 20, "long_stall_months": 12}
    assert rules.threshold_errors(good) == {}
    assert rules.threshold_errors({**good, "stall_months": 0}) == {
        "stall_months": "连续无投资月数应为1至24之间的整数，实为0"
    }
    assert rules.threshold_errors({**good, "behind_percent": None}) == {
        "behind_percent": "请填写投资落后比例（1至90的整数）"
    }
    assert rules.threshold_errors({**good, "counting_from": D(2026, 1, 15)}) == {
        "counting_from": "起算月份应为某月的1日"
    }


def test_the_rules_described():
    lines = Thresholds().describe()
    assert [name for name, _, _ in lines] == [
        "签约未开工",
        "连续无投资",
        "投资落后进度",
        "长期停滞",
    ]
    assert "连续15个月无投资" in lines[3][1]
