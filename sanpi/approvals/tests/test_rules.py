"""The approval rules on real calendar dates, without a database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sanpi.approvals import presets
from sanpi.approvals.rules import (
    Building,
    Clock,
    ClockState,
    Outcome,
    Requirement,
    agency_next_steps,
    agency_step_error,
    average,
    clock,
    commitment_broken,
    date_errors,
    date_warnings,
    deadline,
    limit_errors,
    low_risk_failures,
    on_time_rate,
    one_time_notice,
    planned_total,
    years_before,
)
from sanpi.core.workdays import WorkCalendar, package_calendar

D = dt.date
CAL = package_calendar()  # the chinesecalendar package: 2004 to 2026


def _clock(accepted, days, today, decided=None, applied=None):
    return clock(
        CAL,
        applied_on=applied or accepted,
        accepted_on=accepted,
        decided_on=decided,
        committed_days=days,
        today=today,
    )


# --- deadlines on the official calendar ----------------------------------------------------


def test_the_national_day_week_and_its_adjusted_sunday():
    # 2021-09-26 (Sunday) was a working day; 2021-10-01…07 were not.
    assert deadline(CAL, D(2021, 9, 24), 1).value == D(2021, 9, 26)
    assert deadline(CAL, D(2021, 9, 24), 5).value == D(2021, 9, 30)
    assert deadline(CAL, D(2021, 9, 24), 6).value == D(2021, 10, 8)


def test_a_spring_festival_adjusted_weekend_counts():
    # 2022-01-29 (Sat) and 01-30 (Sun) were working days before the Spring Festival.
    answer = deadline(CAL, D(2022, 1, 27), 3)
    assert answer.value == D(2022, 1, 30) and not answer.provisional


def test_running_then_overdue_across_the_holiday():
    # Accepted 09-28, 3 working days: 09-29, 09-30, 10-08.
    running = _clock(D(2021, 9, 28), 3, today=D(2021, 10, 7))
    assert running.state == ClockState.RUNNING
    assert running.deadline == D(2021, 10, 8)
    assert (running.used, running.left, running.overdue_days) == (2, 1, 0)
    on_deadline = _clock(D(2021, 9, 28), 3, today=D(2021, 10, 8))
    assert on_deadline.state == ClockState.RUNNING and on_deadline.left == 0
    # 2021-10-09 was a Saturday worked in exchange: one working day overdue.
    overdue = _clock(D(2021, 9, 28), 3, today=D(2021, 10, 9))
    assert overdue.overdue and overdue.overdue_days == 1 and overdue.left is None
    assert overdue.label == "已超期"


def test_decided_on_time_or_late_across_the_year_boundary():
    # Accepted 2021-12-30, 3 working days: 12-31, (01-01…03 New Year) 01-04, 01-05.
    on_time = _clock(D(2021, 12, 30), 3, today=D(2022, 3, 1), decided=D(2022, 1, 5))
    assert on_time.deadline == D(2022, 1, 5)
    assert on_time.state == ClockState.ON_TIME and on_time.on_time is True
    assert on_time.used == 3 and on_time.left is None
    late = _clock(D(2021, 12, 30), 3, today=D(2022, 3, 1), decided=D(2022, 1, 6))
    assert late.state == ClockState.LATE and late.on_time is False
    assert (late.used, late.overdue_days) == (4, 1)


def test_a_year_the_calendar_does_not_cover_is_provisional():
    answer = deadline(CAL, D(2026, 12, 29), 5)
    assert answer.value == D(2027, 1, 5)  # 2027-01-01 counted: weekends only
    assert answer.provisional and answer.note() == "2027年节假日安排未录入，按周末推算"
    running = _clock(D(2026, 12, 29), 5, today=D(2026, 12, 30))
    assert running.provisional and running.uncovered_years == (2027,)
    assert running.note() == "2027年节假日安排未录入，按周末推算"
    covered = _clock(D(2026, 12, 1), 5, today=D(2026, 12, 2))
    assert not covered.provisional and covered.note() == ""


def test_a_calendar_without_holidays_counts_weekends_only():
    bare = WorkCalendar(covered_years=frozenset({2021}))
    assert deadline(bare, D(2021, 9, 24), 6).value == D(2021, 10, 4)


def test_items_before_acceptance_have_no_clock():
    assert clock(
        CAL,
        applied_on=None,
        accepted_on=None,
        decided_on=None,
        committed_days=3,
        today=D(2021, 1, 1),
    ) == Clock(ClockState.NOT_APPLIED)
    applied = clock(
        CAL,
        applied_on=D(2021, 1, 4),
        accepted_on=None,
        decided_on=None,
        committed_days=3,
        today=D(2021, 1, 5),
    )
    assert applied.state == ClockState.APPLIED and applied.deadline is None


def test_withdrawn_items_are_not_decisions():
    withdrawn = clock(
        CAL,
        applied_on=D(2021, 9, 1),
        accepted_on=D(2021, 9, 1),
        decided_on=D(2021, 9, 30),
        committed_days=3,
        today=D(2021, 11, 1),
        withdrawn=True,
    )
    assert withdrawn.state == ClockState.WITHDRAWN and not withdrawn.decided
    rate = on_time_rate(
        [
            withdrawn,
            _clock(D(2021, 9, 28), 3, today=D(2021, 11, 1), decided=D(2021, 10, 8)),
            _clock(D(2021, 9, 28), 3, today=D(2021, 11, 1), decided=D(2021, 10, 9)),
            _clock(D(2021, 9, 28), 3, today=D(2021, 11, 1)),  # open: not counted
        ]
    )
    assert (rate.num, rate.den, str(rate)) == (1, 2, "50.0%（1/2）")


# --- bad input --------------------------------------------------------------------------------


def test_dates_out_of_order_are_named():
    errors = date_errors(
        applied_on=D(2021, 5, 10),
        accepted_on=D(2021, 5, 10),
        decided_on=D(2021, 5, 1),
        outcome=Outcome.APPROVED,
    )
    assert errors == {
        "decided_on": "办结日期（2021-05-01）早于申请日期（2021-05-10）：日期须按 申请 ≤ 受理 ≤ 办结 的顺序"
    }
    errors = date_errors(
        applied_on=D(2021, 5, 10), accepted_on=D(2021, 5, 8), decided_on=None, outcome="pending"
    )
    assert errors["accepted_on"].startswith("受理日期（2021-05-08）早于申请日期（2021-05-10）")
    assert date_errors(
        applied_on=None, accepted_on=None, decided_on=D(2021, 5, 1), outcome="approved"
    ) == {"accepted_on": "已办结的事项须先填写受理日期"}
    assert date_errors(
        applied_on=D(2021, 5, 1),
        accepted_on=D(2021, 5, 1),
        decided_on=D(2021, 5, 2),
        outcome="pending",
    ) == {"outcome": "已办结的事项须选择办理结果"}
    assert date_errors(
        applied_on=D(2021, 5, 1),
        accepted_on=None,
        decided_on=None,
        outcome="pending",
        today=D(2021, 4, 30),
    ) == {"applied_on": "申请日期（2021-05-01）晚于今天，不能预先登记"}


# --- allowed but unusual dates: warnings ------------------------------------------------------


WARN_TODAY = D(2021, 11, 1)


def _warnings(applied, accepted, today=WARN_TODAY, calendar=CAL):
    return date_warnings(calendar, applied_on=applied, accepted_on=accepted, today=today)


def test_accepted_on_a_holiday_or_a_rest_day_is_warned_about():
    # 2021-10-01 (Friday): National Day. 2021-10-03: a Sunday inside the holiday.
    assert _warnings(D(2021, 9, 30), D(2021, 10, 1)) == {
        "accepted_on": "受理日期（2021-10-01，星期五）是节假日（放假），不是工作日，请核对"
    }
    assert _warnings(D(2021, 9, 30), D(2021, 10, 3)) == {
        "accepted_on": "受理日期（2021-10-03，星期日）是休息日，不是工作日，请核对"
    }
    # An ordinary Saturday.
    assert "星期六）是休息日" in _warnings(D(2021, 11, 5), D(2021, 11, 6))["accepted_on"]


def test_accepted_on_an_adjusted_working_weekend_is_not_warned_about():
    # 2021-09-26 (Sunday) and 2021-10-09 (Saturday) were 调休 working days.
    assert _warnings(D(2021, 9, 22), D(2021, 9, 26)) == {}
    assert _warnings(D(2021, 9, 22), D(2021, 10, 9)) == {}
    assert _warnings(D(2021, 9, 22), D(2021, 9, 24)) == {}  # an ordinary Friday
    assert _warnings(D(2021, 9, 22), None) == {}


def test_a_rest_day_in_a_year_without_its_schedule_is_a_provisional_warning():
    # 2027's schedule is not in the calendar: only weekends are known, and it says so.
    today = D(2027, 3, 10)
    assert _warnings(D(2027, 3, 5), D(2027, 3, 6), today=today) == {
        "accepted_on": "受理日期（2027-03-06，星期六）按周末推算不是工作日"
        "（2027年节假日安排未录入，按周末推算；如该日是调休上班日则无误），请核对"
    }
    # A weekday of such a year is taken as a working day: nothing to say.
    assert _warnings(D(2027, 3, 5), D(2027, 3, 8), today=today) == {}


def test_an_application_years_back_is_warned_about():
    # Before 2000: a mistyped year.
    assert _warnings(D(1999, 12, 31), None) == {
        "applied_on": "申请日期（1999-12-31）早于2000年，请核对年份是否填错"
    }
    assert "早于2000年" in _warnings(D(1921, 9, 22), D(2021, 9, 24))["applied_on"]
    # More than five years before its acceptance…
    assert _warnings(D(2016, 9, 23), D(2021, 9, 24)) == {
        "applied_on": "申请日期（2016-09-23）比受理日期（2021-09-24）早5年以上，请核对年份是否填错"
    }
    assert _warnings(D(2016, 9, 24), D(2021, 9, 24)) == {}  # exactly five years: usual enough
    # …or, not yet accepted, before today.
    assert _warnings(D(2012, 9, 22), None, today=D(2021, 9, 24)) == {
        "applied_on": "申请日期（2012-09-22）比今天（2021-09-24）早5年以上仍未受理，"
        "请核对年份是否填错"
    }
    assert _warnings(D(2017, 9, 22), None, today=D(2021, 9, 24)) == {}
    # Both at once: the application and the acceptance are warned about separately.
    assert set(_warnings(D(2012, 9, 22), D(2021, 10, 1))) == {"applied_on", "accepted_on"}


def test_years_before_keeps_the_day_or_falls_back_from_29_february():
    assert years_before(D(2021, 9, 24), 5) == D(2016, 9, 24)
    assert years_before(D(2024, 2, 29), 5) == D(2019, 2, 28)


@pytest.mark.parametrize(
    ("statutory", "committed", "expected"),
    [
        (10, 0, {"committed_days": "承诺时限须为大于0的工作日数（填写的是0）"}),
        (-1, 3, {"statutory_days": "法定时限须为大于0的工作日数（填写的是-1）"}),
        (5, 7, {"committed_days": "承诺时限（7个工作日）不能超过法定时限（5个工作日）"}),
        (5, 5, {}),
    ],
)
def test_limits_must_be_positive_and_the_commitment_within_the_law(statutory, committed, expected):
    assert limit_errors(statutory_days=statutory, committed_days=committed) == expected


# --- figures ----------------------------------------------------------------------------------


def test_planned_total_runs_stages_in_sequence_and_items_in_parallel():
    assert planned_total([("land", 7), ("land", 5), ("planning", 5), ("initiation", 1)]) == 13
    assert planned_total([]) == 0


def test_average_is_rounded_half_up():
    assert average([1, 2]) == Decimal("1.5")
    assert average([1, 1, 2]) == Decimal("1.3")
    assert average([]) is None


def test_the_one_time_notice_lists_each_material_once():
    notice = one_time_notice(
        [
            Requirement("备案", "营业执照", 2, False),
            Requirement("用地", "营业执照", 2, True, "核验原件"),
            Requirement("用地", "红线图", 3, True),
        ]
    )
    assert [e.material for e in notice.entries] == ["营业执照", "红线图"]
    licence = notice.entries[0]
    assert licence.items == ("备案", "用地") and licence.original and licence.notes == "核验原件"
    assert (notice.copies_before, notice.copies_after) == (7, 2)


def _figures(track):
    reqs = [
        Requirement(i.name, name, copies, form == "original")
        for i in track.items
        for name, copies, form in i.materials
    ]
    notice = one_time_notice(reqs)
    return (
        len(track.items),
        planned_total((i.stage, i.statutory_days) for i in track.items),
        planned_total((i.stage, i.committed_days) for i in track.items),
        notice.copies_before,
        notice.copies_after,
    )


def test_the_presets_reproduce_the_seeds_figures_when_computed():
    # seeds/000…: 30 items, 75 → 35 days, 288 → 21 materials.
    assert _figures(presets.FULL_AGENCY) == (30, 75, 35, 288, 21)
    # 吕政办发〔2021〕42号: six stages, 1+2+3+1+3+3 = 13 working days.
    low = presets.LOW_RISK
    assert [i.committed_days for i in low.items] == [1, 2, 3, 1, 3, 3]
    assert _figures(low)[2] == 13
    assert low.total_limit_days == 20  # 40号 第10条
    for track in presets.PRESETS:
        for item in track.items:
            assert (
                limit_errors(statutory_days=item.statutory_days, committed_days=item.committed_days)
                == {}
            ), item.name


# --- the low-risk fast track ------------------------------------------------------------------


def _building(**over):
    data = dict(
        above_ground_m2=Decimal("2000"),
        height_m=Decimal("24"),
        underground_floors=1,
        underground_m2=Decimal("1000"),
        use="plant",
        single_use=True,
        public_funds=False,
    )
    data.update(over)
    return Building(**data)


def test_a_building_at_the_limits_qualifies():
    assert low_risk_failures(_building()) == []


@pytest.mark.parametrize(
    ("over", "failure"),
    [
        ({"above_ground_m2": Decimal("2000.5")}, "地上建筑面积2000.5平方米，超过2000平方米"),
        ({"height_m": Decimal("24.1")}, "建筑高度24.1米，超过24米"),
        ({"underground_floors": 2}, "地下2层，超过1层"),
        ({"underground_m2": Decimal("1200")}, "地下建筑面积1200平方米，超过1000平方米"),
        (
            {"use": "other"},
            "用途为“其他（住宅、综合体等）”：限办公建筑、商业建筑、公共服务设施、普通仓库和厂房",
        ),
        ({"single_use": False}, "功能不单一：简易低风险项目须为功能单一的建筑"),
        ({"public_funds": True}, "直接使用了公共财政投资：简易低风险项目须为社会投资项目"),
    ],
)
def test_each_failed_rule_is_named(over, failure):
    assert low_risk_failures(_building(**over)) == [failure]


# --- the 全代办 flow and 承诺制 -----------------------------------------------------------------


def test_the_agency_flow():
    assert agency_next_steps(None) == ["consult"]
    assert agency_next_steps("consulting") == ["commission"]
    assert agency_next_steps("ended") == ["continue", "evaluate"]
    assert agency_step_error("handling", "end") is None
    assert agency_step_error("ended", "continue") is None
    assert (
        agency_step_error(None, "commission")
        == "该项目尚无全代办服务，须先“接待咨询”，不能直接“受理委托”"
    )
    assert (
        agency_step_error("consulting", "end")
        == "全代办服务当前为“接待咨询”，不能“服务终止”；下一步可以“受理委托”"
    )
    assert agency_step_error("evaluated", "continue").endswith("服务流程已结束")


def test_a_commitment_is_broken_the_day_after_it_falls_due():
    assert not commitment_broken(due_on=D(2021, 12, 31), fulfilled_on=None, today=D(2021, 12, 31))
    assert commitment_broken(due_on=D(2021, 12, 31), fulfilled_on=None, today=D(2022, 1, 1))
    assert not commitment_broken(
        due_on=D(2021, 12, 31), fulfilled_on=D(2021, 12, 20), today=D(2022, 1, 1)
    )


def test_departments_and_agents_have_least_privilege():
    from sanpi.accounts.roles import ROLE_CAPS, ROLE_DIMENSION, Cap, Role

    department, agent = ROLE_CAPS[Role.DEPARTMENT], ROLE_CAPS[Role.AGENT]
    # As a responsible unit of the problems' loop a department also reads and works on
    # the problems assigned to it (sanpi.problems), and nothing else.
    assert department == {
        Cap.VIEW_APPROVALS, Cap.DECIDE_APPROVALS, Cap.MANAGE_COMMITMENTS,
        Cap.VIEW_PROBLEMS, Cap.WORK_PROBLEMS, Cap.ENTER_ASSESSMENT,
    }  # fmt: skip
    assert agent == {Cap.VIEW_APPROVALS, Cap.PLAN_APPROVALS, Cap.MANAGE_AGENCY}
    assert Cap.VIEW_LEDGER not in department | agent  # approvals only, not the ledger
    assert (ROLE_DIMENSION[Role.DEPARTMENT], ROLE_DIMENSION[Role.AGENT]) == ("department", "agent")
    # Only departments (and the city office) decide; only the company evaluates 全代办.
    deciders = {r for r, caps in ROLE_CAPS.items() if Cap.DECIDE_APPROVALS in caps}
    assert deciders == {Role.CITY_OFFICE, Role.DEPARTMENT}
    assert {r for r, caps in ROLE_CAPS.items() if Cap.EVALUATE_AGENCY in caps} == {Role.ENTERPRISE}
    assert {r for r, caps in ROLE_CAPS.items() if Cap.MANAGE_CATALOGUE in caps} == {
        Role.CITY_OFFICE
    }
