"""A coming activity in a real browser: a county officer puts a project on the list to sign
ahead of the day; nothing counts yet; on the day the list is confirmed and the project is
signed on the activity's date."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from playwright.sync_api import expect

from sanpi.accounts.tests.factories import UserFactory
from sanpi.projects.models import Activity, ActivityEntry, PlannedEntry
from sanpi.projects.tests.factories import ActivityFactory, ProjectFactory
from sanpi.regions.models import County


def test_the_list_is_collected_ahead_and_confirmed_on_the_day(page, log_in):
    county = County.objects.get(code="141102")
    project = ProjectFactory(name="甲新材料项目", county=county, zone=None)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    coming = ActivityFactory(year=tomorrow.year, sequence=30, date=tomorrow)
    UserFactory(username="lishi", role="county", county=county, full_name="离石区项目办")

    log_in("lishi")
    page.goto(f"/projects/activities/{coming.pk}/")
    assert "活动尚未举行" in page.locator("main").inner_text()
    form = page.locator("form", has=page.locator("input[name=action][value=sign]"))
    with page.expect_response(lambda r: "/candidates/" in r.url):  # search as one types
        page.get_by_role("searchbox", name="查找要签约的项目").fill("甲新")
    expect(form.locator("#id_sign-project option")).to_have_count(2)  # the empty one and 甲
    form.locator("#id_sign-project").select_option(str(project.pk))
    form.get_by_role("button", name="加入签约").click()
    planned = page.locator("#planned-table")
    planned.wait_for()
    assert "拟签约（现场签约）" in planned.inner_text() and "甲新材料项目" in planned.inner_text()
    assert page.locator("#confirm-all").count() == 0  # not before the day
    assert not ActivityEntry.objects.exists()

    Activity.objects.filter(pk=coming.pk).update(date=timezone.localdate())  # the day comes
    page.reload()
    page.locator("#confirm-all").click()
    page.get_by_text("已确认拟办清单中的1个项目").wait_for()
    assert not PlannedEntry.objects.exists()
    project.refresh_from_db()
    assert (project.stage, project.signed_date) == ("signed", timezone.localdate())
    assert "甲新材料项目" in page.locator("main").inner_text()


def test_ticked_ledger_projects_go_into_an_activity_after_a_preview(page, log_in):
    county = County.objects.get(code="141102")
    a = ProjectFactory(name="甲铝材项目", county=county, zone=None)
    ProjectFactory(name="乙碳材项目", county=county, zone=None)
    c = ProjectFactory(name="丙新能项目", county=county, zone=None)
    activity = ActivityFactory(year=2021, sequence=4)
    UserFactory(username="lishi", role="county", county=county, full_name="离石区项目办")

    log_in("lishi")
    page.goto("/projects/")
    page.get_by_label("选择甲铝材项目").check()
    page.get_by_label("选择丙新能项目").check()
    page.locator("#bulk-selected").click()
    assert "已勾选 2 个项目" in page.locator("#bulk-count").inner_text()
    page.get_by_label("活动").select_option(str(activity.pk))
    page.get_by_label("行动").select_option("sign")
    page.get_by_label("签约方式").select_option("sync")
    page.locator("#bulk-preview-button").click()
    assert "将加入 2 个项目" in page.locator("#bulk-preview").inner_text()
    assert not ActivityEntry.objects.exists()  # a preview writes nothing
    page.locator("#bulk-confirm").click()
    page.get_by_text("已将2个项目加入").wait_for()
    assert sorted(e.project_id for e in ActivityEntry.objects.all()) == sorted([a.pk, c.pk])
