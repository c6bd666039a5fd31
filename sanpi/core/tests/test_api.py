"""The API as a whole: token auth, the one error shape, the OpenAPI document and docs page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from sanpi.accounts.models import ApiToken
from sanpi.accounts.tests.factories import TEST_PASSWORD
from sanpi.core.tests.api import BASE, ApiClient, assert_error, openapi_document

pytestmark = pytest.mark.django_db

# Every operation of /api/v1/: a new endpoint must be added here, and so to the tests.
OPERATIONS = {
    ("GET", "/counties"),
    ("GET", "/zones"),
    ("POST", "/zones"),
    ("GET", "/zones/{id}"),
    ("PATCH", "/zones/{id}"),
    ("GET", "/enterprises"),
    ("POST", "/enterprises"),
    ("GET", "/enterprises/{id}"),
    ("PATCH", "/enterprises/{id}"),
    ("GET", "/projects"),
    ("POST", "/projects"),
    ("GET", "/projects/{id}"),
    ("PATCH", "/projects/{id}"),
    ("POST", "/projects/{id}/stage"),
    ("POST", "/projects/{id}/health"),
    ("GET", "/projects/{id}/history"),
    ("GET", "/activities"),
    ("POST", "/activities"),
    ("GET", "/activities/{id}"),
    ("PATCH", "/activities/{id}"),
    ("GET", "/activities/{id}/entries"),
    ("POST", "/activities/{id}/entries"),
    ("GET", "/activities/{id}/planned"),
    ("POST", "/activities/{id}/planned"),
    ("POST", "/activities/{id}/planned/confirm"),
    ("POST", "/activities/{id}/planned/{entry_id}/confirm"),
    ("DELETE", "/activities/{id}/planned/{entry_id}"),
    ("GET", "/reports/activity"),
    ("GET", "/reports/rates"),
    ("GET", "/departments"),
    ("GET", "/approval-tracks"),
    ("GET", "/approval-tracks/{id}"),
    ("PATCH", "/approval-catalogue/{id}"),
    ("GET", "/approvals"),
    ("GET", "/approvals/{id}"),
    ("POST", "/projects/{id}/approvals"),
    ("PATCH", "/approvals/{id}"),
    ("POST", "/approvals/{id}/accept"),
    ("POST", "/approvals/{id}/decide"),
    ("GET", "/commitments"),
    ("POST", "/approvals/{id}/commitments"),
    ("POST", "/commitments/{id}/fulfil"),
    ("GET", "/reports/approvals"),
    ("GET", "/calendar/workdays/add"),
    ("GET", "/calendar/workdays/between"),
    ("GET", "/calendar/years"),
    ("GET", "/calendar/days"),
    ("POST", "/calendar/days"),
    ("DELETE", "/calendar/days/{day}"),
    ("POST", "/calendar/years"),
    ("GET", "/dispatch/{year}/{month}"),
    ("GET", "/dispatch/{year}/{month}/reports"),
    ("GET", "/projects/{id}/reports/{year}/{month}"),
    ("PUT", "/projects/{id}/reports/{year}/{month}"),
    ("POST", "/projects/{id}/reports/{year}/{month}/review"),
    ("GET", "/reports/ranking"),
    ("GET", "/problems"),
    ("POST", "/problems"),
    ("GET", "/problems/{id}"),
    ("GET", "/problems/{id}/events"),
    ("POST", "/problems/{id}/moves"),
    ("POST", "/projects/{id}/reports/{year}/{month}/problem"),
    ("GET", "/problem-policies"),
    ("PATCH", "/problem-policies/{id}"),
    ("GET", "/liaisons"),
    ("POST", "/liaisons"),
    ("POST", "/liaisons/{id}/end"),
    ("GET", "/leaders/{id}/projects"),
    ("GET", "/visits"),
    ("POST", "/visits"),
    ("GET", "/indicators"),
    ("PUT", "/indicators/{id}/values/{year}"),
}


# --- authentication -------------------------------------------------------------------------


def _unauthenticated(response) -> None:
    error = assert_error(response, 401, "unauthenticated")
    assert "令牌" in error["message"]
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    [
        None,  # no header at all
        "",
        "Bearer",
        "Bearer ",
        "Token sp_abc",  # another scheme
        "Basic dXNlcjpwYXNz",
        "Bearer sp_not-a-real-key",
        "Bearer " + "x" * 5000,
        "Bearer sp_中文",
    ],
)
def test_missing_or_invalid_token_is_401(world, header):
    client = Client()
    headers = {"Authorization": header} if header is not None else {}
    _unauthenticated(client.get(f"{BASE}/projects", headers=headers))
    _unauthenticated(
        client.post(f"{BASE}/zones", "{}", content_type="application/json", headers=headers)
    )


def test_token_authenticates_as_its_user(world):
    client = ApiClient(world.user("county"))
    response = client.get("/projects")
    assert response.status_code == 200
    token = ApiToken.objects.get(user=world.user("county"))
    assert token.last_used_at is not None


def test_scheme_is_case_insensitive(world):
    client = ApiClient(world.user("leader"))
    response = client.client.get(f"{BASE}/zones", headers={"Authorization": f"bearer {client.key}"})
    assert response.status_code == 200


def test_expired_revoked_and_inactive_tokens_are_401(world):
    expired = ApiClient(world.user("city_office"))
    ApiToken.objects.filter(user=world.user("city_office")).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    _unauthenticated(expired.get("/projects"))

    revoked = ApiClient(world.user("leader"))
    ApiToken.objects.filter(user=world.user("leader")).update(revoked=True)
    _unauthenticated(revoked.get("/projects"))

    inactive = ApiClient(world.user("county"))
    world.user("county").is_active = False
    world.user("county").save()
    _unauthenticated(inactive.get("/projects"))


def test_session_login_does_not_authenticate_the_api(world, login):
    client = login(world.user("city_office"))
    assert client.get("/").status_code == 200  # signed in on the web
    _unauthenticated(client.get(f"{BASE}/projects"))


def test_no_csrf_token_needed_with_bearer_auth(world):
    # Even a browser session with CSRF enforcement on: the API reads only the token.
    client = ApiClient(world.user("city_office"))
    client.client = Client(enforce_csrf_checks=True)
    assert client.client.login(username="city", password=TEST_PASSWORD)
    response = client.post(
        "/zones", {"name": "岚县经济开发区", "level": "provincial", "county": "141127"}
    )
    assert response.status_code == 201, response.content.decode()


# --- the one error shape ----------------------------------------------------------------------


def test_unknown_path_is_a_json_404(world):
    client = ApiClient(world.user("city_office"))
    error = assert_error(client.get("/no-such-thing"), 404, "not_found")
    assert error["message"] == "没有这个接口地址"
    # Even without a token: no hint about what exists.
    assert_error(ApiClient().get("/no/such/path"), 404, "not_found")
    # The API root, other versions, trailing slashes: all JSON, never the web's HTML page.
    for path in ["/api/", "/api/v1/", "/api/v2/projects", f"{BASE}/projects/"]:
        assert_error(Client().get(path), 404, "not_found")


def test_json_is_utf8(world):
    response = ApiClient(world.user("city_office")).get("/counties")
    assert "离石区".encode() in response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    # Bad input echoed back can't break the encoding (a lone surrogate in an amount).
    response = ApiClient(world.user("city_office")).post(
        "/zones",
        raw='{"name": "x", "level": "provincial", "county": "141102", "area_km2": "\\ud800"}',
    )
    assert_error(response, 400, field="area_km2")


def test_wrong_method_is_a_json_405(world):
    client = ApiClient(world.user("city_office"))
    response = client.client.delete(
        f"{BASE}/projects/{world.project_a.pk}", headers=client._headers()
    )
    error = assert_error(response, 405, "method_not_allowed")
    assert "DELETE" in error["message"]
    assert set(response["Allow"].replace(" ", "").split(",")) == {"GET", "PATCH"}
    response = client.client.put(f"{BASE}/zones", "{}", headers=client._headers())
    assert_error(response, 405, "method_not_allowed")


def test_unexpected_failure_is_a_500_in_the_shape(world, monkeypatch, caplog):
    def boom(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("sanpi.regions.selectors.county_list", boom)
    response = ApiClient(world.user("city_office")).get("/counties")
    error = assert_error(response, 500, "server_error")
    assert "disk on fire" not in response.content.decode()  # no internals leak
    assert "服务器内部错误" in error["message"]
    assert "disk on fire" in caplog.text  # but it is logged


def test_write_race_is_a_409(world, monkeypatch):
    def racing(**kwargs):
        raise IntegrityError("UNIQUE constraint failed")

    monkeypatch.setattr("sanpi.regions.services.zone_create", racing)
    response = ApiClient(world.user("city_office")).post(
        "/zones", {"name": "临县开发区", "level": "provincial", "county": "141124"}
    )
    assert_error(response, 409, "conflict")


def test_validation_errors_name_every_field_in_chinese(world):
    client = ApiClient(world.user("city_office"))
    response = client.post(
        "/projects",
        {"name": 1, "total_investment_wan": "1.234", "industry": "coal", "zone": "z", "x": 1},
    )
    error = assert_error(response, 400, "validation_failed")
    assert error["fields"]["name"] == ["须为字符串"]
    assert error["fields"]["total_investment_wan"] == ["最多保留两位小数"]
    assert error["fields"]["zone"] == ["须为整数"]
    assert error["fields"]["x"] == ["不是可接受的字段"]
    assert error["fields"]["enterprise"] == ["必须填写"]
    for label in ("项目名称: 须为字符串", "总投资(万元): 最多保留两位小数", "项目单位: 必须填写"):
        assert label in error["message"]


# --- OpenAPI document and docs ---------------------------------------------------------------


def _resolve_refs(node, document, seen=()):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref:
            assert ref.startswith("#/"), ref
            target = document
            for part in ref[2:].split("/"):
                assert part in target, f"dangling $ref {ref}"
                target = target[part]
        for value in node.values():
            _resolve_refs(value, document)
    elif isinstance(node, list):
        for value in node:
            _resolve_refs(value, document)


def test_openapi_document(world):
    # Not public: a visitor who has not signed in is sent to the login page.
    response = Client().get(f"{BASE}/openapi.json")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    document = openapi_document(world.user("leader"))
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "“三个一批”项目平台接口"
    assert "Authorization: Bearer" in document["info"]["description"]
    operations = {
        (method.upper(), path.removeprefix(BASE))
        for path, item in document["paths"].items()
        for method in item
    }
    assert operations == OPERATIONS
    schemes = document["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert any("\u4e00" <= ch <= "\u9fff" for ch in operation["summary"]), where
            assert operation["security"] == [{"TokenAuth": []}], where
            for status in ("400", "401", "403", "404"):
                ref = operation["responses"][status]["content"]["application/json"]["schema"]
                assert ref == {"$ref": "#/components/schemas/ErrorOut"}, where
    _resolve_refs(document, document)
    # Input fields carry their Chinese labels.
    project_in = document["components"]["schemas"]["ProjectIn"]["properties"]
    assert project_in["total_investment_wan"]["title"] == "总投资(万元)"
    assert project_in["industry"]["enum"][0] == "new_infra"


def test_docs_page_serves_swagger_locally(world):
    assert Client().get(f"{BASE}/docs").status_code == 302  # signed-in users only
    client = Client()
    client.force_login(world.user("enterprise"))
    response = client.get(f"{BASE}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html  # no CDN
    assert "cdn" not in html.lower()
    assert f"{BASE}/openapi.json" in html
