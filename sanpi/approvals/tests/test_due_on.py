"""The stored deadline (ProjectApproval.due_on) agrees with the clock.

"Past its limit" is answered by a query on due_on (the cockpit's count, the overdue
list's narrowing, the early warning); the clock (`rules.clock`) is the definition. These
tests draw random items, days and calendar edits and check that the query and the clock
name the same items, before and after the calendar changes.
"""

from __future__ import annotations

import datetime as dt
import random

from sanpi.approvals import selectors, services
from sanpi.approvals.models import ProjectApproval
from sanpi.approvals.rules import ClockState
from sanpi.approvals.selectors import ItemFilter
from sanpi.core.calendar import calendar_day_remove, calendar_days_set, official_calendar
from sanpi.projects.models import Project

from .factories import make_item

D = dt.date
NAMES = ("建筑工程施工许可证核发", "建设用地规划许可证", "建设工程规划许可证", "取水许可")


def _by_clock(user, today):
    return {r.item.pk for r in selectors.overdue_rows(user=user, today=today)}


def _by_query(user, today):
    return set(selectors.overdue_items(user=user, today=today).values_list("pk", flat=True))


def _running_by_clock(user, today):
    rows = selectors.with_clocks(selectors.item_list(user=user), today=today)
    return {r.item.pk for r in rows if r.clock.state == ClockState.RUNNING}


def _check(users, days):
    for user in users:
        for today in days:
            assert _by_query(user, today) == _by_clock(user, today), (user, today)
            running = selectors.item_rows(
                user=user, filters=ItemFilter(state="running"), today=today
            )
            assert {r.item.pk for r in running} == _running_by_clock(user, today)
    calendar = official_calendar()
    for item in ProjectApproval.objects.filter(decided_on__isnull=True):
        expected = (
            None
            if item.accepted_on is None
            else selectors.item_clock(item, calendar=calendar).deadline
        )
        assert item.due_on == expected, item


def test_random_items_and_calendar_edits_agree(world, aw):
    from sanpi.approvals.models import CatalogueItem

    rng = random.Random(20261201)
    projects = list(Project.objects.order_by("pk"))
    catalogue = list(CatalogueItem.objects.filter(name__in=NAMES, track__code="full_agency"))
    city = world.user("city_office")
    users = [city, world.user("county"), world.user("department")]
    taken = set(ProjectApproval.objects.values_list("project_id", "catalogue_item_id"))
    for project in projects:
        for ci in catalogue:
            if (project.pk, ci.pk) in taken or rng.random() < 0.3:
                continue
            accepted = D(2021, 9, 1) + dt.timedelta(days=rng.randrange(0, 60))
            make_item(
                project,
                ci,
                applied_on=accepted - dt.timedelta(days=1),
                accepted_on=accepted if rng.random() < 0.8 else None,
            )
    # One accepted through the service, as on the page.
    services.item_accept(by=city, item=aw.item_a2, accepted_on=D(2021, 10, 8))
    days = [D(2021, 9, 15), D(2021, 10, 8), D(2021, 10, 20), D(2021, 11, 15), D(2022, 1, 4)]
    _check(users, days)

    # A correction of the calendar moves deadlines: the stored ones follow it.
    calendar_days_set(
        by=city, start=D(2021, 10, 11), end=D(2021, 10, 15), kind="holiday", name="测试假期",
        confirm=True,
    )  # fmt: skip
    moved = ProjectApproval.objects.filter(
        decided_on__isnull=True, accepted_on__lte=D(2021, 10, 14), due_on__gte=D(2021, 10, 11)
    )
    assert moved.exists()  # the edit did move some
    _check(users, days)
    calendar_day_remove(by=city, day=D(2021, 10, 13), confirm=True)
    _check(users, days)

    # A decision takes an item off the overdue list at once.
    late = selectors.overdue_items(user=city, today=D(2021, 11, 15)).first()
    services.item_decide(by=city, item=late, decided_on=D(2021, 11, 15), outcome="approved")
    assert late.pk not in _by_query(city, D(2021, 11, 15))
    _check(users, days)


def test_the_deadline_is_stored_when_accepted(world, aw):
    city = world.user("city_office")
    item = ProjectApproval.objects.get(pk=aw.item_a2.pk)
    assert item.due_on is None  # applied for, not accepted: no clock
    services.item_update(by=city, item=item, committed_days=3)
    item.refresh_from_db()
    assert item.due_on is None
    services.item_accept(by=city, item=item, accepted_on=D(2021, 9, 28))
    item.refresh_from_db()
    # 3 working days after 09-28: 09-29, 09-30, then the National Day holiday to 10-08.
    assert item.due_on == selectors.item_clock(item).deadline == D(2021, 10, 8)
