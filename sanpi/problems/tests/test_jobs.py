"""The breach task at chosen moments: problems raised on the eve of National Day 2025 (a
key project, so under 13710), their lights, alerts, notifications and escalations as
the days go by, and what a second run at the same moment does (nothing).

Dues of a problem raised Tuesday 2025-09-30 16:00 (see test_rules): deploy 09-30,
feedback 10-11 (the 调休 Saturday), solve 10-16, each by 23:59:59 Beijing time.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sanpi.core.calendar import official_calendar
from sanpi.core.models import AuditLog, Job, Schedule
from sanpi.core.schedules import PERIODIC, fire_due, sync_schedules
from sanpi.notifications.models import Notification
from sanpi.problems import services
from sanpi.problems.jobs import PROBLEMS_TICK, problems_tick
from sanpi.problems.models import Problem, ProblemEvent
from sanpi.problems.tests.factories import assign_data, make_problem

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
DUE, OVERDUE, ESCALATED = "problem_due", "problem_overdue", "problem_escalated"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture
def key(world):
    world.project_a.is_city_key = True
    world.project_a.save()
    return world.project_a


def alerts(problem: Problem) -> list[str]:
    return list(
        ProblemEvent.objects.filter(problem=problem, move="alert")
        .order_by("pk")
        .values_list("text", flat=True)
    )


def told(kind: str) -> list[tuple[str, str]]:
    """(username, subject) of the notifications of a kind, in order."""
    return list(
        Notification.objects.filter(kind=kind)
        .order_by("pk")
        .values_list("recipient__username", "subject")
    )


def everything() -> tuple:
    """What a run could change."""
    return (
        list(
            Problem.objects.order_by("pk").values_list(
                "pk", "light", "breached_at", "state", "level", "version", "escalated_at"
            )
        ),
        ProblemEvent.objects.count(),
        AuditLog.objects.count(),
        Notification.objects.count(),
    )


def tick_twice(now: dt.datetime):
    """Run at ``now``, then again: the second run changes nothing."""
    summary = problems_tick(now)
    before = everything()
    again = problems_tick(now)
    assert everything() == before
    assert (again.changed, again.alerts, again.notified, again.escalated) == (0, 0, 0, 0)
    return summary


def system_rows(problem: Problem):
    return AuditLog.objects.filter(
        object_type="problems.problem", object_id=str(problem.pk), username="system:problems"
    ).order_by("pk")


def test_an_undeployed_problem_turns_yellow_then_red_and_goes_up_level_by_level(world, key):
    p = make_problem(world, raised_at=at("2025-09-30 16:00"))
    assert p.policy.code == "13710" and p.state == "raised"

    # 16:15 the same day: to be deployed tonight, so yellow; nobody is responsible yet,
    # so nobody is told (the county's officers were told when it was raised).
    summary = tick_twice(at("2025-09-30 16:15"))
    assert (summary.checked, summary.changed, summary.alerts) == (1, 1, 1)
    p.refresh_from_db()
    assert (p.light, p.breached_at) == ("yellow", None)
    assert alerts(p) == ["当日部署临期（时限2025-09-30 23:59）"]
    assert told(DUE) == []
    [row] = system_rows(p)
    assert row.before == {"light": "green", "breached_at": None}
    assert row.after == {"light": "yellow", "breached_at": None}
    assert row.message == "问题预警（甲新材料项目）：当日部署临期（时限2025-09-30 23:59）"

    # Midnight: the deploy clock ran out. Red, breached at its due moment, the county's
    # officers (who assign at county level) told once.
    tick_twice(at("2025-10-01 00:00"))
    p.refresh_from_db()
    assert (p.light, p.breached_at) == ("red", at("2025-09-30 23:59:59"))
    assert alerts(p)[-1] == "当日部署超期（时限2025-09-30 23:59）"
    assert told(OVERDUE) == [("county_a", f"problem:{p.pk}:deploy:red:202509302359")]
    [notice] = Notification.objects.filter(kind=OVERDUE)
    assert notice.title == "问题超期：甲新材料项目"
    assert (
        notice.text == "“甲新材料项目的施工用电问题”当日部署时限2025-09-30 23:59已过，请尽快办理。"
    )
    assert notice.link == f"/problems/{p.pk}/" and notice.level == "urgent"

    # Through the holiday no working day goes by; on Friday 10-10 one has (10-09): not yet
    # escalated, but the feedback clock (due Saturday 10-11) has one working day left.
    tick_twice(at("2025-10-09 00:00"))
    assert Problem.objects.get(pk=p.pk).state == "raised"
    tick_twice(at("2025-10-10 00:00"))
    p.refresh_from_db()
    assert (p.state, p.level, p.light) == ("raised", "county", "red")
    assert alerts(p)[-1] == "首次反馈临期（时限2025-10-11 23:59）"

    # Saturday 10-11 (调休): two full working days red (10-09, 10-10): escalated to the
    # city's joint meeting by the system, through the services' escalate.
    summary = tick_twice(at("2025-10-11 00:00"))
    assert summary.escalated == 1
    p.refresh_from_db()
    assert (p.state, p.level, p.escalated_at) == ("escalated", "city", at("2025-10-11 00:00"))
    event = p.events.get(move="escalate")
    assert (event.by, event.at, event.from_state) == (None, at("2025-10-11 00:00"), "raised")
    assert event.text == (
        "当日部署时限2025-09-30 23:59已过，超期2个工作日未办理，自动提级至市联席会议"
    )
    assert told(ESCALATED) == [("city", f"problem:{p.pk}:{p.version}")]
    assert system_rows(p).last().message == "问题提级（甲新材料项目）"

    # Sunday 10-12: the feedback clock ran out too; now the city office handles it.
    tick_twice(at("2025-10-12 00:00"))
    assert told(OVERDUE)[-1] == ("city", f"problem:{p.pk}:feedback:red:202510112359")
    assert Problem.objects.get(pk=p.pk).breached_at == at("2025-09-30 23:59:59")  # the first

    # Two full working days after the escalation (10-13, 10-14): up to the province, then
    # no higher.
    tick_twice(at("2025-10-14 00:00"))
    assert Problem.objects.get(pk=p.pk).level == "city"
    tick_twice(at("2025-10-15 00:00"))
    p.refresh_from_db()
    assert (p.level, p.state) == ("province", "escalated")
    assert p.events.filter(move="escalate").last().text == (
        "当日部署时限2025-09-30 23:59已过，提级后仍超期2个工作日未办理，自动提级至省级协调清单"
    )
    tick_twice(at("2025-11-20 00:00"))
    assert p.events.filter(move="escalate").count() == 2
    assert alerts(p) == [
        "当日部署临期（时限2025-09-30 23:59）",
        "当日部署超期（时限2025-09-30 23:59）",
        "首次反馈临期（时限2025-10-11 23:59）",
        "首次反馈超期（时限2025-10-11 23:59）",
        "办结临期（时限2025-10-16 23:59）",
        "办结超期（时限2025-10-16 23:59）",
    ]


def test_the_responsible_person_and_leader_are_told_and_a_met_clock_turns_green(world, key):
    city, dept = world.user("city_office"), world.user("department")
    p = make_problem(world, raised_at=at("2025-09-30 16:00"))
    p = services.problem_move(
        by=city, problem=p, move="assign",
        **assign_data(world.department_a, dept, leader_id=world.user("leader").pk),
    )  # fmt: skip
    # Thursday 10-09: feedback two working days away (10-10, 10-11), solve five: calm, and
    # not even read.
    assert tick_twice(at("2025-10-09 10:00")).checked == 0
    assert Problem.objects.get(pk=p.pk).light == "green"

    # Friday 10-10: one working day left for the first feedback.
    tick_twice(at("2025-10-10 10:00"))
    assert Problem.objects.get(pk=p.pk).light == "yellow"
    subject = f"problem:{p.pk}:feedback:yellow:202510112359"
    assert set(told(DUE)) == {("dept_a", subject), ("leader", subject)}
    notice = Notification.objects.filter(kind=DUE).first()
    assert notice.title == "问题临期：甲新材料项目" and notice.level == "warning"
    assert notice.text == (
        "“甲新材料项目的施工用电问题”首次反馈时限2025-10-11 23:59，还剩1个工作日，请抓紧办理。"
    )

    # Sunday 10-12: overdue; the person, the leader and the county's officers.
    tick_twice(at("2025-10-12 00:00"))
    subject = f"problem:{p.pk}:feedback:red:202510112359"
    assert set(told(OVERDUE)) == {("county_a", subject), ("dept_a", subject), ("leader", subject)}
    assert Problem.objects.get(pk=p.pk).breached_at == at("2025-10-11 23:59:59")

    # The unit reports progress: the feedback clock is met; the solve clock (due 10-16)
    # has three working days left on Monday 10-13: green again, the breach remembered.
    p = services.problem_move(by=dept, problem=p, move="feedback", text="已对接供电公司")
    tick_twice(at("2025-10-13 09:00"))
    p.refresh_from_db()
    assert (p.light, p.breached_at) == ("green", at("2025-10-11 23:59:59"))
    assert system_rows(p).last().message == "问题预警（甲新材料项目）：预警改为“正常”"
    assert alerts(p) == [
        "首次反馈临期（时限2025-10-11 23:59）",
        "首次反馈超期（时限2025-10-11 23:59）",
    ]

    # Wednesday 10-15: one day left to solve; then solved in time: green.
    tick_twice(at("2025-10-15 09:00"))
    assert Problem.objects.get(pk=p.pk).light == "yellow"
    p = services.problem_move(by=dept, problem=p, move="solve", text="已通电")
    tick_twice(at("2025-10-20 09:00"))
    assert Problem.objects.get(pk=p.pk).light == "green"

    # The enterprise is not satisfied: the solve clock runs again, long past its due.
    p = services.problem_move(
        by=world.user("enterprise"), problem=p, move="reject", text="电压不稳"
    )
    tick_twice(at("2025-10-20 09:00"))
    p.refresh_from_db()
    assert (p.light, p.state) == ("red", "in_progress")
    subject = f"problem:{p.pk}:solve:red:202510162359"
    assert {u for u, s in told(OVERDUE) if s == subject} == {"county_a", "dept_a", "leader"}
    # Red since 10-16: full working days 10-17, 10-20 → escalated on Tuesday 10-21.
    tick_twice(at("2025-10-20 23:59"))
    assert Problem.objects.get(pk=p.pk).state == "in_progress"
    tick_twice(at("2025-10-21 00:00"))
    assert Problem.objects.get(pk=p.pk).state == "escalated"


def test_a_policy_that_never_escalates_and_a_solved_problem_stay_put(world, key):
    policy = services.policy_update(
        by=world.user("city_office"),
        policy=services.policy_for(key),
        escalate_after_days=0,
        warn_days=0,
    )
    p = make_problem(world, raised_at=at("2025-09-30 16:00"))
    assert p.policy == policy
    # warn_days 0: yellow only on the due day itself (the deploy clock is due today).
    tick_twice(at("2025-09-30 16:15"))
    assert Problem.objects.get(pk=p.pk).light == "yellow"
    tick_twice(at("2025-11-28 10:00"))
    p.refresh_from_db()
    assert (p.light, p.state, p.level) == ("red", "raised", "county")


def test_closed_and_withdrawn_problems_are_never_read(world, key):
    official_calendar()  # built once, before counting
    first = make_problem(world, raised_at=at("2025-09-30 16:00"))
    with CaptureQueriesContext(connection) as alone:
        summary = problems_tick(at("2025-09-30 16:15"))
    assert (summary.checked, summary.alerts) == (1, 1)

    # Problems long past every due moment, but closed or withdrawn (one withdrawn before
    # it was ever assigned: its deploy clock never stopped).
    old = [
        make_problem(world, state=state, raised_at=at("2025-09-01 10:00"))
        for state in ("closed", "withdrawn", "closed", "withdrawn")
    ]
    second = make_problem(world, raised_at=at("2025-09-30 16:00"))
    with CaptureQueriesContext(connection) as among_old:
        summary = problems_tick(at("2025-09-30 16:15"))
    # The same work (one new alert, `first` read again and left alone), the same queries.
    assert (summary.checked, summary.alerts) == (2, 1)
    assert len(among_old) == len(alone)
    assert {p.light for p in Problem.objects.filter(pk__in=[o.pk for o in old])} == {"green"}
    assert not ProblemEvent.objects.filter(problem__in=old, move="alert").exists()
    assert alerts(second) == alerts(first) == ["当日部署临期（时限2025-09-30 23:59）"]


def test_the_schedule_runs_every_fifteen_minutes_as_at_its_slot(world, key):
    decl = PERIODIC[PROBLEMS_TICK]
    assert (decl.every, decl.minutes, decl.working_days_only) == ("interval", 15, False)
    p = make_problem(world, raised_at=at("2025-09-30 16:00"))
    sync_schedules(now=at("2025-09-30 16:05"))
    schedule = Schedule.objects.get(pk=PROBLEMS_TICK)
    assert (schedule.label, schedule.next_run) == ("问题时限预警", at("2025-09-30 16:15"))
    # The worker was away until 00:07: one run, for the 00:00 slot.
    jobs = [j for j in fire_due(at("2025-10-01 00:07")) if j.kind == PROBLEMS_TICK]
    [job] = [Job.objects.get(pk=j.pk) for j in jobs]
    assert job.status == Job.Status.DONE and job.user is None
    assert job.params["scheduled_for"] == "2025-10-01T00:00:00+08:00"
    assert job.message == (
        "检查临期或超期的问题1个，预警变化1个，新预警1条，发出通知1条，自动提级0个"
    )
    p.refresh_from_db()
    assert (p.light, p.breached_at) == ("red", at("2025-09-30 23:59:59"))
    assert alerts(p) == ["当日部署超期（时限2025-09-30 23:59）"]  # never seen yellow
    assert ProblemEvent.objects.get(problem=p, move="alert").at == at("2025-10-01 00:00")


def test_an_escalation_refused_meanwhile_leaves_the_rest_done(world, key, monkeypatch):
    from sanpi.core.errors import ValidationFailed

    def moved_meanwhile(**kwargs):
        raise ValidationFailed("问题当前为“已办结待确认”，不能提级")

    p = make_problem(world, raised_at=at("2025-09-30 16:00"))
    monkeypatch.setattr(services, "problem_escalate_overdue", moved_meanwhile)
    summary = problems_tick(at("2025-10-11 00:00"))
    assert (summary.escalated, summary.alerts) == (0, 2)  # deploy red, feedback yellow
    p.refresh_from_db()
    assert (p.state, p.light) == ("raised", "red")
