"""API for projects and "三个一批" activities: every endpoint for every role, through HTTP."""

from __future__ import annotations

import datetime as dt

import pytest

from sanpi.accounts.actors import cli_actor
from sanpi.core.models import AuditLog
from sanpi.core.tests.api import (
    LEDGER_READERS,
    NO_LEDGER,
    api_clients,
    assert_api_audit,
    assert_error,
)
from sanpi.projects import services
from sanpi.projects.models import Activity, ActivityEntry, Project
from sanpi.projects.tests.factories import ActivityFactory, ProjectFactory
from sanpi.regions.tests.factories import EnterpriseFactory, ZoneFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as(world):
    return api_clients(world)


WRITERS = ("city_office", "county", "zone")  # CHANGE_LEDGER, and project A is in their scope
READ_ONLY = ("leader", "enterprise")
SEES_ALL = ("city_office", "leader")


def _new_project(world, **extra) -> dict:
    return {
        "name": "丙氢能装备项目",
        "enterprise": world.enterprise_a.pk,
        "county": "141102",
        "zone": world.zone_a.pk,
        "industry": "new_equipment",
        "construction_kind": "new",
        "total_investment_wan": "52000.50",
        "planned_output_wan": 80000,
        **extra,
    }


# --- reads --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", LEDGER_READERS)
def test_project_list_scoped(world, api_as, role):
    response = api_as(role).get("/projects")
    assert response.status_code == 200
    body = response.json()
    names = [p["name"] for p in body["items"]]
    assert world.project_a.name in names
    assert (world.project_b.name in names) is (role in SEES_ALL)
    assert body["count"] == len(names)
    assert body["limit"] == 50 and body["offset"] == 0


@pytest.mark.parametrize("role", LEDGER_READERS)
def test_project_detail_scoped(world, api_as, role):
    client = api_as(role)
    response = client.get(f"/projects/{world.project_a.pk}")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "甲新材料项目"
    assert body["enterprise_name"] == "山西甲材料有限公司"
    assert body["county"] == "141102" and body["county_name"] == "离石区"
    assert body["zone"] == world.zone_a.pk and body["zone_name"] == "吕梁经济技术开发区"
    assert body["industry"] == "new_material" and body["industry_label"] == "新材料"
    assert body["stage"] == "reserve" and body["stage_label"] == "储备"
    assert body["health"] == "normal" and body["health_label"] == "正常推进"
    assert body["total_investment_wan"] == "10000.00"  # exact, as a decimal string
    assert body["events"] == [] and body["activity_entries"] == []

    other = client.get(f"/projects/{world.project_b.pk}")
    if role in SEES_ALL:
        assert other.status_code == 200
    else:
        assert other.json() == client.get("/projects/987654").json()
        assert_error(other, 404, "not_found")


@pytest.mark.parametrize("role", NO_LEDGER)
def test_projects_refused_without_ledger_rights(world, api_as, role):
    client = api_as(role)
    pk = world.project_a.pk
    for path in ["/projects", f"/projects/{pk}", f"/projects/{pk}/history"]:
        assert_error(client.get(path), 403, "permission_denied")


def test_project_filters_and_pagination(world, api_as):
    client = api_as("city_office")
    county_a = world.county_a
    for n in range(5):
        ProjectFactory(
            name=f"分页项目{n}",
            enterprise=world.enterprise_a,
            county=county_a,
            is_city_key=n % 2 == 0,
            stage="signed",
            signed_date=dt.date(2021, 3, 1),
        )
    by_county = client.get("/projects", {"county": "141181"}).json()
    assert [p["name"] for p in by_county["items"]] == [world.project_b.name]
    by_zone = client.get("/projects", {"zone": world.zone_a.pk}).json()
    assert [p["name"] for p in by_zone["items"]] == [world.project_a.name]
    assert client.get("/projects", {"stage": "signed"}).json()["count"] == 5
    assert client.get("/projects", {"key": "city"}).json()["count"] == 3
    assert client.get("/projects", {"q": "分页"}).json()["count"] == 5
    assert client.get("/projects", {"industry": "new_infra"}).json()["count"] == 0
    assert client.get("/projects", {"health": "normal"}).json()["count"] == 7
    # Empty parameters mean "no filter", as in the web list's query string.
    assert client.get("/projects", {"stage": "", "zone": ""}).json()["count"] == 7

    page1 = client.get("/projects", {"q": "分页", "limit": 2}).json()
    page3 = client.get("/projects", {"q": "分页", "limit": 2, "offset": 4}).json()
    assert page1["count"] == page3["count"] == 5
    assert len(page1["items"]) == 2 and len(page3["items"]) == 1
    assert page1["items"][0]["name"] == "分页项目0"


def test_project_filter_by_activity(world, api_as):
    services.activity_add_project(
        by=cli_actor(),
        activity=world.activity,
        project=world.project_b,
        action="sign",
        sign_mode="sync",
    )
    client = api_as("leader")
    listed = client.get("/projects", {"activity": world.activity.pk}).json()
    assert [p["name"] for p in listed["items"]] == [world.project_b.name]
    # The county officer filters the same activity and sees nothing of county B.
    assert api_as("county").get("/projects", {"activity": world.activity.pk}).json()["count"] == 0


def test_project_list_bad_params(world, api_as):
    client = api_as("city_office")
    # Each bad query parameter is a 400 naming the parameter in Chinese.
    error = assert_error(client.get("/projects", {"limit": "abc"}), 400, field="limit")
    assert error["message"] == "每页条数: 须为整数"
    error = assert_error(client.get("/projects", {"limit": 0}), 400, field="limit")
    assert error["fields"]["limit"] == ["不能小于1"]
    error = assert_error(client.get("/projects", {"stage": "done"}), 400, field="stage")
    assert "储备" in error["fields"]["stage"][0]
    assert_error(client.get("/projects", {"zone": "吕梁"}), 400, field="zone")
    assert_error(client.get("/projects", {"offset": -1}), 400, field="offset")
    assert_error(client.get("/projects", {"key": "nation"}), 400, field="key")
    assert_error(client.get("/projects", {"activity": "x"}), 400, field="activity")
    assert_error(client.get("/projects", {"q": "a\x00b"}), 400, field="q")
    # A malformed id in the path: 400, a well-formed one that doesn't exist: 404.
    assert_error(client.get("/projects/abc"), 400, field="id")
    assert_error(client.get("/projects/0"), 400, field="id")
    assert_error(client.get(f"/projects/{2**70}"), 400, field="id")
    assert_error(client.get(f"/projects/{2**62}"), 404, "not_found")


# --- create ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", WRITERS)
def test_project_create(world, api_as, role):
    response = api_as(role).post("/projects", _new_project(world))
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert body["total_investment_wan"] == "52000.50"
    assert body["planned_output_wan"] == "80000.00"
    assert body["construction_kind_label"] == "新建"
    project = Project.objects.get(pk=body["id"])
    assert str(project.total_investment_wan) == "52000.50"
    assert_api_audit(world.user(role), project, "create")


def test_project_create_past_reserve(world, api_as):
    payload = _new_project(
        world,
        stage="started",
        signed_date="2021-03-22",
        started_date="2021-06-30",
        evidence="签约仪式及开工报告",
    )
    response = api_as("city_office").post("/projects", payload)
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert body["stage_label"] == "开工"
    assert [(e["value"], e["date"]) for e in body["events"]] == [
        ("signed", "2021-03-22"),
        ("started", "2021-06-30"),
    ]
    assert body["events"][0]["evidence"] == "签约仪式及开工报告"


@pytest.mark.parametrize("role", [*READ_ONLY, *NO_LEDGER])
def test_project_create_forbidden(world, api_as, role):
    assert_error(api_as(role).post("/projects", _new_project(world)), 403, "permission_denied")
    assert not Project.objects.filter(name="丙氢能装备项目").exists()


@pytest.mark.parametrize(
    ("role", "override", "field"),
    [
        # A county officer can't place a project in another county.
        ("county", {"county": "141181", "zone": None}, "county"),
        # A zone officer only in their own zone.
        ("zone", {"zone": None}, "zone"),
    ],
)
def test_project_create_outside_own_scope(world, api_as, role, override, field):
    error = assert_error(
        api_as(role).post("/projects", _new_project(world, **override)), 400, field=field
    )
    assert "范围内" in error["message"]
    assert not Project.objects.filter(name="丙氢能装备项目").exists()


@pytest.mark.parametrize("role", ["county", "zone"])
def test_project_create_refs_out_of_scope(world, api_as, role):
    # Zone B and enterprise B don't exist for them: the same answer as ids that never existed.
    client = api_as(role)
    error = assert_error(
        client.post("/projects", _new_project(world, zone=world.zone_b.pk)), 400, field="zone"
    )
    missing = assert_error(client.post("/projects", _new_project(world, zone=987654)), 400)
    assert error == missing
    error = assert_error(
        client.post("/projects", _new_project(world, enterprise=world.enterprise_b.pk)),
        400,
        field="enterprise",
    )
    assert error["fields"]["enterprise"] == ["项目单位不存在或不在您的权限范围内"]


def test_project_create_bad_input(world, api_as):
    client = api_as("city_office")
    cases = [
        # (what is sent, the field named, part of the Chinese message it gets)
        ({"total_investment_wan": "12.345"}, "total_investment_wan", "最多保留两位小数"),
        ({"total_investment_wan": "-5"}, "total_investment_wan", "不能为负数"),
        ({"total_investment_wan": "一万"}, "total_investment_wan", "不是数字"),
        ({"total_investment_wan": True}, "total_investment_wan", "须为数字"),
        ({"total_investment_wan": "1e30"}, "total_investment_wan", "数值过大"),
        ({"land_mu": [1]}, "land_mu", "须为数字"),
        ({"industry": "coal"}, "industry", "须为以下之一"),
        ({"construction_kind": None}, "construction_kind", "须为以下之一"),
        ({"county": "1411"}, "county", "须为6位行政区划代码"),
        ({"county": "999999"}, "county", "没有行政区划代码为“999999”的县(市、区)"),
        ({"county": ""}, "county", "须为6位行政区划代码"),
        ({"above_size": 1}, "above_size", "true 或 false"),
        ({"land_mu": ""}, "land_mu", "不能为空字符串，不填请用 null"),
        ({"zone": "a"}, "zone", "须为整数"),
        ({"enterprise": 0}, "enterprise", "不能小于1"),
        ({"name": ""}, "name", "不能为空"),
        ({"name": "项" * 201}, "name", "不能超过200个字符"),
        ({"code": "2104-141100-89-01"}, "code", "24位"),
        ({"is_city_key": "maybe"}, "is_city_key", "true 或 false"),
        ({"signed_date": "2021/03/22", "stage": "signed"}, "signed_date", "YYYY-MM-DD"),
        ({"signed_date": "2021-02-30", "stage": "signed"}, "signed_date", "不是有效的日期"),
        ({"stage": "signed"}, "signed_date", "须填写签约日期"),
        ({"signed_date": "2021-03-22"}, "signed_date", "不应填写签约日期"),
        (
            {"stage": "started", "signed_date": "2021-06-01", "started_date": "2021-05-01"},
            "started_date",
            "早于签约日期",
        ),
        ({"zone": None, "county": "141181", "extra": 1}, "extra", "不是可接受的字段"),
    ]
    for override, field, fragment in cases:
        error = assert_error(client.post("/projects", _new_project(world, **override)), 400)
        assert field in error["fields"], (override, error)
        assert any(fragment in m for m in error["fields"][field]), (override, error)
    # The zone must lie in the project's county.
    error = assert_error(
        client.post("/projects", _new_project(world, county="141181")), 400, field="zone"
    )
    assert "不在孝义市" in error["message"]
    # Same name for the same enterprise.
    payload = _new_project(world, name=world.project_a.name)
    assert_error(client.post("/projects", payload), 400, "validation_failed")
    assert not Project.objects.filter(name="丙氢能装备项目").exists()


# --- update, stage, health --------------------------------------------------------------------


@pytest.mark.parametrize("role", WRITERS)
def test_project_update(world, api_as, role):
    response = api_as(role).patch(
        f"/projects/{world.project_a.pk}",
        {"actual_output_wan": "1234.5", "is_city_key": True, "investment_source": "foreign"},
    )
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["actual_output_wan"] == "1234.50"
    assert body["investment_source_label"] == "外资"
    assert body["name"] == world.project_a.name  # not sent, not changed
    row = AuditLog.objects.get(
        source="api", action="update", object_id=str(world.project_a.pk), user=world.user(role)
    )
    assert row.after["actual_output_wan"] == "1234.50"
    assert row.before["actual_output_wan"] is None


def test_project_update_can_clear_zone_and_move_county(world, api_as):
    response = api_as("city_office").patch(
        f"/projects/{world.project_a.pk}", {"zone": None, "county": "141181"}
    )
    assert response.status_code == 200, response.content.decode()
    assert response.json()["zone"] is None
    assert response.json()["county_name"] == "孝义市"


def test_project_update_out_of_own_scope(world, api_as):
    # A county officer can't move their project to another county.
    error = assert_error(
        api_as("county").patch(
            f"/projects/{world.project_a.pk}", {"zone": None, "county": "141181"}
        ),
        400,
        field="county",
    )
    assert "离石区" in error["message"]
    world.project_a.refresh_from_db()
    assert world.project_a.county.code == "141102"


WRITE_PATHS = {
    "patch": ("PATCH", "/projects/{pk}", {"land_mu": "12"}),
    "stage": ("POST", "/projects/{pk}/stage", {"stage": "signed", "date": "2021-03-22"}),
    "health": ("POST", "/projects/{pk}/health", {"health": "lagging", "date": "2021-05-01"}),
}


@pytest.mark.parametrize("what", WRITE_PATHS)
@pytest.mark.parametrize(
    ("role", "project_attr", "status"),
    [
        ("leader", "project_a", 403),
        ("enterprise", "project_a", 403),  # its own project: read and report only
        ("leader", "project_b", 403),
        ("county", "project_b", 404),
        ("zone", "project_b", 404),
        ("enterprise", "project_b", 404),
        ("admin", "project_a", 403),
        ("auditor", "project_b", 403),
    ],
)
def test_project_writes_refused(world, api_as, what, role, project_attr, status):
    project = getattr(world, project_attr)
    method, path, payload = WRITE_PATHS[what]
    response = api_as(role).request(method, path.format(pk=project.pk), payload)
    assert_error(response, status)
    project.refresh_from_db()
    assert (project.stage, project.health, project.land_mu) == ("reserve", "normal", None)
    assert not AuditLog.objects.filter(source="api", object_id=str(project.pk)).exists()


@pytest.mark.parametrize("role", WRITERS)
def test_project_stage_and_health(world, api_as, role):
    client = api_as(role)
    pk = world.project_a.pk
    response = client.post(
        f"/projects/{pk}/stage", {"stage": "signed", "date": "2021-03-22", "evidence": "签约协议"}
    )
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["stage"] == "signed" and body["signed_date"] == "2021-03-22"
    assert body["events"][-1]["evidence"] == "签约协议"
    assert body["events"][-1]["recorded_by"] == str(world.user(role))
    assert_api_audit(world.user(role), world.project_a, "stage")

    response = client.post(
        f"/projects/{pk}/health",
        {"health": "stalled", "date": "2021-08-01", "evidence": "资金未到位"},
    )
    assert response.status_code == 200, response.content.decode()
    assert response.json()["health_label"] == "停缓建"
    assert response.json()["events"][-1]["kind_label"] == "推进状态"
    assert_api_audit(world.user(role), world.project_a, "update")


def test_project_stage_bad_input(world, api_as):
    client = api_as("city_office")
    path = f"/projects/{world.project_a.pk}/stage"
    # Skipping a stage: the service's rule, on the stage field.
    error = assert_error(client.post(path, {"stage": "started", "date": "2021-03-22"}), 400)
    assert error["fields"]["stage"] == ["项目尚未签约，请先登记签约日期"]
    # Backwards.
    error = assert_error(client.post(path, {"stage": "reserve", "date": "2021-03-22"}), 400)
    assert "只能向前推进" in error["message"]
    # No date / bad date / unknown stage.
    assert assert_error(client.post(path, {"stage": "signed"}), 400)["fields"] == {
        "date": ["必须填写"]
    }
    assert_error(client.post(path, {"stage": "signed", "date": 20210322}), 400, field="date")
    assert_error(client.post(path, {"stage": "begun", "date": "2021-03-22"}), 400, field="stage")
    # A date before the stage it leaves.
    client.post(path, {"stage": "signed", "date": "2021-03-22"})
    error = assert_error(client.post(path, {"stage": "started", "date": "2021-01-01"}), 400)
    assert "早于签约日期" in error["message"]
    health = f"/projects/{world.project_a.pk}/health"
    assert_error(
        client.post(health, {"health": "dormant", "date": "2021-01-01"}), 400, field="health"
    )
    assert_error(client.post(health, {"health": "lagging"}), 400, field="date")


@pytest.mark.parametrize("role", LEDGER_READERS)
def test_project_history(world, api_as, role):
    api_as("city_office").patch(f"/projects/{world.project_a.pk}", {"land_mu": "30.5"})
    response = api_as(role).get(f"/projects/{world.project_a.pk}/history")
    assert response.status_code == 200
    rows = response.json()["items"]
    latest = rows[0]
    assert latest["source"] == "api" and latest["source_label"] == "接口"
    assert latest["action"] == "update" and latest["action_label"] == "修改"
    assert latest["username"] == "city"
    assert latest["after"]["land_mu"] == "30.50"
    assert latest["at"].endswith("+08:00")
    other = api_as(role).get(f"/projects/{world.project_b.pk}/history")
    assert other.status_code == (200 if role in SEES_ALL else 404)


# --- activities -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", LEDGER_READERS)
def test_activities_visible_to_every_ledger_reader(world, api_as, role):
    client = api_as(role)
    response = client.get("/activities")
    assert response.status_code == 200
    assert response.json()["items"] == [
        {
            "id": world.activity.pk,
            "key": "2021-4",
            "name": "2021年第4次“三个一批”活动",
            "year": 2021,
            "sequence": 4,
            "date": "2021-03-22",
            "level": "province",
            "level_label": "省级",
            "venue": "兴县",
        }
    ]
    assert client.get(f"/activities/{world.activity.pk}").json()["key"] == "2021-4"
    assert_error(client.get("/activities/987654"), 404, "not_found")


@pytest.mark.parametrize("role", NO_LEDGER)
def test_activities_refused_without_ledger_rights(world, api_as, role):
    client = api_as(role)
    pk = world.activity.pk
    for path in ["/activities", f"/activities/{pk}", f"/activities/{pk}/entries"]:
        assert_error(client.get(path), 403, "permission_denied")


NEW_ACTIVITY = {"year": 2022, "sequence": 3, "date": "2022-09-20", "level": "city", "venue": "吕梁"}


def test_activity_create_and_update(world, api_as):
    client = api_as("city_office")
    response = client.post("/activities", NEW_ACTIVITY)
    assert response.status_code == 201, response.content.decode()
    activity = Activity.objects.get(pk=response.json()["id"])
    assert response.json()["level_label"] == "市级"
    assert_api_audit(world.user("city_office"), activity, "create")

    response = client.patch(f"/activities/{activity.pk}", {"venue": "孝义市主会场"})
    assert response.status_code == 200
    assert response.json()["venue"] == "孝义市主会场"
    assert response.json()["date"] == "2022-09-20"
    assert_api_audit(world.user("city_office"), activity, "update")


@pytest.mark.parametrize("role", ["leader", "county", "zone", "enterprise", *NO_LEDGER])
def test_activity_writes_forbidden(world, api_as, role):
    client = api_as(role)
    assert_error(client.post("/activities", NEW_ACTIVITY), 403, "permission_denied")
    assert_error(
        client.patch(f"/activities/{world.activity.pk}", {"venue": "x"}), 403, "permission_denied"
    )
    world.activity.refresh_from_db()
    assert world.activity.venue == "兴县"


def test_activity_bad_input(world, api_as):
    client = api_as("city_office")
    # The date must lie in the activity's year.
    error = assert_error(
        client.post("/activities", {**NEW_ACTIVITY, "date": "2021-09-20"}), 400, field="date"
    )
    assert "不在2022年度内" in error["message"]
    # Same year and sequence as an existing one.
    assert_error(
        client.post(
            "/activities", {**NEW_ACTIVITY, "year": 2021, "sequence": 4, "date": "2021-05-01"}
        ),
        400,
    )
    assert_error(client.post("/activities", {**NEW_ACTIVITY, "sequence": 0}), 400, field="sequence")
    assert_error(
        client.post("/activities", {**NEW_ACTIVITY, "year": "二〇二二"}), 400, field="year"
    )
    assert_error(
        client.post("/activities", {**NEW_ACTIVITY, "level": "county"}), 400, field="level"
    )
    assert_error(
        client.patch(f"/activities/{world.activity.pk}", {"date": None}), 400, field="date"
    )


@pytest.fixture
def entries(world):
    """Project A signed (on site) and project B signed (synchronously) in the activity."""
    actor = cli_actor()
    a = services.activity_add_project(
        by=actor,
        activity=world.activity,
        project=world.project_a,
        action="sign",
        sign_mode="onsite",
    )
    b = services.activity_add_project(
        by=actor,
        activity=world.activity,
        project=world.project_b,
        action="sign",
        sign_mode="sync",
    )
    return a, b


@pytest.mark.parametrize("role", LEDGER_READERS)
def test_activity_entries_scoped(world, api_as, entries, role):
    response = api_as(role).get(f"/activities/{world.activity.pk}/entries")
    assert response.status_code == 200
    items = response.json()["items"]
    names = [e["project_name"] for e in items]
    if role in SEES_ALL:
        assert names == [world.project_a.name, world.project_b.name]
    else:
        assert names == [world.project_a.name]
    first = items[0]
    assert first["action"] == "sign" and first["action_label"] == "签约"
    assert first["sign_mode"] == "onsite" and first["sign_mode_label"] == "现场签约"
    assert first["investment_wan"] == "10000.00"
    assert first["county_name"] == "离石区"


@pytest.mark.parametrize("role", WRITERS)
def test_activity_add_entry(world, api_as, role):
    response = api_as(role).post(
        f"/activities/{world.activity.pk}/entries",
        {"project": world.project_a.pk, "action": "sign", "sign_mode": "sync"},
    )
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert body["sign_mode_label"] == "同步签约"
    entry = ActivityEntry.objects.get(pk=body["id"])
    world.project_a.refresh_from_db()
    assert world.project_a.stage == "signed"
    assert world.project_a.signed_date == world.activity.date
    assert_api_audit(world.user(role), entry, "create")
    assert_api_audit(world.user(role), world.project_a, "stage")
    detail = api_as(role).get(f"/projects/{world.project_a.pk}").json()
    assert detail["activity_entries"][0]["activity_name"] == "2021年第4次“三个一批”活动"
    assert detail["events"][0]["activity"] == world.activity.pk


@pytest.mark.parametrize("role", [*READ_ONLY, *NO_LEDGER])
def test_activity_add_entry_forbidden(world, api_as, role):
    response = api_as(role).post(
        f"/activities/{world.activity.pk}/entries",
        {"project": world.project_a.pk, "action": "sign", "sign_mode": "sync"},
    )
    assert_error(response, 403, "permission_denied")
    assert not ActivityEntry.objects.exists()


@pytest.mark.parametrize("role", ["county", "zone"])
def test_activity_add_entry_out_of_scope_project(world, api_as, role):
    response = api_as(role).post(
        f"/activities/{world.activity.pk}/entries",
        {"project": world.project_b.pk, "action": "sign", "sign_mode": "sync"},
    )
    error = assert_error(response, 400, field="project")
    assert error["fields"]["project"] == ["项目不存在或不在您的权限范围内"]
    assert not ActivityEntry.objects.exists()


def test_activity_add_entry_bad_input(world, api_as, entries):
    client = api_as("city_office")
    path = f"/activities/{world.activity.pk}/entries"
    other = ProjectFactory(name="丁项目", enterprise=EnterpriseFactory(), zone=ZoneFactory())
    # Signing without a mode.
    error = assert_error(client.post(path, {"project": other.pk, "action": "sign"}), 400)
    assert error["fields"] == {"sign_mode": ["签约须选择签约方式（现场签约或同步签约）"]}
    # Starting a project that never signed.
    error = assert_error(client.post(path, {"project": other.pk, "action": "start"}), 400)
    assert "尚未签约" in error["message"]
    # Signing twice.
    error = assert_error(
        client.post(path, {"project": world.project_a.pk, "action": "sign", "sign_mode": "sync"}),
        400,
        field="action",
    )
    assert "不能重复归属" in error["message"]
    assert_error(client.post(path, {"project": other.pk, "action": "build"}), 400, field="action")
    assert_error(
        client.post(path, {"project": other.pk, "action": "sign", "sign_mode": "video"}),
        400,
        field="sign_mode",
    )
    # An empty sign_mode is "not given": fine for starting (project A signed in the fixture).
    response = client.post(
        path, {"project": world.project_a.pk, "action": "start", "sign_mode": ""}
    )
    assert response.status_code == 201, response.content.decode()
    assert response.json()["sign_mode"] == ""
    assert_error(client.post(path, {"action": "start"}), 400, field="project")
    assert_error(
        client.post("/activities/987654/entries", {"project": other.pk, "action": "start"}), 404
    )


# --- query counts -----------------------------------------------------------------------------


def _many_projects(world, n: int) -> None:
    for i in range(n):
        enterprise = EnterpriseFactory(name=f"批量企业{i}有限公司", county=world.county_a)
        zone = ZoneFactory(name=f"批量园区{i}", county=world.county_a)
        project = ProjectFactory(
            name=f"批量项目{i}", enterprise=enterprise, county=world.county_a, zone=zone
        )
        services.activity_add_project(
            by=cli_actor(),
            activity=world.activity,
            project=project,
            action="sign",
            sign_mode="onsite",
        )


@pytest.mark.parametrize(
    "path",
    ["/projects", "/activities", "/activities/{activity}/entries", "/projects/{project}/history"],
)
@pytest.mark.parametrize("role", ["city_office", "county"])
def test_lists_have_no_n_plus_one(
    world, api_as, django_assert_max_num_queries, django_assert_num_queries, path, role
):
    client = api_as(role)
    url = path.format(activity=world.activity.pk, project=world.project_a.pk)
    client.get(url)  # the token's first use records last_used_at: not part of the pin
    # token + count + page (+ the scoped lookup of the activity or project)
    with django_assert_max_num_queries(4) as few:
        assert client.get(url).status_code == 200
    _many_projects(world, 15)
    for i in range(5):
        services.project_update(by=cli_actor(), project=world.project_a, land_mu=i + 1)
        ActivityFactory(year=2022, sequence=i + 1)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.json()["count"] >= 5


def test_project_detail_query_count(world, api_as, entries, django_assert_max_num_queries):
    client = api_as("county")
    client.get("/projects")
    # token + project + events + activity entries
    with django_assert_max_num_queries(4):
        assert client.get(f"/projects/{world.project_a.pk}").status_code == 200


def test_deep_pages_by_key_read_an_index_range_not_an_offset(world, api_as):
    """Issue #7: keyset pagination keeps the API's deep pages fast."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sanpi.projects.tests.factories import ProjectFactory

    ProjectFactory.create_batch(7, county=world.county_a)
    client = api_as("city_office")
    seen, after = [], 0
    while after is not None:
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/projects", {"limit": 3, "after": after}).json()
        page_sql = [q["sql"] for q in queries if "OFFSET" in q["sql"].upper()]
        assert page_sql == [], page_sql
        seen += [p["id"] for p in body["items"]]
        after = body["next_after"]
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == body["count"] == 9
    assert client.get("/projects", {"after": -1}).status_code in (400, 422)


def test_a_project_carries_its_planned_completion_date(world, api_as):
    """计划竣工日期 (the health rules' straight line runs to it): set, read back, and one
    before the start refused naming both dates."""
    api = api_as("city_office")
    body = _new_project(
        world,
        stage="started",
        signed_date="2026-01-05",
        started_date="2026-03-01",
        planned_completion_date="2027-12-31",
    )
    created = api.post("/projects", body)
    assert created.status_code == 201, created.content
    assert created.json()["planned_completion_date"] == "2027-12-31"
    refused = api.patch(
        f"/projects/{created.json()['id']}", {"planned_completion_date": "2026-02-01"}
    )
    error = assert_error(refused, 400, field="planned_completion_date")
    assert error["fields"]["planned_completion_date"] == [
        "计划竣工日期（2026-02-01）早于开工日期（2026-03-01）"
    ]


def test_a_patch_made_on_an_older_version_is_a_409_by_body_or_if_match(world, api_as):
    api = api_as("city_office")
    url = f"/projects/{world.project_a.pk}"
    read = api.get(url).json()
    assert read["version"] == 1
    ok = api.patch(url, {"total_investment_wan": "12000.00", "version": 1})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = api.patch(url, {"total_investment_wan": "13000.00", "version": 1})
    assert assert_error(stale, 409)["message"] == "该项目已被他人修改，请刷新后重试"
    headers = {**api._headers(), "If-Match": '"1"'}
    stale = api.client.patch(
        "/api/v1" + url, '{"land_mu": "5.00"}', content_type="application/json", headers=headers
    )
    assert stale.status_code == 409
    headers["If-Match"] = "abc"
    bad = api.client.patch(
        "/api/v1" + url, '{"land_mu": "5.00"}', content_type="application/json", headers=headers
    )
    assert assert_error(bad, 400, field="If-Match")
    headers["If-Match"] = 'W/"2"'
    ok = api.client.patch(
        "/api/v1" + url, '{"land_mu": "5.00"}', content_type="application/json", headers=headers
    )
    assert ok.status_code == 200 and ok.json()["version"] == 3
    assert Project.objects.get(pk=world.project_a.pk).total_investment_wan == 12000


def test_audit_before_comes_from_the_stored_row_not_the_callers_copy(world):
    stale_copy = Project.objects.get(pk=world.project_a.pk)
    services.project_update(by=cli_actor(), project=world.project_a, land_mu="10.00")
    services.project_update(by=cli_actor(), project=stale_copy, land_mu="20.00")
    log = AuditLog.objects.filter(object_id=str(world.project_a.pk), action="update").first()
    assert (log.before["land_mu"], log.after["land_mu"]) == ("10.00", "20.00")


def test_an_activitys_new_date_makes_a_version_read_before_it_stale(world, api_as):
    """Moving an activity's date moves its projects' stage dates: that is a change of each
    project, so a PATCH made on the version read before it is a 409, not an overwrite."""
    city = world.user("city_office")
    services.activity_add_project(
        by=city, activity=world.activity, project=world.project_a, action="sign",
        sign_mode="onsite",
    )  # fmt: skip
    api = api_as("city_office")
    url = f"/projects/{world.project_a.pk}"
    read = api.get(url).json()
    new = world.activity.date + dt.timedelta(days=3)
    services.activity_update(by=city, activity=world.activity, date=new, confirm_move=True)
    stale = api.patch(url, {"signed_date": read["signed_date"], "version": read["version"]})
    assert assert_error(stale, 409)["message"] == "该项目已被他人修改，请刷新后重试"
    assert Project.objects.get(pk=world.project_a.pk).signed_date == new
    log = AuditLog.objects.filter(object_id=str(world.project_a.pk), action="update").first()
    assert (log.before["version"], log.after["version"]) == (read["version"], read["version"] + 1)
