"""API for the monthly ranking: exactly `sanpi report ranking --json`, for every reader."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from sanpi.core.tests.api import LEDGER_READERS, NO_LEDGER, api_clients, assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_as(world):
    return api_clients(world)


def _command(*args: str) -> dict:
    out = StringIO()
    call_command("report", "ranking", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize("role", LEDGER_READERS)
def test_zone_ranking_is_the_commands_json(zones_2024, api_as, role):
    response = api_as(role).get("/reports/ranking", {"year": 2024, "month": 6, "kind": "zone"})
    assert response.status_code == 200, response.content.decode()
    data = response.json()
    # Published: the same for every reader, and the same as the command prints.
    assert data == _command("--year", "2024", "--month", "6", "--kind", "zone")
    assert [(u["name"], u["rank"], u["score"]) for u in data["units"]] == [
        ("吕梁经济技术开发区", 1, "63.00"),
        ("孝义经济开发区", 2, "33.33"),
    ]
    investment = data["units"][0]["indicators"][0]
    assert investment == {
        "key": "investment",
        "name": "固定资产投资",
        "actual": "400.00",
        "target": "1000.00",
        "completion": "0.4000",
        "weight": 30,
        "points": "12.00",
    }
    assert data["units"][0]["indicators"][1]["actual"] == 1  # a count stays an integer


def test_county_ranking_is_the_default_kind(zones_2024, api_as):
    data = api_as("city_office").get("/reports/ranking", {"year": 2024, "month": 6}).json()
    assert data == _command("--year", "2024", "--month", "6")
    assert data["kind"] == "county" and data["units"][0]["code"] == "141102"


# The coming year and this one as of the run (not as of when the test was written).
NEXT = timezone.localdate().year + 1


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"year": 2024, "month": 13}, "month", "月份应为1至12"),
        ({"year": NEXT, "month": 1}, "month", f"{NEXT}年1月还没到，没有排名"),
        ({"year": 1999, "month": 6}, "month", f"年份应在2000至{NEXT - 1}之间"),
    ],
)
def test_ranking_refusals(world, api_as, params, field, message):
    error = assert_error(api_as("leader").get("/reports/ranking", params), 400, field=field)
    assert error["message"] == message


def test_ranking_bad_kind_and_missing_month(world, api_as):
    client = api_as("leader")
    error = assert_error(
        client.get("/reports/ranking", {"year": 2024, "month": 6, "kind": "city"}), 400
    )
    assert "county（县(市、区)）" in error["fields"]["kind"][0]
    error = assert_error(client.get("/reports/ranking", {"year": 2024}), 400, field="month")
    assert error["fields"]["month"] == ["必须填写"]


@pytest.mark.parametrize("role", NO_LEDGER)
def test_ranking_refused_without_ledger_rights(world, api_as, role):
    assert_error(api_as(role).get("/reports/ranking", {"year": 2024, "month": 6}), 403)
