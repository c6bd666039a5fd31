"""Project ledger and activity pages through the real HTTP layer."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from sanpi.core.models import AuditLog
from sanpi.projects.models import ActivityEntry, Project, ProjectEvent
from sanpi.projects.services import activity_add_project, project_advance_stage
from sanpi.projects.tests.factories import ProjectFactory
from sanpi.regions.tests.factories import EnterpriseFactory

D = dt.date


def _form(project: Project, **changes) -> dict:
    """The edit form's fields as a browser posts them, with changes."""
    data = {
        "code": project.code or "",
        "name": project.name,
        "enterprise": project.enterprise_id,
        "county": project.county_id,
        "zone": project.zone_id or "",
        "industry": project.industry,
        "construction_kind": project.construction_kind,
        "total_investment_wan": project.total_investment_wan,
        "planned_output_wan": project.planned_output_wan or "",
        "investment_source": project.investment_source,
    }
    data.update(changes)
    return data


# --- list ------------------------------------------------------------------------------


def test_list_is_scoped_and_filtered(world, login):
    client = login(world.user("county"))
    html = client.get(reverse("projects:list")).content.decode()
    assert world.project_a.name in html and world.project_b.name not in html

    client = login(world.user("city_office"))
    html = client.get(reverse("projects:list")).content.decode()
    assert world.project_a.name in html and world.project_b.name in html
    html = client.get(reverse("projects:list"), {"county": "141181"}).content.decode()
    assert world.project_a.name not in html and world.project_b.name in html
    html = client.get(reverse("projects:list"), {"q": "甲新材"}).content.decode()
    assert world.project_a.name in html and world.project_b.name not in html
    html = client.get(reverse("projects:list"), {"stage": "produced"}).content.decode()
    assert "没有符合条件的项目" in html


def test_list_htmx_refresh_returns_only_the_table(world, login):
    client = login(world.user("city_office"))
    response = client.get(
        reverse("projects:list"),
        {"zone": world.zone_b.pk},
        headers={"HX-Request": "true", "HX-Target": "project-table"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="project-table">')
    assert "<html" not in html
    assert response["HX-Push-Url"] == f"/projects/?zone={world.zone_b.pk}"
    assert world.project_b.name in html and world.project_a.name not in html


def test_list_export_link_carries_the_filters(world, login):
    export = reverse("ledger:export")
    html = (
        login(world.user("city_office"))
        .get(reverse("projects:list"), {"county": "141102", "stage": "reserve", "page": "1"})
        .content.decode()
    )
    assert f'href="{export}?county=141102&amp;stage=reserve"' in html


def test_list_paginates_fifty_a_page(world, login):
    ProjectFactory.create_batch(60, enterprise=world.enterprise_a, county=world.county_a)
    client = login(world.user("county"))
    html = client.get(reverse("projects:list")).content.decode()
    assert "共 61 个项目" in html and "第 1/2 页" in html
    assert html.count('href="/projects/') - html.count('href="/projects/new') >= 50
    html = client.get(reverse("projects:list"), {"page": 2}).content.decode()
    assert "第 2/2 页" in html


def test_list_query_count_does_not_grow(world, login, django_assert_max_num_queries):
    client = login(world.user("city_office"))
    # 13: one of them reads the page's health lights (sanpi.health), whatever its length.
    with django_assert_max_num_queries(13):
        client.get(reverse("projects:list"))
    for i in range(40):
        ProjectFactory(
            enterprise=EnterpriseFactory(), county=world.county_b, zone=world.zone_b, name=f"批{i}"
        )
    with django_assert_max_num_queries(13):
        html = client.get(reverse("projects:list")).content.decode()
    assert "共 42 个项目" in html


@pytest.mark.parametrize(
    "role, shown, hidden",
    [
        ("city_office", {"county", "zone"}, set()),
        ("leader", {"county", "zone"}, set()),
        ("county", {"zone"}, {"county"}),
        ("zone", set(), {"county", "zone"}),
        ("enterprise", set(), {"county", "zone"}),
    ],
)
def test_list_offers_only_the_filters_that_mean_something_in_ones_scope(
    world, login, role, shown, hidden
):
    html = login(world.user(role)).get(reverse("projects:list")).content.decode()
    for name in shown:
        assert f'name="{name}"' in html, name
    for name in hidden:
        assert f'name="{name}"' not in html, name
    assert 'name="stage"' in html and 'name="q"' in html


def _sortable(world):
    """Five projects in county A whose columns sort differently (names sort alike on any
    collation: ASCII letters first)."""
    rows = [
        # name, 总投资(万元), stage, 签约日期
        ("B-钢", "300.00", "signed", D(2021, 3, 1)),
        ("D-煤", "5000.00", "reserve", None),
        ("A-铝", "1200.00", "started", D(2020, 6, 1)),
        ("E-氢", "80.00", "produced", D(2019, 1, 1)),
        ("C-焦", "1200.00", "reserve", None),
    ]
    for name, investment, stage, signed in rows:
        dates = {}
        if signed:
            dates["signed_date"] = signed
        if stage in ("started", "produced"):
            dates["started_date"] = D(2021, 6, 1)
        if stage == "produced":
            dates["produced_date"] = D(2022, 6, 1)
        ProjectFactory(
            name=name,
            enterprise=world.enterprise_a,
            county=world.county_a,
            total_investment_wan=Decimal(investment),
            stage=stage,
            **dates,
        )


def _order(html: str) -> list[str]:
    """The sortable projects' names in the order the page lists them."""
    names = ("A-铝", "B-钢", "C-焦", "D-煤", "E-氢")
    return sorted((n for n in names if n in html), key=html.index)


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("name", ["A-铝", "B-钢", "C-焦", "D-煤", "E-氢"]),
        ("-name", ["E-氢", "D-煤", "C-焦", "B-钢", "A-铝"]),
        # ties (1200.00) broken by the primary key, in the sort's direction
        ("investment", ["E-氢", "B-钢", "A-铝", "C-焦", "D-煤"]),
        ("-investment", ["D-煤", "C-焦", "A-铝", "B-钢", "E-氢"]),
        # the lifecycle's order, not the alphabet's
        ("stage", ["D-煤", "C-焦", "B-钢", "A-铝", "E-氢"]),
        ("-stage", ["E-氢", "A-铝", "B-钢", "C-焦", "D-煤"]),
        # projects without the date come last either way
        ("signed", ["E-氢", "A-铝", "B-钢", "D-煤", "C-焦"]),
        ("-signed", ["B-钢", "A-铝", "E-氢", "C-焦", "D-煤"]),
    ],
)
def test_list_sorts_by_a_whitelisted_column(world, login, sort, expected):
    _sortable(world)
    client = login(world.user("county"))
    html = client.get(reverse("projects:list"), {"sort": sort}).content.decode()
    assert _order(html) == expected


@pytest.mark.parametrize("sort", ["password", "-", "--name", "name;drop", "enterprise__name", ""])
def test_list_ignores_an_unknown_sort(world, login, sort):
    _sortable(world)
    client = login(world.user("county"))
    default = _order(client.get(reverse("projects:list")).content.decode())
    response = client.get(reverse("projects:list"), {"sort": sort, "stage": "reserve"})
    assert response.status_code == 200
    html = response.content.decode()
    assert _order(html) == [n for n in default if n in ("C-焦", "D-煤")]
    assert "sort=" not in html.split('id="export-link"')[0].rsplit("<a", 1)[-1]


def test_column_headers_sort_keeping_the_filters_and_starting_at_page_one(world, login):
    _sortable(world)
    client = login(world.user("county"))
    html = client.get(
        reverse("projects:list"), {"stage": "reserve", "q": "-", "page": "1"}
    ).content.decode()
    head = html[html.index("<thead") : html.index("</thead>")]
    # every sortable column links to itself, with the filters and without the page
    for key in ("name", "-investment", "stage", "-signed", "-started", "-produced", "county"):
        assert f'href="?q=-&amp;stage=reserve&amp;sort={key}"' in head, key
    assert "page=" not in head and "aria-sort" not in head

    html = client.get(
        reverse("projects:list"), {"stage": "reserve", "sort": "-investment"}
    ).content.decode()
    head = html[html.index("<thead") : html.index("</thead>")]
    assert head.count("aria-sort") == 1
    assert '<th class="text-end" aria-sort="descending">' in head
    assert 'href="?stage=reserve&amp;sort=investment"' in head  # clicking again ascends
    assert "↓" in head and "↑" not in head
    # the filter form carries the sort, and the export uses it
    assert 'name="sort" value="-investment" form="project-filter"' in html
    assert "?stage=reserve&amp;sort=-investment" in html.split('id="export-link"')[0]

    html = client.get(reverse("projects:list"), {"sort": "name"}).content.decode()
    head = html[html.index("<thead") : html.index("</thead>")]
    assert '<th aria-sort="ascending">' in head and "↑" in head


def test_sorted_list_htmx_refresh_keeps_the_sort_in_the_address(world, login):
    client = login(world.user("city_office"))
    response = client.get(
        reverse("projects:list"),
        {"zone": world.zone_b.pk, "sort": "-signed"},
        headers={"HX-Request": "true", "HX-Target": "project-table"},
    )
    assert response["HX-Push-Url"] == f"/projects/?zone={world.zone_b.pk}&sort=-signed"


def test_sorted_pages_neither_overlap_nor_skip(world, login):
    ProjectFactory.create_batch(70, enterprise=world.enterprise_a, county=world.county_a)
    client = login(world.user("county"))
    seen = []
    for sort in ("investment", "-investment", "stage", "-signed"):
        pages = [
            client.get(reverse("projects:list"), {"sort": sort, "page": n}).content.decode()
            for n in (1, 2)
        ]
        ids = [[int(pk) for pk in re.findall(r'href="/projects/(\d+)/"', page)] for page in pages]
        assert len(ids[0]) == 50 and len(ids[1]) == 21
        assert len(set(ids[0]) | set(ids[1])) == 71, sort
        seen.append(ids[0] + ids[1])
    assert seen[0] == list(reversed(seen[1]))  # all 1200.00 or 10000.00: pk decides


def test_sorted_list_query_count_does_not_grow(world, login, django_assert_max_num_queries):
    client = login(world.user("city_office"))
    with django_assert_max_num_queries(12):
        client.get(reverse("projects:list"), {"sort": "-stage"})
    for i in range(40):
        ProjectFactory(
            enterprise=EnterpriseFactory(), county=world.county_b, zone=world.zone_b, name=f"批{i}"
        )
    with django_assert_max_num_queries(12):
        html = client.get(reverse("projects:list"), {"sort": "-stage"}).content.decode()
    assert "共 42 个项目" in html


def test_export_follows_the_lists_sort(world):
    from io import BytesIO

    from openpyxl import load_workbook

    from sanpi.projects.ledger_export import ledger_export
    from sanpi.projects.selectors import ProjectFilter

    _sortable(world)
    export = ledger_export(
        by=world.user("county"), filters=ProjectFilter.from_params({"sort": "-investment"})
    )
    sheet = load_workbook(BytesIO(export.data), read_only=True).worksheets[0]
    names = [c for row in sheet.iter_rows(values_only=True) for c in row if c in _NAMES]
    assert names == ["D-煤", "C-焦", "A-铝", "B-钢", "E-氢"]


_NAMES = ("A-铝", "B-钢", "C-焦", "D-煤", "E-氢")


# --- detail and history ------------------------------------------------------------------


def test_detail_shows_fields_timeline_and_history(world, login):
    city = world.user("city_office")
    client = login(city)
    project = world.project_a
    response = client.post(
        reverse("projects:edit", kwargs={"pk": project.pk}),
        _form(project, name="甲新材料项目（一期）", total_investment_wan="12345.60"),
    )
    assert response.status_code == 302
    html = client.get(reverse("projects:detail", kwargs={"pk": project.pk})).content.decode()
    assert "甲新材料项目（一期）" in html
    assert "12,345.60 万元" in html
    assert "储备" in html and "达效" in html  # the timeline
    history = html[html.index('id="history"') :]
    assert "项目名称" in history and "甲新材料项目" in history
    assert "总投资(万元)" in history and "10,000.00" in history and "12,345.60" in history
    assert "网页" in history and "127.0.0.1" in history and "city" in history


def test_write_buttons_only_for_writers(world, login):
    url = reverse("projects:detail", kwargs={"pk": world.project_a.pk})
    html = login(world.user("county")).get(url).content.decode()
    assert "编辑项目" in html and "推进到签约" in html and "更新推进状态" in html
    for role in ("leader", "enterprise"):
        html = login(world.user(role)).get(url).content.decode()
        assert "编辑项目" not in html and "推进到" not in html and "更新推进状态" not in html


# --- create and edit ---------------------------------------------------------------------


def test_create_writes_project_with_audit(world, login):
    client = login(world.user("county"))
    data = _form(world.project_a, name="新建项目甲", stage="signed", signed_date="2021-03-22")
    data["evidence"] = "签约协议"
    response = client.post(reverse("projects:create"), data)
    project = Project.objects.get(name="新建项目甲")
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:detail", kwargs={"pk": project.pk})
    assert (project.stage, project.signed_date) == ("signed", D(2021, 3, 22))
    row = AuditLog.objects.get(action="create", object_id=str(project.pk))
    assert row.user == world.user("county") and row.source == "web"
    assert ProjectEvent.objects.get(project=project).evidence == "签约协议"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"stage": "started", "signed_date": "2021-05-01", "started_date": "2021-03-01"},
            "开工日期2021-03-01早于签约日期2021-05-01",
        ),
        ({"stage": "signed"}, "须填写签约日期"),
        ({"code": "2104-141100"}, "项目代码应为24位"),
        ({"total_investment_wan": "-5"}, "金额、面积和能耗不能为负数"),
        ({"total_investment_wan": "abc"}, "输入一个数字"),
        ({"name": ""}, "这个字段是必填项"),
    ],
)
def test_create_with_bad_input_shows_the_chinese_error_and_writes_nothing(
    world, login, changes, message
):
    client = login(world.user("city_office"))
    before = (Project.objects.count(), AuditLog.objects.filter(action="create").count())
    data = _form(world.project_a, name="不该写入的项目", stage="reserve")
    data.update(changes)
    response = client.post(reverse("projects:create"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (Project.objects.count(), AuditLog.objects.filter(action="create").count()) == before


def test_zone_must_lie_in_the_county(world, login):
    client = login(world.user("city_office"))
    response = client.post(
        reverse("projects:edit", kwargs={"pk": world.project_a.pk}),
        _form(world.project_a, zone=world.zone_b.pk),
    )
    assert "开发区“孝义经济开发区”不在离石区" in response.content.decode()
    world.project_a.refresh_from_db()
    assert world.project_a.zone == world.zone_a


def test_edit_is_refused_to_readers_and_out_of_scope_users(world, login):
    url_a = reverse("projects:edit", kwargs={"pk": world.project_a.pk})
    for role in ("leader", "enterprise"):
        response = login(world.user(role)).post(url_a, _form(world.project_a, name="改名"))
        assert response.status_code == 403
    url_b = reverse("projects:edit", kwargs={"pk": world.project_b.pk})
    for role in ("county", "zone"):
        response = login(world.user(role)).post(url_b, _form(world.project_b, name="改名"))
        assert response.status_code == 404
    assert set(Project.objects.values_list("name", flat=True)) == {"甲新材料项目", "乙装备制造项目"}
    assert not AuditLog.objects.filter(action="update").exists()


def test_edit_cannot_move_a_project_out_of_ones_scope(world, login):
    client = login(world.user("county"))
    response = client.post(
        reverse("projects:edit", kwargs={"pk": world.project_a.pk}),
        _form(world.project_a, county=world.county_b.pk, zone=""),
    )
    # County B is not offered to a county-A officer: the form refuses it.
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    world.project_a.refresh_from_db()
    assert world.project_a.county == world.county_a


def test_zone_officer_cannot_take_a_project_out_of_the_zone(world, login):
    client = login(world.user("zone"))
    response = client.post(
        reverse("projects:edit", kwargs={"pk": world.project_a.pk}),
        _form(world.project_a, zone=""),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "这个字段是必填项" in page or "必填" in page  # the form stays, with its field error
    world.project_a.refresh_from_db()
    assert world.project_a.zone == world.zone_a


def test_zone_officers_new_project_form_offers_only_their_zone(world, login):
    """Issue #7: "（不在开发区内）" used to be offered and answered 404, losing the form."""
    html = login(world.user("zone")).get(reverse("projects:create")).content.decode()
    zone_select = html[
        html.index('name="zone"') : html.index("</select>", html.index('name="zone"'))
    ]
    assert "不在开发区内" not in zone_select
    assert f'value="{world.zone_a.pk}" selected' in zone_select


def test_edit_offers_only_the_dates_of_stages_reached(world, login):
    project_advance_stage(
        by=world.user("city_office"),
        project=world.project_a,
        to_stage="signed",
        date=D(2021, 3, 22),
    )
    html = (
        login(world.user("county"))
        .get(reverse("projects:edit", kwargs={"pk": world.project_a.pk}))
        .content.decode()
    )
    assert 'name="signed_date"' in html and 'name="started_date"' not in html
    assert 'name="stage"' not in html


# --- stage and health ------------------------------------------------------------------


def test_advance_stage(world, login):
    client = login(world.user("zone"))
    url = reverse("projects:advance", kwargs={"pk": world.project_a.pk})
    response = client.post(url, {"to_stage": "signed", "date": "2021-03-22", "evidence": "协议"})
    assert response.status_code == 302
    world.project_a.refresh_from_db()
    assert (world.project_a.stage, world.project_a.signed_date) == ("signed", D(2021, 3, 22))
    assert AuditLog.objects.filter(action="stage", object_id=str(world.project_a.pk)).count() == 1

    # A start dated before the signing is refused, next to the date field.
    response = client.post(url, {"to_stage": "started", "date": "2021-03-01"})
    assert response.status_code == 200
    assert "开工日期2021-03-01早于签约日期2021-03-22" in response.content.decode()
    world.project_a.refresh_from_db()
    assert world.project_a.stage == "signed" and world.project_a.started_date is None
    # A stale form (the stage moved meanwhile) is refused too.
    response = client.post(url, {"to_stage": "signed", "date": "2021-04-01"})
    assert "阶段只能向前推进" in response.content.decode()
    # A missing date is a form error.
    response = client.post(url, {"to_stage": "started", "date": ""})
    assert "这个字段是必填项" in response.content.decode()
    assert AuditLog.objects.filter(action="stage").count() == 1


def test_advance_and_health_are_refused_to_readers(world, login):
    for role in ("leader", "enterprise"):
        client = login(world.user(role))
        response = client.post(
            reverse("projects:advance", kwargs={"pk": world.project_a.pk}),
            {"to_stage": "signed", "date": "2021-03-22"},
        )
        assert response.status_code == 403
        response = client.post(
            reverse("projects:health", kwargs={"pk": world.project_a.pk}),
            {"health": "lagging", "date": "2021-03-22"},
        )
        assert response.status_code == 403
    response = login(world.user("county")).post(
        reverse("projects:health", kwargs={"pk": world.project_b.pk}),
        {"health": "lagging", "date": "2021-03-22"},
    )
    assert response.status_code == 404
    assert Project.objects.filter(stage="reserve", health="normal").count() == 2


def test_set_health(world, login):
    client = login(world.user("county"))
    url = reverse("projects:health", kwargs={"pk": world.project_a.pk})
    response = client.post(url, {"health": "stalled", "date": "2021-06-30", "evidence": "停工"})
    assert response.status_code == 302
    world.project_a.refresh_from_db()
    assert world.project_a.health == "stalled"
    row = AuditLog.objects.get(action="update", object_id=str(world.project_a.pk))
    assert row.after == {"health": "stalled"}
    response = client.post(url, {"health": "normal", "date": ""})
    assert response.status_code == 200 and "这个字段是必填项" in response.content.decode()


# --- activities ------------------------------------------------------------------------


def test_activity_create_and_edit(world, login):
    client = login(world.user("city_office"))
    response = client.post(
        reverse("projects:activity_create"),
        {"year": 2022, "sequence": 3, "date": "2022-09-05", "level": "city", "venue": "孝义"},
    )
    assert response.status_code == 302
    assert AuditLog.objects.filter(action="create", object_type="projects.activity").count() == 1
    # Out of its year, and a duplicate (year, sequence): refused with the rule's words.
    response = client.post(
        reverse("projects:activity_create"),
        {"year": 2022, "sequence": 4, "date": "2023-01-05", "level": "city"},
    )
    assert "活动日期2023-01-05不在2022年度内" in response.content.decode()
    response = client.post(
        reverse("projects:activity_create"),
        {"year": 2022, "sequence": 3, "date": "2022-10-05", "level": "city"},
    )
    assert "该年度已有此批次的活动" in response.content.decode()
    response = client.post(
        reverse("projects:activity_edit", kwargs={"pk": world.activity.pk}),
        {"year": 2021, "sequence": 4, "date": "2021-10-30", "level": "city", "venue": "汾阳"},
    )
    assert response.status_code == 302
    world.activity.refresh_from_db()
    assert (world.activity.date, world.activity.venue) == (D(2021, 10, 30), "汾阳")
    response = login(world.user("county")).post(
        reverse("projects:activity_edit", kwargs={"pk": world.activity.pk}),
        {"year": 2021, "sequence": 4, "date": "2021-10-31", "level": "city"},
    )
    assert response.status_code == 403


def test_activity_add_project_and_bulletin(world, login):
    client = login(world.user("county"))
    url = reverse("projects:activity_add", kwargs={"pk": world.activity.pk})
    response = client.post(
        url, {"action": "sign", "sign-project": world.project_a.pk, "sign-sign_mode": "onsite"}
    )
    assert response.status_code == 302
    entry = ActivityEntry.objects.get(project=world.project_a)
    assert (entry.action, entry.sign_mode) == ("sign", "onsite")
    world.project_a.refresh_from_db()
    assert (world.project_a.stage, world.project_a.signed_date) == ("signed", world.activity.date)
    assert AuditLog.objects.filter(object_type="projects.activityentry", action="create").exists()

    html = client.get(reverse("projects:activity_detail", kwargs={"pk": world.activity.pk}))
    html = html.content.decode()
    assert "签约项目1个、总投资1.00亿元" in html
    assert world.project_a.name in html
    assert "开工率" in html and "0.0%" in html and "0/1" in html


def test_activity_add_project_bad_input_writes_nothing(world, login):
    client = login(world.user("county"))
    url = reverse("projects:activity_add", kwargs={"pk": world.activity.pk})
    # No sign mode.
    response = client.post(url, {"action": "sign", "sign-project": world.project_a.pk})
    assert response.status_code == 200 and "这个字段是必填项" in response.content.decode()
    # A project outside one's scope is not on offer.
    response = client.post(
        url, {"action": "sign", "sign-project": world.project_b.pk, "sign-sign_mode": "sync"}
    )
    assert "选择一个有效的选项" in response.content.decode()
    # A reserve project can't be started.
    response = client.post(url, {"action": "start", "start-project": world.project_a.pk})
    assert "选择一个有效的选项" in response.content.decode()
    # An unknown action.
    response = client.post(url, {"action": "dance"})
    assert response.status_code == 302
    assert not ActivityEntry.objects.exists()
    world.project_b.refresh_from_db()
    assert world.project_b.stage == "reserve"
    # Read-only roles are refused.
    response = login(world.user("leader")).post(
        url, {"action": "sign", "sign-project": world.project_a.pk, "sign-sign_mode": "sync"}
    )
    assert response.status_code == 403
    assert not ActivityEntry.objects.exists()


def test_activity_add_service_refusal_is_shown(world, login):
    """Starting in an activity dated before the project's signing: the service refuses."""
    project_advance_stage(
        by=world.user("city_office"), project=world.project_a, to_stage="signed", date=D(2021, 5, 1)
    )
    client = login(world.user("county"))
    response = client.post(
        reverse("projects:activity_add", kwargs={"pk": world.activity.pk}),
        {"action": "start", "start-project": world.project_a.pk},
    )
    assert response.status_code == 200
    assert "开工日期2021-03-22早于签约日期2021-05-01" in response.content.decode()
    assert not ActivityEntry.objects.exists()
    world.project_a.refresh_from_db()
    assert world.project_a.stage == "signed"


def test_activity_picker_offers_only_in_scope_projects_at_the_right_stage(world, login):
    signed = ProjectFactory(
        name="已签约甲项目",
        enterprise=world.enterprise_a,
        county=world.county_a,
        stage="signed",
        signed_date=D(2021, 1, 5),
    )
    html = (
        login(world.user("county"))
        .get(reverse("projects:activity_detail", kwargs={"pk": world.activity.pk}))
        .content.decode()
    )
    sign_form = html[html.index('name="sign-project"') : html.index('name="sign-sign_mode"')]
    start_form = html[html.index('name="start-project"') : html.index('name="produce-project"')]
    assert world.project_a.name in sign_form and signed.name not in sign_form
    assert world.project_b.name not in sign_form
    assert signed.name in start_form and world.project_a.name not in start_form


def test_activity_remove_entry(world, login):
    city = world.user("city_office")
    entry = activity_add_project(
        by=city, activity=world.activity, project=world.project_a, action="sign", sign_mode="sync"
    )
    url = reverse(
        "projects:activity_remove_entry", kwargs={"pk": world.activity.pk, "entry_pk": entry.pk}
    )
    assert login(world.user("county")).post(url).status_code == 403
    assert login(city).post(url).status_code == 302
    assert not ActivityEntry.objects.exists()
    assert AuditLog.objects.filter(action="delete", object_type="projects.activityentry").exists()
    assert login(city).post(url).status_code == 404


def test_activity_detail_query_count_does_not_grow(world, login, django_assert_max_num_queries):
    city = world.user("city_office")
    client = login(city)
    url = reverse("projects:activity_detail", kwargs={"pk": world.activity.pk})

    def add_projects(n: int, offset: int):
        for i in range(n):
            p = ProjectFactory(
                name=f"活动项目{offset + i}",
                enterprise=EnterpriseFactory(),
                county=world.county_b,
                zone=world.zone_b,
                total_investment_wan=Decimal("5000.00"),
            )
            activity_add_project(
                by=city, activity=world.activity, project=p, action="sign", sign_mode="onsite"
            )

    add_projects(2, 0)
    with django_assert_max_num_queries(22) as first:
        client.get(url)
    add_projects(20, 100)
    with django_assert_max_num_queries(len(first.captured_queries)):
        html = client.get(url).content.decode()
    assert "签约项目22个" in html


def test_an_activity_batch_pages_on_its_own(world, login):
    # 33 on-site signings: 30 on the first page of that batch, 3 on its second; the
    # other batches keep their own page parameter.
    city = world.user("city_office")
    for i in range(33):
        p = ProjectFactory(
            name=f"分页项目{i:02d}", enterprise=EnterpriseFactory(), county=world.county_b
        )
        activity_add_project(
            by=city, activity=world.activity, project=p, action="sign", sign_mode="onsite"
        )
    client = login(city)
    url = reverse("projects:activity_detail", kwargs={"pk": world.activity.pk})
    first = client.get(url).content.decode()
    assert "共 33 个，本页第 1–30 个" in first
    assert "?signed_onsite_page=2" in first
    second = client.get(url, {"signed_onsite_page": 2, "started_page": 1}).content.decode()
    assert "共 33 个，本页第 31–33 个" in second
    shown = [f"分页项目{i:02d}" for i in range(33)]

    def onsite(html):  # the on-site table only (the 开工 picker also names signed projects)
        return html[html.index("现场签约") : html.index("同步签约")]

    assert [n for n in shown if n in onsite(first)] == shown[:30]
    assert [n for n in shown if n in onsite(second)] == shown[30:]
    assert "签约项目33个" in second  # the figures count the whole batch, not the page


def test_a_large_investment_needs_the_confirmation_box(world, login):
    client = login(world.user("city_office"))
    url = reverse("projects:edit", kwargs={"pk": world.project_a.pk})
    form = _form(world.project_a, total_investment_wan="6000000")
    page = client.post(url, form).content.decode()
    assert "总投资600.00亿元超过常见范围（500.00亿元），请核对单位是否为万元" in page
    world.project_a.refresh_from_db()
    assert world.project_a.total_investment_wan != Decimal("6000000")
    response = client.post(url, {**form, "confirm_large": "on"})
    assert response.status_code == 302
    world.project_a.refresh_from_db()
    assert world.project_a.total_investment_wan == Decimal("6000000.00")


def test_an_oversized_search_is_cut_not_a_server_error(world, login):
    response = login(world.user("city_office")).get(reverse("projects:list"), {"q": "新" * 60000})
    assert response.status_code == 200
    assert "没有符合条件的项目" in response.content.decode()


def test_the_ledger_offers_its_selection_to_an_activity(world, login):
    page = login(world.user("county")).get(reverse("projects:list")).content.decode()
    assert 'form="bulk-select"' in page and f'value="{world.project_a.pk}"' in page
    assert 'id="bulk-all"' in page
    page = login(world.user("leader")).get(reverse("projects:list")).content.decode()
    assert "bulk-select" not in page  # leaders read; they don't enter activities


def test_the_ledger_list_never_counts_projects_per_zone(world, login):
    """Issue #7: the zone dropdown counted every project of every zone on each page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(world.user("city_office"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("projects:list")).status_code == 200
    zone_queries = [q["sql"] for q in queries if "developmentzone" in q["sql"].lower()]
    assert zone_queries and not any("COUNT(" in sql.upper() for sql in zone_queries)
