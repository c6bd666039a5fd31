"""The actual figures and the ranking, against the database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sanpi.accounts.actors import SystemActor
from sanpi.core.errors import PermissionDenied, ValidationFailed
from sanpi.projects.models import Project
from sanpi.regions.models import County
from sanpi.targets import selectors
from sanpi.targets.tests.conftest import M, Y
from sanpi.targets.tests.factories import D, project, scheme, target

CITY = SystemActor(name="test")
W = Decimal


def test_actuals_of_the_zones(zones_2024):
    w = zones_2024
    figures = selectors.actuals(Y, M, "zone")
    assert figures[w.zone_a.pk] == {
        "investment": W("400.00"),
        "signed": 1,
        "signed_investment": W("3000.00"),
        "started": 2,
        "produced": 1,
        "reserve": W("10000.00"),  # project A; PA3 was recorded after June
        "above_size": 1,  # enterprise A, counted once for its two projects in zone A
    }
    assert figures[w.zone_b.pk]["reserve"] == W("10000.00")
    assert figures[w.zone_b.pk]["signed"] == 0
    assert "investment" not in figures[w.zone_b.pk]  # no report at all


def test_actuals_move_with_the_month(zones_2024):
    w = zones_2024
    may = selectors.actuals(Y, 5, "zone")[w.zone_a.pk]
    assert may["investment"] == W("350.50")  # June's 49.50 not yet
    assert may["produced"] == 0  # produced 2024-06-30
    july = selectors.actuals(Y, 7, "zone")[w.zone_a.pk]
    assert july["investment"] == W("1399.00")
    assert july["reserve"] == W("12500.00")  # PA3 recorded 2024-07-02
    # A project signed after the month is still in reserve at its end.
    jan = selectors.actuals(Y, 1, "zone")[w.zone_a.pk]
    assert (jan["signed"], jan["reserve"]) == (0, W("13000.00"))  # project A + PA1


def test_actuals_of_the_counties_include_projects_without_a_zone(zones_2024):
    w = zones_2024
    project(
        county=w.county_a, signed_date=D(2024, 4, 1), total_investment_wan=W("700.00")
    )  # no zone: the county's only
    figures = selectors.actuals(Y, M, "county")
    assert figures[w.county_a.pk]["signed"] == 2
    assert figures[w.county_a.pk]["signed_investment"] == W("3700.00")
    assert figures[w.county_a.pk]["above_size"] == 1  # enterprise A, registered in county A
    assert figures[w.county_b.pk]["reserve"] == W("10000.00")


def test_withdrawn_projects_are_not_reserve(zones_2024):
    Project.objects.filter(pk=zones_2024.project_b.pk).update(health="withdrawn")
    assert selectors.actuals(Y, M, "zone")[zones_2024.zone_b.pk]["reserve"] == W("0.00")


def test_the_zone_ranking_worked_by_hand(zones_2024):
    """Zone A: investment 400/1,000 = 0.4 → 30×0.4 = 12; signed 1/2 → 20×0.5 = 10;
    started 2/1 = 2.0, capped 1.2 → 20×1.2 = 24; produced 1/4 → 20×0.25 = 5; reserve
    10,000/8,000 = 1.25, capped → 10×1.2 = 12; Σ 63 ÷ 100 × 100 = 63.00.
    Zone B: investment target 0 (left out); signed 0/1 → 0; reserve 10,000/10,000 →
    10×1 = 10; Σ 10 ÷ (20+10) × 100 = 33.33."""
    w = zones_2024
    r = selectors.ranking(user=CITY, year=Y, month=M, kind="zone")
    assert [(u.name, u.rank, u.score) for u in r.units] == [
        ("吕梁经济技术开发区", 1, W("63.00")),
        ("孝义经济开发区", 2, W("33.33")),
    ]
    a = r.units[0]
    assert a.indicator("started").points == W("24.0")
    assert a.indicator("started").ahead is True
    assert a.indicator("investment").ahead is False  # 40% < 50%
    assert r.units[1].indicator("investment").completion is None
    assert r.progress_text == "50.00%"
    assert a.pk == w.zone_a.pk


def test_weights_take_effect_from_their_month_and_a_past_month_keeps_its_own(zones_2024):
    """From April 2024 only investment counts (weight 100): zone A 40.00 from then on; a
    scheme of September 2024 (investment 50, signed 50) applies from September. March
    keeps the defaults."""
    scheme(2024, 4, investment=100)
    scheme(2024, 9, investment=50, signed=50)
    assert selectors.scheme_for(2024, 3).since is None
    assert selectors.scheme_for(2024, 4).since == (2024, 4)
    assert selectors.scheme_for(2024, 8).since == (2024, 4)
    assert selectors.scheme_for(2025, 1).since == (2024, 9)
    june = selectors.ranking(user=CITY, year=Y, month=6, kind="zone").units[0]
    assert june.score == W("40.00")  # 100 × 0.4
    march = selectors.ranking(user=CITY, year=Y, month=3, kind="zone").units[0]
    # March, default weights: investment 350.50/1,000 → 30×0.3505 = 10.515; signed 1/2 →
    # 10; started 1/1 → 20; produced 0/4 → 0; reserve 13,000/8,000 capped → 12;
    # Σ 52.515 → 52.52 (half-up)
    assert march.score == W("52.52")


def test_equal_scores_share_a_rank(world):
    """Four counties with only a reserve target, each with one reserve project of
    10,000万元: targets 10,000 / 20,000 / 20,000 / 40,000 → 100, 50, 50, 25 → 1, 2, 2, 4."""
    counties = list(County.objects.order_by("code")[:4])
    for county, goal in zip(counties, ("10000", "20000", "20000", "40000"), strict=True):
        project(county=county, total_investment_wan=W("10000.00"))
        target(Y, county=county, reserve_wan=W(goal))
    Project.objects.filter(pk__in=[world.project_a.pk, world.project_b.pk]).delete()
    r = selectors.ranking(user=CITY, year=Y, month=M, kind="county")
    ranked = [(u.code, u.rank, u.score) for u in r.units if u.rank]
    assert ranked == [
        (counties[0].code, 1, W("100.00")),
        (counties[1].code, 2, W("50.00")),
        (counties[2].code, 2, W("50.00")),
        (counties[3].code, 4, W("25.00")),
    ]
    assert len(r.units) == County.objects.count()  # the others listed, unranked
    assert all(u.rank is None and u.score is None for u in r.units[4:])


def test_the_ranking_flags_a_reserve_below_five_times_the_investment_target(zones_2024):
    target(Y, county=zones_2024.county_b, investment_wan=W("2000.01"))
    r = selectors.ranking(user=CITY, year=Y, month=M, kind="county")
    b = next(u for u in r.units if u.code == "141181")
    assert b.flags == ["储备项目总投资不足年度计划投资的5倍"]  # 10,000 < 5 × 2,000.01


def test_the_ranking_takes_a_bounded_number_of_queries(zones_2024, django_assert_max_num_queries):
    for county in County.objects.all():
        target(2025, county=county, investment_wan=W("100"))
    with django_assert_max_num_queries(6):
        selectors.ranking(user=CITY, year=2025, month=3, kind="county")
    with django_assert_max_num_queries(6):
        selectors.ranking(user=CITY, year=Y, month=M, kind="zone")


def test_the_ranking_is_the_same_for_every_reader_and_refused_to_non_readers(zones_2024):
    w = zones_2024
    city = selectors.ranking(user=CITY, year=Y, month=M, kind="zone").as_json()
    for role in ("county", "zone", "enterprise", "leader"):
        assert selectors.ranking(user=w.user(role), year=Y, month=M, kind="zone").as_json() == city
    for role in ("admin", "auditor", "department", "agent"):
        with pytest.raises(PermissionDenied):
            selectors.ranking(user=w.user(role), year=Y, month=M, kind="zone")


def test_bad_months_and_kinds_are_refused(world):
    with pytest.raises(ValidationFailed, match="月份应为1至12"):
        selectors.ranking(user=CITY, year=2024, month=13, kind="county")
    with pytest.raises(ValidationFailed, match="还没到，没有排名"):
        selectors.ranking(user=CITY, year=2100, month=1, kind="county")
    with pytest.raises(ValidationFailed, match="单位类型应为"):
        selectors.ranking(user=CITY, year=2024, month=1, kind="city")


def test_lagging_lists_are_limited_to_the_readers_scope(zones_2024):
    """Project A lags (zone A, county A), project B is stalled (zone B, county B); the
    county officer of A sees A's list only, the city both. At most 10 per unit, the
    largest first, with the unit's count."""
    w = zones_2024
    Project.objects.filter(pk=w.project_a.pk).update(health="lagging")
    Project.objects.filter(pk=w.project_b.pk).update(health="stalled")
    for i in range(11):
        project(
            name=f"滞后{i:02d}", county=w.county_a, zone=w.zone_a, health="lagging",
            total_investment_wan=W(100 + i),
        )  # fmt: skip
    city = selectors.lagging_projects(user=CITY, kind="zone")
    assert set(city) == {w.zone_a.pk, w.zone_b.pk}
    a = city[w.zone_a.pk]
    assert a.total == 12
    assert [p.name for p in a.projects][:3] == ["甲新材料项目", "滞后10", "滞后09"]
    assert len(a.projects) == 10
    for role in ("county", "zone"):
        mine = selectors.lagging_projects(user=w.user(role), kind="county")
        assert set(mine) == {w.county_a.pk}
    enterprise = selectors.lagging_projects(user=w.user("enterprise"), kind="zone")
    assert {k: [p.name for p in v.projects] for k, v in enterprise.items()} == {
        w.zone_a.pk: ["甲新材料项目"]
    }
    b = selectors.bulletin(user=w.user("county"), year=Y, month=M)
    assert [u.name for u in b.zones.units] == ["吕梁经济技术开发区", "孝义经济开发区"]
    assert set(b.lagging["zone"]) == {w.zone_a.pk}


def test_the_city_totals(zones_2024):
    r = selectors.ranking(user=CITY, year=Y, month=M, kind="county")
    assert r.totals["investment"] == W("400.00")
    assert r.totals["reserve"] == W("20000.00")
    assert r.totals["above_size"] == 1
    assert r.total_targets["investment"] is None  # no county has targets
