"""API for the problems' closed loop: the ledger, raising, one problem with its five 到位
and clocks, its timeline, each move (409 when stale, 400 outside the table), the policies,
leaders' liaison and the service team's visits, a monthly report's problem; each refusal
in the one error shape with a Chinese message, and every role's scope, through HTTP."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from sanpi.core.models import AuditLog
from sanpi.core.tests.api import (
    BASE,
    EVERY_ROLE,
    api_audit_rows,
    api_clients,
    assert_api_audit,
    assert_error,
    openapi_document,
)
from sanpi.problems import rules, services
from sanpi.problems.models import Liaison, Policy, Problem, Visit
from sanpi.problems.tests.factories import make_problem, problems_state
from sanpi.projects.models import Project
from sanpi.projects.tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

VIEWERS = ("city_office", "leader", "county", "zone", "enterprise", "department")
SCOPED = ("county", "zone", "enterprise", "department")
NO_PROBLEMS = tuple(r for r in EVERY_ROLE if r not in VIEWERS)  # admin, auditor, agent
STALE = "该问题已被他人处理，请刷新后重试"


@pytest.fixture
def api_as(world):
    return api_clients(world)


@pytest.fixture
def state(world):
    """Problem A (project A, in progress with zone A's department) and problem B (county
    B's, out of every scoped user's view)."""
    return problems_state(world)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content.decode()
    return [row["id"] for row in response.json()["items"]]


def assign_body(world, version: int, **over) -> dict:
    return {
        "move": "assign",
        "version": version,
        "unit": f"department:{world.department_a.pk}",
        "leader_name": "王副区长",
        "person": world.user("department").pk,
        "solution": "协调供电公司十日内接入",
        "deadline": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        **over,
    }


# --- the ledger --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", VIEWERS)
def test_the_ledger_is_scoped(world, api_as, state, role):
    seen = ids(api_as(role).get("/problems"))
    assert state.a.pk in seen
    assert (state.b.pk in seen) is (role in ("city_office", "leader"))


@pytest.mark.parametrize("role", NO_PROBLEMS)
def test_roles_without_problems_are_refused_everywhere(world, api_as, state, role):
    client = api_as(role)
    for path in (
        "/problems",
        f"/problems/{state.a.pk}",
        f"/problems/{state.a.pk}/events",
        "/problem-policies",
        "/liaisons",
        "/visits",
        f"/leaders/{world.user('leader').pk}/projects",
    ):
        assert_error(client.get(path), 403, "permission_denied")
    before = AuditLog.objects.count()
    move = {"move": "feedback", "version": state.a.version, "text": "x"}
    assert_error(client.post(f"/problems/{state.a.pk}/moves", move), 403)
    assert_error(client.post("/problems", _raise_body(world)), 403)
    assert AuditLog.objects.count() == before


def test_the_ledger_row_and_its_filters(world, api_as, state):
    client = api_as("city_office")
    page = client.get("/problems").json()
    assert page["count"] == 2 and page["limit"] == 50
    row = next(r for r in page["items"] if r["id"] == state.a.pk)
    assert row["project"] == world.project_a.pk
    assert (row["project_name"], row["enterprise_name"]) == ("甲新材料项目", "山西甲材料有限公司")
    assert (row["county"], row["zone"]) == ("141102", world.zone_a.pk)
    assert (row["state"], row["state_label"]) == ("in_progress", "办理中")
    assert (row["category"], row["category_label"]) == ("utilities", "水电气暖配套")
    assert (row["level"], row["level_label"]) == ("county", "县级")
    assert (row["source"], row["source_label"]) == ("city", "市项目办")
    assert (row["light"], row["light_label"]) == ("green", "正常")
    assert row["unit"] == f"department:{world.department_a.pk}"
    assert row["unit_name"] == "吕梁经开区行政审批局"
    assert row["person_name"] == str(world.user("department"))
    assert row["version"] == state.a.version and row["raised_at"].endswith("+08:00")

    def found(**params):
        return ids(client.get("/problems", params))

    a, b = state.a.pk, state.b.pk
    assert found(county="141181") == [b]
    assert found(zone=world.zone_a.pk) == [a]
    assert found(unit=f"department:{world.department_a.pk}") == [a]
    assert found(unit=f"department:{state.dept_b.pk}") == [b]
    assert sorted(found(state="open")) == sorted([a, b])
    assert found(state="closed") == []
    assert found(project=world.project_b.pk) == [b]
    assert found(q="乙装备") == [b]
    assert found(category="land") == []
    assert found(overdue="true") == []
    assert found(key="true") == []
    assert sorted(found(state="", zone="", county="")) == sorted([a, b])
    Project.objects.filter(pk=world.project_b.pk).update(is_city_key=True)
    assert found(key="true") == [b]
    error = assert_error(client.get("/problems", {"state": "lost"}), 400, field="state")
    assert "in_progress（办理中）" in error["fields"]["state"][0]
    assert_error(client.get("/problems", {"unit": "bureau:1"}), 400, field="unit")
    assert_error(client.get("/problems", {"overdue": "maybe"}), 400, field="overdue")
    assert_error(client.get("/problems", {"limit": 0}), 400, field="limit")


def test_the_ledger_reads_a_page_in_a_fixed_number_of_queries(world, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_as("city_office")
    make_problem(world, state="in_progress")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/problems").status_code == 200
        return len(captured)

    queries()  # the token's first use is recorded once
    few = queries()
    for state in ("raised", "assigned", "solved", "closed"):
        make_problem(world, state=state)
    assert queries() == few


# --- one problem -------------------------------------------------------------------------------


def test_a_problem_with_its_five_clocks_and_moves(world, api_as, state):
    response = api_as("city_office").get(f"/problems/{state.a.pk}")
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["raised_by"] == str(world.user("city_office")) and body["report"] is None
    assert body["five"] == {
        "unit": f"department:{world.department_a.pk}",
        "unit_name": "吕梁经开区行政审批局",
        "leader_name": "王副县长",
        "leader": None,
        "person": world.user("department").pk,
        "person_name": str(world.user("department")),
        "solution": "协调办理",
        "deadline": (timezone.localdate() + dt.timedelta(days=10)).isoformat(),
        "missing": [],
    }
    assert set(body["clocks"]) == {"deploy", "feedback", "solve"}
    deploy = body["clocks"]["deploy"]
    assert deploy["label"] == "当日部署" and deploy["stopped"] is not None
    assert deploy["breached"] is False and deploy["light"] == "green"
    solve = body["clocks"]["solve"]
    assert solve["stopped"] is None and solve["left_days"] > 0 and solve["used_days"] == 0
    problem = Problem.objects.get(pk=state.a.pk)
    assert solve["due"] == timezone.localtime(problem.solve_due).isoformat()
    assert body["policy"]["code"] == "ordinary" and body["policy"]["version"] == 1
    assert body["assigned_at"] and body["first_feedback_at"] and body["solved_at"] is None
    moves = [m["move"] for m in body["allowed_moves"]]
    assert moves == ["feedback", "solve", "escalate", "withdraw"]
    assert body["allowed_moves"][0]["label"] == "反馈进展"
    # The responsible person works on it; the enterprise has nothing to do yet.
    dept = api_as("department").get(f"/problems/{state.a.pk}").json()
    assert [m["move"] for m in dept["allowed_moves"]] == ["feedback", "solve"]
    assert api_as("enterprise").get(f"/problems/{state.a.pk}").json()["allowed_moves"] == []
    assert api_as("leader").get(f"/problems/{state.a.pk}").json()["allowed_moves"] == []


def test_a_raised_problem_says_which_of_the_five_are_missing(world, api_as):
    problem = make_problem(world)
    five = api_as("county").get(f"/problems/{problem.pk}").json()["five"]
    assert five["missing"] == ["责任单位", "责任领导", "责任人", "解决措施", "完成时限"]
    assert five["unit"] is None and five["unit_name"] is None


@pytest.mark.parametrize("role", SCOPED)
def test_out_of_scope_problems_are_404_for_reading_and_moving(world, api_as, state, role):
    client = api_as(role)
    before = AuditLog.objects.count()
    for path in (f"/problems/{state.b.pk}", f"/problems/{state.b.pk}/events"):
        error = assert_error(client.get(path), 404, "not_found")
        assert error["message"] == "问题不存在或不在您的权限范围内"
    move = {"move": "feedback", "version": state.b.version, "text": "越权"}
    assert_error(client.post(f"/problems/{state.b.pk}/moves", move), 404, "not_found")
    assert_error(client.get("/problems/999999"), 404, "not_found")
    assert AuditLog.objects.count() == before
    assert Problem.objects.get(pk=state.b.pk).version == state.b.version


def test_the_timeline(world, api_as, state):
    response = api_as("zone").get(f"/problems/{state.a.pk}/events")
    assert response.status_code == 200, response.content.decode()
    page = response.json()
    assert [e["move"] for e in page["items"]] == ["raise", "assign", "feedback"]
    raised, assigned, feedback = page["items"]
    assert raised["move_label"] == "提出" and raised["from_state"] == ""
    assert raised["from_state_label"] == "" and raised["to_state_label"] == "已提出"
    assert assigned["from_state_label"] == "已提出" and assigned["to_state"] == "assigned"
    assert feedback["by"] == world.user("department").pk and feedback["text"] == "进展"
    assert feedback["by_name"] == str(world.user("department"))
    assert feedback["attachments"] == [] and feedback["on_behalf"] is False
    assert page["count"] == 3
    assert (
        len(api_as("zone").get(f"/problems/{state.a.pk}/events", {"limit": 1}).json()["items"]) == 1
    )


# --- raising -------------------------------------------------------------------------------------


def _raise_body(world, **over) -> dict:
    return {
        "project": world.project_a.pk,
        "description": "施工用电迟迟未接入",
        "category": "utilities",
        **over,
    }


@pytest.mark.parametrize(
    ("role", "source"),
    [
        ("city_office", "city"),
        ("leader", "leader_visit"),
        ("county", "county"),
        ("zone", "zone"),
        ("enterprise", "enterprise"),
    ],
)
def test_raising(world, api_as, role, source):
    response = api_as(role).post("/problems", _raise_body(world))
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert (body["state"], body["source"], body["level"], body["version"]) == (
        "raised",
        source,
        "county",
        1,
    )
    problem = Problem.objects.get(pk=body["id"])
    assert problem.raised_by == world.user(role)
    assert_api_audit(world.user(role), problem, "create")


def test_raising_a_past_problem_and_at_city_level(world, api_as):
    client = api_as("county")
    earlier = (timezone.localtime() - dt.timedelta(days=3)).replace(microsecond=0, tzinfo=None)
    body = client.post(
        "/problems", _raise_body(world, raised_at=earlier.isoformat(), level="city")
    ).json()
    assert body["raised_at"] == earlier.isoformat() + "+08:00"
    assert body["level"] == "city" and body["clocks"]["deploy"]["breached"] is True


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"description": ""}, "description", "不能为空"),
        ({"description": "   "}, "description", "请填写问题描述"),
        ({"description": "长" * 2001}, "description", "不能超过2000个字符"),
        ({"category": "天气"}, "category", "须为以下之一"),
        ({"level": "nation"}, "level", "须为以下之一"),
        ({"raised_at": "2099-01-01T00:00:00"}, "raised_at", "提出时间不能晚于现在"),
        ({"raised_at": "1999-12-31T23:59:59"}, "raised_at", "时间不能早于2000年"),
        ({"raised_at": "2026-02-30T08:00"}, "raised_at", "不是有效的时间"),
        ({"raised_at": "昨天"}, "raised_at", "YYYY-MM-DDTHH:MM:SS"),
        ({"project": 0}, "project", "不能小于1"),
        ({"project": 99999999}, "project", "项目不存在或不在您的权限范围内"),
        ({"extra": 1}, "extra", "不是可接受的字段"),
    ],
)
def test_raising_refusals(world, api_as, over, field, message):
    before = Problem.objects.count()
    error = assert_error(
        api_as("zone").post("/problems", _raise_body(world, **over)), 400, field=field
    )
    assert message in error["fields"][field][0], error
    assert Problem.objects.count() == before


def test_raising_on_a_project_out_of_scope_or_without_the_right(world, api_as):
    for role in ("county", "zone", "enterprise"):
        error = assert_error(
            api_as(role).post("/problems", _raise_body(world, project=world.project_b.pk)),
            400,
            field="project",
        )
        assert error["message"] == "项目不存在或不在您的权限范围内"
    assert_error(api_as("department").post("/problems", _raise_body(world)), 403)
    assert not Problem.objects.exists()


# --- moves -------------------------------------------------------------------------------------


def _move(client, problem_id: int, body: dict):
    return client.post(f"/problems/{problem_id}/moves", body)


def test_the_whole_loop_through_the_api(world, api_as):
    response = api_as("enterprise").post("/problems", _raise_body(world))
    pk = response.json()["id"]
    county, dept, ent = api_as("county"), api_as("department"), api_as("enterprise")

    def step(client, body, state):
        response = _move(client, pk, body)
        assert response.status_code == 200, response.content.decode()
        out = response.json()
        assert out["state"] == state, out
        return out["version"]

    v = step(county, {"move": "analyse", "version": 1, "solution": "需供电公司配合"}, "analysed")
    v = step(county, assign_body(world, v), "assigned")
    v = step(dept, {"move": "feedback", "version": v, "text": "已对接"}, "in_progress")
    v = step(dept, {"move": "solve", "version": v, "text": "已通电"}, "solved")
    v = step(ent, {"move": "reject", "version": v, "text": "电压不稳"}, "in_progress")
    v = step(dept, {"move": "solve", "version": v, "text": "已更换变压器"}, "solved")
    body = _move(ent, pk, {"move": "confirm", "version": v}).json()
    assert (body["state"], body["satisfied"], body["version"]) == ("closed", True, 8)
    assert body["closed_at"] is not None and body["allowed_moves"] == []
    problem = Problem.objects.get(pk=pk)
    assert len(api_audit_rows(world.user("department"), problem, "update")) == 3
    events = api_as("city_office").get(f"/problems/{pk}/events").json()["items"]
    assert [e["move"] for e in events][-2:] == ["solve", "confirm"]


def test_assigning_to_a_county_by_its_code_and_to_the_city(world, api_as):
    county_user = world.user("county")
    client = api_as("city_office")
    problem = make_problem(world)
    body = assign_body(world, 1, unit="county:141102", person=county_user.pk)
    response = _move(client, problem.pk, body)
    assert response.status_code == 200, response.content.decode()
    assert response.json()["unit"] == "county:141102"
    assert response.json()["five"]["unit_name"] == "离石区"
    other = make_problem(world)
    body = assign_body(world, 1, unit="city", person=world.user("city_office").pk, is_complex=True)
    out = _move(client, other.pk, body).json()
    assert (out["unit"], out["unit_name"], out["is_complex"]) == ("city", "市项目办", True)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"move": "fly"}, "move", "须为以下之一"),
        ({"move": None}, "move", "须为以下之一"),
        ({"version": 0}, "version", "不能小于1"),
        ({"version": "x"}, "version", "须为整数"),
        ({"text": "进展"}, "text", "交办不需要填写说明"),
        ({"unit": "bureau:3"}, "unit", "格式不正确"),
        ({"unit": "county:999999"}, "unit", "没有行政区划代码为“999999”的县(市、区)"),
        ({"unit": "department:999999"}, "unit", "没有编号为“999999”的部门"),
        ({"person": None, "leader_name": None}, "person", "请填写责任人"),
        ({"deadline": "2021-02-29"}, "deadline", "不是有效的日期"),
        ({"deadline": "2020-01-01"}, "deadline", "不能早于今天"),
        ({"person": 99999999}, "person", "责任人应为责任单位的在用账号"),
        ({"leader": 99999999}, "leader", "没有编号为“99999999”的账号"),
        ({"is_complex": "yes"}, "is_complex", "须为 true 或 false"),
    ],
)
def test_bad_moves_are_400_and_change_nothing(world, api_as, body, field, message):
    problem = make_problem(world)
    response = _move(api_as("county"), problem.pk, {**assign_body(world, 1), **body})
    error = assert_error(response, 400, field=field)
    assert message in error["fields"][field][0], error
    assert Problem.objects.get(pk=problem.pk).version == 1


def test_missing_five_are_named_together(world, api_as):
    problem = make_problem(world)
    body = {"move": "assign", "version": 1, "unit": "city", "solution": "协调"}
    error = assert_error(_move(api_as("county"), problem.pk, body), 400)
    assert error["message"] == "交办须五到位，尚缺：责任领导、责任人、完成时限"
    assert set(error["fields"]) == {"leader", "person", "deadline"}


def test_a_move_outside_the_table_gets_the_rules_refusal(world, api_as, state):
    body = {"move": "confirm", "version": state.a.version}
    error = assert_error(_move(api_as("enterprise"), state.a.pk, body), 400, "validation_failed")
    assert error["message"] == rules.refusal(rules.Move.CONFIRM, "in_progress")
    assert "不能确认满意" in error["message"]
    raised = make_problem(world)
    body = {"move": "solve", "version": 1, "text": "已解决"}
    error = assert_error(_move(api_as("city_office"), raised.pk, body), 400)
    assert error["message"] == rules.refusal(rules.Move.SOLVE, "raised")


def test_a_stale_version_is_409(world, api_as, state):
    client = api_as("department")
    stale = state.a.version
    ok = _move(client, state.a.pk, {"move": "feedback", "version": stale, "text": "一"})
    assert ok.status_code == 200 and ok.json()["version"] == stale + 1
    error = assert_error(
        _move(client, state.a.pk, {"move": "solve", "version": stale, "text": "二"}),
        409,
        "conflict",
    )
    assert error["message"] == STALE
    assert Problem.objects.get(pk=state.a.pk).state == "in_progress"


@pytest.mark.parametrize(
    ("role", "body", "message"),
    [
        ("enterprise", {"move": "escalate", "text": "x"}, "您没有权限执行此操作"),
        ("leader", {"move": "feedback", "text": "x"}, "您没有权限执行此操作"),
        ("zone", {"move": "solve", "text": "x"}, "只有责任单位可以反馈进展和办结"),
        ("county", {"move": "reject", "text": "x"}, "该企业有系统账号，应由企业本人确认是否满意"),
        ("department", {"move": "withdraw", "text": "x"}, "您没有权限执行此操作"),
    ],
)
def test_moves_without_the_right_are_403(world, api_as, state, role, body, message):
    response = _move(api_as(role), state.a.pk, {**body, "version": state.a.version})
    error = assert_error(response, 403, "permission_denied")
    assert error["message"] == message
    assert Problem.objects.get(pk=state.a.pk).version == state.a.version


# --- a monthly report's problem -------------------------------------------------------------------


@pytest.fixture
def report(world):
    """Project A's report for last month, with its problems written."""
    from sanpi.dispatch import services as dispatch_services

    Project.objects.filter(pk=world.project_a.pk).update(
        stage="started",
        signed_date=dt.date(2021, 1, 5),
        started_date=dt.date(2021, 3, 1),
        total_investment_wan=Decimal("10000.00"),
    )
    world.project_a.refresh_from_db()
    last = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    data = {"investment_wan": Decimal("100"), "progress_percent": 10, "problems": "缺少施工用电"}
    return dispatch_services.report_save(
        by=world.user("city_office"),
        project=world.project_a,
        year=last.year,
        month=last.month,
        data=data,
    )


def _report_url(report, project=None) -> str:
    pk = (project or report.project).pk
    return f"/projects/{pk}/reports/{report.year}/{report.month}/problem"


def test_a_reports_problem_is_raised_once(world, api_as, report):
    client = api_as("zone")
    response = client.post(_report_url(report), raw="")
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert (body["source"], body["report"], body["category"]) == (
        "monthly_report",
        report.pk,
        "other",
    )
    assert body["description"].endswith("月报：缺少施工用电")
    error = assert_error(client.post(_report_url(report), raw=""), 409, "conflict")
    assert error["message"] == "该月报的问题已转入问题台账"


def test_a_reports_problem_refusals(world, api_as, report):
    client = api_as("county")
    type(report).objects.filter(pk=report.pk).update(problems="")
    error = assert_error(client.post(_report_url(report), raw=""), 400, field="problems")
    assert error["message"] == "该月报没有填写遇到的问题"
    earlier = f"/projects/{report.project_id}/reports/{report.year - 1}/{report.month}/problem"
    assert_error(client.post(earlier, raw=""), 404, "not_found")
    future = f"/projects/{report.project_id}/reports/{report.year + 1}/12/problem"
    assert_error(client.post(future, raw=""), 400, field="month")
    assert_error(client.post(_report_url(report, world.project_b), raw=""), 404)
    assert_error(api_as("department").post(_report_url(report), raw=""), 403)
    assert_error(api_as("admin").post(_report_url(report), raw=""), 403)
    assert not Problem.objects.exists()


# --- policies ------------------------------------------------------------------------------------


def test_policies_are_read_by_every_problems_reader(world, api_as):
    for role in VIEWERS:
        page = api_as(role).get("/problem-policies").json()
        assert {p["code"] for p in page["items"]} == {"13710", "ordinary"}, role
    row = next(p for p in page["items"] if p["code"] == "13710")
    assert (row["applies_to"], row["applies_to_label"]) == ("key", "省、市重点项目")
    assert (row["feedback_days"], row["solve_days"], row["current"]) == (3, 7, True)


def test_changing_a_policy_makes_a_new_version(world, api_as):
    old = Policy.objects.get(code="ordinary", current=True)
    client = api_as("city_office")
    response = client.patch(f"/problem-policies/{old.pk}", {"solve_days": 10, "name": "一般项目"})
    assert response.status_code == 200, response.content.decode()
    new = response.json()
    assert (new["version"], new["solve_days"], new["current"]) == (2, 10, True)
    assert new["created_by"] == str(world.user("city_office"))
    assert_api_audit(world.user("city_office"), Policy.objects.get(pk=new["id"]), "update")
    current = client.get("/problem-policies", {"current": "false"}).json()["items"]
    assert [p["id"] for p in current] == [old.pk]
    # Nothing changed: the same version back.
    same = client.patch(f"/problem-policies/{new['id']}", {"solve_days": 10}).json()
    assert same["id"] == new["id"]
    error = assert_error(client.patch(f"/problem-policies/{old.pk}", {"solve_days": 9}), 409)
    assert error["message"] == "该规则已有更新的版本，请刷新后重试"
    for body, field in [
        ({"solve_days": 0}, "solve_days"),
        ({"solve_days": None}, "solve_days"),
        ({"feedback_days": 61}, "feedback_days"),
        ({"name": ""}, "name"),
        ({"deploy_same_day": "yes"}, "deploy_same_day"),
        ({"code": "x"}, "code"),
    ]:
        assert_error(client.patch(f"/problem-policies/{new['id']}", body), 400, field=field)
    assert_error(client.patch("/problem-policies/99999", {"solve_days": 9}), 404)
    for role in ("leader", "county", "zone", "enterprise", "department"):
        assert_error(api_as(role).patch(f"/problem-policies/{new['id']}", {"solve_days": 9}), 403)
    assert Policy.objects.get(pk=new["id"]).current


# --- liaison ------------------------------------------------------------------------------------


def _liaison(world, project, **over):
    args = {"leader": world.user("leader"), "project": project, "since": dt.date(2026, 1, 5)}
    return services.liaison_set(by=world.user("city_office"), **{**args, **over})


def test_liaisons_are_set_listed_and_ended(world, api_as):
    client = api_as("city_office")
    leader = world.user("leader")
    body = {"leader": leader.pk, "project": world.project_a.pk, "since": "2026-01-05"}
    response = client.post("/liaisons", body)
    assert response.status_code == 201, response.content.decode()
    out = response.json()
    assert (out["leader"], out["leader_name"], out["project_name"]) == (
        leader.pk,
        str(leader),
        "甲新材料项目",
    )
    assert out["until"] is None and out["current"] is True
    error = assert_error(client.post("/liaisons", body), 409, "conflict")
    assert "已包联此项目" in error["message"]
    b = _liaison(world, world.project_b)
    assert len(ids(client.get("/liaisons"))) == 2
    assert ids(client.get("/liaisons", {"project": world.project_b.pk})) == [b.pk]
    for role in ("county", "zone", "enterprise"):
        assert ids(api_as(role).get("/liaisons")) == [out["id"]], role
    assert ids(api_as("department").get("/liaisons")) == []
    assert len(ids(api_as("leader").get("/liaisons", {"leader": leader.pk}))) == 2
    ended = client.post(f"/liaisons/{out['id']}/end", {"until": "2026-06-30"})
    assert ended.status_code == 200, ended.content.decode()
    assert ended.json()["until"] == "2026-06-30" and ended.json()["current"] is False
    assert ids(client.get("/liaisons", {"current": "true"})) == [b.pk]
    assert ids(client.get("/liaisons", {"current": "false"})) == [out["id"]]
    liaison = Liaison.objects.get(pk=out["id"])
    assert_api_audit(world.user("city_office"), liaison, "update")


def test_liaison_refusals(world, api_as):
    client = api_as("city_office")
    base = {"leader": world.user("leader").pk, "project": world.project_a.pk, "since": "2026-01-05"}
    for over, field, message in [
        ({"leader": world.user("county").pk}, "leader", "包联领导应为在用的“领导”账号"),
        ({"leader": 99999999}, "leader", "没有编号为“99999999”的账号"),
        ({"project": 99999999}, "project", "项目不存在或不在您的权限范围内"),
        ({"until": "2025-12-31"}, "until", "包联截止日期不能早于起始日期"),
        ({"since": "2026-13-01"}, "since", "不是有效的日期"),
        ({"since": None}, "since", "YYYY-MM-DD"),
    ]:
        error = assert_error(client.post("/liaisons", {**base, **over}), 400, field=field)
        assert message in error["fields"][field][0], error
    liaison = _liaison(world, world.project_a)
    error = assert_error(
        client.post(f"/liaisons/{liaison.pk}/end", {"until": "2025-01-01"}), 400, field="until"
    )
    assert error["message"] == "包联截止日期不能早于起始日期"
    assert_error(client.post("/liaisons/99999/end", {"until": "2026-06-30"}), 404)
    for role in ("leader", "county", "zone", "enterprise"):
        assert_error(api_as(role).post("/liaisons", base), 403, "permission_denied")
        assert_error(api_as(role).post(f"/liaisons/{liaison.pk}/end", {"until": "2026-06-30"}), 403)
    assert Liaison.objects.get(pk=liaison.pk).until is None


def test_a_leaders_projects_most_urgent_first(world, api_as):
    leader = world.user("leader")
    calm = ProjectFactory(
        name="丙平稳项目", enterprise=world.enterprise_a, county=world.county_a, health="stalled"
    )
    for project in (world.project_a, world.project_b, calm):
        _liaison(world, project)
    ended = ProjectFactory(
        name="丁已结束项目", enterprise=world.enterprise_a, county=world.county_a
    )
    _liaison(world, ended, until=dt.date(2026, 2, 1))
    make_problem(world, state="in_progress")  # A: open, on time
    long_ago = timezone.now() - dt.timedelta(days=40)
    make_problem(world, project=world.project_b, raised_at=long_ago)  # B: never deployed
    response = api_as("city_office").get(f"/leaders/{leader.pk}/projects")
    assert response.status_code == 200, response.content.decode()
    rows = response.json()["items"]
    assert [r["project_name"] for r in rows] == ["乙装备制造项目", "甲新材料项目", "丙平稳项目"]
    b, a, c = rows
    assert (b["open_problems"], b["overdue_problems"]) == (1, 1)
    assert (a["open_problems"], a["overdue_problems"], a["due_soon_problems"]) == (1, 0, 0)
    assert (c["open_problems"], c["health"], c["health_label"]) == (0, "stalled", "停缓建")
    assert a["liaison_since"] == "2026-01-05" and a["county"] == "141102"
    assert a["stage_label"] == Project.objects.get(pk=a["project"]).get_stage_display()
    assert (a["health"], a["health_label"]) == ("normal", "正常推进") and a["breaches"] == 0
    county_rows = api_as("county").get(f"/leaders/{leader.pk}/projects").json()["items"]
    assert [r["project_name"] for r in county_rows] == ["甲新材料项目", "丙平稳项目"]
    assert api_as("department").get(f"/leaders/{leader.pk}/projects").json()["items"] == []
    error = assert_error(
        api_as("city_office").get(f"/leaders/{world.user('county').pk}/projects"), 404
    )
    assert error["message"] == "没有这位领导"


# --- visits -------------------------------------------------------------------------------------


def _visit_body(world, **over) -> dict:
    return {
        "project": world.project_a.pk,
        "date": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "visitors": "服务专员张三、李四",
        "findings": "配套道路未完工",
        "promises": "协调交通局月底前完工",
        "problems": [
            {"description": "配套道路未完工", "category": "utilities"},
            {"description": "用工短缺", "category": "labour", "level": "city"},
        ],
        **over,
    }


@pytest.mark.parametrize("role", ["city_office", "county", "zone"])
def test_recording_a_visit_raises_its_problems(world, api_as, role):
    response = api_as(role).post("/visits", _visit_body(world))
    assert response.status_code == 201, response.content.decode()
    out = response.json()
    assert (out["project_name"], out["visitors"]) == ("甲新材料项目", "服务专员张三、李四")
    assert out["recorded_by"] == str(world.user(role)) and len(out["problems"]) == 2
    raised = Problem.objects.filter(pk__in=out["problems"]).order_by("pk")
    assert [(p.source, p.level) for p in raised] == [
        ("service_visit", "county"),
        ("service_visit", "city"),
    ]
    assert_api_audit(world.user(role), Visit.objects.get(pk=out["id"]), "create")


def test_visit_refusals_record_nothing(world, api_as):
    client = api_as("zone")
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    cases = [
        ({"date": tomorrow}, "date", "走访日期不能晚于今天"),
        ({"visitors": ""}, "visitors", "不能为空"),
        ({"project": world.project_b.pk}, "project", "项目不存在或不在您的权限范围内"),
        (
            {"problems": [{"description": "", "category": "land"}]},
            "problems.0.description",
            "不能为空",
        ),
        (
            {"problems": [{"description": "x", "category": "天气"}]},
            "problems.0.category",
            "须为以下之一",
        ),
        (
            {"problems": [{"description": " ", "category": "land"}]},
            "problems.0.description",
            "请填写问题描述",
        ),
        ({"problems": "道路"}, "problems", "须为列表"),
    ]
    for over, field, message in cases:
        error = assert_error(client.post("/visits", _visit_body(world, **over)), 400, field=field)
        assert message in error["fields"][field][0], error
    for role in ("leader", "enterprise", "department", "admin"):
        assert_error(api_as(role).post("/visits", _visit_body(world)), 403, "permission_denied")
    assert not Visit.objects.exists() and not Problem.objects.exists()


def test_visits_are_listed_within_scope(world, api_as):
    city = world.user("city_office")
    today = timezone.localdate()
    a = services.visit_record(by=city, project=world.project_a, date=today, visitors="张三")
    b = services.visit_record(by=city, project=world.project_b, date=today, visitors="李四")
    assert ids(api_as("city_office").get("/visits")) == [b.pk, a.pk]
    assert ids(api_as("leader").get("/visits", {"county": "141181"})) == [b.pk]
    for role in ("county", "zone", "enterprise"):
        assert ids(api_as(role).get("/visits")) == [a.pk], role
    assert ids(api_as("department").get("/visits")) == []
    quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    assert ids(
        api_as("city_office").get("/visits", {"quarter": quarter, "project": a.project_id})
    ) == [a.pk]
    assert ids(api_as("city_office").get("/visits", {"quarter": "2020Q1"})) == []
    error = assert_error(api_as("city_office").get("/visits", {"quarter": "2026Q5"}), 400)
    assert "2026Q4" in error["message"]


# --- every write, every role, on county B's objects -------------------------------------------------


def _writes(world, state, liaison_b, report_b) -> list[tuple[str, str, dict | None]]:
    policy = Policy.objects.get(code="ordinary", current=True)
    return [
        ("POST", f"/problems/{state.b.pk}/moves", {"move": "escalate", "version": state.b.version, "text": "越权"}),
        ("POST", "/problems", _raise_body(world, project=world.project_b.pk)),
        ("PATCH", f"/problem-policies/{policy.pk}", {"solve_days": 9}),
        ("POST", "/liaisons", {"leader": world.user("leader").pk, "project": world.project_b.pk, "since": "2025-01-01", "until": "2025-12-31"}),
        ("POST", f"/liaisons/{liaison_b.pk}/end", {"until": "2026-06-30"}),
        ("POST", "/visits", _visit_body(world, project=world.project_b.pk)),
        ("POST", _report_url(report_b), None),
    ]  # fmt: skip


@pytest.mark.parametrize("role", [r for r in EVERY_ROLE if r != "city_office"])
def test_writes_on_county_b_are_refused_and_change_nothing(world, api_as, state, role):
    from sanpi.dispatch import services as dispatch_services

    liaison_b = _liaison(world, world.project_b)
    Project.objects.filter(pk=world.project_b.pk).update(
        stage="started", signed_date=dt.date(2021, 1, 5), started_date=dt.date(2021, 3, 1),
        total_investment_wan=Decimal("10000.00"),
    )  # fmt: skip
    world.project_b.refresh_from_db()
    last = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    report_b = dispatch_services.report_save(
        by=world.user("city_office"), project=world.project_b, year=last.year, month=last.month,
        data={"investment_wan": Decimal("1"), "progress_percent": 1, "problems": "越权"},
    )  # fmt: skip
    client = api_as(role)
    failures = []
    for method, path, body in _writes(world, state, liaison_b, report_b):
        if role == "leader" and (path == "/problems" or path.endswith("/problem")):
            continue  # a leader sees every project and may raise on any (test_raising)
        before = (AuditLog.objects.count(), Problem.objects.count(), Visit.objects.count())
        if body is None:
            response = client.request(method, path, raw="")
        else:
            response = client.request(method, path, body)
        if response.status_code not in (400, 403, 404):
            failures.append(f"{method} {path}: {response.status_code}")
        else:
            error = assert_error(response, response.status_code)
            if response.status_code == 400:  # a body naming project B: said plainly
                assert error["fields"] == {"project": ["项目不存在或不在您的权限范围内"]}
        after = (AuditLog.objects.count(), Problem.objects.count(), Visit.objects.count())
        if after != before:
            failures.append(f"{method} {path}: changed the database")
    assert not failures, "\n".join(failures)
    assert Problem.objects.get(pk=state.b.pk).version == state.b.version


def test_the_city_office_may_make_the_same_writes(world, api_as, state):
    """The requests above succeed for the city office: the refusals are about scope."""
    from sanpi.dispatch import services as dispatch_services

    liaison_b = _liaison(world, world.project_b)
    Project.objects.filter(pk=world.project_b.pk).update(
        stage="started", signed_date=dt.date(2021, 1, 5), started_date=dt.date(2021, 3, 1),
        total_investment_wan=Decimal("10000.00"),
    )  # fmt: skip
    world.project_b.refresh_from_db()
    last = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    report_b = dispatch_services.report_save(
        by=world.user("city_office"), project=world.project_b, year=last.year, month=last.month,
        data={"investment_wan": Decimal("1"), "progress_percent": 1, "problems": "越权"},
    )  # fmt: skip
    client = api_as("city_office")
    for method, path, body in _writes(world, state, liaison_b, report_b):
        if body is None:
            response = client.request(method, path, raw="")
        else:
            response = client.request(method, path, body)
        assert response.status_code in (200, 201), (path, response.content.decode())


# --- the OpenAPI document ------------------------------------------------------------------------


def test_the_endpoints_are_documented(world):
    document = openapi_document(world.user("leader"))
    paths = document["paths"]
    expected = {
        "/problems": {"get", "post"},
        "/problems/{id}": {"get"},
        "/problems/{id}/events": {"get"},
        "/problems/{id}/moves": {"post"},
        "/projects/{id}/reports/{year}/{month}/problem": {"post"},
        "/problem-policies": {"get"},
        "/problem-policies/{id}": {"patch"},
        "/liaisons": {"get", "post"},
        "/liaisons/{id}/end": {"post"},
        "/leaders/{id}/projects": {"get"},
        "/visits": {"get", "post"},
    }
    for path, methods in expected.items():
        assert set(paths[BASE + path]) == methods, path
        for operation in paths[BASE + path].values():
            assert operation["tags"] == ["问题闭环"], path
            for text in (operation["summary"], operation["description"]):
                assert any("\u4e00" <= ch <= "\u9fff" for ch in text), path
            assert "409" in operation["responses"], path
    schemas = document["components"]["schemas"]
    move = schemas["MoveIn"]
    assert "五到位" in move["description"]
    assert move["properties"]["version"]["title"] == "版本"
    detail = schemas["ProblemDetailOut"]["properties"]
    assert {"five", "clocks", "allowed_moves", "version"} <= set(detail)
