"""Planned activities (issue #7): a coming activity collects its list ahead (拟签约/拟开工/
拟投产); the list counts nowhere and moves no stage until it is confirmed on or after the
day, one by one or all at once; a planned entry can be withdrawn."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from sanpi.cockpit.selectors import activity_figures
from sanpi.core.errors import ValidationFailed
from sanpi.core.models import AuditLog
from sanpi.core.tests import office
from sanpi.projects import services
from sanpi.projects.models import Activity, ActivityEntry, PlannedEntry
from sanpi.projects.tests.factories import ActivityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coming(world):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return ActivityFactory(year=tomorrow.year, sequence=30, date=tomorrow)


def _held(activity: Activity) -> None:
    """The day has come (moved by hand: a real activity's date passes by itself)."""
    Activity.objects.filter(pk=activity.pk).update(date=timezone.localdate())
    activity.refresh_from_db()


def test_a_planned_entry_counts_nowhere_and_moves_no_stage(world, coming):
    city = world.user("city_office")
    p = world.project_a
    planned = services.activity_plan_project(
        by=city, activity=coming, project=p, action="sign", sign_mode="onsite"
    )
    p.refresh_from_db()
    assert (p.stage, p.signed_date) == ("reserve", None)
    assert activity_figures(user=city, activity=coming).signed.count == 0
    assert not ActivityEntry.objects.exists()
    log = AuditLog.objects.get(object_type="projects.plannedentry", action="create")
    assert log.message == f"列入{coming}拟签约清单：{p}"
    assert planned.created_by == city


@pytest.mark.parametrize(
    ("setup", "kwargs", "message"),
    [
        (None, {"action": "sign"}, "签约须选择签约方式（现场签约或同步签约）"),
        ("planned", {"action": "sign", "sign_mode": "sync"}, "项目已列入"),
        ("signed", {"action": "sign", "sign_mode": "sync"}, "项目已签约，不能列入拟签约清单"),
        ("held", {"action": "sign", "sign_mode": "sync"}, "请直接登记，不再列入拟办清单"),
    ],
)
def test_what_cannot_be_planned_is_refused(world, coming, setup, kwargs, message):
    city = world.user("city_office")
    if setup == "planned":
        services.activity_plan_project(
            by=city, activity=coming, project=world.project_a, action="sign", sign_mode="sync"
        )
    elif setup == "signed":
        services.project_advance_stage(
            by=city, project=world.project_a, to_stage="signed", date=dt.date(2021, 3, 1)
        )
    elif setup == "held":
        _held(coming)
    before = PlannedEntry.objects.count()
    with pytest.raises(ValidationFailed, match=message):
        services.activity_plan_project(by=city, activity=coming, project=world.project_a, **kwargs)
    assert PlannedEntry.objects.count() == before


def test_out_of_scope_projects_cannot_be_planned(world, coming):
    from sanpi.core.errors import NotFound

    with pytest.raises(NotFound):
        services.activity_plan_project(
            by=world.user("county"), activity=coming, project=world.project_b, action="sign",
            sign_mode="sync",
        )  # fmt: skip


def test_confirming_before_the_day_is_refused_and_on_the_day_moves_the_stage(world, coming):
    city = world.user("city_office")
    planned = services.activity_plan_project(
        by=city, activity=coming, project=world.project_a, action="sign", sign_mode="sync"
    )
    with pytest.raises(ValidationFailed, match="当天或之后才能确认"):
        services.planned_confirm(by=city, planned=planned)
    _held(coming)
    planned.refresh_from_db()
    entry = services.planned_confirm(by=city, planned=planned)
    world.project_a.refresh_from_db()
    assert (world.project_a.stage, world.project_a.signed_date) == ("signed", coming.date)
    assert (entry.activity, entry.sign_mode) == (coming, "sync")
    assert not PlannedEntry.objects.exists()
    assert activity_figures(user=city, activity=coming).signed.count == 1


def test_confirming_the_whole_list_is_all_or_nothing(world, coming):
    city = world.user("city_office")
    a = services.activity_plan_project(
        by=city, activity=coming, project=world.project_a, action="sign", sign_mode="sync"
    )
    services.activity_plan_project(
        by=city, activity=coming, project=world.project_b, action="sign", sign_mode="onsite"
    )
    _held(coming)
    # Meanwhile project B was signed elsewhere: the list can't be confirmed as it stands.
    services.project_advance_stage(
        by=city, project=world.project_b, to_stage="signed", date=dt.date(2021, 3, 1)
    )
    with pytest.raises(ValidationFailed) as info:
        services.activity_confirm_planned(by=city, activity=coming)
    assert info.value.message.startswith("以下项目不能确认，全部未确认：")
    assert str(world.project_b) in info.value.message
    assert PlannedEntry.objects.count() == 2 and not ActivityEntry.objects.exists()
    services.planned_withdraw(by=city, planned=PlannedEntry.objects.get(project=world.project_b))
    assert [e.project for e in services.activity_confirm_planned(by=city, activity=coming)] == [
        a.project
    ]


def test_the_page_collects_the_list_ahead_and_confirms_it_on_the_day(world, coming, login):
    client = login(world.user("county"))
    url = reverse("projects:activity_detail", kwargs={"pk": coming.pk})
    response = client.post(
        reverse("projects:activity_add", kwargs={"pk": coming.pk}),
        {"action": "sign", "sign-project": world.project_a.pk, "sign-sign_mode": "onsite"},
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "拟办清单" in page and world.project_a.name in page and "confirm-all" not in page
    planned = PlannedEntry.objects.get()
    _held(coming)
    page = client.get(url).content.decode()
    assert 'id="confirm-all"' in page
    response = client.post(reverse("projects:activity_confirm_all", kwargs={"pk": coming.pk}))
    assert response.status_code == 302
    assert ActivityEntry.objects.get().project == planned.project
    # Nothing left to confirm: said on the page, nothing written.
    before = AuditLog.objects.count()
    response = client.post(reverse("projects:activity_confirm_all", kwargs={"pk": coming.pk}))
    assert response.status_code == 200
    assert "拟办清单中没有您可以确认的项目" in response.content.decode()
    assert AuditLog.objects.count() == before


# --- changing and deleting an activity ------------------------------------------------------------


def test_a_new_date_moves_the_confirmed_stage_dates_after_a_preview(world):
    city = world.user("city_office")
    entry = services.activity_add_project(
        by=city, activity=world.activity, project=world.project_a, action="sign",
        sign_mode="onsite",
    )  # fmt: skip
    old = world.activity.date
    new = old + dt.timedelta(days=3)
    with pytest.raises(ValidationFailed) as info:
        services.activity_update(by=city, activity=world.activity, date=new)
    assert info.value.fields["date"] == [
        f"改动活动日期将同时改动1个项目的阶段日期（{world.project_a.name}：签约日期 "
        f"{old:%Y-%m-%d} → {new:%Y-%m-%d}）。如确认，请勾选“同时改动项目的阶段日期”后保存"
    ]
    world.activity.refresh_from_db()
    assert world.activity.date == old
    services.activity_update(by=city, activity=world.activity, date=new, confirm_move=True)
    world.project_a.refresh_from_db()
    assert world.project_a.signed_date == new
    assert entry.project.events.get(kind="stage", value="signed").date == new


def test_a_date_move_that_breaks_the_date_order_is_refused(world):
    city = world.user("city_office")
    services.activity_add_project(
        by=city, activity=world.activity, project=world.project_a, action="sign",
        sign_mode="onsite",
    )  # fmt: skip
    started = world.activity.date + dt.timedelta(days=10)
    services.project_advance_stage(
        by=city, project=world.project_a, to_stage="started", date=started
    )
    late = started + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed, match="不能改到这一天"):
        services.activity_update(by=city, activity=world.activity, date=late, confirm_move=True)
    world.project_a.refresh_from_db()
    assert world.project_a.signed_date != late


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"year": 1999, "date": dt.date(1999, 5, 1)}, "year", "年度应在2000到"),
        ({"date": dt.date(2020, 5, 1)}, "date", "不在2021年度内"),
    ],
)
def test_activity_year_and_date_bounds(world, data, field, message):
    with pytest.raises(ValidationFailed) as info:
        services.activity_update(by=world.user("city_office"), activity=world.activity, **data)
    assert message in info.value.fields[field][0]


def test_an_activity_is_deleted_only_without_confirmed_entries(world, coming, login):
    city = world.user("city_office")
    services.activity_plan_project(
        by=city, activity=coming, project=world.project_a, action="sign", sign_mode="sync"
    )
    services.activity_add_project(
        by=city, activity=world.activity, project=world.project_b, action="sign",
        sign_mode="sync",
    )  # fmt: skip
    client = login(city)
    response = client.post(reverse("projects:activity_delete", kwargs={"pk": world.activity.pk}))
    assert response.status_code == 200
    assert "不能删除" in response.content.decode()
    assert Activity.objects.filter(pk=world.activity.pk).exists()
    response = client.post(reverse("projects:activity_delete", kwargs={"pk": coming.pk}))
    assert response.status_code == 302
    assert not Activity.objects.filter(pk=coming.pk).exists()
    assert not PlannedEntry.objects.exists()


# --- many projects at once ----------------------------------------------------------------------


def test_many_projects_are_added_at_once_with_a_preview_of_the_refusals(world):
    from sanpi.projects.tests.factories import ProjectFactory

    city = world.user("city_office")
    more = [ProjectFactory(county=world.county_a) for _ in range(3)]
    services.project_advance_stage(
        by=city, project=more[0], to_stage="signed", date=dt.date(2021, 1, 5)
    )
    candidates = [world.project_a, *more]
    before = AuditLog.objects.count()
    preview = services.activity_add_many(
        by=city, activity=world.activity, action="sign", sign_mode="sync",
        project_ids=[p.pk for p in candidates], dry_run=True,
    )  # fmt: skip
    assert [p.pk for p in preview.added] == [world.project_a.pk, more[1].pk, more[2].pk], preview
    assert [(p.pk, reason) for p, reason in preview.refused] == [
        (more[0].pk, "项目已于2021-01-05签约，不能在本次活动中再次签约")
    ]
    assert AuditLog.objects.count() == before and not ActivityEntry.objects.exists()
    done = services.activity_add_many(
        by=city, activity=world.activity, action="sign", sign_mode="sync",
        project_ids=[p.pk for p in candidates],
    )  # fmt: skip
    assert [p.pk for p in done.added] == [p.pk for p in preview.added]
    assert ActivityEntry.objects.filter(activity=world.activity).count() == 3
    summary = AuditLog.objects.get(object_type="projects.activity", message__startswith="批量")
    assert summary.message == "批量签约：3个项目，1个未加入"


def test_many_projects_out_of_scope_or_into_a_coming_activity(world, coming):
    county = world.user("county")
    outcome = services.activity_add_many(
        by=county, activity=coming, action="start",
        project_ids=[world.project_a.pk, world.project_b.pk],
    )  # fmt: skip
    assert outcome.planned and outcome.added == []
    assert [reason for _, reason in outcome.refused] == [
        "项目处于“储备”阶段，须先签约才能列入拟开工清单",
        "对象不存在或不在您的权限范围内",
    ]


def test_the_bulk_page_previews_then_adds_the_ledger_selection(world, login):
    from sanpi.projects.tests.factories import ProjectFactory

    more = ProjectFactory(county=world.county_a, name="丙项目")
    client = login(world.user("county"))
    url = reverse("projects:bulk_add") + "?county=141102"
    page = client.get(url).content.decode()
    assert "全部 <strong>2</strong> 个项目" in page  # 甲 and 丙; 乙 is another county's
    form = {"county": "141102", "bulk-activity": world.activity.pk, "bulk-action": "sign",
            "bulk-sign_mode": "sync"}  # fmt: skip
    page = client.post(url, form).content.decode()
    assert 'id="bulk-preview"' in page and "加入 <strong>2</strong> 个项目" in page
    assert not ActivityEntry.objects.exists()
    response = client.post(url, {**form, "confirm": "1", "ids": [more.pk]})
    assert response.status_code == 302
    assert [e.project for e in ActivityEntry.objects.all()] == [more]
    # Out of scope ids are simply not in the selection.
    response = client.post(url, {**form, "confirm": "1", "ids": [world.project_b.pk]})
    assert response.status_code == 200 and "没有可加入的项目" in response.content.decode()
    assert ActivityEntry.objects.count() == 1


# --- choosing projects without rendering them all -------------------------------------------------


def test_the_activity_picker_is_bounded_and_searched_as_one_types(world, login):
    from sanpi.projects.forms import CANDIDATES_SHOWN
    from sanpi.projects.tests.factories import ProjectFactory

    for n in range(CANDIDATES_SHOWN + 5):
        ProjectFactory(county=world.county_a, name=f"候选项目{n:03d}")
    client = login(world.user("county"))
    page = client.get(reverse("projects:activity_detail", kwargs={"pk": world.activity.pk}))
    html = page.content.decode()
    sign_select = html[html.index('name="sign-project"') :]
    sign_select = sign_select[: sign_select.index("</select>")]
    assert sign_select.count("<option") == CANDIDATES_SHOWN + 1  # and the empty choice
    url = reverse("projects:activity_candidates", kwargs={"pk": world.activity.pk})
    html = client.get(url, {"action": "sign", "q": "候选项目034"}).content.decode()
    assert html.count("<option") == 2 and "候选项目034" in html
    html = client.get(url, {"action": "sign", "q": world.project_b.name}).content.decode()
    assert "没有符合的项目" in html  # project B is another county's
    html = client.get(url, {"action": "start", "q": "候选"}).content.decode()
    assert "没有符合的项目" in html  # reserve projects can't start
    # A project found by searching (beyond the first ones shown) can be added.
    response = client.post(
        reverse("projects:activity_add", kwargs={"pk": world.activity.pk}),
        {"action": "sign", "sign-project": ProjectFactory._meta.model.objects.get(
            name="候选项目034").pk, "sign-sign_mode": "onsite"},
    )  # fmt: skip
    assert response.status_code == 302
    assert ActivityEntry.objects.get().project.name == "候选项目034"


@office.needs_soffice
@pytest.mark.parametrize("fmt", ["xlsx", "docx"])
def test_the_list_exports_for_the_event_as_people_open_it(world, coming, login, fmt):

    city = world.user("city_office")
    services.activity_plan_project(
        by=city, activity=coming, project=world.project_a, action="sign", sign_mode="sync"
    )
    services.activity_plan_project(
        by=city, activity=coming, project=world.project_b, action="sign", sign_mode="onsite"
    )
    client = login(world.user("county"))  # sees its own county's project only
    url = reverse("projects:planned_export", kwargs={"pk": coming.pk, "fmt": fmt})
    response = client.get(url)
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    text = office.docx_text(data) if fmt == "docx" else office.to_csv(data)
    assert "拟签约（同步签约）" in text and world.project_a.name in text
    assert world.project_b.name not in text
    log = AuditLog.objects.filter(action="export").latest("id")
    assert log.message == f"导出{coming}拟办项目清单（1个项目）"
    assert client.get(url.replace(fmt, "pdf")).status_code == 404
