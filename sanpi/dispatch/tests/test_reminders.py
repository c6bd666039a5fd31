"""催报: reminders three working days before the deadline and on the day to whoever
files, then every working day to the county; once per day each; none once the month is
closed. November 2026's deadline is 7 December (the 5th working day of December)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sanpi.dispatch import jobs, services
from sanpi.dispatch.models import ReportMonth
from sanpi.notifications.models import Notification
from sanpi.projects.models import Project


@pytest.fixture
def owing(world):
    Project.objects.filter(pk__in=[world.project_a.pk, world.project_b.pk]).update(
        stage="started", signed_date=dt.date(2026, 1, 5), started_date=dt.date(2026, 3, 1)
    )
    return world


def _titles(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("pk").values_list("title", flat=True)
    )


def test_the_deadline_is_computed_on_the_official_calendar(db):
    assert services.month_get(2026, 11).deadline == dt.date(2026, 12, 7)


def test_three_working_days_before_then_on_the_day_then_the_county(owing):
    world = owing
    ent, zone, county = world.user("enterprise"), world.user("zone"), world.user("county")
    assert jobs.remind(dt.date(2026, 12, 1)) == []  # four working days before: nothing
    jobs.remind(dt.date(2026, 12, 2))  # Dec 3, 4, 7 left: three
    assert _titles(ent) == [f"请报送2026年11月月报：{world.project_a.name}"]
    assert _titles(zone) == _titles(ent)  # the zone files on its enterprises' behalf
    note = Notification.objects.filter(recipient=ent).get()
    assert "还剩3个工作日截止（12月07日）" in note.text and note.level == "warning"
    assert jobs.remind(dt.date(2026, 12, 2)) == []  # once a day
    # Project A's report submitted: no more reminders for it; project B's owner is
    # enterprise B (no user in the world), so nobody else is told.
    services.report_save(
        by=ent,
        project=world.project_a,
        year=2026,
        month=11,
        data={"investment_wan": Decimal("10"), "progress_percent": 5},
        submit=True,
    )
    assert jobs.remind(dt.date(2026, 12, 7)) == []
    # After the deadline: the county of each project still missing (B: county B).
    created = jobs.remind(dt.date(2026, 12, 8))
    assert [n.title for n in created] == []  # county B has no officer in the world
    assert _titles(county) == []  # county A's only project has reported


def test_after_the_deadline_the_county_is_told_every_working_day(owing):
    world = owing
    county = world.user("county")
    jobs.remind(dt.date(2026, 12, 8))
    assert _titles(county) == ["离石区有1个项目2026年11月月报逾期未报"]
    text = Notification.objects.get(recipient=county).text
    assert world.project_a.name in text and "截止日期2026-12-07已过" in text
    jobs.remind(dt.date(2026, 12, 8))
    assert len(_titles(county)) == 1
    assert jobs.remind(dt.date(2026, 12, 12)) == []  # a Saturday
    jobs.remind(dt.date(2026, 12, 14))
    assert len(_titles(county)) == 2


def test_a_closed_month_reminds_no_one(owing):
    services.month_get(2026, 11)
    ReportMonth.objects.filter(year=2026, month=11).update(
        closed_at=dt.datetime(2026, 12, 9, tzinfo=dt.UTC)
    )
    assert jobs.remind(dt.date(2026, 12, 10)) == []


def test_the_reminders_cost_does_not_grow_with_the_projects(owing, django_assert_max_num_queries):
    """Who was told and who files are read once for all the projects (the notifications
    themselves are written per project)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sanpi.accounts.tests.factories import UserFactory
    from sanpi.projects.tests.factories import ProjectFactory
    from sanpi.regions.tests.factories import EnterpriseFactory

    def add(n):
        for _ in range(n):
            enterprise = EnterpriseFactory()
            UserFactory(role="enterprise", enterprise=enterprise)
            ProjectFactory(
                enterprise=enterprise,
                stage="started",
                signed_date=dt.date(2026, 1, 5),
                started_date=dt.date(2026, 3, 1),
            )

    add(2)
    with CaptureQueriesContext(connection) as two:
        assert len(jobs.remind(dt.date(2026, 12, 2))) == 4  # A (2 users), and the two new
    Notification.objects.all().delete()
    add(8)
    with CaptureQueriesContext(connection) as ten:
        assert len(jobs.remind(dt.date(2026, 12, 2))) == 12

    def lookups(ctx) -> int:  # finding the filers, and who was told already
        return sum(
            q["sql"].startswith("SELECT")
            and (
                '"subject" IN' in q["sql"]
                or ('FROM "accounts_user"' in q["sql"] and '"enterprise_id" IN' in q["sql"])
            )
            for q in ctx.captured_queries
        )

    assert lookups(two) == lookups(ten) == 2
