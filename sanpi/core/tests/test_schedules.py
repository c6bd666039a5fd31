"""Schedules (core.schedules): slots, firing at chosen moments (no clock, no sleeping),
catching up once after an outage, working days only across the 2026 National Day holiday,
and the periodic jobs the apps declare. Tasks run immediately (sanpi/conftest.py), so a
fired schedule's job has run when ``fire_due`` returns."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from sanpi.core import jobs, schedules
from sanpi.core.calendar import official_calendar
from sanpi.core.jobs import Done
from sanpi.core.models import AuditLog, Job, Schedule
from sanpi.core.schedules import Timing, fire, fire_due, periodic, sync_schedules

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
D = dt.date


def at(y, m, d, hh=0, mm=0) -> dt.datetime:
    """A Beijing time."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(TZ)


@pytest.fixture
def declare(monkeypatch):
    """Declare periodic jobs for one test only (none of the installed apps' schedules);
    returns a function that declares one and the list of slots its runs were started for."""
    monkeypatch.setattr(schedules, "PERIODIC", {})
    monkeypatch.setattr(jobs, "KINDS", dict(jobs.KINDS))
    runs: list[str] = []

    def _declare(name="tick_test", *, label="测试任务", **timing):
        @periodic(name, label=label, **timing)
        def run(job, progress):
            assert job.user is None
            runs.append(job.params["scheduled_for"])
            return Done(f"已执行 {job.params['scheduled_for']}", {"n": len(runs)})

        return runs

    return _declare


def _row(name="tick_test") -> Schedule:
    return Schedule.objects.get(pk=name)


# --- declarations ------------------------------------------------------------------------


def test_a_declaration_is_a_job_kind_and_refuses_bad_timing(declare):
    declare(every="daily", at="01:00")
    assert jobs.KINDS["tick_test"].label == "测试任务"
    decl = schedules.PERIODIC["tick_test"]
    assert (decl.every, decl.at, decl.minutes) == ("daily", dt.time(1, 0), None)
    declare("hourly_test", every="hourly")
    assert schedules.PERIODIC["hourly_test"].minutes == 60
    for bad in (
        {"every": "daily"},
        {"every": "daily", "at": "25:00"},
        {"every": "daily", "at": "1点"},
        {"every": "minutes"},
        {"every": "minutes", "minutes": 0},
        {"every": "minutes", "minutes": 1441},
        {"every": "hourly", "minutes": 30},
        {"every": "weekly"},
    ):
        with pytest.raises(ValueError):
            declare("bad", **bad)
    assert "bad" not in schedules.PERIODIC and "bad" not in jobs.KINDS


def test_the_apps_declare_the_scan_and_the_purge():
    scan, purge = schedules.PERIODIC["approvals_scan"], schedules.PERIODIC["purge_jobs"]
    assert (scan.every, scan.at, scan.working_days_only) == ("daily", dt.time(1, 0), False)
    assert (purge.every, purge.at) == ("daily", dt.time(3, 0))
    assert jobs.KINDS["approvals_scan"].idempotent and jobs.KINDS["purge_jobs"].idempotent
    sync_schedules(now=at(2026, 6, 1, 12))
    rows = {s.name: s for s in Schedule.objects.all()}
    assert local(rows["approvals_scan"].next_run) == at(2026, 6, 2, 1)
    assert local(rows["purge_jobs"].next_run) == at(2026, 6, 2, 3)
    assert rows["approvals_scan"].when_text == "每天 01:00"


# --- slots ---------------------------------------------------------------------------------


def _timing(**kw) -> Timing:
    base = {"every": "daily", "at": None, "minutes": None, "working_days_only": False}
    return Timing(**{**base, **kw}, zone=TZ, is_working_day=lambda d: d.weekday() < 5)


def test_slots_are_local_times_strictly_after_and_at_or_before():
    daily = _timing(at=dt.time(1, 0))
    assert local(daily.next_after(at(2026, 6, 1, 0, 59))) == at(2026, 6, 1, 1)
    assert local(daily.next_after(at(2026, 6, 1, 1))) == at(2026, 6, 2, 1)  # strictly after
    assert local(daily.last_upto(at(2026, 6, 1, 1))) == at(2026, 6, 1, 1)
    assert local(daily.last_upto(at(2026, 6, 1, 0, 59))) == at(2026, 5, 31, 1)
    # 01:00 Beijing time is 17:00 UTC the day before
    assert daily.next_after(at(2026, 6, 1)) == dt.datetime(2026, 5, 31, 17, tzinfo=dt.UTC)

    quarter = _timing(every="interval", minutes=15)
    assert local(quarter.next_after(at(2026, 6, 1, 10, 7))) == at(2026, 6, 1, 10, 15)
    assert local(quarter.next_after(at(2026, 6, 1, 10, 15))) == at(2026, 6, 1, 10, 30)
    assert local(quarter.next_after(at(2026, 6, 1, 23, 50))) == at(2026, 6, 2)
    assert local(quarter.last_upto(at(2026, 6, 1, 10, 29))) == at(2026, 6, 1, 10, 15)
    odd = _timing(every="interval", minutes=7)  # does not divide the day: restarts at 0:00
    assert local(odd.last_upto(at(2026, 6, 1, 23, 59))) == at(2026, 6, 1, 23, 55)
    assert local(odd.next_after(at(2026, 6, 1, 23, 55))) == at(2026, 6, 2)

    weekdays = _timing(at=dt.time(1, 0), working_days_only=True)  # 2026-06-05 is a Friday
    assert local(weekdays.next_after(at(2026, 6, 5, 2))) == at(2026, 6, 8, 1)
    assert local(weekdays.last_upto(at(2026, 6, 7, 23))) == at(2026, 6, 5, 1)
    hourly_weekdays = _timing(every="interval", minutes=60, working_days_only=True)
    assert local(hourly_weekdays.next_after(at(2026, 6, 5, 23, 30))) == at(2026, 6, 8)


# --- firing --------------------------------------------------------------------------------


def test_a_daily_schedule_fires_once_per_day(declare):
    runs = declare(every="daily", at="01:00")
    sync_schedules(now=at(2026, 6, 1))
    assert local(_row().next_run) == at(2026, 6, 1, 1)

    assert fire_due(at(2026, 6, 1, 0, 59)) == []
    [job] = fire_due(at(2026, 6, 1, 1))
    assert job.status == Job.Status.DONE and job.user is None and job.kind == "tick_test"
    assert job.params == {"scheduled_for": "2026-06-01T01:00:00+08:00"}
    assert job.message == "已执行 2026-06-01T01:00:00+08:00"
    row = _row()
    assert local(row.next_run) == at(2026, 6, 2, 1) and row.last_fired_at == at(2026, 6, 1, 1)

    assert fire_due(at(2026, 6, 1, 1)) == []  # the same moment again: nothing
    assert fire_due(at(2026, 6, 1, 23, 59)) == []
    [job] = fire_due(at(2026, 6, 2, 1, 0))
    assert runs == ["2026-06-01T01:00:00+08:00", "2026-06-02T01:00:00+08:00"]
    assert Job.objects.filter(kind="tick_test").count() == 2


def test_two_workers_racing_fire_a_slot_once(declare):
    runs = declare(every="daily", at="01:00")
    sync_schedules(now=at(2026, 6, 1))
    seen_by_a, seen_by_b = _row(), _row()  # both read the schedule as due
    assert fire(seen_by_a, at(2026, 6, 1, 1)) is not None
    assert fire(seen_by_b, at(2026, 6, 1, 1, 0)) is None  # its next_run is no more: no match
    assert fire(seen_by_b, at(2026, 6, 1, 1, 1)) is None
    assert len(runs) == 1 and Job.objects.filter(kind="tick_test").count() == 1


def test_after_an_outage_a_schedule_catches_up_once(declare):
    runs = declare(every="daily", at="01:00")
    sync_schedules(now=at(2026, 6, 1))
    # No worker from 1 June 00:00 to 4 June 10:00: three slots missed, one run.
    [job] = fire_due(at(2026, 6, 4, 10))
    assert job.params["scheduled_for"] == "2026-06-04T01:00:00+08:00"  # the latest slot
    assert local(_row().next_run) == at(2026, 6, 5, 1)  # the next one to come
    assert fire_due(at(2026, 6, 4, 10)) == [] and fire_due(at(2026, 6, 4, 23)) == []
    assert len(runs) == 1


def test_an_interval_schedule(declare):
    runs = declare(every="minutes", minutes=15)
    sync_schedules(now=at(2026, 6, 1, 10, 7))
    assert local(_row().next_run) == at(2026, 6, 1, 10, 15)
    assert _row().when_text == "每15分钟"
    assert len(fire_due(at(2026, 6, 1, 10, 15))) == 1
    assert fire_due(at(2026, 6, 1, 10, 20)) == []
    assert len(fire_due(at(2026, 6, 1, 10, 31))) == 1
    assert len(fire_due(at(2026, 6, 1, 13, 2))) == 1  # down for two and a half hours
    assert runs[-1] == "2026-06-01T13:00:00+08:00"
    assert local(_row().next_run) == at(2026, 6, 1, 13, 15)
    assert len(runs) == 3


def test_working_days_only_skips_the_national_day_holiday_and_runs_on_the_makeup_saturday(
    declare,
):
    calendar = official_calendar()
    holiday = [D(2026, 10, day) for day in range(1, 8)]  # 国庆节、中秋节 1-7 October 2026
    assert not any(calendar.is_working_day(d) for d in holiday)
    assert calendar.is_working_day(D(2026, 10, 10))  # Saturday, 调休上班
    assert not calendar.is_working_day(D(2026, 10, 11))  # Sunday

    runs = declare(every="daily", at="01:00", working_days_only=True)
    sync_schedules(now=at(2026, 9, 29, 12))
    assert _row().when_text == "每天 01:00（仅工作日）"
    moment = at(2026, 9, 29, 12)
    while moment < at(2026, 10, 13, 12):  # a worker looking every half hour for two weeks
        moment += dt.timedelta(minutes=30)
        fire_due(moment)
    fired = [dt.datetime.fromisoformat(slot).date() for slot in runs]
    assert fired == [
        D(2026, 9, 30),
        D(2026, 10, 8),
        D(2026, 10, 9),
        D(2026, 10, 10),  # the make-up Saturday
        D(2026, 10, 12),
        D(2026, 10, 13),
    ]
    # Down over the whole holiday: caught up once, for the last working day's slot.
    Schedule.objects.filter(pk="tick_test").update(next_run=at(2026, 9, 30, 1))
    runs.clear()
    fire_due(at(2026, 10, 8, 0, 30))
    assert runs == ["2026-09-30T01:00:00+08:00"]
    assert local(_row().next_run) == at(2026, 10, 8, 1)


def test_a_disabled_schedule_does_not_fire_and_resumes_without_catching_up(declare, world):
    runs = declare(every="daily", at="01:00")
    sync_schedules(now=at(2026, 6, 1))
    Schedule.objects.filter(pk="tick_test").update(enabled=False)
    assert fire_due(at(2026, 6, 3, 2)) == []
    admin = world.user("admin")
    schedules.schedule_update(
        by=admin,
        name="tick_test",
        at="01:00",
        enabled=True,
        working_days_only=False,
        now=at(2026, 6, 3, 2),
    )
    assert local(_row().next_run) == at(2026, 6, 4, 1)  # from now on, not the days it was off
    assert fire_due(at(2026, 6, 3, 23)) == []
    assert len(fire_due(at(2026, 6, 4, 1))) == 1 and len(runs) == 1


def test_a_schedule_no_longer_declared_does_not_fire(declare):
    declare(every="daily", at="01:00")
    Schedule.objects.create(
        name="gone", label="旧任务", every="daily", at=dt.time(1), next_run=at(2026, 6, 1, 1)
    )
    sync_schedules(now=at(2026, 6, 1))
    assert Schedule.objects.filter(pk="gone").exists()  # kept, with its history
    started = fire_due(at(2026, 6, 2))
    assert [j.kind for j in started] == ["tick_test"]


def test_a_failing_job_is_recorded_and_the_schedule_moves_on(declare, monkeypatch):
    @periodic("broken", label="出错的任务", every="hourly")
    def broken(job, progress):
        raise RuntimeError("boom")

    sync_schedules(now=at(2026, 6, 1, 9, 30))
    [job] = fire_due(at(2026, 6, 1, 10))
    assert job.status == Job.Status.FAILED and job.message == jobs.INTERNAL_ERROR
    assert local(_row("broken").next_run) == at(2026, 6, 1, 11)


# --- rows and declarations --------------------------------------------------------------


def test_sync_keeps_an_administrators_changes(declare, world):
    declare(every="daily", at="01:00")
    declare("other", every="daily", at="02:00")
    sync_schedules(now=at(2026, 6, 1))
    schedules.schedule_update(
        by=world.user("admin"),
        name="tick_test",
        at="05:30",
        enabled=False,
        working_days_only=True,
        now=at(2026, 6, 1),
    )
    # A new release changes both defaults and a label.
    declare(label="测试任务（新）", every="daily", at="04:00")
    declare("other", every="daily", at="04:00")
    sync_schedules(now=at(2026, 6, 1, 12))
    row = _row()
    assert (row.at, row.enabled, row.working_days_only, row.label) == (
        dt.time(5, 30),
        False,
        True,
        "测试任务（新）",
    )
    other = _row("other")  # never changed by anyone: follows the code
    assert other.at == dt.time(4) and local(other.next_run) == at(2026, 6, 2, 4)
    # The code turns it into an interval job: the old time of day means nothing any more.
    declare(every="minutes", minutes=30)
    sync_schedules(now=at(2026, 6, 1, 12, 10))
    row = _row()
    assert (row.every, row.minutes, row.customized) == ("interval", 30, False)
    assert local(row.next_run) == at(2026, 6, 1, 12, 30)


def test_tick_syncs_once_and_fires(declare, monkeypatch):
    declare(every="daily", at="01:00")
    monkeypatch.setattr(schedules, "_synced", False)
    calls = []
    real_sync = schedules.sync_schedules
    monkeypatch.setattr(
        schedules, "sync_schedules", lambda: (calls.append(1), real_sync(now=at(2026, 6, 1)))
    )
    assert schedules.tick(now=at(2026, 6, 1, 0, 30)) == []
    assert len(schedules.tick(now=at(2026, 6, 1, 1))) == 1
    assert calls == [1]

    def fail(now=None):
        raise RuntimeError("database gone")

    monkeypatch.setattr(schedules, "fire_due", fail)
    assert schedules.tick() == []  # logged, the worker goes on


def test_schedule_update_refuses_bad_input_and_non_admins(declare, world):
    from sanpi.core.errors import PermissionDenied, ValidationFailed

    declare(every="daily", at="01:00")
    declare("quarter", every="minutes", minutes=15)
    sync_schedules(now=at(2026, 6, 1))
    admin = world.user("admin")
    for bad in ("24:00", "1:60", "0100", "", None):
        with pytest.raises(ValidationFailed, match="时间格式应为 HH:MM"):
            schedules.schedule_update(
                by=admin, name="tick_test", at=bad, enabled=True, working_days_only=False
            )
    for bad in (0, 1441, -5, None, True, "15"):
        with pytest.raises(ValidationFailed, match="间隔应为1至1440分钟"):
            schedules.schedule_update(
                by=admin, name="quarter", minutes=bad, enabled=True, working_days_only=False
            )
    for role in ("city_office", "auditor", "county"):
        with pytest.raises(PermissionDenied):
            schedules.schedule_update(
                by=world.user(role),
                name="tick_test",
                at="02:00",
                enabled=True,
                working_days_only=False,
            )
    assert not AuditLog.objects.filter(object_type="core.schedule").exists()
    assert _row().at == dt.time(1) and _row("quarter").minutes == 15


# --- the apps' periodic jobs -----------------------------------------------------------


def test_the_nightly_scan_turns_due_commitments(world):
    from sanpi.approvals.models import Commitment, CreditRecord
    from sanpi.approvals.tests.factories import approvals_world

    approvals_world(world)  # two commitments due on 2021-12-31
    sync_schedules(now=at(2021, 12, 31, 12))
    assert "approvals_scan" not in {j.kind for j in fire_due(at(2021, 12, 31, 23))}
    started = fire_due(at(2022, 1, 1, 1))
    [job] = [j for j in started if j.kind == "approvals_scan"]
    assert job.status == Job.Status.DONE and job.user is None
    assert job.message == "按2022-01-01扫描：新记入信用记录2条"
    assert CreditRecord.objects.count() == 2
    assert set(Commitment.objects.values_list("status", flat=True)) == {"broken"}
    rows = AuditLog.objects.filter(object_type="approvals.creditrecord")
    assert {(r.source, r.username) for r in rows} == {("system", "system:schedule")}
    # Caught up after an outage the next day: idempotent, nothing twice.
    [job] = [j for j in fire_due(at(2022, 1, 3, 9)) if j.kind == "approvals_scan"]
    assert job.message == "按2022-01-03扫描：新记入信用记录0条"
    assert CreditRecord.objects.count() == 2


def test_the_nightly_purge_deletes_old_finished_jobs(settings):
    settings.SANPI_JOBS_KEEP_DAYS = 30
    real_now = timezone.now()
    old = Job.objects.create(kind="ledger_export", status=Job.Status.DONE)
    recent = Job.objects.create(kind="ledger_export", status=Job.Status.DONE)
    waiting = Job.objects.create(kind="ledger_export", status=Job.Status.PENDING)
    Job.objects.filter(pk=old.pk).update(finished_at=real_now - dt.timedelta(days=31))
    Job.objects.filter(pk=recent.pk).update(finished_at=real_now - dt.timedelta(days=29))
    sync_schedules(now=real_now - dt.timedelta(days=2))
    started = fire_due(real_now)
    [job] = [j for j in started if j.kind == "purge_jobs"]
    assert job.status == Job.Status.DONE
    assert job.summary == {"deleted": 1, "keep_days": 30}
    assert set(Job.objects.values_list("pk", flat=True)) >= {recent.pk, waiting.pk, job.pk}
    assert not Job.objects.filter(pk=old.pk).exists()
