"""The figures, export, notice, leaders' liaison and visits pages: per role, within the
scope, and bad input answered in Chinese (never a 500)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from sanpi.accounts.tests.factories import UserFactory
from sanpi.core.models import AuditLog, Job
from sanpi.problems import services
from sanpi.problems.models import Liaison, Problem, Visit
from sanpi.problems.tests.factories import make_problem, problems_state
from sanpi.projects.models import Project

pytestmark = pytest.mark.django_db

PROBLEM_READERS = ("city_office", "leader", "county", "zone", "enterprise", "department")
NOT_READERS = ("admin", "auditor", "agent")
TODAY = timezone.localdate


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- figures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", PROBLEM_READERS + NOT_READERS)
def test_the_figures_page_per_role(world, login, role):
    problems_state(world)
    response = login(world.user(role)).get(reverse("problems:figures"))
    if role in NOT_READERS:
        assert response.status_code == 403
        return
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{TODAY():%Y}年{TODAY().month}月" in html
    assert 'id="figures-county"' in html and 'id="figures-leader"' in html
    assert "按时销号率" in html and "企业满意率" in html
    # Both in-progress problems were raised this month: 2 for the city, 1 for the others.
    total = html[html.index('id="figures-total"') :]
    raised = 2 if role in ("city_office", "leader") else 1
    assert f'<div class="fs-4 fw-semibold">{raised}</div>' in total[:600]
    exports = role in ("city_office", "leader", "county", "zone")
    assert ('id="figures-export"' in html) is exports
    if role == "county":
        assert "孝义市" not in html[html.index('id="figures-county"') :]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"year": "abc", "month": "5"}, "年份：年份应为整数，如 2026"),
        ({"year": "2025", "month": "13"}, "月份：月份应为1至12月或全年"),
        ({"year": "2099", "month": "1"}, "2099年1月尚未开始"),
        ({"year": "1066"}, "年份须在1900年至2200年之间"),
        ({"year": "9" * 400, "month": "x" * 400}, "年份须在1900年至2200年之间"),
    ],
)
def test_bad_periods_are_answered_in_chinese(world, login, params, message):
    response = login(world.user("county")).get(reverse("problems:figures"), params)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html and "下面显示的是本月的数据" in html


def test_a_whole_year_of_figures(world, login):
    problems_state(world)
    html = (
        login(world.user("city_office"))
        .get(reverse("problems:figures"), {"year": TODAY().year, "month": ""})
        .content.decode()
    )
    assert f'问题办理统计 <small class="text-muted fs-6">{TODAY().year}年 ·' in html


# --- the export and the notice ---------------------------------------------------------------


@pytest.mark.parametrize("role", PROBLEM_READERS + NOT_READERS)
def test_the_joint_meeting_export_per_role(world, login, role):
    problems_state(world)
    client = login(world.user(role))
    response = client.get(reverse("problems:export"), {"state": "open", "q": "施工"})
    if role not in ("city_office", "leader", "county", "zone"):
        assert response.status_code == 403
        return
    assert response.status_code == 302
    job = Job.objects.get(user=world.user(role), kind="problems.ledger_export")
    assert response["Location"] == reverse("core:job", kwargs={"pk": job.pk})
    assert job.params == {"filters": {"state": "open", "q": "施工"}}
    assert job.status == Job.Status.DONE and job.result_name.endswith(".xlsx")
    expected = 2 if role in ("city_office", "leader") else 1
    assert job.message == f"已导出{expected}个问题"
    assert client.get(response["Location"]).status_code == 200
    download = client.get(reverse("core:job_download", kwargs={"pk": job.pk}))
    assert download.status_code == 200


@pytest.mark.parametrize("role", PROBLEM_READERS)
def test_the_notice_for_whoever_sees_the_problem(world, login, role):
    s = problems_state(world)
    client = login(world.user(role))
    response = client.get(reverse("problems:notice", kwargs={"pk": s.a.pk}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    response = client.get(reverse("problems:notice", kwargs={"pk": s.b.pk}))
    assert response.status_code == (200 if role in ("city_office", "leader") else 404)


def test_the_notice_is_refused_in_chinese_before_assignment(world, login):
    raised = make_problem(world)
    client = login(world.user("county"))
    before = AuditLog.objects.count()
    response = client.get(reverse("problems:notice", kwargs={"pk": raised.pk}))
    assert response.status_code == 302
    assert response["Location"] == reverse("problems:detail", kwargs={"pk": raised.pk})
    # (the sign-in message, never shown on a page here, comes first)
    assert (
        _messages(response)[-1] == "该问题尚未交办（五到位未落实），不能生成督办通知；请先研判交办"
    )
    assert AuditLog.objects.count() == before
    for role in NOT_READERS:
        response = login(world.user(role)).get(reverse("problems:notice", kwargs={"pk": raised.pk}))
        assert response.status_code == 403


# --- leaders and liaison ---------------------------------------------------------------------


@pytest.fixture
def liaised(world):
    """The world's leader liaises project A (with an overdue problem) and project B."""
    city = world.user("city_office")
    s = problems_state(world)
    Problem.objects.filter(pk=s.a.pk).update(light="red")
    leader = world.user("leader")
    a = services.liaison_set(
        by=city, leader=leader, project=world.project_a, since=dt.date(2025, 1, 1)
    )
    b = services.liaison_set(
        by=city, leader=leader, project=world.project_b, since=dt.date(2025, 1, 1)
    )
    return {"a": a, "b": b, "state": s}


@pytest.mark.parametrize("role", PROBLEM_READERS + NOT_READERS)
def test_the_leaders_pages_per_role(world, login, liaised, role):
    client = login(world.user(role))
    leader = world.user("leader")
    pages = (
        client.get(reverse("problems:leaders")),
        client.get(reverse("problems:leader", kwargs={"user_pk": leader.pk})),
    )
    if role in NOT_READERS + ("department",):
        assert [r.status_code for r in pages] == [403, 403]
        return
    assert [r.status_code for r in pages] == [200, 200]
    listing, page = (r.content.decode() for r in pages)
    assert str(leader) in listing and "甲新材料项目" in listing
    sees_b = role in ("city_office", "leader")
    assert ("乙装备制造项目" in listing) is sees_b
    table = page[page.index('id="leader-projects"') :]
    # Most urgent first: project A has the overdue problem.
    assert table.index("甲新材料项目") < (table.index("乙装备制造项目") if sees_b else 10**9)
    assert ("乙装备制造项目" in table) is sees_b
    assert ("结束包联" in table) is (role == "city_office")


def test_the_leaders_and_visits_pages_read_a_fixed_number_of_queries(world, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sanpi.projects.tests.factories import ProjectFactory

    city, leader = world.user("city_office"), world.user("leader")
    client = login(city)
    urls = (
        reverse("problems:leaders"),
        reverse("problems:leader", kwargs={"user_pk": leader.pk}),
        reverse("problems:visits"),
        reverse("problems:figures"),
    )

    def more() -> None:
        project = ProjectFactory(
            enterprise=world.enterprise_a, county=world.county_a, zone=world.zone_a,
            stage="signed", signed_date=dt.date(2024, 3, 1),
        )  # fmt: skip
        make_problem(world, state="in_progress", project=project)
        make_problem(world, state="closed", project=project)
        services.liaison_set(by=city, leader=leader, project=project, since=dt.date(2025, 1, 1))
        Visit.objects.create(project=project, date=TODAY(), visitors="王五", recorded_by=city)

    def queries() -> list[int]:
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200, url
            counts.append(len(captured))
        return counts

    more()
    queries()  # the official calendar is read once and cached
    few = queries()
    more()
    more()
    assert queries() == few


def test_a_leader_page_for_someone_who_is_no_leader_is_a_404(world, login):
    client = login(world.user("city_office"))
    for pk in (world.user("county").pk, 999999):
        response = client.get(reverse("problems:leader", kwargs={"user_pk": pk}))
        assert response.status_code == 404


def test_the_city_office_sets_and_ends_a_liaison(world, login):
    client = login(world.user("city_office"))
    leader = world.user("leader")
    url = reverse("problems:liaison_new")
    html = client.get(url, {"leader": leader.pk, "project": world.project_a.pk}).content.decode()
    assert f'<option value="{leader.pk}" selected>' in html
    response = client.post(
        url, {"leader": leader.pk, "project": world.project_a.pk, "since": "2026-01-05"}
    )
    assert response.status_code == 302
    liaison = Liaison.objects.get(leader=leader, project=world.project_a)
    assert liaison.since == dt.date(2026, 1, 5) and liaison.until is None
    assert response["Location"] == reverse("problems:leader", kwargs={"user_pk": leader.pk})
    # The same leader, the same project, an overlapping time: refused on the form.
    response = client.post(
        url, {"leader": leader.pk, "project": world.project_a.pk, "since": "2026-03-01"}
    )
    assert response.status_code == 200
    assert "在该时段已包联此项目" in response.content.decode()

    end = reverse("problems:liaison_end", kwargs={"pk": liaison.pk})
    assert client.get(end).status_code == 200
    response = client.post(end, {"until": "2025-12-31"})
    assert response.status_code == 200
    assert "包联截止日期不能早于起始日期" in response.content.decode()
    response = client.post(end, {"until": "2026-06-30"})
    assert response.status_code == 302
    liaison.refresh_from_db()
    assert liaison.until == dt.date(2026, 6, 30)
    assert "已结束" in _messages(response)[-1]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "请选择包联领导"),
        ({"leader": "county"}, "请选择在用的领导账号"),
        ({"leader": "leader", "project": "abc"}, "请选择权限范围内的项目"),
        ({"leader": "leader", "project": "a", "since": "2026-13-01"}, "日期格式应为"),
        (
            {"leader": "leader", "project": "a", "since": "2026-05-01", "until": "2026-04-01"},
            "包联截止日期不能早于起始日期",
        ),
    ],
)
def test_bad_liaisons_are_answered_in_chinese(world, login, data, message):
    data = dict(data)
    if "leader" in data:
        data["leader"] = world.user(data["leader"]).pk
    if data.get("project") == "a":
        data["project"] = world.project_a.pk
    response = login(world.user("city_office")).post(reverse("problems:liaison_new"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Liaison.objects.exists()


@pytest.mark.parametrize("role", ["leader", "county", "zone", "enterprise", "department", "admin"])
def test_only_the_city_office_keeps_the_liaison(world, login, liaised, role):
    client = login(world.user(role))
    data = {"leader": world.user("leader").pk, "project": world.project_a.pk, "since": "2026-01-01"}
    assert client.post(reverse("problems:liaison_new"), data).status_code == 403
    end = reverse("problems:liaison_end", kwargs={"pk": liaised["a"].pk})
    assert client.post(end, {"until": "2026-06-30"}).status_code == 403
    assert Liaison.objects.filter(until__isnull=False).count() == 0


# --- visits ----------------------------------------------------------------------------------


@pytest.fixture
def visited(world):
    """Projects A and B are signed (followed); a visit to A this quarter, one to B last
    year."""
    for p in (world.project_a, world.project_b):
        Project.objects.filter(pk=p.pk).update(stage="signed", signed_date=dt.date(2024, 3, 1))
    today = TODAY()
    a = Visit.objects.create(
        project=world.project_a, date=today, visitors="市项目办 张三", findings="=1+1",
        recorded_by=world.user("city_office"),
    )  # fmt: skip
    b = Visit.objects.create(
        project=world.project_b, date=dt.date(today.year - 1, 3, 10), visitors="李四",
        recorded_by=world.user("city_office"),
    )  # fmt: skip
    return a, b


@pytest.mark.parametrize("role", PROBLEM_READERS + NOT_READERS)
def test_the_visits_page_per_role(world, login, visited, role):
    response = login(world.user(role)).get(reverse("problems:visits"))
    if role in NOT_READERS + ("department",):
        assert response.status_code == 403
        return
    html = response.content.decode()
    log = html[html.index('id="visit-log"') : html.index('id="unvisited"')]
    assert "市项目办 张三" in log
    assert ("李四" in log) is (role in ("city_office", "leader"))
    # This quarter: A visited; B (county B) not, seen by those who see county B.
    idle = html[html.index('id="unvisited-list"') :]
    assert "甲新材料项目" not in idle
    assert ("乙装备制造项目" in idle) is (role in ("city_office", "leader"))
    assert ('id="visit-new"' in html) is (role in ("city_office", "county", "zone"))


def test_visits_by_quarter_and_county(world, login, visited):
    client = login(world.user("city_office"))
    last_year = f"{TODAY().year - 1}Q1"
    html = client.get(reverse("problems:visits"), {"quarter": last_year}).content.decode()
    log = html[html.index('id="visit-log"') : html.index('id="unvisited"')]
    assert "李四" in log and "张三" not in log
    # In that quarter project A had no visit, project B had one.
    counts = html[html.index('id="unvisited-by-county"') :]
    counts = counts[: counts.index("</table>")]
    assert counts.count("<tr>") == 3  # header + 离石区 + 孝义市
    idle = html[html.index('id="unvisited-list"') :]
    assert "甲新材料项目" in idle and "乙装备制造项目" not in idle
    html = client.get(reverse("problems:visits"), {"county": "141181"}).content.decode()
    log = html[html.index('id="visit-log"') : html.index('id="unvisited"')]
    assert "李四" in log and "张三" not in log


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"quarter": "2026Q9"}, "季度：季度“2026Q9”无效，请从列表中选择"),
        ({"county": "999999"}, "县(市、区)：请从列表中选择县(市、区)"),
        ({"zone": "abc"}, "开发区：请从列表中选择开发区"),
        ({"page": "x" * 300, "idle": "-1"}, None),
    ],
)
def test_bad_visit_filters_are_answered_in_chinese(world, login, visited, params, message):
    response = login(world.user("city_office")).get(reverse("problems:visits"), params)
    assert response.status_code == 200
    if message:
        assert message in response.content.decode()


def test_a_county_records_a_visit_with_the_problems_found(world, login):
    client = login(world.user("county"))
    url = reverse("problems:visit_new")
    html = client.get(url, {"project": world.project_a.pk}).content.decode()
    assert f'<option value="{world.project_a.pk}" selected>' in html
    assert "乙装备制造项目" not in html  # only the county's projects are offered
    response = client.post(
        url,
        {
            "project": world.project_a.pk,
            "date": f"{TODAY():%Y-%m-%d}",
            "visitors": "区项目办 王五",
            "findings": "施工用电未接入",
            "p1_description": "施工用电未接入",
            "p1_category": "utilities",
            "p1_level": "county",
            "p3_description": "环评批复未下达",
            "p3_category": "assessment",
            "p3_level": "city",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    visit = Visit.objects.get()
    assert visit.recorded_by == world.user("county")
    raised = list(visit.problems.order_by("pk"))
    assert [p.description for p in raised] == ["施工用电未接入", "环评批复未下达"]
    assert {p.source for p in raised} == {"service_visit"}
    assert [p.level for p in raised] == ["county", "city"]
    assert "2个问题已转入问题台账" in _messages(response)[-1]


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"visitors": ""}, "请填写走访人员"),
        ({"date": "2026-02-30"}, "日期格式应为"),
        ({"date": "2999-01-01"}, "走访日期不能晚于今天"),
        ({"p2_category": "land"}, "请填写问题2的问题描述，或清空其问题类别"),
        ({"p2_description": "用地指标"}, "请选择问题2的问题类别"),
        ({"p1_description": "x", "p1_category": "nonsense"}, "请从列表中选择问题类别"),
        ({"project": "B"}, "请选择权限范围内的项目"),
        ({"visitors": "人" * 201}, "走访人员最多200字"),
    ],
)
def test_bad_visits_are_answered_in_chinese(world, login, over, message):
    data = {"project": world.project_a.pk, "date": f"{TODAY():%Y-%m-%d}", "visitors": "王五"}
    data.update(over)
    if data["project"] == "B":
        data["project"] = world.project_b.pk
    response = login(world.user("zone")).post(reverse("problems:visit_new"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Visit.objects.exists() and not Problem.objects.exists()


def test_a_visits_problem_refused_by_the_service_is_shown_on_its_slot(world, login, monkeypatch):
    from sanpi.core.errors import ValidationFailed

    def refuse(**kwargs):
        raise ValidationFailed(
            "第1个问题：问题描述最多2000字",
            fields={"problems.0.description": ["问题描述最多2000字，实为2001字"]},
        )

    monkeypatch.setattr(services, "visit_record", refuse)
    data = {
        "project": world.project_a.pk,
        "date": f"{TODAY():%Y-%m-%d}",
        "visitors": "王五",
        "p2_description": "x",
        "p2_category": "land",
    }
    html = login(world.user("zone")).post(reverse("problems:visit_new"), data).content.decode()
    slot = html[html.index('id="visit-problem-2"') : html.index('id="visit-problem-3"')]
    assert "问题描述最多2000字，实为2001字" in slot


@pytest.mark.parametrize("role", ["leader", "enterprise", "department", "admin", "auditor"])
def test_who_may_not_record_visits(world, login, role):
    client = login(world.user(role))
    assert client.get(reverse("problems:visit_new")).status_code == 403
    data = {"project": world.project_a.pk, "date": f"{TODAY():%Y-%m-%d}", "visitors": "x"}
    assert client.post(reverse("problems:visit_new"), data).status_code == 403
    assert not Visit.objects.exists()


def test_an_inactive_leader_with_a_liaison_stays_listed(world, login, liaised):
    retired = UserFactory(role="leader", full_name="钱主任", is_active=False)
    Liaison.objects.create(leader=retired, project=world.project_a, since=dt.date(2024, 1, 1))
    html = login(world.user("city_office")).get(reverse("problems:leaders")).content.decode()
    assert "钱主任" in html and "已停用" in html
