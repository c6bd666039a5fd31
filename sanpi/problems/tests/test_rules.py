"""The problems' pure rules on real dates: the 13710 clocks on the official calendar as
the State Council published it (the `chinesecalendar` package, which the database's
calendar is seeded from), the move table, the five 到位 and the clocks' lights.

The 2025 days that matter here (国务院办公厅 2024-11-12):
* 国庆节、中秋节: 10-01 (Wed) to 10-08 (Wed) off; Sunday 09-28 and Saturday 10-11 worked (调休);
* 春节: 01-28 (Tue) to 02-04 (Tue) off; Sunday 01-26 and Saturday 02-08 worked.
2026: Saturday 02-28 worked (春节调休).
No database: these are plain functions.
"""

from __future__ import annotations

import datetime as dt

import pytest

from sanpi.core.workdays import WorkCalendar, package_calendar
from sanpi.problems import rules
from sanpi.problems.rules import (
    ORDINARY,
    RULE_13710,
    Clock,
    Light,
    Move,
    State,
    Terms,
    add_months,
    clock_state,
    due_moments,
    five_missing,
    move_to,
    moves_from,
    refusal,
)

CAL = package_calendar()


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def end(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day} 23:59:59")


def dues(raised: str, terms: Terms = RULE_13710) -> dict[str, dt.datetime]:
    return due_moments(at(raised), terms, CAL)


def test_the_calendar_is_the_published_one():
    # What the cases below rely on.
    assert CAL.covers(dt.date(2025, 10, 1)) and CAL.covers(dt.date(2026, 2, 28))
    assert CAL.is_working_day(dt.date(2025, 9, 28))  # Sunday, 调休
    assert CAL.is_working_day(dt.date(2025, 10, 11))  # Saturday, 调休
    assert not any(CAL.is_working_day(dt.date(2025, 10, d)) for d in range(1, 9))
    assert CAL.is_working_day(dt.date(2026, 2, 28))  # Saturday, 调休


# --- due moments ----------------------------------------------------------------------------


def test_raised_on_the_eve_of_national_day():
    # Tuesday 2025-09-30 16:00, a working day:
    # * deploy: the same day, by its end;
    # * feedback, 3 working days after 09-30: 10-01..10-08 are off, so 10-09 (1), 10-10 (2),
    #   Saturday 10-11 (3, 调休);
    # * solve, 7: 10-09, 10-10, 10-11, 10-13, 10-14, 10-15, 10-16;
    # * complex, 1 month: 10-30 (Thursday, a working day).
    assert dues("2025-09-30 16:00") == {
        "deploy": end("2025-09-30"),
        "feedback": end("2025-10-11"),
        "solve_ordinary": end("2025-10-16"),
        "solve_complex": end("2025-10-30"),
    }


def test_raised_on_an_adjusted_working_sunday_before_national_day():
    # Sunday 2025-09-28 worked (调休): deploy the same day; feedback 09-29 (1), 09-30 (2),
    # then the holiday, 10-09 (3); solve 10-10 (4), 10-11 (5, Saturday 调休), 10-13 (6),
    # 10-14 (7); complex 10-28 (Tuesday).
    assert dues("2025-09-28 10:00") == {
        "deploy": end("2025-09-28"),
        "feedback": end("2025-10-09"),
        "solve_ordinary": end("2025-10-14"),
        "solve_complex": end("2025-10-28"),
    }


def test_raised_on_an_adjusted_working_saturday():
    # Saturday 2025-10-11 worked (调休): deploy the same day; feedback 10-13 (1), 10-14 (2),
    # 10-15 (3); solve 10-13..10-17 (5), 10-20 (6), 10-21 (7); complex 11-11 (Tuesday).
    assert dues("2025-10-11 09:30") == {
        "deploy": end("2025-10-11"),
        "feedback": end("2025-10-15"),
        "solve_ordinary": end("2025-10-21"),
        "solve_complex": end("2025-11-11"),
    }


def test_raised_late_on_a_working_day_is_still_deployed_that_day():
    # Friday 2025-10-10 at 23:50: "the same day" leaves ten minutes (the rule as written);
    # feedback 10-11 (1, 调休 Saturday), 10-13 (2), 10-14 (3).
    d = dues("2025-10-10 23:50")
    assert d["deploy"] == end("2025-10-10")
    assert d["deploy"] - at("2025-10-10 23:50") == dt.timedelta(minutes=9, seconds=59)
    assert d["feedback"] == end("2025-10-14")


def test_raised_on_a_sunday_is_deployed_by_the_end_of_the_next_working_day():
    # Sunday 2025-10-12 (an ordinary weekend): deploy Monday 10-13; feedback counts from
    # the Sunday: 10-13 (1), 10-14 (2), 10-15 (3); solve 10-13..10-17, 10-20, 10-21;
    # complex 11-12 (Wednesday).
    assert dues("2025-10-12 10:00") == {
        "deploy": end("2025-10-13"),
        "feedback": end("2025-10-15"),
        "solve_ordinary": end("2025-10-21"),
        "solve_complex": end("2025-11-12"),
    }


def test_raised_during_the_holiday_is_deployed_on_the_first_working_day_after_it():
    # Friday 2025-10-03 is a holiday: deploy 10-09; feedback 10-09, 10-10, 10-11.
    d = dues("2025-10-03 11:00")
    assert (d["deploy"], d["feedback"]) == (end("2025-10-09"), end("2025-10-11"))


def test_deploy_the_next_working_day_when_the_policy_says_so():
    # Not the same day: the first working day after the day raised (09-30 → 10-09).
    terms = Terms(deploy_same_day=False)
    assert dues("2025-09-30 09:00", terms)["deploy"] == end("2025-10-09")


@pytest.mark.parametrize(
    ("raised", "complex_due"),
    [
        # Same day next month, moved to the next working day when it is not one:
        ("2025-09-01 10:00", "2025-10-09"),  # 10-01 is National Day → 10-09
        ("2025-08-30 10:00", "2025-09-30"),  # raised on a Saturday; 09-30 is a working Tuesday
        ("2025-10-04 10:00", "2025-11-04"),  # raised on a holiday: counted from that day
        ("2025-01-31 10:00", "2025-02-28"),  # no 31 February: the month's last day (Friday)
        ("2024-01-31 10:00", "2024-02-29"),  # leap year
        ("2026-01-31 10:00", "2026-02-28"),  # Saturday 02-28 is a 调休 working day
        ("2025-12-31 10:00", "2026-02-02"),  # 2026-01-31 is a Saturday → Monday 02-02
        ("2025-03-31 10:00", "2025-04-30"),  # April has no 31st
    ],
)
def test_a_complex_problem_has_a_month(raised, complex_due):
    assert dues(raised)["solve_complex"] == end(complex_due)


def test_complex_months_and_add_months():
    assert add_months(dt.date(2025, 1, 31), 1) == dt.date(2025, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2025, 12, 15), 1) == dt.date(2026, 1, 15)
    assert add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2025, 5, 31), 12) == dt.date(2026, 5, 31)
    # Two months from 2025-09-30: 11-30 is a Sunday → Monday 12-01.
    assert dues("2025-09-30 10:00", Terms(complex_months=2))["solve_complex"] == end("2025-12-01")


def test_the_ordinary_policy_and_calendar_days():
    # The ordinary terms: feedback 5, solve 15 working days after Tuesday 2025-09-30:
    # 10-09 (1), 10-10 (2), 10-11 (3), 10-13 (4), 10-14 (5) … 10-24 (13), 10-27 (14),
    # 10-28 (15).
    d = dues("2025-09-30 16:00", ORDINARY)
    assert (d["feedback"], d["solve_ordinary"]) == (end("2025-10-14"), end("2025-10-28"))
    # Counted in calendar days instead: 09-30 + 3 = 10-03 and + 7 = 10-07, holidays or not.
    terms = Terms(feedback_calendar=True, solve_calendar=True)
    d = dues("2025-09-30 16:00", terms)
    assert (d["feedback"], d["solve_ordinary"]) == (end("2025-10-03"), end("2025-10-07"))


def test_weekends_only_outside_the_covered_years():
    # A calendar without exceptions (an uncovered year) counts weekends only: from Friday
    # 2025-10-03 (no holiday known): deploy the same day, feedback 10-06, 10-07, 10-08.
    d = due_moments(at("2025-10-03 10:00"), RULE_13710, WorkCalendar())
    assert (d["deploy"], d["feedback"]) == (end("2025-10-03"), end("2025-10-08"))


# --- the move table ---------------------------------------------------------------------

# Written out by hand from the loop as people describe it (not read from rules.MOVES).
ALLOWED = {
    Move.ANALYSE: ({"raised", "escalated"}, "analysed"),
    Move.ASSIGN: ({"raised", "analysed", "escalated"}, "assigned"),
    Move.FEEDBACK: ({"assigned", "in_progress"}, "in_progress"),
    Move.SOLVE: ({"in_progress"}, "solved"),
    Move.CONFIRM: ({"solved"}, "closed"),
    Move.REJECT: ({"solved"}, "in_progress"),
    Move.ESCALATE: ({"raised", "analysed", "escalated", "assigned", "in_progress"}, "escalated"),
    Move.WITHDRAW: (
        {"raised", "analysed", "assigned", "in_progress", "solved", "escalated"},
        "withdrawn",
    ),
}


@pytest.mark.parametrize("move", list(Move))
@pytest.mark.parametrize("state", list(State))
def test_every_move_from_every_state(move, state):
    starts, target = ALLOWED[move]
    if state.value in starts:
        assert move_to(move, state) == State(target)
        assert move in moves_from(state)
    else:
        assert move_to(move, state) is None
        assert move not in moves_from(state)
        text = refusal(move, state)
        assert text.startswith(
            f"问题当前为“{rules.STATE_LABELS[state]}”，不能{rules.MOVE_LABELS[move]}"
        )


def test_closed_and_withdrawn_are_the_end():
    assert moves_from(State.CLOSED) == [] and moves_from(State.WITHDRAWN) == []
    assert set(rules.OPEN_STATES) == {
        State.RAISED, State.ANALYSED, State.ASSIGNED, State.IN_PROGRESS, State.SOLVED,
        State.ESCALATED,
    }  # fmt: skip


def test_moves_from_keeps_the_tables_order():
    assert moves_from(State.RAISED) == [Move.ANALYSE, Move.ASSIGN, Move.ESCALATE, Move.WITHDRAW]
    assert moves_from(State.SOLVED) == [Move.CONFIRM, Move.REJECT, Move.WITHDRAW]


def test_refusals_name_the_states_that_may():
    assert refusal(Move.CONFIRM, State.RAISED) == (
        "问题当前为“已提出”，不能确认满意（只有已办结待确认的问题可以确认满意）"
    )
    assert refusal(Move.WITHDRAW, State.CLOSED) == (
        "问题当前为“已销号”，不能撤回"
        "（只有已提出、已研判、已交办、办理中、已办结待确认、已提级的问题可以撤回）"
    )
    assert refusal(Move.ANALYSE, State.ASSIGNED) == (
        "问题当前为“已交办”，不能研判（只有已提出、已提级的问题可以研判）"
    )


def test_escalation_goes_up_one_level_and_stops_at_the_province():
    assert rules.escalation_of("county") == rules.Level.CITY
    assert rules.escalation_of("city") == rules.Level.PROVINCE
    assert rules.escalation_of("province") is None


# --- the five 到位 ------------------------------------------------------------------------


def test_five_missing_in_order_and_blank_is_missing():
    full = {
        "unit": "department",
        "leader": "王副县长",
        "person": 7,
        "solution": "协调供电公司",
        "deadline": dt.date(2025, 10, 31),
    }
    assert five_missing(full) == []
    assert five_missing({}) == ["unit", "leader", "person", "solution", "deadline"]
    assert five_missing({**full, "leader": "  ", "deadline": None}) == ["leader", "deadline"]
    assert five_missing({**full, "solution": ""}) == ["solution"]
    assert five_missing({**full, "person": 0}) == []  # a value, not a blank


# --- the clocks' states ---------------------------------------------------------------------

RAISED = at("2025-09-30 16:00")
FEEDBACK_DUE = end("2025-10-11")  # see test_raised_on_the_eve_of_national_day


def feedback_clock(now: str, stopped: str | None = None, warn_days: int = 1):
    return clock_state(
        Clock.FEEDBACK,
        raised=RAISED,
        due=FEEDBACK_DUE,
        stopped=at(stopped) if stopped else None,
        now=at(now),
        warn_days=warn_days,
        calendar=CAL,
    )


@pytest.mark.parametrize(
    ("now", "used", "left", "light"),
    [
        # On the day raised: nothing used; 10-09, 10-10, 10-11 left.
        ("2025-09-30 17:00", 0, 3, Light.GREEN),
        # During the holiday nothing is used or spent.
        ("2025-10-05 12:00", 0, 3, Light.GREEN),
        # 10-09 used; 10-10 and 10-11 left: more than one, still green.
        ("2025-10-09 10:00", 1, 2, Light.GREEN),
        # One working day (10-11) left: yellow (warn_days 1).
        ("2025-10-10 10:00", 2, 1, Light.YELLOW),
        # The due day itself: none left, still yellow until its end.
        ("2025-10-11 23:59", 3, 0, Light.YELLOW),
        # Sunday 10-12: past due although no working day went by: overdue by one.
        ("2025-10-12 00:01", 3, -1, Light.RED),
        ("2025-10-13 09:00", 4, -1, Light.RED),
        ("2025-10-15 09:00", 6, -3, Light.RED),
    ],
)
def test_a_running_clock(now, used, left, light):
    state = feedback_clock(now)
    assert (state.used_days, state.left_days, state.light) == (used, left, light)
    assert state.breached == (light == Light.RED)
    assert state.due == FEEDBACK_DUE and state.stopped is None


def test_warn_days_decides_when_it_turns_yellow():
    # 10-09 with two working days left: yellow with warn_days 2, green with 1 or 0.
    assert feedback_clock("2025-10-09 10:00", warn_days=2).light == Light.YELLOW
    assert feedback_clock("2025-10-09 10:00", warn_days=1).light == Light.GREEN
    # With 0 only the due day itself is yellow.
    assert feedback_clock("2025-10-10 10:00", warn_days=0).light == Light.GREEN
    assert feedback_clock("2025-10-11 10:00", warn_days=0).light == Light.YELLOW


def test_a_stopped_clock_keeps_what_it_was_when_met():
    # Met on 10-10 (one day to spare): green for ever, counted to 10-10 whatever now is.
    met = feedback_clock("2025-11-20 10:00", stopped="2025-10-10 15:00")
    assert (met.used_days, met.left_days, met.breached, met.light) == (2, 1, False, Light.GREEN)
    # Met on its last day: green (a met clock is never yellow).
    assert feedback_clock("2025-11-20 10:00", stopped="2025-10-11 18:00").light == Light.GREEN
    # Met late, Tuesday 10-14: breached, two working days over (10-13, 10-14), red.
    late = feedback_clock("2025-11-20 10:00", stopped="2025-10-14 09:00")
    assert (late.used_days, late.left_days, late.breached, late.light) == (5, -2, True, Light.RED)
    assert late.stopped == at("2025-10-14 09:00")


def test_the_deploy_clock_of_a_problem_raised_on_the_eve():
    due = due_moments(RAISED, RULE_13710, CAL)["deploy"]

    def deploy(now: str):
        return clock_state(
            Clock.DEPLOY, raised=RAISED, due=due, stopped=None, now=at(now), warn_days=1,
            calendar=CAL,
        )  # fmt: skip

    # Due that evening: yellow at once; red from midnight, through the holiday (overdue
    # by one until a working day passes), then by the working days gone: 10-09 (1),
    # 10-10 (2).
    assert (deploy("2025-09-30 16:30").left_days, deploy("2025-09-30 16:30").light) == (
        0,
        Light.YELLOW,
    )
    assert (deploy("2025-10-01 00:00").left_days, deploy("2025-10-01 00:00").light) == (
        -1,
        Light.RED,
    )
    assert deploy("2025-10-08 12:00").left_days == -1
    assert deploy("2025-10-10 12:00").left_days == -2
