"""The problems' closed loop (问题闭环) as pure rules: the states, the one table of moves
between them, and the 13710 clocks on the official calendar. No database.

A problem is raised, analysed (a solution proposed), assigned with the five 到位
(responsible unit, leader, person, solution, deadline), worked on (progress notes), claimed
solved by the responsible unit, and closed only when the enterprise says it is satisfied;
an unsatisfied enterprise sends it back to work. It may be escalated one level up (county →
the city's joint meeting 联席会议 → the province's list) and withdrawn with a reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sanpi.core.workdays import WorkCalendar


class State(StrEnum):
    RAISED = "raised"
    ANALYSED = "analysed"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    SOLVED = "solved"
    CLOSED = "closed"
    ESCALATED = "escalated"
    WITHDRAWN = "withdrawn"


STATE_LABELS = {
    State.RAISED: "已提出",
    State.ANALYSED: "已研判",
    State.ASSIGNED: "已交办",
    State.IN_PROGRESS: "办理中",
    State.SOLVED: "已办结待确认",
    State.CLOSED: "已销号",
    State.ESCALATED: "已提级",
    State.WITHDRAWN: "已撤回",
}
OPEN_STATES = frozenset(State) - {State.CLOSED, State.WITHDRAWN}
# States in which the responsible unit is working on it (its clocks may run out).
WORKING_STATES = frozenset({State.ASSIGNED, State.IN_PROGRESS})


class Move(StrEnum):
    ANALYSE = "analyse"  # propose a solution (研判)
    ASSIGN = "assign"  # 交办 with the five 到位
    FEEDBACK = "feedback"  # a progress note by the responsible unit (反馈)
    SOLVE = "solve"  # the responsible unit says it is solved (办结)
    CONFIRM = "confirm"  # the enterprise is satisfied (满意, 销号)
    REJECT = "reject"  # the enterprise is not satisfied: back to work
    ESCALATE = "escalate"  # up one level
    WITHDRAW = "withdraw"  # with a reason


MOVE_LABELS = {
    Move.ANALYSE: "研判",
    Move.ASSIGN: "交办",
    Move.FEEDBACK: "反馈进展",
    Move.SOLVE: "办结",
    Move.CONFIRM: "确认满意",
    Move.REJECT: "确认不满意",
    Move.ESCALATE: "提级",
    Move.WITHDRAW: "撤回",
}

_BEFORE_WORK = frozenset({State.RAISED, State.ANALYSED, State.ESCALATED})
# The one table: from which states each move may start, and where it leads.
MOVES: dict[Move, tuple[frozenset[State], State]] = {
    Move.ANALYSE: (frozenset({State.RAISED, State.ESCALATED}), State.ANALYSED),
    Move.ASSIGN: (_BEFORE_WORK, State.ASSIGNED),
    Move.FEEDBACK: (WORKING_STATES, State.IN_PROGRESS),
    Move.SOLVE: (frozenset({State.IN_PROGRESS}), State.SOLVED),
    Move.CONFIRM: (frozenset({State.SOLVED}), State.CLOSED),
    Move.REJECT: (frozenset({State.SOLVED}), State.IN_PROGRESS),
    Move.ESCALATE: (_BEFORE_WORK | WORKING_STATES, State.ESCALATED),
    Move.WITHDRAW: (OPEN_STATES, State.WITHDRAWN),
}


def move_to(move: Move, state: str) -> State | None:
    """Where ``move`` leads from ``state``, or None when the table does not allow it."""
    starts, target = MOVES[move]
    return target if state in starts else None


def moves_from(state: str) -> list[Move]:
    """The moves the table allows from ``state``, in the table's order."""
    return [m for m, (starts, _) in MOVES.items() if state in starts]


def refusal(move: Move, state: str) -> str:
    """Why ``move`` is not allowed from ``state`` (in Chinese)."""
    allowed = "、".join(STATE_LABELS[s] for s in State if s in MOVES[move][0])
    return (
        f"问题当前为“{STATE_LABELS[State(state)]}”，不能{MOVE_LABELS[move]}"
        f"（只有{allowed}的问题可以{MOVE_LABELS[move]}）"
    )


class Level(StrEnum):
    COUNTY = "county"
    CITY = "city"
    PROVINCE = "province"


LEVEL_LABELS = {Level.COUNTY: "县级", Level.CITY: "市级", Level.PROVINCE: "省级"}
# Where an escalated problem goes: the county's to the city's joint meeting, the city's
# to the province's list.
ESCALATION = {Level.COUNTY: Level.CITY, Level.CITY: Level.PROVINCE}
ESCALATION_LABELS = {Level.CITY: "市联席会议", Level.PROVINCE: "省级协调清单"}


def escalation_of(level: str) -> Level | None:
    return ESCALATION.get(Level(level))


# The five 到位 and how people call them.
FIVE = {
    "unit": "责任单位",
    "leader": "责任领导",
    "person": "责任人",
    "solution": "解决措施",
    "deadline": "完成时限",
}


def five_missing(values: dict[str, object]) -> list[str]:
    """The 到位 of the five not filled in (their keys), in the order of ``FIVE``."""
    return [k for k in FIVE if values.get(k) is None or not str(values[k]).strip()]


# --- the clocks ---------------------------------------------------------------------------


class Clock(StrEnum):
    DEPLOY = "deploy"  # 1: deployed (交办) the same working day
    FEEDBACK = "feedback"  # 3: first feedback
    SOLVE = "solve"  # 7 (ordinary) or 1 month (complex): solved


CLOCK_LABELS = {Clock.DEPLOY: "当日部署", Clock.FEEDBACK: "首次反馈", Clock.SOLVE: "办结"}


@dataclass(frozen=True)
class Terms:
    """A policy's clocks. Counts are days, working days on the official calendar unless
    the clock's ``*_calendar`` flag says calendar days; ``complex_months`` is calendar
    months (the same day of a later month, moved to the next working day)."""

    deploy_same_day: bool = True
    feedback_days: int = 3
    feedback_calendar: bool = False
    solve_days: int = 7
    solve_calendar: bool = False
    complex_months: int = 1
    # Warnings: yellow when this many working days (or fewer) are left; escalation this
    # many working days after a breach (0: never by itself).
    warn_days: int = 1
    escalate_after_days: int = 2


RULE_13710 = Terms()
ORDINARY = Terms(feedback_days=5, solve_days=15)


def end_of(day: dt.date) -> dt.datetime:
    """The last moment of a day (local, naive): a limit "by the end of the day"."""
    return dt.datetime.combine(day, dt.time(23, 59, 59))


def _working_day_on_or_after(day: dt.date, calendar: WorkCalendar) -> dt.date:
    while not calendar.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def _add_days(day: dt.date, n: int, calendar_days: bool, calendar: WorkCalendar) -> dt.date:
    if calendar_days:
        return day + dt.timedelta(days=n)
    return calendar.add(day, n).value


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; the month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def due_moments(
    raised: dt.datetime, terms: Terms, calendar: WorkCalendar
) -> dict[str, dt.datetime]:
    """When each clock of a problem raised at ``raised`` (local time) runs out.

    * deploy: raised on a working day, by the end of that day; otherwise by the end of
      the next working day;
    * feedback / solve_ordinary: N days after the day raised (working days skip holidays
      and count 调休 Saturdays), by the end of that day;
    * solve_complex: the same day ``complex_months`` later, moved to the next working day
      if it is not one, by its end.
    """
    day = raised.date()
    deploy = (
        _working_day_on_or_after(day, calendar)
        if terms.deploy_same_day
        else calendar.add(day, 1).value
    )
    complex_day = _working_day_on_or_after(add_months(day, terms.complex_months), calendar)
    return {
        "deploy": end_of(deploy),
        "feedback": end_of(_add_days(day, terms.feedback_days, terms.feedback_calendar, calendar)),
        "solve_ordinary": end_of(_add_days(day, terms.solve_days, terms.solve_calendar, calendar)),
        "solve_complex": end_of(complex_day),
    }


class Light(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


LIGHT_LABELS = {Light.GREEN: "正常", Light.YELLOW: "临期", Light.RED: "超期"}


@dataclass(frozen=True)
class ClockState:
    clock: Clock
    due: dt.datetime
    stopped: dt.datetime | None  # when it was met (None: still running)
    used_days: int  # working days from the day raised to now (or to when it stopped)
    left_days: int  # working days from now to the due day (negative: overdue by)
    breached: bool  # ran out before it was met (or is still running past due)
    light: Light


def clock_state(
    clock: Clock,
    *,
    raised: dt.datetime,
    due: dt.datetime,
    stopped: dt.datetime | None,
    now: dt.datetime,
    warn_days: int,
    calendar: WorkCalendar,
) -> ClockState:
    """A clock as a page shows it: due, used, left, breached, and its light."""
    end = stopped or now
    used = calendar.between(raised.date(), end.date()).value
    if end <= due:
        left = calendar.between(end.date(), due.date()).value
    else:
        left = -calendar.between(due.date(), end.date()).value
        if left == 0:
            left = -1  # past the due moment, even on a day off: overdue
    breached = end > due
    if breached:
        light = Light.RED
    elif stopped is None and left <= warn_days:
        light = Light.YELLOW
    else:
        light = Light.GREEN
    return ClockState(clock, due, stopped, used, left, breached, light)
