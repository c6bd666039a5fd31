"""The schedules pages (core.schedule_views): the system administrator's only, the list,
the edit form (audited, next run computed again) and bad input answered in Chinese."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from sanpi.core import jobs, schedules
from sanpi.core.errors import PermissionDenied
from sanpi.core.jobs import Done
from sanpi.core.models import AuditLog, Job, Schedule
from sanpi.core.schedules import periodic

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
LIST = "/jobs/schedules/"
SCAN = "/jobs/schedules/approvals_scan/"
NOT_ADMINS = (
    "city_office",
    "leader",
    "county",
    "zone",
    "enterprise",
    "auditor",
    "department",
    "agent",
)


@pytest.fixture
def quarter(monkeypatch):
    """An interval schedule (every 15 minutes) for this test only."""
    monkeypatch.setattr(schedules, "PERIODIC", dict(schedules.PERIODIC))
    monkeypatch.setattr(jobs, "KINDS", dict(jobs.KINDS))

    @periodic("quarter_test", label="每刻钟测试", every="minutes", minutes=15)
    def run(job, progress):
        return Done("ok")

    return "/jobs/schedules/quarter_test/"


def _post(client, url, **data):
    return client.post(url, {"enabled": "on", **data})


def test_the_urls():
    assert reverse("core:schedules") == LIST
    assert reverse("core:schedule_edit", kwargs={"name": "approvals_scan"}) == SCAN


@pytest.mark.parametrize("role", NOT_ADMINS)
def test_only_the_system_administrator_may_see_or_change_schedules(world, login, role):
    client = login(world.user(role))
    assert client.get(LIST).status_code == 403
    assert client.get(SCAN).status_code == 403
    assert _post(client, SCAN, at="02:00").status_code == 403
    assert client.get("/jobs/schedules/nothing/").status_code == 403
    assert not AuditLog.objects.filter(object_type="core.schedule").exists()


def test_anonymous_users_are_sent_to_sign_in(client, world):
    response = client.get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_list_shows_every_schedule_and_the_jobs_page_links_to_it(world, login):
    client = login(world.user("admin"))
    assert 'href="/jobs/schedules/"' in client.get("/jobs/").content.decode()
    html = client.get(LIST).content.decode()
    assert "承诺到期扫描" in html and "清理已完成的后台任务" in html
    assert "每天 01:00" in html and "每天 03:00" in html
    assert f'href="{SCAN}"' in html
    assert Schedule.objects.filter(pk__in=["approvals_scan", "purge_jobs"]).count() == 2
    assert client.get("/jobs/schedules/nothing/").status_code == 404


def test_the_list_shows_each_schedule_s_latest_scheduled_job(world, login):
    admin = world.user("admin")
    now = timezone.now()
    older = Job.objects.create(kind="purge_jobs", status="failed", message="旧的一次失败")
    newer = Job.objects.create(kind="purge_jobs", status="done", message="新的一次完成")
    by_hand = Job.objects.create(kind="purge_jobs", user=admin, message="有人手动启动")
    for job, hours in ((older, 2), (newer, 1), (by_hand, 0)):
        Job.objects.filter(pk=job.pk).update(created_at=now - dt.timedelta(hours=hours))
    rows = {row.name: row for row in schedules.schedule_list(user=admin)}
    assert rows["purge_jobs"].last_job == newer and rows["approvals_scan"].last_job is None
    html = login(admin).get(LIST).content.decode()
    assert "新的一次完成" in html and "旧的一次失败" not in html and "有人手动启动" not in html


def test_the_services_refuse_everyone_but_the_system_administrator(world):
    for role in NOT_ADMINS:
        with pytest.raises(PermissionDenied):
            schedules.schedule_list(user=world.user(role))
        with pytest.raises(PermissionDenied):
            jobs.all_jobs(user=world.user(role))
    assert jobs.all_jobs(user=world.user("admin"), status="done").count() == 0


def test_an_edit_is_saved_audited_and_moves_the_next_run(world, login):
    client = login(world.user("admin"))
    form = client.get(SCAN).content.decode()
    assert 'value="01:00"' in form and "间隔" not in form
    response = _post(client, SCAN, at="02:30", working_days_only="on")
    assert response.status_code == 302 and response.url == LIST
    row = Schedule.objects.get(pk="approvals_scan")
    assert (row.at, row.enabled, row.working_days_only, row.customized) == (
        dt.time(2, 30),
        True,
        True,
        True,
    )
    next_run = row.next_run.astimezone(TZ)
    assert next_run > timezone.now() and next_run.time() == dt.time(2, 30)
    assert next_run - timezone.now() < dt.timedelta(days=15)
    [entry] = AuditLog.objects.filter(object_type="core.schedule", object_id="approvals_scan")
    assert entry.action == "update" and entry.username == "sysadmin" and entry.source == "web"
    assert entry.before["at"] == "01:00" and entry.after["at"] == "02:30"
    assert entry.before["working_days_only"] is False and entry.after["working_days_only"] is True
    assert entry.message == "修改定时任务：承诺到期扫描"
    html = client.get(LIST).content.decode()
    assert "已保存“承诺到期扫描”的执行时间" in html and "每天 02:30（仅工作日）" in html

    # Switched off: not shown as due, and no audit row for a save that changes nothing.
    _post(client, SCAN, at="02:30", working_days_only="on", enabled="")
    client.post(SCAN, {"at": "02:30", "working_days_only": "on"})
    assert not Schedule.objects.get(pk="approvals_scan").enabled
    assert "已停用" in client.get(LIST).content.decode()
    client.post(SCAN, {"at": "2:30", "working_days_only": "on"})
    assert AuditLog.objects.filter(object_type="core.schedule").count() == 2
    later = schedules.fire_due(timezone.now() + dt.timedelta(days=30))
    fired = {j.kind for j in later}
    assert "purge_jobs" in fired and "approvals_scan" not in fired  # the scan is off


@pytest.mark.parametrize("bad", ["25:00", "12:60", "abc", "0130", "1:2", "", "01:00:00"])
def test_a_bad_time_is_refused_in_chinese(world, login, bad):
    client = login(world.user("admin"))
    response = _post(client, SCAN, at=bad)
    assert response.status_code == 200
    assert "时间格式应为 HH:MM" in response.content.decode()
    assert Schedule.objects.get(pk="approvals_scan").at == dt.time(1)
    assert not AuditLog.objects.filter(object_type="core.schedule").exists()


def test_an_interval_is_edited_within_1_to_1440_minutes(world, login, quarter):
    client = login(world.user("admin"))
    form = client.get(quarter).content.decode()
    assert 'name="minutes"' in form and 'name="at"' not in form
    for bad in ("0", "1441", "-3", "abc", "1.5", "", "99999999999999999999"):
        response = _post(client, quarter, minutes=bad)
        assert response.status_code == 200, bad
        assert "间隔应为1至1440分钟之间的整数" in response.content.decode(), bad
    assert Schedule.objects.get(pk="quarter_test").minutes == 15
    response = _post(client, quarter, minutes="60")
    assert response.status_code == 302
    row = Schedule.objects.get(pk="quarter_test")
    assert row.minutes == 60 and row.when_text == "每小时"
    assert row.next_run.astimezone(TZ).minute == 0 and row.next_run > timezone.now()
    [entry] = AuditLog.objects.filter(object_type="core.schedule", object_id="quarter_test")
    assert (entry.before["minutes"], entry.after["minutes"]) == (15, 60)
    assert "每小时" in client.get(LIST).content.decode()
