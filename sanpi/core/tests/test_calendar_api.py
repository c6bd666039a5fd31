"""/api/v1/calendar/: computing and reading for every role, writes for the calendar's keepers,
409 with the moved deadlines until confirmed, Chinese errors for bad input."""

from __future__ import annotations

import datetime as dt

import pytest

from sanpi.core import calendar_seed
from sanpi.core.calendar import official_calendar
from sanpi.core.models import AuditLog, CalendarDay, CalendarYear
from sanpi.core.tests.api import ALL_ROLES, BASE, api_clients, assert_error

# Only the deadline sources a test registers itself, not those of the installed apps.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("deadline_sources")]
D = dt.date
LAST = max(calendar_seed.package_schedule())
KEEPERS = ("city_office", "admin")


@pytest.fixture
def api_as(world):
    return api_clients(world)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_role_may_compute(api_as, role):
    client = api_as(role)
    response = client.get("/calendar/workdays/add", {"date": "2021-09-30", "n": 1})
    assert response.status_code == 200
    assert response.json() == {"date": "2021-10-08", "provisional": False, "note": ""}
    response = client.get("/calendar/workdays/between", {"a": "2021-09-30", "b": "2021-10-08"})
    assert response.json() == {"count": 1, "provisional": False, "note": ""}
    assert client.get("/calendar/days", {"year": 2021}).status_code == 200
    assert client.get("/calendar/years").status_code == 200


def test_the_rules_on_real_dates(api_as):
    client = api_as("county")
    assert client.get("/calendar/workdays/add", {"date": "2021-09-24", "n": 1}).json()["date"] == (
        "2021-09-26"  # the 调休 Sunday
    )
    assert client.get("/calendar/workdays/add", {"date": "2021-12-31", "n": 1}).json()["date"] == (
        "2022-01-04"  # across the year boundary and 元旦
    )
    assert client.get("/calendar/workdays/add", {"date": "2021-09-30", "n": 0}).json()["date"] == (
        "2021-09-30"
    )
    response = client.get("/calendar/workdays/between", {"a": "2021-10-08", "b": "2021-10-01"})
    assert response.json()["count"] == 0


def test_an_uncovered_year_is_provisional(api_as):
    client = api_as("enterprise")
    body = client.get("/calendar/workdays/add", {"date": f"{LAST}-12-30", "n": 10}).json()
    assert body["provisional"] is True
    assert body["note"] == f"{LAST + 1}年节假日安排未录入，按周末推算"
    body = client.get(
        "/calendar/workdays/between", {"a": f"{LAST + 1}-03-01", "b": f"{LAST + 1}-03-31"}
    ).json()
    march = [D(LAST + 1, 3, d) for d in range(2, 32)]
    assert body["provisional"] is True
    assert body["count"] == sum(d.weekday() < 5 for d in march)  # weekends only


def test_a_year_and_its_days(api_as):
    body = api_as("leader").get("/calendar/days", {"year": 2021}).json()
    assert body["covered"] is True and body["source"] == "package" and body["note"] == ""
    days = {d["date"]: d for d in body["days"]}
    assert days["2021-09-26"] == {
        "date": "2021-09-26",
        "weekday": "星期日",
        "kind": "workday",
        "kind_label": "调休上班",
        "name": "国庆节",
        "source": "package",
        "source_label": "数据包（chinesecalendar）",
        "working": True,
    }
    assert all(days[f"2021-10-0{d}"]["kind"] == "holiday" for d in range(1, 8))
    assert body["holidays"] == sum(d["kind"] == "holiday" for d in body["days"])

    body = api_as("leader").get("/calendar/days", {"year": LAST + 1}).json()
    assert body["covered"] is False and body["days"] == []
    assert body["note"] == f"{LAST + 1}年节假日安排未录入，按周末推算"

    years = {y["year"]: y for y in api_as("leader").get("/calendar/years").json()}
    assert years[2004]["covered"] and years[LAST]["covered"]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/calendar/workdays/add", {"date": "2021-02-29", "n": 1}, "date"),
        ("/calendar/workdays/add", {"date": "2021/09/30", "n": 1}, "date"),
        ("/calendar/workdays/add", {"date": "2021-09-30", "n": -1}, "n"),
        ("/calendar/workdays/add", {"date": "2021-09-30", "n": "abc"}, "n"),
        ("/calendar/workdays/add", {"date": "2021-09-30", "n": 10**9}, "n"),
        ("/calendar/workdays/add", {"date": "9999-12-31", "n": 1}, "date"),
        ("/calendar/workdays/add", {"n": 1}, "date"),
        ("/calendar/workdays/between", {"a": "x", "b": "2021-01-01"}, "a"),
        ("/calendar/workdays/between", {"a": "2021-01-01", "b": "0001-01-01"}, "b"),
        ("/calendar/days", {"year": "abc"}, "year"),
        ("/calendar/days", {"year": 99999}, "year"),
        ("/calendar/days", {}, "year"),
    ],
)
def test_bad_input_is_a_chinese_400(api_as, path, params, field):
    assert_error(api_as("county").get(path, params), 400, field=field)


# --- writes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", KEEPERS)
def test_keepers_enter_correct_and_remove_days(api_as, role):
    client = api_as(role)
    response = client.post(
        "/calendar/days",
        {"start": "2030-10-01", "end": "2030-10-07", "kind": "holiday", "name": "国庆节"},
    )
    assert response.status_code == 200, response.content.decode()
    assert [d["date"] for d in response.json()][:2] == ["2030-10-01", "2030-10-02"]
    assert not official_calendar().is_working_day(D(2030, 10, 1))
    rows = AuditLog.objects.filter(object_type="core.calendarday", source="api")
    assert rows.count() == 7 and all(r.request_id for r in rows)

    response = client.post("/calendar/years", {"year": 2030, "covered": True, "basis": "通知"})
    assert response.status_code == 200
    assert response.json()["covered"] is True and response.json()["holidays"] == 7
    answer = client.get("/calendar/workdays/add", {"date": "2030-09-30", "n": 1}).json()
    assert answer == {"date": "2030-10-08", "provisional": False, "note": ""}

    response = client.client.delete(f"{BASE}/calendar/days/2030-10-07", headers=client._headers())
    assert response.status_code == 204
    assert official_calendar().is_working_day(D(2030, 10, 7))
    assert AuditLog.objects.filter(object_id="2030-10-07", action="delete", source="api").exists()


@pytest.mark.parametrize("role", ["leader", "county", "zone", "enterprise", "auditor"])
def test_others_may_not_write(api_as, role):
    client = api_as(role)
    response = client.post(
        "/calendar/days", {"start": "2030-05-06", "kind": "holiday", "name": "x"}
    )
    assert_error(response, 403, "permission_denied")
    assert_error(client.post("/calendar/years", {"year": 2030, "covered": False}), 403)
    response = client.client.delete(f"{BASE}/calendar/days/2021-10-04", headers=client._headers())
    assert_error(response, 403)
    assert CalendarDay.objects.filter(date=D(2021, 10, 4)).exists()
    assert not CalendarYear.objects.filter(year=2030).exists()


def test_writes_refuse_bad_input_in_chinese(api_as):
    client = api_as("city_office")
    error = assert_error(
        client.post("/calendar/days", {"start": "2030-05-06", "kind": "workday", "name": "x"}),
        400,
        field="kind",
    )
    assert "只能设在周六或周日" in error["message"]
    assert_error(
        client.post("/calendar/days", {"start": "2030-02-30", "kind": "holiday", "name": "x"}),
        400,
        field="start",
    )
    assert_error(
        client.post("/calendar/days", {"start": "2030-05-06", "kind": "off", "name": "x"}),
        400,
        field="kind",
    )
    assert_error(client.post("/calendar/years", {"year": 2031, "covered": True}), 400)
    assert_error(
        client.post("/calendar/years", {"year": 1800, "covered": False}), 400, field="year"
    )
    headers = client._headers()
    assert_error(client.client.delete(f"{BASE}/calendar/days/2030-05-06", headers=headers), 404)
    assert_error(
        client.client.delete(f"{BASE}/calendar/days/not-a-date", headers=headers), 400, field="day"
    )
    assert not AuditLog.objects.filter(object_type__startswith="core.calendar").exists()


def test_a_change_that_moves_deadlines_is_409_until_confirmed(api_as, deadline_sources):
    deadline_sources([("甲新材料项目 · 施工许可", D(2021, 9, 30), 1)])
    client = api_as("admin")
    body = {"start": "2021-10-08", "kind": "holiday", "name": "国庆节"}
    error = assert_error(client.post("/calendar/days", body), 409, "confirmation_required")
    assert "甲新材料项目 · 施工许可：2021-10-08 → 2021-10-09" in error["message"]
    assert error["fields"]["confirm"] == ["甲新材料项目 · 施工许可：2021-10-08 → 2021-10-09"]
    assert not CalendarDay.objects.filter(date=D(2021, 10, 8)).exists()
    assert client.post("/calendar/days", {**body, "confirm": True}).status_code == 200
    assert CalendarDay.objects.filter(date=D(2021, 10, 8)).exists()

    headers = client._headers()
    url = f"{BASE}/calendar/days/2021-10-08"
    assert_error(client.client.delete(url, headers=headers), 409, "confirmation_required")
    assert client.client.delete(url + "?confirm=true", headers=headers).status_code == 204


def test_read_query_counts(api_as, django_assert_max_num_queries):
    client = api_as("leader")
    client.get("/calendar/workdays/add", {"date": "2021-09-30", "n": 1})  # the calendar built once
    with django_assert_max_num_queries(1):  # the token; the calendar is cached
        client.get("/calendar/workdays/add", {"date": "2021-09-30", "n": 300})
    with django_assert_max_num_queries(4):  # token, years, day counts, the year's days
        assert len(client.get("/calendar/days", {"year": 2021}).json()["days"]) > 30
