"""The monthly dispatch's rules (月调度), as pure functions: who owes a report, when it is
due, which moves a report may make, and what a month's figures may be. No database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sanpi.core.money import wan_text
from sanpi.core.workdays import WorkCalendar
from sanpi.projects.rules import Stage

# Stages whose projects report every month (储备 has nothing to build yet; 达效 is done).
REPORTING_STAGES = frozenset({Stage.SIGNED, Stage.STARTED, Stage.PRODUCED})
WITHDRAWN = "withdrawn"  # projects.models.Health.WITHDRAWN: 清理退出, reports no more
DEADLINE_WORKING_DAY = 5  # the 5th working day of the next month, by default


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RETURNED = "returned"


STATUS_LABELS = {
    Status.DRAFT: "草稿",
    Status.SUBMITTED: "已报送",
    Status.ACCEPTED: "已审核",
    Status.RETURNED: "已退回",
}


class Move(StrEnum):
    SAVE = "save"  # the filer keeps a draft
    SUBMIT = "submit"  # the filer sends it to the county
    ACCEPT = "accept"  # the county accepts it
    RETURN = "return"  # the county sends it back with a reason
    REOPEN = "reopen"  # the city office reopens an accepted report (also after closing)


# From which status each move may start ("" = no report yet), and where it leads.
MOVES: dict[Move, tuple[frozenset[str], Status]] = {
    Move.SAVE: (frozenset({"", Status.DRAFT, Status.RETURNED}), Status.DRAFT),
    Move.SUBMIT: (frozenset({"", Status.DRAFT, Status.RETURNED}), Status.SUBMITTED),
    Move.ACCEPT: (frozenset({Status.SUBMITTED}), Status.ACCEPTED),
    Move.RETURN: (frozenset({Status.SUBMITTED}), Status.RETURNED),
    Move.REOPEN: (frozenset({Status.ACCEPTED}), Status.RETURNED),
}

MOVE_REFUSALS = {
    Move.SAVE: "已报送或已审核的月报不能再修改",
    Move.SUBMIT: "该月报已报送，不能重复报送",
    Move.ACCEPT: "只有已报送的月报可以审核通过",
    Move.RETURN: "只有已报送的月报可以退回",
    Move.REOPEN: "只有已审核的月报可以重新打开",
}


def move_to(move: Move, status: str) -> Status | None:
    """The status a move leads to from ``status``, or None if the move is not allowed."""
    starts, target = MOVES[move]
    return target if status in starts else None


def owes_report(stage: str, health: str) -> bool:
    """Signed, started and producing projects report monthly, unless withdrawn."""
    return stage in REPORTING_STAGES and health != WITHDRAWN


def month_end(year: int, month: int) -> dt.date:
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def default_deadline(year: int, month: int, calendar: WorkCalendar) -> dt.date:
    """The 5th working day of the following month, on the official calendar."""
    return calendar.add(month_end(year, month), DEADLINE_WORKING_DAY).value


def check_month(year: int, month: int, today: dt.date) -> str:
    """'' if a report may be filed for this month (it has begun), else why not."""
    if not 1 <= month <= 12:
        return "月份应为1至12"
    if not 2000 <= year <= today.year + 1:
        return f"年份应在2000至{today.year + 1}之间"
    if (year, month) > (today.year, today.month):
        return f"{year}年{month}月还没到，不能预先填报"
    return ""


def check_cumulative(
    *, before: Decimal, this_month: Decimal, total_investment: Decimal | None
) -> str:
    """'' if this month's investment keeps the cumulative figure possible, else why not.

    ``before``: the project's accepted investment of every other month. The cumulative
    figure (before + this month) may not exceed the project's total investment, nor go
    below zero (a correction month may be negative, never the total)."""
    cumulative = before + this_month
    if cumulative < 0:
        return (
            f"本月完成投资{wan_text(this_month)}万元后累计为{wan_text(cumulative)}万元，"
            "累计完成投资不能为负数"
        )
    if total_investment is not None and cumulative > total_investment:
        return (
            f"本月完成投资{wan_text(this_month)}万元后累计为{wan_text(cumulative)}万元，"
            f"超过项目总投资{wan_text(total_investment)}万元：请核对金额和单位（万元）"
        )
    return ""
