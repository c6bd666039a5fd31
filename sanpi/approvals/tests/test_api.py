"""The approvals API for every role, in scope and out of it, with the one error shape."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sanpi.approvals.models import Commitment, ProjectApproval
from sanpi.core.tests.api import (
    api_clients,
    assert_api_audit,
    assert_error,
    openapi_document,
)

from .factories import catalogue_item, make_item

D = dt.date

READERS = ("city_office", "leader", "county", "zone", "enterprise", "department", "agent")
NONE = ("admin", "auditor")


@pytest.fixture
def api_as(world, aw):
    return api_clients(world)


def test_the_list_for_every_role(world, aw, api_as):
    expected = {
        "city_office": 4,
        "leader": 4,
        "county": 2,
        "zone": 2,
        "enterprise": 2,
        "department": 1,
        "agent": 2,
    }
    for role, count in expected.items():
        body = api_as(role).get("/approvals").json()
        assert body["count"] == count, role
    for role in NONE:
        assert_error(api_as(role).get("/approvals"), 403, "permission_denied")
    (item,) = api_as("department").get("/approvals").json()["items"]
    assert item["name"] == "建筑工程施工许可证核发"
    assert item["deadline"] == "2021-09-27" and item["state"] == "overdue"
    assert item["department_name"] == "吕梁经开区行政审批局"
    assert item["provisional"] is False and item["provisional_note"] == ""
    overdue = api_as("city_office").get("/approvals", {"state": "overdue"}).json()
    assert [i["id"] for i in overdue["items"]] == [aw.item_a.pk]


@pytest.mark.parametrize("role", READERS + NONE)
def test_one_item_in_and_out_of_scope(world, aw, api_as, role):
    client = api_as(role)
    cases = {
        aw.item_a.pk: READERS,
        aw.item_a2.pk: tuple(r for r in READERS if r != "department"),
        aw.item_b.pk: ("city_office", "leader"),
    }
    for pk, visible in cases.items():
        response = client.get(f"/approvals/{pk}")
        if role in NONE:
            assert_error(response, 403)
        elif role in visible:
            assert response.status_code == 200, (role, pk)
        else:
            assert_error(response, 404, "not_found")


def test_the_department_officer_accepts_and_decides(world, aw, api_as):
    officer = api_as("department")
    response = officer.post(
        f"/approvals/{aw.item_a.pk}/decide", {"decided_on": "2021-09-20", "outcome": "approved"}
    )
    error = assert_error(response, 400, "validation_failed", field="decided_on")
    assert error["message"] == (
        "办结日期（2021-09-20）早于申请日期（2021-09-22）：日期须按 申请 ≤ 受理 ≤ 办结 的顺序"
    )
    response = officer.post(
        f"/approvals/{aw.item_a.pk}/decide", {"decided_on": "2021-09-27", "outcome": "approved"}
    )
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["state"] == "on_time" and body["working_days_used"] == 2
    assert_api_audit(world.user("department"), aw.item_a, "update")
    # Not their department's: 404; not a decider: 403.
    assert_error(
        officer.post(f"/approvals/{aw.item_a2.pk}/accept", {"accepted_on": "2021-09-24"}), 404
    )
    assert_error(
        api_as("county").post(f"/approvals/{aw.item_a2.pk}/accept", {"accepted_on": "2021-09-24"}),
        403,
    )


def test_planning_through_the_api(world, aw, api_as):
    agent = api_as("agent")
    response = agent.patch(f"/approvals/{aw.item_a2.pk}", {"department": aw.dept_a.pk})
    error = assert_error(response, 400, field="department")
    assert error["message"] == (
        "“吕梁经开区行政审批局”是行政审批局，不办理“建设用地规划许可证”（该事项由自然资源局办理）"
    )
    response = agent.patch(f"/approvals/{aw.item_a2.pk}", {"committed_days": 0})
    assert assert_error(response, 400, field="committed_days")["message"] == (
        "承诺时限须为大于0的工作日数（填写的是0）"
    )
    assert ProjectApproval.objects.get(pk=aw.item_a2.pk).committed_days == 5
    response = agent.patch(f"/approvals/{aw.item_a2.pk}", {"handler": "李经办"})
    assert response.json()["handler"] == "李经办"
    assert_error(agent.patch(f"/approvals/{aw.item_b.pk}", {"handler": "x"}), 404)


def test_adding_items_and_the_low_risk_rules(world, aw, api_as):
    city = api_as("city_office")
    response = city.post(
        f"/projects/{world.project_b.pk}/approvals",
        {
            "track": aw.low.pk,
            "building": {"above_ground_m2": "1800", "height_m": "30", "use": "office"},
        },
    )
    error = assert_error(response, 400, field="low_risk")
    assert error["fields"]["low_risk"] == ["建筑高度30米，超过24米"]
    response = city.post(
        f"/projects/{world.project_b.pk}/approvals",
        {
            "track": aw.low.pk,
            "building": {"above_ground_m2": "1800", "height_m": "20", "use": "office"},
        },
    )
    assert response.status_code == 201, response.content.decode()
    assert [i["committed_days"] for i in response.json()] == [1, 2, 3, 1, 3, 3]
    assert_error(
        api_as("county").post(
            f"/projects/{world.project_b.pk}/approvals", {"catalogue_items": [aw.permit.pk]}
        ),
        404,
    )
    response = city.post(f"/projects/{world.project_a.pk}/approvals", {"catalogue_items": [999999]})
    assert_error(response, 400, field="catalogue_items")


def test_commitments_through_the_api(world, aw, api_as):
    officer = api_as("department")
    response = officer.post(
        f"/approvals/{aw.item_a.pk}/commitments",
        {"content": "补交消防审查意见", "due_on": "2022-03-31"},
    )
    assert response.status_code == 201, response.content.decode()
    commitment = Commitment.objects.get(pk=response.json()["id"])
    response = officer.post(f"/commitments/{commitment.pk}/fulfil", {"fulfilled_on": "2022-04-01"})
    assert assert_error(response, 400, field="fulfilled_on")["message"].startswith(
        "履行日期（2022-04-01）晚于承诺期限（2022-03-31）"
    )
    response = officer.post(f"/commitments/{commitment.pk}/fulfil", {"fulfilled_on": "2022-03-01"})
    assert response.json()["status"] == "fulfilled"
    assert api_as("department").get("/commitments").json()["count"] == 2
    assert api_as("county").get("/commitments").json()["count"] == 2
    assert api_as("city_office").get("/commitments").json()["count"] == 3
    assert_error(
        officer.post(f"/commitments/{aw.commitment_b.pk}/fulfil", {"fulfilled_on": "2021-10-01"}),
        404,
    )


def test_the_catalogue_and_the_report(world, aw, api_as):
    tracks = {t["code"]: t for t in api_as("agent").get("/approval-tracks").json()}
    full = tracks["full_agency"]
    assert (full["statutory_total"], full["committed_total"]) == (75, 35)
    assert (full["materials_before"], full["materials_after"]) == (288, 21)
    assert (tracks["low_risk"]["committed_total"], tracks["low_risk"]["total_limit_days"]) == (
        13,
        20,
    )
    detail = api_as("leader").get(f"/approval-tracks/{aw.low.pk}").json()
    assert [i["name"] for i in detail["items"]][0] == "项目核准/备案"
    response = api_as("city_office").patch(
        f"/approval-catalogue/{aw.permit.pk}", {"statutory_days": 0}
    )
    assert assert_error(response, 400, field="statutory_days")["message"] == (
        "法定时限须为大于0的工作日数（填写的是0）"
    )
    assert_error(api_as("county").patch(f"/approval-catalogue/{aw.permit.pk}", {"basis": "x"}), 403)
    ProjectApproval.objects.filter(pk=aw.item_a.pk).update(
        decided_on="2021-09-28", outcome="approved"
    )
    report = api_as("city_office").get(
        "/reports/approvals", {"start": "2021-09-01", "end": "2021-12-31"}
    )
    body = report.json()
    assert body["decided"] == 1 and body["on_time_rate"] == {"num": 0, "den": 1, "pct": "0.0"}
    assert body["average_days"] == "3.0" and body["average_limit"] == "2.0"
    assert_error(
        api_as("city_office").get(
            "/reports/approvals", {"start": "2021-09-01", "end": "2021-01-01"}
        ),
        400,
        field="end",
    )
    assert api_as("department").get("/departments").json()["count"] == 3


def test_the_openapi_document_describes_the_approvals(world, aw):
    document = openapi_document(world.user("leader"))
    approval = document["components"]["schemas"]["ApprovalOut"]["properties"]
    assert approval["deadline"]["title"] == "办结期限"
    assert approval["warnings"]["title"] == "日期提示"
    assert "/api/v1/approvals/{id}/decide" in document["paths"]


# --- the walk: every endpoint, every role, in and out of scope ------------------------------------

ALL = READERS + NONE
CITY = ("city_office", "leader")
PLANNERS = ("city_office", "county", "zone", "agent")


def _walk(aw, world):
    """(method, path, body, roles that succeed, roles that see the object or None)."""
    return [
        ("GET", "/departments", None, READERS, None),
        ("GET", "/approval-tracks", None, READERS, None),
        ("GET", f"/approval-tracks/{aw.full.pk}", None, READERS, None),
        ("GET", "/approvals", None, READERS, None),
        ("GET", f"/approvals/{aw.item_a.pk}", None, READERS, None),
        ("GET", f"/approvals/{aw.item_b.pk}", None, CITY, CITY),
        ("GET", "/commitments", None, READERS, None),
        ("GET", "/reports/approvals?start=2021-01-01&end=2021-12-31", None, READERS, None),
        ("PATCH", f"/approval-catalogue/{aw.permit.pk}", {"basis": "改"}, ("city_office",), None),
        # Writes aimed at county B's objects: only the city office reaches them.
        ("PATCH", f"/approvals/{aw.item_b.pk}", {"handler": "越权"}, ("city_office",), CITY),
        (
            "POST",
            f"/approvals/{aw.item_b.pk}/accept",
            {"accepted_on": "2021-09-24"},
            ("city_office",),
            CITY,
        ),
        (
            "POST",
            f"/approvals/{aw.item_b.pk}/commitments",
            {"content": "越权承诺", "due_on": "2022-01-31"},
            ("city_office",),
            CITY,
        ),
        (
            "POST",
            f"/commitments/{aw.commitment_b.pk}/fulfil",
            {"fulfilled_on": "2021-10-01"},
            ("city_office",),
            CITY,
        ),
        (
            "POST",
            f"/projects/{world.project_b.pk}/approvals",
            {"catalogue_items": [aw.full.items.get(name="取水许可").pk]},
            ("city_office",),
            CITY,
        ),
        # Writes on project A's items: in every local role's scope, by capability.
        (
            "PATCH",
            f"/approvals/{aw.item_a2.pk}",
            {"handler": "张经办"},
            PLANNERS,
            tuple(r for r in READERS if r != "department"),
        ),
        (
            "POST",
            f"/approvals/{aw.item_a.pk}/decide",
            {"decided_on": "2021-09-27", "outcome": "approved"},
            ("city_office", "department"),
            None,
        ),
    ]


def _state() -> tuple:
    """Everything a refused write could have touched."""
    from sanpi.approvals.models import CatalogueItem
    from sanpi.regions.models import Department

    return tuple(
        list(model.objects.order_by("pk").values())
        for model in (ProjectApproval, Commitment, CatalogueItem, Department)
    )


@pytest.mark.parametrize("role", ALL)
def test_every_endpoint_for_every_role(world, aw, api_as, role):
    client = api_as(role)
    failures = []
    for method, path, body, allowed, visible in _walk(aw, world):
        if role in NONE:
            expected = 403
        elif visible is not None and role not in visible:
            expected = 404
        elif role not in allowed:
            expected = 403
        else:
            expected = 200
        before = _state() if expected != 200 else None
        if method == "GET":
            base, _, query = path.partition("?")
            params = dict(p.split("=") for p in query.split("&")) if query else None
            response = client.get(base, params)
        else:
            response = client.request(method, path, body)
        got = response.status_code
        if (got in (200, 201)) != (expected == 200) or (expected != 200 and got != expected):
            failures.append(f"{method} {path}: {got}, expected {expected}")
        if expected != 200:
            assert_error(response, got)
            if _state() != before:
                failures.append(f"{method} {path}: changed the database")
    assert not failures, "\n".join(failures)


HOLIDAY_WARNING = "受理日期（2021-10-01，星期五）是节假日（放假），不是工作日，请核对"


def test_unusual_dates_are_saved_with_warnings(world, aw, api_as):
    filing = catalogue_item("项目核准/备案", "low_risk")
    item = make_item(world.project_a, filing, aw.dept_a, applied_on=D(2021, 9, 30))
    officer = api_as("department")
    # Accepted on National Day: saved, and the answer says why it is unusual.
    response = officer.post(f"/approvals/{item.pk}/accept", {"accepted_on": "2021-10-01"})
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["accepted_on"] == "2021-10-01" and body["warnings"] == [HOLIDAY_WARNING]
    assert ProjectApproval.objects.get(pk=item.pk).accepted_on == D(2021, 10, 1)
    # Every read says it too.
    assert officer.get(f"/approvals/{item.pk}").json()["warnings"] == [HOLIDAY_WARNING]
    listed = {i["id"]: i for i in officer.get("/approvals").json()["items"]}
    assert listed[item.pk]["warnings"] == [HOLIDAY_WARNING]
    assert listed[aw.item_a.pk]["warnings"] == []  # accepted on Friday 2021-09-24


def test_accepting_on_an_adjusted_working_sunday_gives_no_warning(world, aw, api_as):
    planning = catalogue_item("建设工程规划许可", "low_risk")
    item = make_item(world.project_a, planning, aw.dept_a, applied_on=D(2021, 9, 22))
    response = api_as("department").post(
        f"/approvals/{item.pk}/accept", {"accepted_on": "2021-09-26"}
    )
    assert response.status_code == 200, response.content.decode()
    assert response.json()["warnings"] == []


def test_a_weekend_of_a_year_without_its_schedule_is_a_provisional_warning(world, aw, api_as):
    # 2003 is before the official calendar's first year (2004): weekends only.
    planning = catalogue_item("建设工程规划许可", "low_risk")
    item = make_item(world.project_a, planning, aw.dept_a, applied_on=D(2003, 2, 27))
    response = api_as("department").post(
        f"/approvals/{item.pk}/accept", {"accepted_on": "2003-03-01"}
    )
    assert response.status_code == 200, response.content.decode()
    assert response.json()["warnings"] == [
        "受理日期（2003-03-01，星期六）按周末推算不是工作日"
        "（2003年节假日安排未录入，按周末推算；如该日是调休上班日则无误），请核对"
    ]


def test_an_application_decades_back_is_saved_with_a_warning(world, aw, api_as):
    filing = catalogue_item("项目核准/备案", "low_risk")
    item = make_item(world.project_a, filing, aw.dept_a)
    response = api_as("county").patch(f"/approvals/{item.pk}", {"applied_on": "1999-09-22"})
    assert response.status_code == 200, response.content.decode()
    assert response.json()["warnings"] == ["申请日期（1999-09-22）早于2000年，请核对年份是否填错"]
    assert ProjectApproval.objects.get(pk=item.pk).applied_on == D(1999, 9, 22)
    # Accepted 22 years later: both the application and (a Sunday) the acceptance.
    response = api_as("department").post(
        f"/approvals/{item.pk}/accept", {"accepted_on": "2021-10-03"}
    )
    assert response.json()["warnings"] == [
        "申请日期（1999-09-22）早于2000年，请核对年份是否填错",
        "受理日期（2021-10-03，星期日）是休息日，不是工作日，请核对",
    ]


def test_dates_in_the_future_are_still_refused(world, aw, api_as):
    filing = catalogue_item("项目核准/备案", "low_risk")
    item = make_item(world.project_a, filing, aw.dept_a, applied_on=D(2021, 9, 30))
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = api_as("department").post(
        f"/approvals/{item.pk}/accept", {"accepted_on": tomorrow.isoformat()}
    )
    error = assert_error(response, 400, "validation_failed", field="accepted_on")
    assert error["message"] == f"受理日期（{tomorrow.isoformat()}）晚于今天，不能预先登记"
    assert ProjectApproval.objects.get(pk=item.pk).accepted_on is None
