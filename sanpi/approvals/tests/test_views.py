"""Approval pages through the real HTTP layer: what each role sees and does.

(Every page for every role, in and out of scope, is walked in core/tests/test_views.py;
every write route in core/tests/test_scope_walk.py.)"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from sanpi.approvals import services
from sanpi.approvals.models import AgencyService, ProjectApproval
from sanpi.core.models import AuditLog

from .factories import catalogue_item, make_item
from .html import assert_sane_page, page_problems

D = dt.date
APPROVALS = "/approvals/"


def _html(response) -> str:
    """A page's HTML; an approvals page is checked: short plain-text <title>, unique ids."""
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    path = response.request.get("PATH_INFO", "")
    if path.startswith(APPROVALS) and response.get("Content-Type", "").startswith("text/html"):
        assert_sane_page(html)
    return html


def test_the_page_check_catches_markup_in_the_title_and_duplicated_ids():
    page = '<html><head><title>审批统计<details id="x"></details> · 三批</title></head>'
    page += '<body><details id="x"></details><p id="y"></p></body></html>'
    problems = page_problems(page)
    assert any("markup inside <title>" in p for p in problems)
    assert "duplicated ids: ['x']" in problems
    assert (
        page_problems(
            '<html><head><title>审批统计 · 三批</title></head><body><p id="y"></p></body></html>'
        )
        == []
    )


def test_the_report_page_has_a_plain_title_and_its_table_once(world, aw, login):
    services.item_decide(
        by=world.user("department"), item=aw.item_a, decided_on=D(2021, 10, 8), outcome="approved"
    )
    client = login(world.user("city_office"))
    response = client.get(reverse("approvals:report"), {"start": "2021-01-01", "end": "2021-12-31"})
    html = response.content.decode()
    assert "<title>审批统计 · 三批 开发区项目平台</title>" in html
    assert page_problems(html) == []
    assert html.count('id="decided-items"') == 1 and html.count("<details") == 1
    assert html.count("建筑工程施工许可证核发") == 1  # the decided item, listed once
    assert 'id="decided-count">1<' in _html(response)


def test_a_department_officer_sees_their_items_only(world, aw, login):
    html = _html(login(world.user("department")).get(reverse("approvals:item_list")))
    assert "建筑工程施工许可证核发" in html and "甲新材料项目" in html
    assert "建设用地规划许可证" not in html  # another department's item on the same project
    assert "乙装备制造项目" not in html
    assert "吕梁经开区行政审批局" in html


def test_the_department_officer_decides_on_the_item_page(world, aw, login):
    client = login(world.user("department"))
    url = reverse("approvals:item_detail", kwargs={"pk": aw.item_a.pk})
    html = _html(client.get(url))
    assert 'id="decide"' in html and "2021-09-27" in html  # the deadline
    assert 'id="lead">经开区管委会 赵副主任<' in html  # a zone department's item: the zone lead
    count = AuditLog.objects.count()
    bad = client.post(
        reverse("approvals:item_decide", kwargs={"pk": aw.item_a.pk}),
        {"decided_on": "2021-09-20", "outcome": "approved"},
    )
    assert "办结日期（2021-09-20）早于申请日期（2021-09-22）" in _html(bad)
    assert ProjectApproval.objects.get(pk=aw.item_a.pk).decided_on is None
    assert AuditLog.objects.count() == count
    ok = client.post(
        reverse("approvals:item_decide", kwargs={"pk": aw.item_a.pk}),
        {"decided_on": "2021-10-08", "outcome": "approved", "handler": "王审批"},
        follow=True,
    )
    html = _html(ok)
    assert "已办结（准予许可），超期办结" in html
    item = ProjectApproval.objects.get(pk=aw.item_a.pk)
    assert (item.decided_on, item.handler) == (D(2021, 10, 8), "王审批")
    # Not their item: 404, even though it is on the same project.
    other = client.get(reverse("approvals:item_detail", kwargs={"pk": aw.item_a2.pk}))
    assert other.status_code == 404


def test_the_city_office_reads_the_overdue_list(world, aw, login):
    html = _html(login(world.user("city_office")).get(reverse("approvals:overdue")))
    assert 'id="overdue-count">1<' in html
    by_department = html[html.index('id="by-department"') : html.index('id="by-county"')]
    assert "吕梁经开区行政审批局" in by_department
    assert "离石区" in html[html.index('id="by-county"') : html.index('id="by-zone"')]
    assert "建筑工程施工许可证核发" in html
    assert '<span class="badge text-bg-danger clock-overdue">已超期</span>' in html
    # Filtered to county B: none.
    html = _html(
        login(world.user("city_office")).get(reverse("approvals:overdue"), {"county": "141181"})
    )
    assert 'id="overdue-count">0<' in html


def test_the_project_page_and_the_ledger_project_page(world, aw, login):
    client = login(world.user("county"))
    html = _html(client.get(reverse("approvals:project", kwargs={"pk": world.project_a.pk})))
    assert "领办代办中" in html and "经开区管委会 赵副主任" in html
    assert "超期1项" in html
    html = _html(client.get(reverse("projects:detail", kwargs={"pk": world.project_a.pk})))
    assert 'id="approvals"' in html and "超期1项" in html and "建筑工程施工许可证核发" in html
    # Roles without approvals see no card (the system administrator sees no project at all).
    assert 'id="approvals"' in _html(
        login(world.user("leader")).get(
            reverse("projects:detail", kwargs={"pk": world.project_a.pk})
        )
    )


def test_the_agent_runs_the_agency_flow(world, aw, login):
    client = login(world.user("agent"))
    url = reverse("approvals:agency_step", kwargs={"pk": world.project_a.pk})
    response = client.post(
        url, {"step": "end", "date": "2021-12-01", "note": "手续办齐"}, follow=True
    )
    assert "全代办：已登记“服务终止”" in _html(response)
    assert AgencyService.objects.get(pk=aw.agency_a.pk).status == "ended"
    # Evaluation belongs to the company.
    enterprise = login(world.user("enterprise"))
    html = _html(enterprise.get(reverse("approvals:project", kwargs={"pk": world.project_a.pk})))
    assert "满意度" in html
    response = enterprise.post(
        url, {"step": "evaluate", "date": "2021-12-02", "satisfaction": "satisfied"}, follow=True
    )
    assert "全代办：已登记“事后评价”" in _html(response)
    assert AgencyService.objects.get(pk=aw.agency_a.pk).satisfaction == "satisfied"


def test_a_low_risk_project_that_does_not_qualify_is_told_why(world, aw, login):
    client = login(world.user("city_office"))
    url = reverse("approvals:project_add_items", kwargs={"pk": world.project_b.pk})
    response = client.post(
        url,
        {
            "track": aw.low.pk,
            "above_ground_m2": "2600",
            "height_m": "18",
            "underground_floors": "2",
            "use": "plant",
            "single_use": "on",
        },
    )
    html = _html(response)
    assert "项目不符合社会投资简易低风险工程建设项目的条件" in html
    assert "地上建筑面积2600平方米，超过2000平方米" in html and "地下2层，超过1层" in html
    assert ProjectApproval.objects.filter(project=world.project_b).count() == 2
    response = client.post(
        url,
        {
            "track": aw.low.pk,
            "above_ground_m2": "1600",
            "height_m": "18",
            "underground_floors": "0",
            "use": "plant",
            "single_use": "on",
        },
        follow=True,
    )
    html = _html(response)
    assert "已添加6项审批事项" in html
    assert "简易低风险认定：厂房，地上1600平方米、高18米、地下0层" in html


def test_commitments_and_credit_records_on_the_pages(world, aw, login):
    services.commitments_scan(by=world.user("city_office"), on=D(2022, 1, 1))
    county = login(world.user("county"))
    html = _html(county.get(reverse("approvals:commitments")))
    assert "开工前补交施工图审查合格书" in html and "三个月内补交环评批复" not in html
    html = _html(
        county.get(reverse("regions:enterprise_detail", kwargs={"pk": world.enterprise_a.pk}))
    )
    assert 'id="credit-records"' in html and "逾期未履行" in html
    html = _html(
        login(world.user("city_office")).get(
            reverse("regions:enterprise_detail", kwargs={"pk": world.enterprise_b.pk})
        )
    )
    assert "三个月内补交环评批复" in html


def test_provisional_deadlines_are_marked(world, aw, login):
    make_item(
        world.project_a,
        catalogue_item("取水许可"),
        aw.dept_nr_a,
        applied_on=D(2099, 12, 28),
        accepted_on=D(2099, 12, 28),
    )
    client = login(world.user("city_office"))
    for url in (
        reverse("approvals:item_list"),
        reverse("approvals:project", kwargs={"pk": world.project_a.pk}),
    ):
        html = _html(client.get(url))
        assert "2100年节假日安排未录入，按周末推算" in html, url
        assert 'class="badge text-bg-warning provisional"' in html


def test_the_catalogue_is_edited_by_the_city_office(world, aw, login):
    client = login(world.user("city_office"))
    html = _html(client.get(reverse("approvals:catalogue")))
    assert "法定 75 → 承诺 35 个工作日" in html and "288 份 → 一次性告知 21 份" in html
    assert "法定 95 → 承诺 13 个工作日" in html and "全流程最多 20 个工作日" in html
    url = reverse("approvals:catalogue_item_edit", kwargs={"pk": aw.permit.pk})
    response = client.post(
        url,
        {
            "sequence": 19,
            "name": aw.permit.name,
            "stage": "construction",
            "department_kind": "approval",
            "statutory_days": 5,
            "committed_days": 0,
        },
    )
    assert "承诺时限须为大于0的工作日数（填写的是0）" in _html(response)
    response = client.post(
        reverse("approvals:material_add", kwargs={"pk": aw.permit.pk}),
        {"name": "消防设计审查意见书", "copies": 1, "form": "original"},
        follow=True,
    )
    assert "已添加材料" in _html(response)


def test_the_item_list_query_count_does_not_grow(world, aw, login, django_assert_max_num_queries):
    client = login(world.user("city_office"))
    items = list(aw.full.items.order_by("sequence"))
    for ci in items[:3]:
        if not ProjectApproval.objects.filter(project=world.project_b, catalogue_item=ci).exists():
            make_item(
                world.project_b, ci, None, applied_on=D(2021, 9, 1), accepted_on=D(2021, 9, 1)
            )
    with django_assert_max_num_queries(14):
        assert client.get(reverse("approvals:item_list")).status_code == 200
    for ci in items[3:25]:
        if not ProjectApproval.objects.filter(project=world.project_b, catalogue_item=ci).exists():
            make_item(
                world.project_b, ci, None, applied_on=D(2021, 9, 1), accepted_on=D(2021, 9, 1)
            )
    with django_assert_max_num_queries(14):
        assert client.get(reverse("approvals:item_list")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("approvals:overdue")).status_code == 200


def test_the_system_administrator_creates_department_and_agent_accounts(world, aw, login):
    client = login(world.user("admin"))
    html = _html(client.get(reverse("accounts:user_create")))
    assert "所属部门" in html and "吕梁经开区行政审批局" in html
    password = "Strong#Pass2026"
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "dept_new",
            "role": "department",
            "department": aw.dept_b.pk,
            "password": password,
            "password2": password,
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    from sanpi.accounts.models import User

    assert User.objects.get(username="dept_new").department == aw.dept_b
    response = client.post(
        reverse("accounts:user_create"),
        {"username": "agent_new", "role": "agent", "password": password, "password2": password},
    )
    assert response.status_code == 302
    # A department account without its department is refused by the database rule.
    response = client.post(
        reverse("accounts:user_create"),
        {"username": "dept_bad", "role": "department", "password": password, "password2": password},
    )
    assert "角色与所属单位不一致" in _html(response)


def test_departments_and_agents_find_their_way(world, aw, login):
    for role in ("department", "agent"):
        html = _html(login(world.user(role)).get("/"))
        nav = html[html.index('aria-label="主导航"') : html.index("</nav>")]
        assert ">审批事项</a>" in nav and ">项目台账</a>" not in nav
        assert "只查看和办理权限范围内的审批事项" in html
    html = _html(login(world.user("agent")).get("/"))
    assert "受托代办的项目" in html


def test_accepting_on_a_holiday_is_saved_with_a_warning(world, aw, login):
    filing = catalogue_item("项目核准/备案", "low_risk")
    item = make_item(world.project_a, filing, aw.dept_a, applied_on=D(2021, 9, 30))
    client = login(world.user("department"))
    response = client.post(
        reverse("approvals:item_accept", kwargs={"pk": item.pk}),
        {"accepted_on": "2021-10-01"},
        follow=True,
    )
    html = _html(response)
    warning = "受理日期（2021-10-01，星期五）是节假日（放假），不是工作日，请核对"
    assert "已受理，须于2021-10-08前办结" in html
    assert (
        f'<div class="alert alert-warning" role="alert">已保存，但请注意：{warning}</div>' in html
    )
    assert ProjectApproval.objects.get(pk=item.pk).accepted_on == D(2021, 10, 1)
    # The item's page keeps saying it, next to the date.
    html = _html(client.get(reverse("approvals:item_detail", kwargs={"pk": item.pk})))
    assert "已保存，但请注意" not in html
    assert f'id="warning-accepted-on" role="note">提示：{warning}</div>' in html


def test_accepting_on_an_adjusted_working_sunday_is_not_warned_about(world, aw, login):
    planning = catalogue_item("建设工程规划许可", "low_risk")
    item = make_item(world.project_a, planning, aw.dept_a, applied_on=D(2021, 9, 22))
    client = login(world.user("department"))
    response = client.post(
        reverse("approvals:item_accept", kwargs={"pk": item.pk}),
        {"accepted_on": "2021-09-26"},
        follow=True,
    )
    html = _html(response)
    assert "已受理，须于2021-09-29前办结" in html
    assert "alert-warning" not in html and "date-warning" not in html


def test_an_application_decades_back_is_saved_with_a_warning(world, aw, login):
    filing = catalogue_item("项目核准/备案", "low_risk")
    item = make_item(world.project_a, filing, aw.dept_a)
    client = login(world.user("county"))
    data = {"department": aw.dept_a.pk, "committed_days": item.committed_days, "handler": ""}
    response = client.post(
        reverse("approvals:item_edit", kwargs={"pk": item.pk}),
        {**data, "applied_on": "1999-09-22"},
        follow=True,
    )
    html = _html(response)
    warning = "申请日期（1999-09-22）早于2000年，请核对年份是否填错"
    assert "审批事项已保存" in html
    assert (
        f'<div class="alert alert-warning" role="alert">已保存，但请注意：{warning}</div>' in html
    )
    assert f'id="warning-applied-on" role="note">提示：{warning}</div>' in html
    assert ProjectApproval.objects.get(pk=item.pk).applied_on == D(1999, 9, 22)
    # A usual date: no warning left.
    recent = timezone.localdate() - dt.timedelta(days=30)
    response = client.post(
        reverse("approvals:item_edit", kwargs={"pk": item.pk}),
        {**data, "applied_on": recent.isoformat()},
        follow=True,
    )
    html = _html(response)
    assert "审批事项已保存" in html and "date-warning" not in html
