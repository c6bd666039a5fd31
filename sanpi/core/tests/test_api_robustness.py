"""No input makes the API answer 500: malformed bodies, fields and parameters everywhere.

The endpoints and their fields come from the OpenAPI document itself, so a new write
endpoint or field is covered without editing this file. Every answer must be below
500 and, when it is an error, in the one error shape with a Chinese message.
"""

from __future__ import annotations

import json

import pytest

from sanpi.approvals.tests.factories import approvals_world
from sanpi.core.tests.api import BASE, ApiClient, assert_error, openapi_document
from sanpi.indicators.tests import walk as indicators_walk
from sanpi.regions.tests.factories import make_credit_code

pytestmark = pytest.mark.django_db

# Raw bodies that aren't a JSON object: each must be a 400.
BAD_BODIES: list[bytes] = [
    b"",  # nothing
    b"{",  # truncated
    b"{'name': 1}",  # Python, not JSON
    b"null",
    b"[]",
    b"[{}]",
    b'"text"',
    b"42",
    b"true",
    b"\xff\xfe\x00",  # not UTF-8
    b"[" * 5000 + b"]" * 5000,  # deeply nested
    b'{"a": NaN}',
    b'{"a": 1e99999}',
]

# Values thrown at every field in turn, the rest of the body staying valid.
BAD_VALUES: list[object] = [
    None,
    True,
    -1,
    0,
    2**70,
    -(2**70),
    1.5,
    1e308,
    "",
    "   ",
    "x" * 3000,
    "a\x00b",
    "\ud800",  # a lone surrogate, sent as the JSON escape \ud800
    [],
    {"nested": 1},
    "NaN",
    "-Infinity",
    "1e999",
    "-0",
    "9999-99-99",
    "0000-01-01",
    "2021-02-29",
    "2021-09-26T10:00:00",
    "１２３",  # full-width digits
]

BAD_PATH_IDS = ["0", "-1", "abc", "1.5", str(2**64), "%00", "１"]


@pytest.fixture
def openapi(world):
    return openapi_document(world.user("leader"))


def _operations(document, methods):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method.upper() in methods:
                yield method.upper(), path.removeprefix(BASE), operation


def _schema(document, operation):
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def _valid_body(world, path: str) -> dict:
    """A body that passes validation for each write endpoint (fields to spoil one by one)."""
    return {
        "/zones": {"name": "交口经济开发区", "level": "provincial", "county": "141130"},
        "/zones/{id}": {"short_name": "交口开发区"},
        "/enterprises": {"name": "山西戊化工有限公司", "credit_code": make_credit_code(4242)},
        "/enterprises/{id}": {"contact": "王五"},
        "/projects": {
            "name": "戊项目",
            "enterprise": world.enterprise_a.pk,
            "county": "141102",
            "zone": world.zone_a.pk,
            "industry": "new_tech",
            "construction_kind": "new",
            "total_investment_wan": "100",
        },
        "/projects/{id}": {"land_mu": "10"},
        "/projects/{id}/stage": {"stage": "signed", "date": "2021-03-22"},
        "/projects/{id}/health": {"health": "lagging", "date": "2021-03-22"},
        "/activities": {"year": 2023, "sequence": 1, "date": "2023-03-01", "level": "city"},
        "/activities/{id}": {"venue": "方山县"},
        "/activities/{id}/entries": {
            "project": world.project_a.pk,
            "action": "sign",
            "sign_mode": "onsite",
        },
        "/activities/{id}/planned": {
            "project": world.project_a.pk,
            "action": "sign",
            "sign_mode": "onsite",
        },
        "/calendar/days": {"start": "2030-05-06", "kind": "holiday", "name": "测试假日"},
        "/calendar/years": {"year": 2030, "covered": False},
        **_approval_bodies(world),
        **_dispatch_bodies(world),
        **_problem_bodies(world),
        **indicators_walk.API_BODIES,
    }[path]


def _approval_bodies(world) -> dict:
    aw = approvals_world(world)
    return {
        "/approval-catalogue/{id}": {"basis": "测试依据"},
        "/projects/{id}/approvals": {"catalogue_items": [aw.full.items.get(name="取水许可").pk]},
        "/approvals/{id}": {"handler": "张经办"},
        "/approvals/{id}/accept": {"accepted_on": "2021-09-24"},
        "/approvals/{id}/decide": {"decided_on": "2021-09-28", "outcome": "approved"},
        "/approvals/{id}/commitments": {"content": "补交材料", "due_on": "2022-01-31"},
        "/commitments/{id}/fulfil": {"fulfilled_on": "2021-10-01"},
    }


def _dispatch_bodies(world) -> dict:
    report = _dispatch_report(world)
    return {
        REPORT_PUT: {"investment_wan": "10", "progress_percent": 5, "version": 0},
        "/projects/{id}/reports/{year}/{month}/review": {
            "accept": False,
            "reason": "测试退回",
            "version": report.version,
        },
    }


REPORT_PUT = "/projects/{id}/reports/{year}/{month}"


def _problem_bodies(world) -> dict:
    from sanpi.problems.tests.api_world import api_world

    pw = api_world(world)
    return {
        "/problems": {
            "project": world.project_a.pk,
            "description": "接口测试问题",
            "category": "land",
        },
        "/problems/{id}/moves": {
            "move": "feedback",
            "version": pw.problem.version,
            "text": "已协调",
        },
        "/problem-policies/{id}": {"feedback_days": 6},
        "/liaisons": {"leader": pw.leader.pk, "project": world.project_b.pk, "since": "2021-01-05"},
        "/liaisons/{id}/end": {"until": "2021-06-30"},
        "/visits": {
            "project": world.project_a.pk,
            "date": "2021-09-26",
            "visitors": "服务专员张三",
            "problems": [{"description": "用地指标不足", "category": "land"}],
        },
    }


def _empty_month(world) -> tuple[int, int]:
    """The month before the dispatch report's: nothing filed for it yet."""
    report = _dispatch_report(world)
    return (report.year - 1, 12) if report.month == 1 else (report.year, report.month - 1)


def _ids(world, path: str) -> str:
    if path.startswith("/indicators"):
        return indicators_walk.api_path(path)
    if path.startswith(("/problem", "/liaisons", "/leaders")):
        from sanpi.problems.tests.api_world import api_world

        return api_world(world).path(path)
    if path == REPORT_PUT:  # a month with no report yet: the valid body files one
        report = _dispatch_report(world)
        year, month = _empty_month(world)
        return f"/projects/{report.project_id}/reports/{year}/{month}"
    if "{year}" in path:  # the monthly dispatch: a month with a submitted report
        report = _dispatch_report(world)
        path = path.replace("{year}", str(report.year)).replace("{month}", str(report.month))
        return path.replace("{id}", str(report.project_id))
    if path.startswith(("/approval", "/commitments")):
        aw = approvals_world(world)
        target = {
            "/approval-tracks/{id}": aw.full,
            "/approval-catalogue/{id}": aw.permit,
            "/approvals/{id}/decide": aw.item_a,
            "/approvals/{id}/commitments": aw.item_a,
            "/commitments/{id}/fulfil": aw.commitment_a,
        }.get(path, aw.item_a2)
        return path.replace("{id}", str(target.pk))
    if path.startswith("/zones"):
        return path.replace("{id}", str(world.zone_a.pk))
    if path.startswith("/enterprises"):
        return path.replace("{id}", str(world.enterprise_a.pk))
    if path == "/activities/{id}/planned":
        return path.replace("{id}", str(_coming(world).pk))
    if path.startswith("/activities"):
        return path.replace("{id}", str(world.activity.pk))
    return path.replace("{id}", str(world.project_a.pk))


def _coming(world):
    """An activity still to come (its list takes projects), made once per test."""
    import datetime as dt

    from django.utils import timezone

    from sanpi.projects.models import Activity
    from sanpi.projects.tests.factories import ActivityFactory

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    found = Activity.objects.filter(date=tomorrow, sequence=60).first()
    return found or ActivityFactory(year=tomorrow.year, sequence=60, date=tomorrow)


def _dispatch_report(world):
    """A started project with last month's report submitted, made once per test."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from sanpi.dispatch import services
    from sanpi.dispatch.models import MonthlyReport
    from sanpi.projects.tests.factories import ProjectFactory

    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    found = MonthlyReport.objects.filter(project__name="月报接口测试项目").first()
    if found is not None:
        return found
    project = ProjectFactory(
        name="月报接口测试项目",
        enterprise=world.enterprise_a,
        county=world.county_a,
        zone=world.zone_a,
        stage="started",
        signed_date=dt.date(2021, 1, 5),
        started_date=dt.date(2021, 3, 1),
        total_investment_wan=Decimal("10000.00"),
    )
    data = {"investment_wan": Decimal("100"), "progress_percent": 10}
    return services.report_save(
        by=world.user("city_office"),
        project=project,
        year=last_month.year,
        month=last_month.month,
        data=data,
        submit=True,
    )


def _check(response, context) -> None:
    assert response.status_code < 500, (context, response.content.decode()[:800])
    if response.status_code >= 400:
        assert_error(response, response.status_code)


WRITE_PATHS = [
    ("POST", "/zones"),
    ("PATCH", "/zones/{id}"),
    ("POST", "/enterprises"),
    ("PATCH", "/enterprises/{id}"),
    ("POST", "/projects"),
    ("PATCH", "/projects/{id}"),
    ("POST", "/projects/{id}/stage"),
    ("POST", "/projects/{id}/health"),
    ("POST", "/activities"),
    ("PATCH", "/activities/{id}"),
    ("POST", "/activities/{id}/entries"),
    ("POST", "/activities/{id}/planned"),
    ("POST", "/calendar/days"),
    ("POST", "/calendar/years"),
    ("PATCH", "/approval-catalogue/{id}"),
    ("POST", "/projects/{id}/approvals"),
    ("PATCH", "/approvals/{id}"),
    ("POST", "/approvals/{id}/accept"),
    ("POST", "/approvals/{id}/decide"),
    ("POST", "/approvals/{id}/commitments"),
    ("POST", "/commitments/{id}/fulfil"),
    ("POST", "/projects/{id}/reports/{year}/{month}/review"),
    ("PUT", "/projects/{id}/reports/{year}/{month}"),
    ("POST", "/problems"),
    ("POST", "/problems/{id}/moves"),
    ("PATCH", "/problem-policies/{id}"),
    ("POST", "/liaisons"),
    ("POST", "/liaisons/{id}/end"),
    ("POST", "/visits"),
    ("PUT", "/indicators/{id}/values/{year}"),
]


# Writes that take no body (the path says it all): nothing in a body to spoil.
BODILESS_WRITES = {
    ("POST", "/activities/{id}/planned/confirm"),
    ("POST", "/activities/{id}/planned/{entry_id}/confirm"),
    ("POST", "/projects/{id}/reports/{year}/{month}/problem"),  # the report's own text
}


def test_write_paths_list_is_complete(openapi):
    writes = {(m, p) for m, p, _ in _operations(openapi, {"POST", "PATCH", "PUT"})}
    assert writes == set(WRITE_PATHS) | BODILESS_WRITES
    for method, path, operation in _operations(openapi, {"POST", "PATCH", "PUT"}):
        assert ("requestBody" in operation) is ((method, path) not in BODILESS_WRITES), path


@pytest.mark.parametrize(("method", "path"), WRITE_PATHS)
def test_malformed_bodies_are_400(world, openapi, method, path):
    client = ApiClient(world.user("city_office"))
    url = _ids(world, path)
    for body in BAD_BODIES:
        response = client.request(method, url, raw=body)
        # Every one of these is a 400 naming the body, e.g. 请求体: 须为 JSON 对象.
        assert_error(response, 400)
    # Not JSON at all: a form post is refused the same way.
    response = client.client.generic(
        method,
        BASE + url,
        "name=x&level=city",
        content_type="application/x-www-form-urlencoded",
        headers=client._headers(),
    )
    assert_error(response, 400)


@pytest.mark.parametrize(("method", "path"), WRITE_PATHS)
def test_valid_bodies_pass(world, method, path):
    """The bodies the next test spoils are valid, so it spoils them in earnest."""
    response = ApiClient(world.user("city_office")).request(
        method, _ids(world, path), _valid_body(world, path)
    )
    assert response.status_code in (200, 201), response.content.decode()


@pytest.mark.parametrize(("method", "path"), WRITE_PATHS)
def test_bad_field_values_never_500(world, openapi, method, path):
    operation = next(op for m, p, op in _operations(openapi, {method}) if p == path)
    properties = _schema(openapi, operation)["properties"]
    client = ApiClient(world.user("city_office"))
    url = _ids(world, path)
    valid = _valid_body(world, path)
    refused = 0
    for field in properties:
        for value in BAD_VALUES:
            body = json.dumps({**valid, field: value})  # \ud800 stays an escape in the JSON
            response = client.request(method, url, raw=body)
            _check(response, (method, path, field, value))
            refused += response.status_code == 400
    # Most of these values are wrong for most fields (a few, like "" for a blank-able
    # field, are fine and may be accepted).
    assert refused > len(properties) * len(BAD_VALUES) * 0.6


@pytest.mark.parametrize(
    ("method", "path"),
    [(m, p) for m, p in WRITE_PATHS if "{id}" in p] + [("GET", "/projects/{id}")],
)
def test_bad_path_ids(world, method, path):
    client = ApiClient(world.user("city_office"))
    for bad in BAD_PATH_IDS:
        url = path.replace("{id}", bad)
        response = client.request(method, url, {} if method != "GET" else None)
        # A malformed id is 400 (names the id) or, if the URL can't even match, 404.
        assert response.status_code in (400, 404), (url, response.content.decode())
        assert_error(response, response.status_code)


def test_bad_query_params_never_500(world, openapi):
    client = ApiClient(world.user("city_office"))
    for _method, path, operation in _operations(openapi, {"GET"}):
        url = _ids(world, path)
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            for value in ["abc", "-1", "0", str(2**70), "1e5", "\x00", "x" * 3000, "２０２１"]:
                params = {"year": 2021, "seq": 4} if path == "/reports/activity" else {}
                params[parameter["name"]] = value
                response = client.get(url, params)
                _check(response, (path, parameter["name"], value))
