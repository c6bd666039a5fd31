"""The cockpit's figures, read from the summary tables, are the reports' figures: after a
stream of random changes and a refresh, the funnel equals `cohort_rates` and
`period_figures` computed from the ledger, for every kind of user and narrowing, and the
home page's totals equal the aggregates over the user's projects."""

from __future__ import annotations

import random

import pytest

from sanpi.cockpit import board, facts
from sanpi.cockpit.selectors import cohort_rates, period_figures
from sanpi.cockpit.tests.test_facts import _change
from sanpi.core.errors import ValidationFailed
from sanpi.core.money import exact_wan
from sanpi.projects.models import Project
from sanpi.regions.models import County, DevelopmentZone

pytestmark = pytest.mark.django_db


def _check(user, period, **narrow):
    view = board.view_for(user=user, **narrow)
    now, last = board.funnel(view, period)
    county = narrow.get("county", "")
    zone = narrow.get("zone", "")
    for got, p in ((now, period), (last, period.last_year())):
        if (p.first, p.last) == (1, 12):
            rates = cohort_rates(user=user, year=p.year, county=county, zone=zone)
            assert got.start_rate == rates.start_rate, (user, narrow)
            assert got.production_rate == rates.production_rate, (user, narrow)
            assert got.target_rate == rates.target_rate, (user, narrow)
        date_from, date_to = p.dates()
        figures = period_figures(
            user=user, date_from=date_from, date_to=date_to, county=county, zone=zone
        )
        for kind in ("signed", "started", "produced"):
            expected = getattr(figures, kind)
            assert (got.stages[kind].n, got.stages[kind].investment_wan) == (
                expected.count,
                expected.investment_wan,
            ), (user, narrow, kind)
    if not narrow:
        _check_totals(user, view)
    return view


def _check_totals(user, view):
    """The home page's totals and all-time rates equal the aggregates over the ledger the
    page used to run per request."""
    from django.db.models import Count, Q, Sum

    from sanpi.health.selectors import list_count_expressions
    from sanpi.projects.models import Health, StageChoices
    from sanpi.projects.selectors import project_list

    expected = (
        project_list(user=user)
        .order_by()
        .aggregate(
            total=Count("id"),
            investment=Sum("total_investment_wan"),
            provincial_key=Count("id", filter=Q(is_provincial_key=True)),
            city_key=Count("id", filter=Q(is_city_key=True)),
            **{f"stage_{v}": Count("id", filter=Q(stage=v)) for v in StageChoices.values},
            **{f"health_{v}": Count("id", filter=Q(health=v)) for v in Health.values},
            **list_count_expressions(),
        )
    )
    got = board.ledger_totals(view)
    assert got.total == expected["total"], user
    assert got.investment_wan == exact_wan(expected["investment"]), user
    assert (got.provincial_key, got.city_key) == (expected["provincial_key"], expected["city_key"])
    assert got.stages == {v: expected[f"stage_{v}"] for v in StageChoices.values}, user
    assert got.healths == {v: expected[f"health_{v}"] for v in Health.values}, user
    assert {k: n for k, (n, _) in got.lists.items()} == {
        k: expected[f"list_{k}"] for k in got.lists
    }, user
    all_time = board.all_time_funnel(view)
    rates = cohort_rates(user=user)
    assert all_time.start_rate == rates.start_rate, user
    assert all_time.production_rate == rates.production_rate, user
    assert all_time.target_rate == rates.target_rate, user


@pytest.mark.parametrize("seed", [7, 8])
def test_the_funnel_equals_the_reports_figures_for_every_view(world, seed):
    rng = random.Random(seed)
    zones = list(DevelopmentZone.objects.select_related("county"))
    counties = list(County.objects.all())
    for _ in range(80):
        _change(rng, world, zones, counties)
    facts.refresh()
    kinds = set()
    for role in ("city_office", "leader", "county", "zone", "enterprise"):
        user = world.user(role)
        for period in (board.Period(2025), board.Period(2026, 2, 7)):
            kinds.add(_check(user, period).from_tables)
    city = world.user("city_office")
    for period in (board.Period(2025), board.Period(2024, 3, 3)):
        _check(city, period, county=world.county_a.code)
        _check(city, period, zone=str(world.zone_b.pk))
        _check(world.user("county"), period, zone=str(world.zone_a.pk))
    assert kinds == {True, False}  # both the tables and the direct path were compared


def test_views_by_role_and_narrowing(world):
    v = board.view_for(user=world.user("city_office"))
    assert (v.level, v.unit, v.place) == ("all", 0, "全市")
    v = board.view_for(user=world.user("leader"), county=world.county_b.code)
    assert (v.level, v.unit, v.place) == ("county", world.county_b.pk, world.county_b.name)
    v = board.view_for(user=world.user("county"))
    assert (v.level, v.unit) == ("county", world.county_a.pk)
    v = board.view_for(user=world.user("zone"))
    assert (v.level, v.unit) == ("zone", world.zone_a.pk)
    v = board.view_for(user=world.user("enterprise"))
    assert v.level is None  # straight from the ledger, over the enterprise's projects
    # A county officer narrowing to another county sees none of its projects.
    v = board.view_for(user=world.user("county"), county=world.county_b.code)
    assert v.level is None and not v.projects().exists()


@pytest.mark.parametrize(
    ("narrow", "message"),
    [
        ({"county": "999999"}, "没有行政区划代码为“999999”的县(市、区)"),
        ({"zone": "abc"}, "开发区不存在或不在您的权限范围内"),
        ({"zone": "9" * 30}, "开发区不存在或不在您的权限范围内"),
    ],
)
def test_bad_narrowing_is_refused_in_chinese(world, narrow, message):
    with pytest.raises(ValidationFailed) as info:
        board.view_for(user=world.user("city_office"), **narrow)
    assert message in str(info.value.message)


def test_a_zone_outside_the_users_scope_is_refused(world):
    with pytest.raises(ValidationFailed):
        board.view_for(user=world.user("county"), zone=str(world.zone_b.pk))


def test_periods_are_checked():
    assert board.Period.parse(2025, 3, 5).text() == "2025年3—5月"
    assert board.Period.parse(2025).text() == "2025年"
    with pytest.raises(ValidationFailed):
        board.Period.parse(2025, 6, 2)
    with pytest.raises(ValidationFailed):
        board.Period.parse(1800)


def test_the_ranking_trend_reads_the_stored_places(world):
    """Each night's job stores the year's monthly places with the ranking's own selector;
    the trend shows the best counties, or the view's own county and zones."""
    import datetime as dt

    from sanpi.cockpit.models import RankCell
    from sanpi.regions.models import County
    from sanpi.targets.models import UnitTarget
    from sanpi.targets.selectors import ranking

    # Two counties with a target are ranked; the others have no score and no place.
    for county in (world.county_a, world.county_b):
        UnitTarget.objects.create(year=2026, county=county, signed_count=4)
    Project.objects.filter(pk=world.project_b.pk).update(stage="signed", signed_date="2026-02-03")
    rows = facts.refresh_rankings(today=dt.date(2026, 6, 15))
    counties, zones = County.objects.count(), 2
    assert rows == 5 * (counties + zones) == RankCell.objects.count()
    march = ranking(user=world.user("city_office"), year=2026, month=3, kind="county")
    stored = dict(
        RankCell.objects.filter(kind="county", year=2026, month=3).values_list("unit_id", "rank")
    )
    assert stored == {u.pk: u.rank for u in march.units}
    # Run again: the months are replaced, not added to.
    assert facts.refresh_rankings(today=dt.date(2026, 6, 15)) == rows == RankCell.objects.count()

    city = board.ranking_trend(board.view_for(user=world.user("city_office")), 2026)
    assert city["county"]["months"] == [1, 2, 3, 4, 5]
    assert [u["name"] for u in city["county"]["units"]] == [
        world.county_b.name,
        world.county_a.name,
    ]
    assert city["county"]["of"] == 2
    # Tied in January (nothing signed), apart from February (county B signed one).
    assert [u["ranks"] for u in city["county"]["units"]] == [[1, 1, 1, 1, 1], [1, 2, 2, 2, 2]]
    county = board.ranking_trend(board.view_for(user=world.user("county")), 2026)
    assert [u["name"] for u in county["county"]["units"]] == [world.county_a.name]
    assert [u["name"] for u in county["zone"]["units"]] == [world.zone_a.short_name]
    assert len(county["county"]["units"][0]["ranks"]) == 5
    assert board.ranking_trend(board.view_for(user=world.user("zone")), 2025)["zone"] == {
        "of": 0, "months": [], "units": []
    }  # fmt: skip


def test_the_early_warning_scores_signed_projects_and_keeps_to_the_view(world):
    import datetime as dt

    from sanpi.problems.tests.factories import problems_state

    Project.objects.filter(pk=world.project_a.pk).update(stage="signed", signed_date="2025-05-10")
    Project.objects.filter(pk=world.project_b.pk).update(stage="signed", signed_date="2026-05-01")
    problems_state(world)  # one open problem on each project
    facts.refresh()
    assert facts.refresh_start_risks(today=dt.date(2026, 6, 15)) == 2
    city = board.start_warnings(board.view_for(user=world.user("city_office")))
    assert [w["name"] for w in city["projects"]] == [world.project_a.name, world.project_b.name]
    a = city["projects"][0]
    # 13 months since signing (6 and 12), an open problem, never any investment; both
    # counties started nothing of what they signed (开工率 0%: below 50% and 30%).
    assert a["score"] == 20 + 20 + 10 + 15 + 10 + 10
    assert "签约已满12个月仍未开工（已13个月，+20分）" in a["reasons"]
    assert "有尚未解决的问题（1个，+10分）" in a["reasons"]
    assert city["projects"][1]["score"] == 10 + 15 + 10 + 10  # a month old: no month signs
    assert len(city["rules"]) == 9
    county = board.start_warnings(board.view_for(user=world.user("county")))
    assert [w["name"] for w in county["projects"]] == [world.project_a.name]
    enterprise = board.start_warnings(board.view_for(user=world.user("enterprise")))
    assert [w["name"] for w in enterprise["projects"]] == [world.project_a.name]


def test_approvals_past_their_limit_are_the_overdue_lists_items(world):
    """The panel's count and first items equal the approvals' own overdue list (their
    clocks) for every role that reads both, from the tables' units and directly."""
    from sanpi.approvals.selectors import overdue_rows
    from sanpi.approvals.tests.factories import approvals_world

    aw = approvals_world(world)
    seen = set()
    for role in ("city_office", "leader", "county", "zone", "enterprise"):
        user = world.user(role)
        for narrow in ({}, {"county": world.county_a.code}, {"county": world.county_b.code}):
            view = board.view_for(user=user, **narrow)
            got = board.approvals_overdue(view)
            if got is None:
                assert not user.can("view_approvals")
                continue
            expected = [
                r for r in overdue_rows(user=user)
                if not narrow or r.item.project.county.code == narrow["county"]
            ]  # fmt: skip
            assert got["count"] == len(expected), (role, narrow)
            assert [(i["pk"], i["days"]) for i in got["items"]] == [
                (r.item.pk, r.clock.overdue_days) for r in expected[:5]
            ], (role, narrow)
            seen.add((view.from_tables, got["count"]))
    assert aw.item_a.pk in {i["pk"] for i in board.approvals_overdue(
        board.view_for(user=world.user("city_office")))["items"]}  # fmt: skip
    assert {t for t, _ in seen} == {True, False} and {n for _, n in seen} == {0, 1}
