"""The health rules (推进状态预警规则), as pure functions: from a project's stage, dates,
total investment, planned completion date and the summary of its accepted monthly
reports, which health it should have and which rule says so. No database, no Django.

The rules, with the thresholds an administrator tunes (`Thresholds`, defaults below):

* 签约未开工: signed more than ``signed_days`` (180) days ago and not started → 进度滞后;
* 连续无投资: started, and no investment reported (a month with no accepted report, or
  one reporting 0 or a correction below 0) for ``stall_months`` (3) consecutive full
  months → 停缓建 (停滞);
* 长期停滞: stalled so for a further ``long_stall_months`` (12) months, i.e. no
  investment for 3 + 12 = 15 consecutive months → 长期停滞（僵尸）;
* 投资落后进度: started, with a planned completion date: the accepted cumulative
  investment is more than ``behind_percent`` (20) % below the straight line from 0 at
  the start date to the total investment at the planned completion date, read at the
  end of the last month counted → 进度滞后.

The most severe verdict wins (长期停滞 > 停缓建 > 进度滞后). Withdrawn projects (清理退出)
are a person's decision: the rules never set nor leave that status.

Which months are counted: full calendar months after the start (the start month counts
when the project started on its 1st), not before ``counting_from`` when that is set (the
month the city began monthly reporting: earlier months are unknown, not "no
investment"), up to the last month whose report is due — the previous month once its
deadline has passed or once the project's report for it is accepted, else the month
before (`counted_through`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from sanpi.dispatch.rules import month_end

# projects.models.Health values (tested equal in tests/test_rules.py).
NORMAL = "normal"
LAGGING = "lagging"
STALLED = "stalled"
ZOMBIE = "zombie"
WITHDRAWN = "withdrawn"

# The stages the rules judge; a reserve, produced or reached project is normal for them.
SIGNED = "signed"
STARTED = "started"

SEVERITY = {NORMAL: 0, LAGGING: 1, STALLED: 2, ZOMBIE: 3}


class Rule(StrEnum):
    SIGNED_IDLE = "signed_idle"
    NO_INVESTMENT = "no_investment"
    LONG_STALL = "long_stall"
    BEHIND_LINE = "behind_line"
    OVERRIDE = "override"  # not a rule: a person's decision, shown the same way


RULE_LABELS = {
    Rule.SIGNED_IDLE: "签约未开工",
    Rule.NO_INVESTMENT: "连续无投资",
    Rule.LONG_STALL: "长期停滞",
    Rule.BEHIND_LINE: "投资落后进度",
    Rule.OVERRIDE: "人工认定",
}

NO_RULE = "未触发预警规则"


@dataclass(frozen=True)
class Thresholds:
    signed_days: int = 180
    stall_months: int = 3
    behind_percent: int = 20
    long_stall_months: int = 12
    counting_from: dt.date | None = None  # the first day of a month, or None

    def describe(self) -> list[tuple[str, str, str]]:
        """(rule, when it fires, the health it gives) as people read them."""
        return [
            (RULE_LABELS[Rule.SIGNED_IDLE], f"签约超过{self.signed_days}天仍未开工", "进度滞后"),
            (
                RULE_LABELS[Rule.NO_INVESTMENT],
                f"开工后连续{self.stall_months}个月未报完成投资（未报送、报0或负数均算）",
                "停缓建",
            ),
            (
                RULE_LABELS[Rule.BEHIND_LINE],
                f"累计完成投资比开工日至计划竣工日的直线进度落后超过{self.behind_percent}%",
                "进度滞后",
            ),
            (
                RULE_LABELS[Rule.LONG_STALL],
                f"停滞后又满{self.long_stall_months}个月仍无投资"
                f"（即连续{self.stall_months + self.long_stall_months}个月无投资）",
                "长期停滞（僵尸）",
            ),
        ]


@dataclass(frozen=True)
class Facts:
    """What the rules read of one project."""

    stage: str
    signed_date: dt.date | None = None
    started_date: dt.date | None = None
    planned_completion_date: dt.date | None = None
    total_investment_wan: Decimal | None = None
    # The last month counted (see counted_through), the last month up to it with a
    # positive accepted investment, and the accepted investment up to it.
    through: tuple[int, int] | None = None
    last_invested: tuple[int, int] | None = None
    cumulative_wan: Decimal = Decimal("0")


@dataclass(frozen=True)
class Verdict:
    health: str
    rule: str  # a Rule value, "" when none fired
    reason: str

    @property
    def rule_label(self) -> str:
        return RULE_LABELS[Rule(self.rule)] if self.rule else ""

    def evidence(self) -> str:
        """What a change says: the rule that fired and why (an override's reason already
        says it is a person's)."""
        if not self.rule or self.rule == Rule.OVERRIDE:
            return self.reason
        return f"【{self.rule_label}】{self.reason}"


# --- months ---------------------------------------------------------------------------------


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def from_index(index: int) -> tuple[int, int]:
    return index // 12, index % 12 + 1


def previous_month(day: dt.date) -> tuple[int, int]:
    return (day.year - 1, 12) if day.month == 1 else (day.year, day.month - 1)


def month_text(ym: tuple[int, int]) -> str:
    return f"{ym[0]}年{ym[1]}月"


def due_month(today: dt.date, previous_deadline: dt.date) -> tuple[int, int]:
    """The last month every project's report is due for: the previous month once its
    deadline has passed, else the month before."""
    prev = previous_month(today)
    if today > previous_deadline:
        return prev
    return from_index(month_index(*prev) - 1)


def counted_through(
    today: dt.date, previous_deadline: dt.date, *, previous_reported: bool
) -> tuple[int, int]:
    """The last month counted for one project: the previous month when its deadline has
    passed or the project's report for it is already accepted; else the month before
    (a report not yet due is not "no investment")."""
    if previous_reported:
        return previous_month(today)
    return due_month(today, previous_deadline)


def first_counted(started: dt.date, counting_from: dt.date | None) -> int:
    """The index of the first month counted for a project started on ``started``."""
    first = month_index(started.year, started.month) + (0 if started.day == 1 else 1)
    if counting_from is not None:
        first = max(first, month_index(counting_from.year, counting_from.month))
    return first


def idle_months(facts: Facts, counting_from: dt.date | None) -> tuple[int, int]:
    """How many counted months in a row, up to ``facts.through``, have no investment, and
    the index of the first of them."""
    if facts.started_date is None or facts.through is None:
        return 0, 0
    start = first_counted(facts.started_date, counting_from)
    if facts.last_invested is not None:
        start = max(start, month_index(*facts.last_invested) + 1)
    return max(0, month_index(*facts.through) - start + 1), start


# --- the rules ------------------------------------------------------------------------------


def _signed_idle(facts: Facts, th: Thresholds, today: dt.date) -> Verdict | None:
    if facts.stage != SIGNED or facts.signed_date is None:
        return None
    if (today - facts.signed_date).days <= th.signed_days:
        return None
    due = facts.signed_date + dt.timedelta(days=th.signed_days)
    return Verdict(
        LAGGING,
        Rule.SIGNED_IDLE.value,
        f"{facts.signed_date:%Y-%m-%d}签约，超过{th.signed_days}天（{due:%Y-%m-%d}）仍未开工",
    )


def _idle(facts: Facts, th: Thresholds) -> Verdict | None:
    if facts.stage != STARTED:
        return None
    months, start = idle_months(facts, th.counting_from)
    if months < th.stall_months:
        return None
    since = month_text(from_index(start))
    if months >= th.stall_months + th.long_stall_months:
        return Verdict(
            ZOMBIE,
            Rule.LONG_STALL.value,
            f"自{since}起连续{months}个月未报完成投资，停滞已满{th.long_stall_months}个月",
        )
    return Verdict(
        STALLED,
        Rule.NO_INVESTMENT.value,
        f"自{since}起连续{months}个月未报完成投资（满{th.stall_months}个月判为停滞）",
    )


def _pct(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _wan(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def line_shortfall(facts: Facts, th: Thresholds) -> tuple[Decimal, Decimal, dt.date] | None:
    """(expected, actual, as of) when the straight-line rule can be read for this project,
    else None: a started project with a planned completion date and a total investment,
    a month counted since its start, and (with ``counting_from``) started no earlier than
    the counting began, so that its cumulative investment is all in the system."""
    started, planned, total = (
        facts.started_date,
        facts.planned_completion_date,
        facts.total_investment_wan,
    )
    if facts.stage != STARTED or started is None or planned is None or facts.through is None:
        return None
    if total is None or total <= 0:
        return None
    if th.counting_from is not None and (started.year, started.month) < (
        th.counting_from.year,
        th.counting_from.month,
    ):
        return None
    as_of = month_end(*facts.through)
    if as_of < started:
        return None
    duration = (planned - started).days
    elapsed = (as_of - started).days
    if duration <= 0 or elapsed >= duration:
        expected = Decimal(total)
    else:
        expected = Decimal(total) * elapsed / duration
    return expected, facts.cumulative_wan, as_of


def _behind(facts: Facts, th: Thresholds) -> Verdict | None:
    reading = line_shortfall(facts, th)
    if reading is None:
        return None
    expected, actual, as_of = reading
    # More than behind_percent below the line; exactly at it is not behind. Compared
    # exactly: actual < expected × (100 − p) / 100 with expected = total × elapsed/duration.
    if expected <= 0 or actual * 100 >= expected * (100 - th.behind_percent):
        return None
    behind = (expected - actual) * 100 / expected
    return Verdict(
        LAGGING,
        Rule.BEHIND_LINE.value,
        f"截至{as_of:%Y-%m-%d}累计完成投资{_wan(actual)}万元，按开工至计划竣工"
        f"（{facts.planned_completion_date:%Y-%m-%d}）的直线进度应完成{_wan(expected)}万元，"
        f"落后{_pct(behind)}%（超过{th.behind_percent}%）",
    )


def evaluate(facts: Facts, th: Thresholds, today: dt.date) -> Verdict:
    """The health the rules give a project, with the rule that fired (the most severe)."""
    fired = [
        v
        for v in (_idle(facts, th), _behind(facts, th), _signed_idle(facts, th, today))
        if v is not None
    ]
    if not fired:
        return Verdict(NORMAL, "", NO_RULE)
    return max(fired, key=lambda v: SEVERITY[v.health])


# --- what an override was made on ----------------------------------------------------------


def fingerprint(
    *,
    stage: str,
    signed_date: dt.date | None,
    started_date: dt.date | None,
    planned_completion_date: dt.date | None,
    total_investment_wan: Decimal | None,
    reports: int,
    reports_sum: Decimal | None,
    latest_report: int | None,
    last_reviewed: dt.datetime | None,
) -> str:
    """The facts a person saw when overriding the rules: a stage change, a corrected date
    or total, a new (or withdrawn) accepted report each change it, the passing of time
    does not. An override holds while the fingerprint stays the same."""

    def text(value) -> str:
        if value is None:
            return "-"
        if isinstance(value, Decimal):
            return str(value.quantize(Decimal("0.01")))
        if isinstance(value, dt.datetime | dt.date):
            return value.isoformat()
        return str(value)

    parts = (
        stage,
        signed_date,
        started_date,
        planned_completion_date,
        total_investment_wan,
        reports,
        reports_sum if reports else None,
        latest_report,
        last_reviewed,
    )
    return hashlib.sha256("|".join(text(p) for p in parts).encode()).hexdigest()[:32]


# --- the thresholds an administrator may set -------------------------------------------------

LIMITS = {
    "signed_days": (30, 1095, "签约后未开工天数"),
    "stall_months": (1, 24, "连续无投资月数"),
    "behind_percent": (1, 90, "投资落后比例"),
    "long_stall_months": (1, 60, "停滞转长期停滞月数"),
}


def threshold_errors(values: dict) -> dict[str, str]:
    """Why these thresholds can't be used, by field; empty when they can."""
    errors: dict[str, str] = {}
    for name, (low, high, label) in LIMITS.items():
        value = values.get(name)
        if value is None or isinstance(value, bool) or not isinstance(value, int):
            errors[name] = f"请填写{label}（{low}至{high}的整数）"
        elif not low <= value <= high:
            errors[name] = f"{label}应为{low}至{high}之间的整数，实为{value}"
    since = values.get("counting_from")
    if since is not None and since.day != 1:
        errors["counting_from"] = "起算月份应为某月的1日"
    return errors
