"""Reads and reports: scope, clocks, numerators and denominators."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sanpi.approvals import selectors, services
from sanpi.approvals.models import AgencyService, ProjectApproval
from sanpi.approvals.selectors import ItemFilter

from .factories import catalogue_item, make_item

D = dt.date
TODAY = D(2021, 12, 1)


def _names(rows):
    return sorted((r.item.project.name, r.item.catalogue_item.name) for r in rows)


def test_each_role_sees_its_items(world, aw):
    expected = {
        "city_office": 4,
        "leader": 4,
        "county": 2,
        "zone": 2,
        "enterprise": 2,
        "department": 1,  # their department's item only
        "agent": 2,  # the project they are commissioned for
    }
    for role, count in expected.items():
        rows = selectors.item_rows(user=world.user(role), today=TODAY)
        assert len(rows) == count, role
    assert _names(selectors.item_rows(user=world.user("department"), today=TODAY)) == [
        ("甲新材料项目", "建筑工程施工许可证核发")
    ]


def test_clock_states_filter_and_the_overdue_list(world, aw):
    city = world.user("city_office")
    # item A: accepted 2021-09-24, 2 working days → deadline 09-27; overdue on 12-01.
    rows = selectors.overdue_rows(user=city, today=TODAY)
    assert [r.item for r in rows] == [aw.item_a]
    assert rows[0].clock.deadline == D(2021, 9, 27)
    assert rows[0].clock.overdue_days == 43
    assert selectors.overdue_rows(user=city, today=D(2021, 9, 27)) == []
    applied = selectors.item_rows(user=city, filters=ItemFilter(state="applied"), today=TODAY)
    assert {r.item for r in applied} == {aw.item_a2, aw.item_b}
    groups = selectors.overdue_groups(rows)
    assert [(g.label, g.count, g.max_days) for g in groups["department"]] == [
        ("吕梁经开区行政审批局", 1, 43)
    ]
    assert [(g.label, g.count) for g in groups["county"]] == [("离石区", 1)]
    assert [(g.label, g.count) for g in groups["zone"]] == [("吕梁经济技术开发区", 1)]
    # Out of scope: county B's officer sees none of it.
    assert selectors.overdue_rows(user=world.user("department"), today=TODAY) == rows
    assert (
        selectors.overdue_rows(
            user=world.user("county"), filters=ItemFilter(county="141181"), today=TODAY
        )
        == []
    )


def _decide(item, accepted, decided, outcome="approved"):
    ProjectApproval.objects.filter(pk=item.pk).update(
        applied_on=accepted, accepted_on=accepted, decided_on=decided, outcome=outcome
    )


def test_the_report_counts_with_numerator_and_denominator(world, aw):
    city = world.user("city_office")
    # Project A: item A on time (2 days: the adjusted Sunday 09-26, then 09-27), item A2
    # late (5 days: 09-29, 09-30, 10-08, the adjusted Saturday 10-09, 10-11; decided 10-12).
    _decide(aw.item_a, D(2021, 9, 24), D(2021, 9, 27))
    _decide(aw.item_a2, D(2021, 9, 28), D(2021, 10, 12))
    # Project B: item B decided in November, its second item still open.
    _decide(aw.item_b, D(2021, 11, 1), D(2021, 11, 2))
    # A withdrawn item is no decision.
    withdrawn = make_item(world.project_b, catalogue_item("取水许可"), None)
    _decide(withdrawn, D(2021, 9, 1), D(2021, 9, 2), outcome="withdrawn")

    report = selectors.approval_report(
        user=city, start=D(2021, 9, 1), end=D(2021, 10, 31), today=TODAY
    )
    assert len(report.decided) == 2
    assert (report.on_time.num, report.on_time.den) == (1, 2)
    assert str(report.on_time) == "50.0%（1/2）"
    used = sorted(r.clock.used for r in report.decided)
    assert used == [2, 6]
    assert report.average_days == Decimal("4.0")
    assert report.average_limit == Decimal("3.5")  # (2 + 5) / 2
    (project_a,) = report.projects
    assert project_a.complete and project_a.first_applied == D(2021, 9, 24)
    assert project_a.last_decided == D(2021, 10, 12)
    assert project_a.actual == 9  # 09-24 → 10-12 in working days
    # 施工许可 (construction, 2) and 用地规划 (land, 5): stages in sequence.
    assert project_a.committed_total == 7 and project_a.statutory_total == 15
    assert report.average_project_days == Decimal("9.0")
    assert not report.provisional

    november = selectors.approval_report(
        user=city, start=D(2021, 11, 1), end=D(2021, 11, 30), today=TODAY
    )
    assert (november.on_time.num, november.on_time.den) == (1, 1)
    (project_b,) = november.projects
    assert not project_b.complete  # its 规划许可 item is not decided
    assert november.average_project_days is None

    # The county's officer counts only county A's decisions; the department officer
    # only their department's.
    county = selectors.approval_report(
        user=world.user("county"), start=D(2021, 1, 1), end=D(2021, 12, 31), today=TODAY
    )
    assert county.on_time.den == 2
    department = selectors.approval_report(
        user=world.user("department"), start=D(2021, 1, 1), end=D(2021, 12, 31), today=TODAY
    )
    assert (department.on_time.num, department.on_time.den) == (1, 1)


def test_the_full_agency_comparison_reproduces_75_to_35_and_288_to_21(world, aw):
    services.approvals_add(
        by=world.user("city_office"),
        project=world.project_a,
        catalogue_items=list(aw.full.items.all()),
    )
    rows = selectors.agency_comparison(user=world.user("city_office"), today=TODAY)
    ((service, figures),) = rows
    assert service == aw.agency_a
    assert (figures.statutory_total, figures.committed_total) == (75, 35)
    assert (figures.notice.copies_before, figures.notice.copies_after) == (288, 21)
    assert figures.actual == selectors.official_calendar().between(D(2021, 9, 22), TODAY).value
    assert not figures.complete
    assert selectors.agency_comparison(user=world.user("county"), today=TODAY)
    # A department officer sees the service, with the figures of their own items only.
    ((_, mine),) = selectors.agency_comparison(user=world.user("department"), today=TODAY)
    assert mine.items == 4  # the zone bureau's 行政审批局 items of the 30
    assert AgencyService.objects.count() == 1


def test_track_figures_are_computed_from_the_catalogue(world, aw):
    full = selectors.figures_for(
        selectors.catalogue_items(user=world.user("leader"), track=aw.full)
    )
    assert (full.item_count, full.statutory_total, full.committed_total) == (30, 75, 35)
    assert (full.notice.copies_before, full.notice.copies_after) == (288, 21)
    low = selectors.figures_for(selectors.catalogue_items(user=world.user("leader"), track=aw.low))
    assert (low.item_count, low.committed_total) == (6, 13)


def test_an_uncovered_year_is_provisional_everywhere(world, aw):
    far = make_item(
        world.project_a,
        catalogue_item("取水许可"),
        None,
        applied_on=D(2099, 12, 28),
        accepted_on=D(2099, 12, 28),
    )
    rows = selectors.item_rows(user=world.user("city_office"), today=D(2099, 12, 29))
    row = next(r for r in rows if r.item == far)
    assert row.clock.provisional
    assert row.clock.note().startswith("2099年")
    data = selectors.project_approvals(
        user=world.user("city_office"), project=world.project_a, today=D(2099, 12, 29)
    )
    assert data.figures.provisional
