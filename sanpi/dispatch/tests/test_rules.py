"""The monthly dispatch's pure rules, with figures worked by hand."""

import datetime as dt
from decimal import Decimal

import pytest

from sanpi.core.workdays import WorkCalendar
from sanpi.dispatch import rules
from sanpi.dispatch.rules import Move, Status


@pytest.mark.parametrize(
    ("stage", "health", "owes"),
    [
        ("reserve", "normal", False),
        ("signed", "normal", True),
        ("started", "lagging", True),
        ("produced", "stalled", True),
        ("reached", "normal", False),
        ("started", "withdrawn", False),
    ],
)
def test_who_owes_a_report(stage, health, owes):
    assert rules.owes_report(stage, health) is owes


def test_the_deadline_is_the_fifth_working_day_of_the_next_month():
    # A calendar with 1–7 October off and Saturday 10 October a make-up working day.
    # September's reports: the working days after 30 September are 8 Oct (Thu), 9 (Fri),
    # 10 (Sat, make-up), 12 (Mon), 13 (Tue): the 5th is 13 October.
    days_off = {dt.date(2026, 10, d): False for d in range(1, 8)}
    calendar = WorkCalendar({**days_off, dt.date(2026, 10, 10): True}, frozenset({2026}))
    assert rules.default_deadline(2026, 9, calendar) == dt.date(2026, 10, 13)
    # A plain month: November 2026 → 1 Dec Tue, 2 Wed, 3 Thu, 4 Fri, 7 Mon.
    assert rules.default_deadline(2026, 11, calendar) == dt.date(2026, 12, 7)
    # December → the next year's January.
    assert rules.default_deadline(2025, 12, WorkCalendar()) == dt.date(2026, 1, 7)


def test_month_end_and_next_month():
    assert rules.month_end(2024, 2) == dt.date(2024, 2, 29)
    assert rules.month_end(2026, 12) == dt.date(2026, 12, 31)
    assert rules.next_month(2026, 12) == (2027, 1)


@pytest.mark.parametrize(
    ("year", "month", "message"),
    [
        (2026, 11, ""),
        (2026, 12, ""),  # the current month may be filled in as it goes
        (2027, 1, "2027年1月还没到，不能预先填报"),
        (2026, 13, "月份应为1至12"),
        (1999, 5, "年份应在2000至2027之间"),
    ],
)
def test_which_months_may_be_filed(year, month, message):
    assert rules.check_month(year, month, dt.date(2026, 12, 1)) == message


def test_the_cumulative_figure_stays_between_zero_and_the_total():
    ok = rules.check_cumulative(
        before=Decimal("900"), this_month=Decimal("100"), total_investment=Decimal("1000")
    )
    assert ok == ""  # 900 + 100 = 1,000: exactly the total
    over = rules.check_cumulative(
        before=Decimal("900"), this_month=Decimal("100.01"), total_investment=Decimal("1000")
    )
    assert over == (
        "本月完成投资100.01万元后累计为1,000.01万元，超过项目总投资1,000.00万元："
        "请核对金额和单位（万元）"
    )
    # A correction month may be negative while the total stays at or above zero.
    assert (
        rules.check_cumulative(
            before=Decimal("50"), this_month=Decimal("-50"), total_investment=None
        )
        == ""
    )
    assert (
        rules.check_cumulative(
            before=Decimal("50"), this_month=Decimal("-50.5"), total_investment=None
        )
        == "本月完成投资-50.50万元后累计为-0.50万元，累计完成投资不能为负数"
    )


def test_the_moves_table():
    assert rules.move_to(Move.SAVE, "") == Status.DRAFT
    assert rules.move_to(Move.SUBMIT, Status.RETURNED) == Status.SUBMITTED
    assert rules.move_to(Move.SUBMIT, Status.SUBMITTED) is None
    assert rules.move_to(Move.ACCEPT, Status.SUBMITTED) == Status.ACCEPTED
    assert rules.move_to(Move.ACCEPT, Status.DRAFT) is None
    assert rules.move_to(Move.RETURN, Status.ACCEPTED) is None
    assert rules.move_to(Move.REOPEN, Status.ACCEPTED) == Status.RETURNED
    assert rules.move_to(Move.SAVE, Status.ACCEPTED) is None
