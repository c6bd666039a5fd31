"""The nightly evaluation as the worker runs it: a schedule at 02:00, fired at a chosen
moment (tasks run immediately in tests, so the job has run when fire_due returns)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sanpi.core.models import AuditLog, Job, Schedule
from sanpi.core.schedules import fire_due, sync_schedules
from sanpi.health.jobs import HEALTH_EVALUATE
from sanpi.health.tests.factories import at_stage, report
from sanpi.projects.models import Project

TZ = ZoneInfo("Asia/Shanghai")
D = dt.date


def at(y, m, d, hh=0, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


def _ours(jobs) -> list[Job]:
    return [Job.objects.get(pk=j.pk) for j in jobs if j.kind == HEALTH_EVALUATE]


def test_the_nightly_evaluation_runs_at_two_for_the_slots_date(world):
    stalled = at_stage(world.project_a)  # started 1 January 2026
    report(stalled, 2026, 1, 100)
    lagging = at_stage(world.project_b, stage="signed", signed=D(2025, 1, 1))
    sync_schedules(now=at(2026, 6, 20, 1, 30))
    schedule = Schedule.objects.get(pk=HEALTH_EVALUATE)
    assert (schedule.label, schedule.at, schedule.enabled) == ("推进状态评估", dt.time(2, 0), True)

    assert _ours(fire_due(at(2026, 6, 20, 1, 59))) == []
    [job] = _ours(fire_due(at(2026, 6, 20, 2, 0)))
    assert job.status == Job.Status.DONE and job.user is None
    assert job.message == "按2026-06-20评估2个项目：推进状态变化2个（改为进度滞后1个，停缓建1个）"
    assert job.summary["to"] == {"lagging": 1, "stalled": 1}
    assert Project.objects.get(pk=stalled.pk).health == "stalled"
    assert Project.objects.get(pk=lagging.pk).health == "lagging"
    rows = AuditLog.objects.filter(object_type="projects.project")
    assert {(r.username, r.source) for r in rows} == {("system:health", "system")}
    assert rows.count() == 2

    # Once per slot; the next night finds nothing to change.
    assert _ours(fire_due(at(2026, 6, 20, 2, 0))) == []
    [job] = _ours(fire_due(at(2026, 6, 21, 2, 0)))
    assert job.message == "按2026-06-21评估2个项目：推进状态变化0个"
    assert AuditLog.objects.filter(object_type="projects.project").count() == 2


def test_after_an_outage_it_catches_up_once_on_the_latest_day(world):
    p = at_stage(world.project_a, stage="signed", signed=D(2025, 12, 20))
    sync_schedules(now=at(2026, 6, 10, 12))
    # No worker from 11 June to 19 June noon: one run, for 19 June (181 days after signing).
    [job] = _ours(fire_due(at(2026, 6, 19, 12)))
    assert job.params["scheduled_for"] == "2026-06-19T02:00:00+08:00"
    assert Project.objects.get(pk=p.pk).health == "lagging"
