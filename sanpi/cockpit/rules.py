"""The early warning (开工预警): which signed projects are least likely to start this year,
and why. Pure: no Django imports.

The rules are data (`START_RISK_RULES`, whose points the city office can change:
`with_points`), shown on the screen beside the list: each gives points when a project
shows a sign, and the score is their sum, so anyone can recompute a project's place by
hand. A project with more points is more at risk; ties go to the larger
investment (the list is for leaders deciding where to look first).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class RiskRule:
    key: str
    label: str  # the sign, as the screen states it
    points: int
    at_least: Decimal  # the sign holds when the measure is at least this


# The signs and their points. Measures: months since signing; open approval items and
# those past their limit; open problems and those out of time; 1 when no investment was
# ever reported; the county's 开工率 shortfall below 50% and below 30% (percentage points).
START_RISK_RULES: tuple[RiskRule, ...] = (
    RiskRule("months_6", "签约已满6个月仍未开工", 20, Decimal(6)),
    RiskRule("months_12", "签约已满12个月仍未开工", 20, Decimal(12)),
    RiskRule("approvals_open", "有尚未办结的审批事项", 10, Decimal(1)),
    RiskRule("approvals_overdue", "有超过时限的审批事项", 15, Decimal(1)),
    RiskRule("problems_open", "有尚未解决的问题", 10, Decimal(1)),
    RiskRule("problems_overdue", "有超时未解决的问题", 15, Decimal(1)),
    RiskRule("no_investment", "从未报送完成投资", 15, Decimal(1)),
    RiskRule("county_low", "所在县(市、区)开工率低于50%", 10, Decimal(1)),
    RiskRule("county_very_low", "所在县(市、区)开工率低于30%", 10, Decimal(1)),
)
MEASURE_OF = {
    "months_6": "months",
    "months_12": "months",
    "approvals_open": "approvals_open",
    "approvals_overdue": "approvals_overdue",
    "problems_open": "problems_open",
    "problems_overdue": "problems_overdue",
    "no_investment": "no_investment",
    "county_low": "county_below_50",
    "county_very_low": "county_below_30",
}


MAX_POINTS = 100


def points_errors(points: dict) -> dict[str, str]:
    """What is wrong with the points the city office entered, by rule key (in Chinese)."""
    labels = {r.key: r.label for r in START_RISK_RULES}
    errors = {}
    for key, value in points.items():
        if key not in labels:
            errors[key] = f"没有“{str(key)[:30]}”这条预警规则"
        elif isinstance(value, bool) or not isinstance(value, int):
            errors[key] = f"“{labels[key]}”的分值须为整数"
        elif not 0 <= value <= MAX_POINTS:
            errors[key] = f"“{labels[key]}”的分值须在0至{MAX_POINTS}之间，实为{value}"
    return errors


def with_points(points: dict[str, int]) -> tuple[RiskRule, ...]:
    """The rules with the city office's points where it set them (0 turns a rule off)."""
    return tuple(
        RiskRule(r.key, r.label, points.get(r.key, r.points), r.at_least) for r in START_RISK_RULES
    )


@dataclass
class Signs:
    """What is known of one signed, not yet started project."""

    months: int = 0  # whole months since signing
    approvals_open: int = 0
    approvals_overdue: int = 0
    problems_open: int = 0
    problems_overdue: int = 0
    no_investment: int = 0  # 1: no accepted report with investment
    county_below_50: int = 0  # 1: the county's 开工率 is below 50%
    county_below_30: int = 0


@dataclass
class Risk:
    score: int
    reasons: list[str] = field(default_factory=list)


def months_between(earlier_year: int, earlier_month: int, earlier_day: int, today) -> int:
    """Whole months from a day to `today` (a date): 2026-01-31 → 2026-02-28 is 0."""
    months = (today.year - earlier_year) * 12 + (today.month - earlier_month)
    if today.day < earlier_day:
        months -= 1
    return max(months, 0)


def start_risk(signs: Signs, rules: tuple[RiskRule, ...] = START_RISK_RULES) -> Risk:
    """The score and the reasons, each reason with its points and the fact behind it."""
    risk = Risk(0)
    for rule in rules:
        if rule.points <= 0:
            continue  # turned off
        value = Decimal(getattr(signs, MEASURE_OF[rule.key]))
        if value >= rule.at_least:
            risk.score += rule.points
            risk.reasons.append(f"{rule.label}（{_fact(rule.key, signs)}，+{rule.points}分）")
    return risk


def _fact(key: str, s: Signs) -> str:
    return {
        "months_6": f"已{s.months}个月",
        "months_12": f"已{s.months}个月",
        "approvals_open": f"{s.approvals_open}项",
        "approvals_overdue": f"{s.approvals_overdue}项",
        "problems_open": f"{s.problems_open}个",
        "problems_overdue": f"{s.problems_overdue}个",
        "no_investment": "无已审核的月报投资",
        "county_low": "低于50%",
        "county_very_low": "低于30%",
    }[key]
