"""The early warning's score: the sum of the points of the signs a project shows, each
reason saying its fact and its points. Pure: no database."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields

from hypothesis import given
from hypothesis import strategies as st

from sanpi.cockpit import rules


def test_months_between_counts_whole_months():
    assert rules.months_between(2026, 1, 31, dt.date(2026, 2, 28)) == 0
    assert rules.months_between(2026, 1, 31, dt.date(2026, 3, 1)) == 1
    assert rules.months_between(2025, 6, 15, dt.date(2026, 6, 15)) == 12
    assert rules.months_between(2025, 6, 15, dt.date(2026, 6, 14)) == 11
    assert rules.months_between(2027, 1, 1, dt.date(2026, 6, 14)) == 0  # never negative


def test_a_project_signed_a_year_ago_with_nothing_reported():
    risk = rules.start_risk(rules.Signs(months=13, no_investment=1, approvals_open=2))
    assert risk.score == 20 + 20 + 15 + 10
    assert risk.reasons == [
        "签约已满6个月仍未开工（已13个月，+20分）",
        "签约已满12个月仍未开工（已13个月，+20分）",
        "有尚未办结的审批事项（2项，+10分）",
        "从未报送完成投资（无已审核的月报投资，+15分）",
    ]


def test_no_sign_no_points():
    assert rules.start_risk(rules.Signs(months=5)) == rules.Risk(0, [])


SIGNS = st.builds(
    rules.Signs,
    **{
        f.name: st.integers(0, 1) if f.name.startswith(("no_", "county_")) else st.integers(0, 40)
        for f in fields(rules.Signs)
    },
)


@given(SIGNS)
def test_the_score_is_the_sum_of_the_rules_that_hold(signs):
    risk = rules.start_risk(signs)
    held = [
        r for r in rules.START_RISK_RULES if getattr(signs, rules.MEASURE_OF[r.key]) >= r.at_least
    ]
    assert risk.score == sum(r.points for r in held)
    assert len(risk.reasons) == len(held)
    assert all(reason.startswith(r.label) for reason, r in zip(risk.reasons, held, strict=True))


@given(SIGNS, st.sampled_from([f.name for f in fields(rules.Signs)]))
def test_one_more_sign_never_lowers_the_score(signs, name):
    more = rules.Signs(**{**signs.__dict__, name: getattr(signs, name) + 1})
    assert rules.start_risk(more).score >= rules.start_risk(signs).score
