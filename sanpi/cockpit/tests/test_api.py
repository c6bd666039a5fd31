"""API for the reports: activity figures with the bulletin, and cohort rates, scoped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sanpi.accounts.actors import cli_actor
from sanpi.cockpit.selectors import activity_figures, cohort_rates
from sanpi.core.tests.api import (
    LEDGER_READERS,
    NO_LEDGER,
    api_clients,
    assert_error,
)
from sanpi.projects import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as(world):
    return api_clients(world)


SEES_ALL = ("city_office", "leader")


@pytest.fixture
def batch(world):
    """In 2021-4: A signed on site and later started; B signed synchronously."""
    actor = cli_actor()
    services.activity_add_project(
        by=actor,
        activity=world.activity,
        project=world.project_a,
        action="sign",
        sign_mode="onsite",
    )
    services.activity_add_project(
        by=actor,
        activity=world.activity,
        project=world.project_b,
        action="sign",
        sign_mode="sync",
    )
    services.project_update(by=actor, project=world.project_b, total_investment_wan=Decimal("1"))
    services.project_advance_stage(
        by=actor, project=world.project_a, to_stage="started", date=dt.date(2021, 6, 1)
    )
    return world


@pytest.mark.parametrize("role", LEDGER_READERS)
def test_activity_report_scoped(batch, api_as, role):
    response = api_as(role).get("/reports/activity", {"year": 2021, "seq": 4})
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    user = batch.user(role)
    figures = activity_figures(user=user, activity=batch.activity)
    # Exactly the CLI's JSON (`sanpi report activity --json`), plus the bulletin text.
    assert body == {**figures.as_json(), "bulletin": figures.bulletin()}
    if role in SEES_ALL:
        assert body["signed"] == {
            "count": 2,
            "investment_wan": "20000.00",  # the investment at signing time
            "onsite": {"count": 1, "investment_wan": "10000.00"},
            "sync": {"count": 1, "investment_wan": "10000.00"},
        }
        assert "签约项目2个、总投资2.00亿元，其中现场签约1个" in body["bulletin"]
    else:
        # County B's project is not theirs to count.
        assert body["signed"]["count"] == 1
        assert body["signed"]["sync"] == {"count": 0, "investment_wan": "0.00"}
        assert body["bulletin"].startswith("2021年第4次“三个一批”活动中，签约项目1个")


@pytest.mark.parametrize("role", LEDGER_READERS)
def test_rates_report_scoped(batch, api_as, role):
    client = api_as(role)
    user = batch.user(role)
    by_activity = client.get("/reports/rates", {"year": 2021, "seq": 4}).json()
    assert by_activity == cohort_rates(user=user, activity=batch.activity).as_json()
    if role in SEES_ALL:
        assert by_activity["start_rate"] == {"num": 1, "den": 2, "pct": "50.0"}
    else:
        assert by_activity["start_rate"] == {"num": 1, "den": 1, "pct": "100.0"}
    assert by_activity["production_rate"] == {"num": 0, "den": 0, "pct": None}  # none started in it
    assert by_activity["target_rate"]["pct"] is None  # nothing produced in it

    by_year = client.get("/reports/rates", {"year": 2021}).json()
    assert by_year == cohort_rates(user=user, year=2021).as_json()
    everything = client.get("/reports/rates").json()
    assert everything == cohort_rates(user=user).as_json()


def test_rates_narrowed_by_county_and_zone(batch, api_as):
    client = api_as("city_office")
    user = batch.user("city_office")
    by_county = client.get("/reports/rates", {"year": 2021, "seq": 4, "county": "141181"}).json()
    assert by_county["start_rate"] == {"num": 0, "den": 1, "pct": "0.0"}
    for zone in (str(batch.zone_a.pk), "吕梁经开区", "吕梁经济技术开发区"):
        by_zone = client.get("/reports/rates", {"year": 2021, "seq": 4, "zone": zone}).json()
        assert by_zone == cohort_rates(user=user, activity=batch.activity, zone=zone).as_json()
        assert by_zone["start_rate"] == {"num": 1, "den": 1, "pct": "100.0"}
    narrowed = client.get("/reports/activity", {"year": 2021, "seq": 4, "county": "141102"})
    assert narrowed.json()["signed"]["count"] == 1


@pytest.mark.parametrize("role", NO_LEDGER)
def test_reports_refused_without_ledger_rights(batch, api_as, role):
    client = api_as(role)
    assert_error(client.get("/reports/activity", {"year": 2021, "seq": 4}), 403)
    assert_error(client.get("/reports/rates", {"year": 2021, "seq": 4}), 403)
    assert_error(client.get("/reports/rates"), 403)
    # Even with a bad county: capability first, nothing about the data.
    assert_error(client.get("/reports/rates", {"county": "000000"}), 403)


def test_reports_bad_params(batch, api_as):
    client = api_as("county")
    # An activity that doesn't exist: 404 saying which.
    error = assert_error(client.get("/reports/activity", {"year": 2021, "seq": 9}), 404)
    assert error["message"] == "没有2021年第9次活动"
    # Missing / malformed year and sequence: 400 naming them.
    error = assert_error(client.get("/reports/activity", {"year": 2021}), 400)
    assert error["fields"] == {"seq": ["必须填写"]}
    assert_error(client.get("/reports/activity", {"year": "2021年", "seq": 4}), 400, field="year")
    assert_error(client.get("/reports/activity", {"year": 1800, "seq": 4}), 400, field="year")
    error = assert_error(client.get("/reports/rates", {"seq": 4}), 400, field="year")
    assert error["fields"]["year"] == ["指定批次时须同时指定年度"]
    assert_error(client.get("/reports/rates", {"seq": "第四"}), 400, field="seq")
    # Unknown county, and a zone out of the county officer's scope: the same kind of answer.
    assert_error(client.get("/reports/rates", {"county": "999999"}), 400, field="county")
    out_of_scope = assert_error(
        client.get("/reports/rates", {"zone": batch.zone_b.short_name}), 400, field="zone"
    )
    assert "不存在或不在您的权限范围内" in out_of_scope["message"]
    assert_error(client.get("/reports/rates", {"zone": "9" * 30}), 400, field="zone")
    # Empty parameters are absent ones.
    assert client.get("/reports/rates", {"year": "", "seq": "", "zone": ""}).status_code == 200


def test_reports_query_counts(batch, api_as, django_assert_max_num_queries):
    client = api_as("county")
    client.get("/reports/rates")
    with django_assert_max_num_queries(3):  # token, activity, one aggregate for every batch
        assert client.get("/reports/activity", {"year": 2021, "seq": 4}).status_code == 200
    with django_assert_max_num_queries(4):  # token, activity, one aggregate, zone check
        assert (
            client.get("/reports/rates", {"year": 2021, "seq": 4, "zone": "吕梁经开区"}).status_code
            == 200
        )
