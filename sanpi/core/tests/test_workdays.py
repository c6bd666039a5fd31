"""Working-day arithmetic on real official calendars (from the chinesecalendar package)."""

import datetime as dt

import pytest

from sanpi.core.workdays import WorkCalendar, exceptions_from, package_calendar

D = dt.date


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return package_calendar()


def test_national_day_week_and_its_adjusted_sunday(cal):
    assert cal.is_working_day(D(2021, 9, 26))  # Sunday, 调休 working day
    assert not any(cal.is_working_day(D(2021, 10, d)) for d in range(1, 8))
    assert cal.is_working_day(D(2021, 10, 9))  # Saturday, 调休 working day
    assert cal.is_working_day(D(2021, 9, 30))


def test_add_skips_the_holiday_week(cal):
    # From Thursday 2021-09-30: the 1st working day after it is Friday 10-08.
    answer = cal.add(D(2021, 9, 30), 1)
    assert answer.value == D(2021, 10, 8) and not answer.provisional
    assert cal.add(D(2021, 9, 30), 2).value == D(2021, 10, 9)  # the 调休 Saturday
    assert cal.add(D(2021, 9, 24), 1).value == D(2021, 9, 26)  # Friday → the 调休 Sunday
    assert cal.add(D(2021, 9, 30), 0).value == D(2021, 9, 30)


def test_low_risk_fast_track_13_working_days_over_spring_festival(cal):
    # Accepted on Friday 2021-02-05, across 春节 (02-11..17 off; Sunday 02-07 and Saturday 02-20 on):
    # 02-07, 08, 09, 10, 18, 19, 20, 22, 23, 24, 25, 26, 03-01 → the 13th is 2021-03-01.
    answer = cal.add(D(2021, 2, 5), 13)
    assert answer.value == D(2021, 3, 1)
    assert cal.between(D(2021, 2, 5), answer.value).value == 13


def test_between_counts_after_start_up_to_end(cal):
    assert cal.between(D(2021, 10, 1), D(2021, 10, 8)).value == 1
    assert cal.between(D(2021, 10, 8), D(2021, 10, 1)).value == 0
    assert cal.between(D(2021, 10, 8), D(2021, 10, 8)).value == 0


def test_year_boundary(cal):
    # 2021-12-31 (Fri) + 1: 2022-01-01..03 is New Year's holiday.
    answer = cal.add(D(2021, 12, 31), 1)
    assert answer.value == D(2022, 1, 4) and not answer.provisional


def test_uncovered_year_is_weekends_only_and_provisional(cal):
    last = max(cal.covered_years)
    start = D(last, 12, 30)
    answer = cal.add(start, 10)
    assert answer.provisional
    assert answer.uncovered_years == (last + 1,)
    assert answer.note() == f"{last + 1}年节假日安排未录入，按周末推算"
    # Weekends only in the uncovered year: 10 working days are exactly two weeks.
    inside = cal.add(D(last + 1, 3, 2), 10)
    assert (inside.value - D(last + 1, 3, 2)).days == 14 and inside.provisional


def test_exceptions_ignore_redundant_entries():
    ex = exceptions_from(
        holidays=[D(2021, 10, 2), D(2021, 10, 4)],  # a Saturday (already off) and a Monday
        workdays=[D(2021, 9, 26), D(2021, 9, 27)],  # a Sunday (调休) and a Monday (already on)
    )
    assert ex == {D(2021, 10, 4): False, D(2021, 9, 26): True}


def test_negative_n_is_a_programming_error():
    with pytest.raises(ValueError):
        WorkCalendar().add(D(2021, 1, 1), -1)
