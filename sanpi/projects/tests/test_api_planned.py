"""API for planned activities: a coming activity's list (拟签约/拟开工/拟投产) collected ahead,
confirmed on or after the day (one by one or all at once) or withdrawn, through HTTP.

"Today" is the real date: a coming activity is dated tomorrow, and "the day has come" moves
its date by hand (as in test_planned.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from sanpi.core.models import AuditLog
from sanpi.core.tests.api import (
    BASE,
    LEDGER_READERS,
    NO_LEDGER,
    ApiClient,
    api_audit_rows,
    api_clients,
    assert_api_audit,
    assert_error,
    openapi_document,
)
from sanpi.projects import services
from sanpi.projects.models import Activity, ActivityEntry, PlannedEntry, ProjectEvent
from sanpi.projects.tests.factories import ActivityFactory, ProjectFactory

pytestmark = pytest.mark.django_db

WRITERS = ("city_office", "county", "zone")  # ENTER_ACTIVITY, and project A is in their scope
READ_ONLY = ("leader", "enterprise")
SEES_ALL = ("city_office", "leader")


@pytest.fixture
def api_as(world):
    return api_clients(world)


@pytest.fixture
def coming(world):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    return ActivityFactory(year=tomorrow.year, sequence=30, date=tomorrow)


@pytest.fixture
def planned(world, coming):
    """Project A (county A) on the list to sign synchronously, project B (county B) to sign
    on site, both listed by the city office."""
    city = world.user("city_office")
    a = services.activity_plan_project(
        by=city, activity=coming, project=world.project_a, action="sign", sign_mode="sync"
    )
    b = services.activity_plan_project(
        by=city, activity=coming, project=world.project_b, action="sign", sign_mode="onsite"
    )
    return a, b


def _held(activity: Activity, *, days_ago: int = 0) -> None:
    """The day has come (moved by hand: a real activity's date passes by itself)."""
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    Activity.objects.filter(pk=activity.pk).update(date=day)
    activity.refresh_from_db()


def _delete(client: ApiClient, path: str):
    return client.client.delete(BASE + path, headers=client._headers())


def _sign(world, project) -> None:
    services.project_advance_stage(
        by=world.user("city_office"), project=project, to_stage="signed", date=dt.date(2021, 3, 1)
    )


# --- the list -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", LEDGER_READERS)
def test_planned_list_scoped(world, api_as, coming, planned, role):
    response = api_as(role).get(f"/activities/{coming.pk}/planned")
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    names = {p["project_name"] for p in body["items"]}
    if role in SEES_ALL:
        assert names == {world.project_a.name, world.project_b.name}
    else:
        assert names == {world.project_a.name}
    assert body["count"] == len(names)
    item = next(p for p in body["items"] if p["project"] == world.project_a.pk)
    assert item == {
        "id": planned[0].pk,
        "activity": coming.pk,
        "project": world.project_a.pk,
        "project_name": "甲新材料项目",
        "enterprise_name": "山西甲材料有限公司",
        "county": "141102",
        "county_name": "离石区",
        "zone": world.zone_a.pk,
        "zone_name": "吕梁经济技术开发区",
        "action": "sign",
        "action_label": "拟签约",
        "sign_mode": "sync",
        "sign_mode_label": "同步签约",
        "stage": "reserve",
        "stage_label": "储备",
        "created_by": str(world.user("city_office")),
        "created_at": item["created_at"],
    }
    assert dt.datetime.fromisoformat(item["created_at"]).tzinfo is not None


def test_planned_list_order_and_pages(world, api_as, coming):
    """By action (its code), then project name, then id."""
    city = world.user("city_office")
    c = ProjectFactory(name="C线项目", county=world.county_a)
    b = ProjectFactory(name="B线项目", county=world.county_a)
    a = ProjectFactory(name="A线项目", county=world.county_a)
    _sign(world, c)
    services.activity_plan_project(by=city, activity=coming, project=c, action="start")
    for project in (b, a):
        services.activity_plan_project(
            by=city, activity=coming, project=project, action="sign", sign_mode="onsite"
        )
    client = api_as("county")
    url = f"/activities/{coming.pk}/planned"
    body = client.get(url).json()
    assert [(p["action"], p["project_name"]) for p in body["items"]] == [
        ("sign", "A线项目"),
        ("sign", "B线项目"),
        ("start", "C线项目"),
    ]
    assert body["items"][2]["action_label"] == "拟开工" and body["items"][2]["sign_mode"] == ""
    page = client.get(url, {"limit": 1, "offset": 1}).json()
    assert page["count"] == 3 and [p["project_name"] for p in page["items"]] == ["B线项目"]
    ids, after = [], 0
    while after is not None:
        page = client.get(url, {"limit": 2, "after": after}).json()
        ids += [p["id"] for p in page["items"]]
        after = page["next_after"]
    assert ids == sorted(PlannedEntry.objects.values_list("pk", flat=True))


def test_planned_list_of_a_held_activity_and_unknown_ones(world, api_as):
    client = api_as("county")
    body = client.get(f"/activities/{world.activity.pk}/planned").json()
    assert body["count"] == 0 and body["items"] == []
    assert_error(client.get("/activities/987654/planned"), 404, "not_found")


@pytest.mark.parametrize("role", NO_LEDGER)
def test_planned_refused_without_ledger_rights(world, api_as, coming, planned, role):
    client = api_as(role)
    pk, entry = coming.pk, planned[0].pk
    assert_error(client.get(f"/activities/{pk}/planned"), 403, "permission_denied")
    body = {"project": world.project_a.pk, "action": "start"}
    assert_error(client.post(f"/activities/{pk}/planned", body), 403, "permission_denied")
    _held(coming)
    for path in [f"/activities/{pk}/planned/confirm", f"/activities/{pk}/planned/{entry}/confirm"]:
        assert_error(client.post(path, {}), 403, "permission_denied")
    assert_error(_delete(client, f"/activities/{pk}/planned/{entry}"), 403, "permission_denied")
    assert PlannedEntry.objects.count() == 2 and not ActivityEntry.objects.exists()


def test_planned_list_has_no_n_plus_one(
    world, api_as, coming, django_assert_max_num_queries, django_assert_num_queries
):
    city = world.user("city_office")
    client = api_as("county")
    url = f"/activities/{coming.pk}/planned"
    services.activity_plan_project(
        by=city, activity=coming, project=world.project_a, action="sign", sign_mode="sync"
    )
    client.get(url)  # the token's first use records last_used_at: not part of the pin
    # token + activity + count + page
    with django_assert_max_num_queries(4) as few:
        assert client.get(url).status_code == 200
    for i in range(8):
        project = ProjectFactory(name=f"批量项目{i}", county=world.county_a)
        services.activity_plan_project(
            by=city, activity=coming, project=project, action="sign", sign_mode="onsite"
        )
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.json()["count"] == 9


# --- putting a project on the list ------------------------------------------------------------


@pytest.mark.parametrize("role", WRITERS)
def test_planned_add(world, api_as, coming, role):
    response = api_as(role).post(
        f"/activities/{coming.pk}/planned",
        {"project": world.project_a.pk, "action": "sign", "sign_mode": "onsite"},
    )
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    planned = PlannedEntry.objects.get(pk=body["id"])
    assert (planned.activity, planned.project, planned.action) == (coming, world.project_a, "sign")
    assert body["action_label"] == "拟签约" and body["sign_mode_label"] == "现场签约"
    assert body["created_by"] == str(world.user(role))
    # Counted nowhere, no stage moved.
    world.project_a.refresh_from_db()
    assert (world.project_a.stage, world.project_a.signed_date) == ("reserve", None)
    assert not ActivityEntry.objects.exists()
    assert_api_audit(world.user(role), planned, "create")
    listed = api_as(role).get(f"/activities/{coming.pk}/planned").json()
    assert [p["id"] for p in listed["items"]] == [planned.pk]


@pytest.mark.parametrize("role", [*READ_ONLY, *NO_LEDGER])
def test_planned_add_forbidden(world, api_as, coming, role):
    response = api_as(role).post(
        f"/activities/{coming.pk}/planned",
        {"project": world.project_a.pk, "action": "sign", "sign_mode": "sync"},
    )
    assert_error(response, 403, "permission_denied")
    assert not PlannedEntry.objects.exists()


@pytest.mark.parametrize("role", ["county", "zone"])
def test_planned_add_out_of_scope_project(world, api_as, coming, role):
    response = api_as(role).post(
        f"/activities/{coming.pk}/planned",
        {"project": world.project_b.pk, "action": "sign", "sign_mode": "sync"},
    )
    error = assert_error(response, 400, "validation_failed", field="project")
    assert error["fields"]["project"] == ["项目不存在或不在您的权限范围内"]
    # The same answer as for a project that doesn't exist.
    response = api_as(role).post(
        f"/activities/{coming.pk}/planned",
        {"project": 987654, "action": "sign", "sign_mode": "sync"},
    )
    assert response.status_code == 400 and response.json()["error"] == error
    assert not PlannedEntry.objects.exists()


@pytest.mark.parametrize(
    ("setup", "body", "field", "message"),
    [
        (None, {"action": "sign"}, "sign_mode", "签约须选择签约方式（现场签约或同步签约）"),
        (None, {"action": "start"}, "action", "项目处于“储备”阶段，须先签约才能列入拟开工清单"),
        ("signed", {"action": "sign", "sign_mode": "sync"}, "action", "项目已签约，不能列入拟签约清单"),
        ("planned", {"action": "sign", "sign_mode": "sync"}, "action", "项目已列入{coming}的拟签约清单"),
        ("elsewhere", {"action": "sign", "sign_mode": "sync"}, "action", "项目已列入{other}的拟签约清单"),
        ("held", {"action": "sign", "sign_mode": "sync"}, "action",
         "{coming}已于{date}举行，不再列入拟办清单：请用 POST /activities/{pk}/entries 直接登记"),
    ],
)  # fmt: skip
def test_planned_add_refused(world, api_as, coming, setup, body, field, message):
    city = world.user("city_office")
    other = None
    if setup == "signed":
        _sign(world, world.project_a)
    elif setup == "planned":
        services.activity_plan_project(
            by=city, activity=coming, project=world.project_a, action="sign", sign_mode="sync"
        )
    elif setup == "elsewhere":
        later = coming.date + dt.timedelta(days=7)
        other = ActivityFactory(year=later.year, sequence=31, date=later)
        services.activity_plan_project(
            by=city, activity=other, project=world.project_a, action="sign", sign_mode="sync"
        )
    elif setup == "held":
        _held(coming)
    client = api_as("county")  # (its token's creation is audited: before the count)
    before = (PlannedEntry.objects.count(), AuditLog.objects.count())
    response = client.post(
        f"/activities/{coming.pk}/planned", {"project": world.project_a.pk, **body}
    )
    error = assert_error(response, 400, "validation_failed", field=field)
    expected = message.format(
        coming=coming, other=other, date=f"{coming.date:%Y-%m-%d}", pk=coming.pk
    )
    assert error["message"] == expected
    assert error["fields"][field] == [expected]
    assert (PlannedEntry.objects.count(), AuditLog.objects.count()) == before


def test_planned_add_bad_input(world, api_as, coming):
    client = api_as("city_office")
    path = f"/activities/{coming.pk}/planned"
    assert_error(client.post(path, {"project": world.project_a.pk, "action": "build"}), 400,
                 field="action")  # fmt: skip
    assert_error(
        client.post(path, {"project": world.project_a.pk, "action": "sign", "sign_mode": "video"}),
        400,
        field="sign_mode",
    )
    assert_error(client.post(path, {"action": "sign", "sign_mode": "sync"}), 400, field="project")
    assert_error(
        client.post(path, {"project": world.project_a.pk, "action": "start", "extra": 1}),
        400,
        field="extra",
    )
    assert_error(
        client.post(
            "/activities/987654/planned", {"project": world.project_a.pk, "action": "start"}
        ),
        404,
        "not_found",
    )
    assert not PlannedEntry.objects.exists()


def test_entries_of_a_coming_activity_point_to_the_planned_list(world, api_as, coming):
    response = api_as("county").post(
        f"/activities/{coming.pk}/entries",
        {"project": world.project_a.pk, "action": "sign", "sign_mode": "sync"},
    )
    error = assert_error(response, 400, "validation_failed", field="action")
    assert error["message"] == (
        f"{coming}定于{coming.date:%Y-%m-%d}举行，尚未举行，不能直接登记："
        f"请用 POST /activities/{coming.pk}/planned 列入拟办清单，活动当天或之后再确认"
    )
    world.project_a.refresh_from_db()
    assert world.project_a.stage == "reserve"
    assert not ActivityEntry.objects.exists() and not PlannedEntry.objects.exists()


# --- confirming -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", WRITERS)
def test_confirm_one_on_the_day_moves_the_stage_on_the_activity_date(
    world, api_as, coming, planned, role
):
    client = api_as(role)
    url = f"/activities/{coming.pk}/planned/{planned[0].pk}/confirm"
    # Before the day: refused, nothing written.
    error = assert_error(client.post(url, {}), 400, "validation_failed", field="action")
    assert error["message"] == f"{coming}定于{coming.date:%Y-%m-%d}举行，当天或之后才能确认"
    assert PlannedEntry.objects.count() == 2 and not ActivityEntry.objects.exists()
    # Held two days ago (confirmed late): the stage's date is the activity's, not today.
    _held(coming, days_ago=2)
    response = client.post(url, {})
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    entry = ActivityEntry.objects.get(pk=body["id"])
    assert (entry.activity, entry.project, entry.action, entry.sign_mode) == (
        coming, world.project_a, "sign", "sync",
    )  # fmt: skip
    assert body["activity"] == coming.pk and body["project"] == world.project_a.pk
    assert body["action_label"] == "签约" and body["sign_mode_label"] == "同步签约"
    world.project_a.refresh_from_db()
    assert (world.project_a.stage, world.project_a.signed_date) == ("signed", coming.date)
    assert coming.date != timezone.localdate()
    event = world.project_a.events.get(kind=ProjectEvent.Kind.STAGE)
    assert (event.value, event.date, event.activity) == ("signed", coming.date, coming)
    assert not PlannedEntry.objects.filter(pk=planned[0].pk).exists()
    assert PlannedEntry.objects.filter(pk=planned[1].pk).exists()
    user = world.user(role)
    assert_api_audit(user, entry, "create")
    assert_api_audit(user, world.project_a, "stage")
    assert_api_audit(user, planned[0], "delete")
    # It now counts as the activity's: in its entries and in the project's detail.
    entries = client.get(f"/activities/{coming.pk}/entries").json()["items"]
    assert [e["id"] for e in entries if e["project"] == world.project_a.pk] == [entry.pk]
    detail = client.get(f"/projects/{world.project_a.pk}").json()
    assert detail["stage"] == "signed" and detail["signed_date"] == f"{coming.date:%Y-%m-%d}"
    assert detail["activity_entries"][0]["activity"] == coming.pk
    # Confirmed once: the planned entry is gone.
    assert_error(client.post(url, {}), 404, "not_found")


def test_confirm_one_refused_when_the_project_moved_meanwhile(world, api_as, coming, planned):
    _held(coming)
    _sign(world, world.project_a)  # signed elsewhere after it was listed
    client = api_as("county")
    before = AuditLog.objects.count()
    response = client.post(f"/activities/{coming.pk}/planned/{planned[0].pk}/confirm", {})
    error = assert_error(response, 400, "validation_failed", field="action")
    assert error["message"] == "项目已于2021-03-01签约，不能在本次活动中再次签约"
    assert PlannedEntry.objects.filter(pk=planned[0].pk).exists()
    assert not ActivityEntry.objects.exists() and AuditLog.objects.count() == before


def test_confirm_all_of_the_users_scope(world, api_as, coming, planned):
    city = world.user("city_office")
    c = ProjectFactory(name="丙项目", county=world.county_a)
    _sign(world, c)
    services.activity_plan_project(by=city, activity=coming, project=c, action="start")
    client = api_as("county")
    url = f"/activities/{coming.pk}/planned/confirm"
    # Before the day: all refused, each named with why.
    error = assert_error(client.post(url, {}), 400, "validation_failed")
    assert error["message"].startswith("以下项目不能确认，全部未确认：")
    assert "当天或之后才能确认" in error["message"]
    assert world.project_a.name in error["message"] and c.name in error["message"]
    assert world.project_b.name not in error["message"]  # county B's: not the user's
    assert PlannedEntry.objects.count() == 3 and not ActivityEntry.objects.exists()
    _held(coming)
    response = client.post(url, {})
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    confirmed = ActivityEntry.objects.filter(activity=coming)
    assert body == {"confirmed": 2, "entries": body["entries"]}
    assert sorted(body["entries"]) == sorted(confirmed.values_list("pk", flat=True))
    assert {e.project for e in confirmed} == {world.project_a, c}
    world.project_a.refresh_from_db()
    c.refresh_from_db()
    assert (world.project_a.stage, world.project_a.signed_date) == ("signed", coming.date)
    assert (c.stage, c.started_date) == ("started", coming.date)
    # County B's project stays on the list, for someone who may confirm it.
    assert list(PlannedEntry.objects.all()) == [planned[1]]
    # Nothing left the county may confirm: said, nothing written.
    before = AuditLog.objects.count()
    error = assert_error(client.post(url, {}), 400, "validation_failed")
    assert error["message"] == "拟办清单中没有您可以确认的项目"
    assert AuditLog.objects.count() == before


def test_confirm_all_is_all_or_nothing(world, api_as, coming, planned):
    _held(coming)
    _sign(world, world.project_b)  # meanwhile project B signed elsewhere
    client = api_as("city_office")
    before = AuditLog.objects.count()
    error = assert_error(client.post(f"/activities/{coming.pk}/planned/confirm", {}), 400)
    assert error["message"] == (
        f"以下项目不能确认，全部未确认：{world.project_b}："
        "项目已于2021-03-01签约，不能在本次活动中再次签约"
    )
    assert PlannedEntry.objects.count() == 2 and not ActivityEntry.objects.exists()
    world.project_a.refresh_from_db()
    assert world.project_a.stage == "reserve"
    assert AuditLog.objects.count() == before


# --- withdrawing ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", WRITERS)
def test_withdraw(world, api_as, coming, planned, role):
    client = api_as(role)
    url = f"/activities/{coming.pk}/planned/{planned[0].pk}"
    response = _delete(client, url)
    assert response.status_code == 204, response.content.decode()
    assert response.content == b""
    assert list(PlannedEntry.objects.all()) == [planned[1]]
    assert_api_audit(world.user(role), planned[0], "delete")
    world.project_a.refresh_from_db()
    assert world.project_a.stage == "reserve"
    assert_error(_delete(client, url), 404, "not_found")


# --- scope and rights -------------------------------------------------------------------------


def _writes(coming, entry_pk: int) -> list[tuple[str, str]]:
    return [
        ("POST", f"/activities/{coming.pk}/planned/{entry_pk}/confirm"),
        ("DELETE", f"/activities/{coming.pk}/planned/{entry_pk}"),
    ]


def _send(client: ApiClient, method: str, path: str):
    return _delete(client, path) if method == "DELETE" else client.post(path, {})


@pytest.mark.parametrize("role", ["county", "zone", "enterprise"])
def test_another_countys_planned_entry_is_404(world, api_as, coming, planned, role):
    """County B's planned entry is, to county A's users, as absent as one that doesn't exist."""
    _held(coming)
    client = api_as(role)
    listed = client.get(f"/activities/{coming.pk}/planned").json()
    assert planned[1].pk not in [p["id"] for p in listed["items"]]
    before = AuditLog.objects.count()
    for (method, path), (_, missing) in zip(
        _writes(coming, planned[1].pk), _writes(coming, 987654), strict=True
    ):
        response = _send(client, method, path)
        assert_error(response, 404, "not_found")
        assert response.json() == _send(client, method, missing).json()
    assert PlannedEntry.objects.count() == 2 and not ActivityEntry.objects.exists()
    assert AuditLog.objects.count() == before


def test_a_planned_entry_is_addressed_through_its_own_activity(world, api_as, coming, planned):
    _held(coming)
    client = api_as("city_office")
    for method, path in _writes(world.activity, planned[0].pk):
        assert_error(_send(client, method, path), 404, "not_found")
    assert PlannedEntry.objects.count() == 2 and not ActivityEntry.objects.exists()


@pytest.mark.parametrize("role", READ_ONLY)
def test_read_only_roles_see_but_cannot_write(world, api_as, coming, planned, role):
    """The leader sees every list, the enterprise its own project's; neither writes."""
    _held(coming)
    client = api_as(role)
    listed = client.get(f"/activities/{coming.pk}/planned").json()
    assert planned[0].pk in [p["id"] for p in listed["items"]]
    before = AuditLog.objects.count()
    for method, path in _writes(coming, planned[0].pk):
        assert_error(_send(client, method, path), 403, "permission_denied")
    assert_error(
        client.post(f"/activities/{coming.pk}/planned/confirm", {}), 403, "permission_denied"
    )
    assert PlannedEntry.objects.count() == 2 and not ActivityEntry.objects.exists()
    assert AuditLog.objects.count() == before
    assert api_audit_rows(world.user(role), planned[0]) == []


def test_the_endpoints_are_documented(world):
    document = openapi_document(world.user("leader"))
    paths = document["paths"]
    expected = {
        f"{BASE}/activities/{{id}}/planned": {"get", "post"},
        f"{BASE}/activities/{{id}}/planned/confirm": {"post"},
        f"{BASE}/activities/{{id}}/planned/{{entry_id}}/confirm": {"post"},
        f"{BASE}/activities/{{id}}/planned/{{entry_id}}": {"delete"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) == methods, path
        for operation in paths[path].values():
            assert any("\u4e00" <= ch <= "\u9fff" for ch in operation["summary"]), path
    schema = document["components"]["schemas"]["PlannedIn"]
    assert "拟办清单" in schema["description"]
