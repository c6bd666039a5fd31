"""API for counties, zones and enterprises: every endpoint for every role, through HTTP."""

from __future__ import annotations

import pytest

from sanpi.core.tests.api import (
    ALL_ROLES,
    LEDGER_READERS,
    NO_LEDGER,
    api_clients,
    assert_api_audit,
    assert_error,
)
from sanpi.regions.models import County, DevelopmentZone, Enterprise
from sanpi.regions.tests.factories import EnterpriseFactory, ZoneFactory, make_credit_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as(world):
    return api_clients(world)


ALL_COUNTIES = 13

# --- counties -----------------------------------------------------------------------------

# Counties are public reference data (GB/T 2260): every ledger reader sees all 13.
COUNTIES_SEEN = {
    "city_office": ALL_COUNTIES,
    "leader": ALL_COUNTIES,
    "county": ALL_COUNTIES,
    "zone": ALL_COUNTIES,
    "enterprise": ALL_COUNTIES,
}


@pytest.mark.parametrize("role", LEDGER_READERS)
def test_counties_scoped(world, api_as, role):
    response = api_as(role).get("/counties")
    assert response.status_code == 200
    body = response.json()
    codes = [c["code"] for c in body["items"]]
    assert body["count"] == COUNTIES_SEEN[role] == len(codes)
    assert body["items"][0] == {"code": "141102", "name": "离石区"}
    if COUNTIES_SEEN[role] == ALL_COUNTIES:
        assert codes == sorted(codes)
        assert world.county_b.code in codes


@pytest.mark.parametrize("role", NO_LEDGER)
def test_counties_refused_without_ledger_rights(world, api_as, role):
    assert_error(api_as(role).get("/counties"), 403, "permission_denied")


# --- zones --------------------------------------------------------------------------------


def _zone_names(response) -> set[str]:
    assert response.status_code == 200, response.content.decode()
    return {z["name"] for z in response.json()["items"]}


@pytest.mark.parametrize("role", LEDGER_READERS)
def test_zone_list_and_detail_scoped(world, api_as, role):
    client = api_as(role)
    names = _zone_names(client.get("/zones"))
    assert world.zone_a.name in names
    sees_b = role in ("city_office", "leader")
    assert (world.zone_b.name in names) is sees_b

    detail = client.get(f"/zones/{world.zone_a.pk}")
    assert detail.status_code == 200
    assert detail.json() == {
        "id": world.zone_a.pk,
        "name": "吕梁经济技术开发区",
        "short_name": "吕梁经开区",
        "level": "provincial",
        "level_label": "省级",
        "county": "141102",
        "county_name": "离石区",
        "area_km2": None,
        "project_count": 1,
    }
    other = client.get(f"/zones/{world.zone_b.pk}")
    if sees_b:
        assert other.status_code == 200
    else:
        # Out of scope looks exactly like absent.
        assert other.json() == client.get("/zones/999999").json()
        assert_error(other, 404, "not_found")


@pytest.mark.parametrize("role", NO_LEDGER)
def test_zones_refused_without_ledger_rights(world, api_as, role):
    client = api_as(role)
    assert_error(client.get("/zones"), 403, "permission_denied")
    assert_error(client.get(f"/zones/{world.zone_a.pk}"), 403, "permission_denied")


NEW_ZONE = {
    "name": "交城经济开发区",
    "short_name": "交城开发区",
    "level": "provincial",
    "county": "141122",
    "area_km2": "12.50",
}


def test_zone_create_by_city_office(world, api_as):
    client = api_as("city_office")
    response = client.post("/zones", NEW_ZONE)
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert body["county_name"] == "交城县"
    assert body["area_km2"] == "12.50"
    assert body["level_label"] == "省级"
    assert body["project_count"] == 0
    zone = DevelopmentZone.objects.get(pk=body["id"])
    assert_api_audit(world.user("city_office"), zone, "create")


@pytest.mark.parametrize("role", ["leader", "county", "zone", "enterprise", *NO_LEDGER])
def test_zone_create_forbidden(world, api_as, role):
    assert_error(api_as(role).post("/zones", NEW_ZONE), 403, "permission_denied")
    assert not DevelopmentZone.objects.filter(name=NEW_ZONE["name"]).exists()


def test_zone_update_by_city_office(world, api_as):
    response = api_as("city_office").patch(
        f"/zones/{world.zone_b.pk}", {"short_name": "孝义经开区", "level": "national"}
    )
    assert response.status_code == 200, response.content.decode()
    assert response.json()["short_name"] == "孝义经开区"
    assert response.json()["level_label"] == "国家级"
    assert response.json()["name"] == "孝义经济开发区"  # untouched: not sent
    world.zone_b.refresh_from_db()
    assert world.zone_b.level == "national"
    assert_api_audit(world.user("city_office"), world.zone_b, "update")


@pytest.mark.parametrize(
    ("role", "zone_attr", "status"),
    [
        # Visible zone, no right to manage zones: 403.
        ("leader", "zone_a", 403),
        ("county", "zone_a", 403),
        ("zone", "zone_a", 403),
        ("enterprise", "zone_a", 403),
        ("leader", "zone_b", 403),
        # Out of scope: 404 whatever the rights.
        ("county", "zone_b", 404),
        ("zone", "zone_b", 404),
        ("enterprise", "zone_b", 404),
        ("admin", "zone_a", 403),
        ("auditor", "zone_b", 403),
    ],
)
def test_zone_update_refused(world, api_as, role, zone_attr, status):
    zone = getattr(world, zone_attr)
    response = api_as(role).patch(f"/zones/{zone.pk}", {"short_name": "改名"})
    assert_error(response, status)
    zone.refresh_from_db()
    assert zone.short_name != "改名"


def test_zone_bad_input(world, api_as):
    client = api_as("city_office")
    # Unknown county code: a field error naming it.
    error = assert_error(
        client.post("/zones", {**NEW_ZONE, "county": "999999"}), 400, field="county"
    )
    assert "999999" in error["message"]
    # Level outside the choices: the message lists them in Chinese.
    error = assert_error(client.post("/zones", {**NEW_ZONE, "level": "city"}), 400, field="level")
    assert "国家级" in error["fields"]["level"][0]
    # Negative area: refused by the amount parser.
    error = assert_error(
        client.post("/zones", {**NEW_ZONE, "area_km2": "-1"}), 400, field="area_km2"
    )
    assert error["fields"]["area_km2"] == ["不能为负数"]
    # Duplicate name: the model's uniqueness check, in Chinese.
    assert_error(client.post("/zones", {**NEW_ZONE, "name": world.zone_a.name}), 400, field="name")
    # Missing required fields: each named with its Chinese label.
    error = assert_error(client.post("/zones", {}), 400)
    assert set(error["fields"]) == {"name", "level", "county"}
    assert "名称: 必须填写" in error["message"]
    # null for a field that can't be empty, on PATCH.
    error = assert_error(client.patch(f"/zones/{world.zone_a.pk}", {"name": None}), 400)
    assert error["fields"] == {"name": ["不能为空"]}


# --- enterprises --------------------------------------------------------------------------


@pytest.mark.parametrize("role", LEDGER_READERS)
def test_enterprise_list_and_detail_scoped(world, api_as, role):
    client = api_as(role)
    response = client.get("/enterprises")
    assert response.status_code == 200
    names = {e["name"] for e in response.json()["items"]}
    sees_b = role in ("city_office", "leader")
    assert world.enterprise_a.name in names
    assert (world.enterprise_b.name in names) is sees_b

    detail = client.get(f"/enterprises/{world.enterprise_a.pk}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["credit_code"] == world.enterprise_a.credit_code
    assert body["county"] == "141102"
    assert body["county_name"] == "离石区"
    assert body["project_count"] == 1

    other = client.get(f"/enterprises/{world.enterprise_b.pk}")
    if sees_b:
        assert other.status_code == 200
    else:
        assert_error(other, 404, "not_found")


def test_enterprise_search(world, api_as):
    client = api_as("city_office")
    response = client.get("/enterprises", {"q": "乙装备"})
    assert [e["name"] for e in response.json()["items"]] == [world.enterprise_b.name]
    # The credit code matches too, case-insensitively.
    response = client.get("/enterprises", {"q": world.enterprise_a.credit_code[-6:].lower()})
    assert world.enterprise_a.name in [e["name"] for e in response.json()["items"]]


@pytest.mark.parametrize("role", NO_LEDGER)
def test_enterprises_refused_without_ledger_rights(world, api_as, role):
    client = api_as(role)
    assert_error(client.get("/enterprises"), 403, "permission_denied")
    assert_error(client.get(f"/enterprises/{world.enterprise_a.pk}"), 403, "permission_denied")


def _new_enterprise(n: int = 1) -> dict:
    return {
        "name": f"山西丙能源有限公司{n}",
        "credit_code": make_credit_code(900 + n),
        "contact": "张三",
        "phone": "0358-1234567",
    }


@pytest.mark.parametrize("role", ["city_office", "county", "zone"])
def test_enterprise_create(world, api_as, role):
    payload = _new_enterprise()
    if role == "city_office":
        payload["county"] = "141181"
    response = api_as(role).post("/enterprises", payload)
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert body["credit_code"] == payload["credit_code"]
    enterprise = Enterprise.objects.get(pk=body["id"])
    if role == "county":
        # A county officer's new enterprise is registered in their county by default.
        assert body["county"] == "141102"
    if role == "city_office":
        assert enterprise.county.code == "141181"
    assert_api_audit(world.user(role), enterprise, "create")


@pytest.mark.parametrize("role", ["leader", "enterprise", *NO_LEDGER])
def test_enterprise_create_forbidden(world, api_as, role):
    payload = _new_enterprise()
    assert_error(api_as(role).post("/enterprises", payload), 403, "permission_denied")
    assert not Enterprise.objects.filter(name=payload["name"]).exists()


@pytest.mark.parametrize("role", ["city_office", "county", "zone"])
def test_enterprise_update(world, api_as, role):
    response = api_as(role).patch(
        f"/enterprises/{world.enterprise_a.pk}", {"contact": "李四", "phone": "13800000000"}
    )
    assert response.status_code == 200, response.content.decode()
    assert response.json()["contact"] == "李四"
    world.enterprise_a.refresh_from_db()
    assert world.enterprise_a.phone == "13800000000"
    assert_api_audit(world.user(role), world.enterprise_a, "update")


@pytest.mark.parametrize(
    ("role", "attr", "status"),
    [
        ("leader", "enterprise_a", 403),
        ("enterprise", "enterprise_a", 403),  # its own record: read and report only
        ("county", "enterprise_b", 404),
        ("zone", "enterprise_b", 404),
        ("enterprise", "enterprise_b", 404),
        ("admin", "enterprise_a", 403),
        ("auditor", "enterprise_a", 403),
    ],
)
def test_enterprise_update_refused(world, api_as, role, attr, status):
    enterprise = getattr(world, attr)
    assert_error(api_as(role).patch(f"/enterprises/{enterprise.pk}", {"contact": "某人"}), status)
    enterprise.refresh_from_db()
    assert enterprise.contact != "某人"


def test_enterprise_bad_input(world, api_as):
    client = api_as("city_office")
    # A credit code with a wrong check character gets the GB 32100 message.
    bad = _new_enterprise()
    bad["credit_code"] = bad["credit_code"][:-1] + ("0" if bad["credit_code"][-1] != "0" else "1")
    error = assert_error(client.post("/enterprises", bad), 400, field="credit_code")
    assert "统一社会信用代码" in error["message"]
    # Too long: the length limit, named.
    error = assert_error(
        client.post("/enterprises", {**_new_enterprise(), "credit_code": "9" * 19}),
        400,
        field="credit_code",
    )
    assert error["fields"]["credit_code"] == ["不能超过18个字符"]
    # Wrong type.
    error = assert_error(client.post("/enterprises", {**_new_enterprise(), "name": 42}), 400)
    assert error["fields"] == {"name": ["须为字符串"]}
    # Unknown field: refused, not silently dropped.
    error = assert_error(client.patch(f"/enterprises/{world.enterprise_a.pk}", {"owner": "x"}), 400)
    assert error["fields"] == {"owner": ["不是可接受的字段"]}
    # Duplicate credit code.
    assert_error(
        client.post(
            "/enterprises", {**_new_enterprise(), "credit_code": world.enterprise_b.credit_code}
        ),
        400,
        field="credit_code",
    )


# --- query counts -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/counties", "/zones", "/enterprises"])
@pytest.mark.parametrize("role", ["city_office", "county"])
def test_lists_have_no_n_plus_one(
    world, api_as, django_assert_max_num_queries, django_assert_num_queries, path, role
):
    client = api_as(role)
    client.get(path)  # first use of the token records last_used_at: not part of the pin
    with django_assert_max_num_queries(3) as few:  # token, count, page
        assert client.get(path).status_code == 200
    county = County.objects.get(code="141102")
    for n in range(20):
        ZoneFactory(name=f"批量开发区{n}", county=county)
        EnterpriseFactory(name=f"批量企业{n}有限公司", county=county)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(path)
    assert response.json()["count"] >= (13 if path == "/counties" and role != "county" else 1)


def test_unused_roles_covered():
    assert set(ALL_ROLES) == set(COUNTIES_SEEN) | set(NO_LEDGER)


def test_an_enterprise_carries_its_above_size_date(world, api_as):
    """上规日期 (the targets count enterprises newly 上规): set, read back, and a date after
    today refused with the field named."""
    import datetime as dt

    from django.utils import timezone

    api = api_as("city_office")
    body = {"name": "山西丙新能源有限公司", "credit_code": make_credit_code(901, "141102")}
    created = api.post("/enterprises", {**body, "above_size_since": "2026-03-01"})
    assert created.status_code == 201, created.content
    assert created.json()["above_size_since"] == "2026-03-01"
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    refused = api.patch(f"/enterprises/{created.json()['id']}", {"above_size_since": tomorrow})
    assert assert_error(refused, 400, field="above_size_since")["fields"]["above_size_since"] == [
        "上规日期不能晚于今天"
    ]


def test_project_counts_count_only_the_callers_projects(world, api_as, login):
    """Enterprise A also has a project in county B, zone B: the county officer of A sees
    the enterprise (one of its projects is theirs) but counts only their own project."""
    from sanpi.projects.tests.factories import ProjectFactory

    ProjectFactory(
        name="甲在孝义的项目", enterprise=world.enterprise_a, county=world.county_b,
        zone=world.zone_b,
    )  # fmt: skip
    expected = {"city_office": 2, "county": 1, "zone": 1, "enterprise": 2}
    for role, n in expected.items():
        api = api_as(role)
        listed = {e["id"]: e for e in api.get("/enterprises").json()["items"]}
        assert listed[world.enterprise_a.pk]["project_count"] == n, role
        one = api.get(f"/enterprises/{world.enterprise_a.pk}").json()
        assert one["project_count"] == n, role
    county = api_as("county")
    patched = county.patch(f"/enterprises/{world.enterprise_a.pk}", {"contact": "张三"})
    assert patched.status_code == 200 and patched.json()["project_count"] == 1
    html = login(world.user("county")).get("/regions/enterprises/").content.decode()
    assert "甲在孝义的项目" not in html


def test_a_project_naming_another_countys_enterprise_gives_no_right_to_edit_it(
    world, api_as, login
):
    """County A's project names enterprise B (registered in county B): county A sees the
    enterprise, read-only; its own county, and the city office, still edit it."""
    from sanpi.projects.tests.factories import ProjectFactory

    ProjectFactory(name="乙在离石的项目", enterprise=world.enterprise_b, county=world.county_a)
    url = f"/enterprises/{world.enterprise_b.pk}"
    county = api_as("county")
    assert county.get(url).status_code == 200
    refused = county.patch(url, {"phone": "13800000000"})
    assert assert_error(refused, 403)["message"] == (
        "企业基本信息由其注册地县(市、区)或市项目办维护；您的项目涉及该企业，可以查看，不能修改"
    )
    client = login(world.user("county"))
    page = client.get(f"/regions/enterprises/{world.enterprise_b.pk}/").content.decode()
    assert "编辑企业" not in page
    assert client.get(f"/regions/enterprises/{world.enterprise_b.pk}/edit/").status_code == 403
    assert Enterprise.objects.get(pk=world.enterprise_b.pk).phone != "13800000000"
    assert api_as("city_office").patch(url, {"phone": "13800000000"}).status_code == 200
    # County A still edits its own enterprise; the zone edits one based in its zone.
    assert county.patch(f"/enterprises/{world.enterprise_a.pk}", {"phone": "1"}).status_code == 200
    zone = api_as("zone")
    assert zone.patch(f"/enterprises/{world.enterprise_a.pk}", {"phone": "2"}).status_code == 200
