"""The summary tables equal a fresh computation from the ledger after any stream of changes,
whatever made them: services-like saves, bulk inserts, queryset updates that bypass
``save()``, deletions, a project moved to another county. The database triggers note each
change; one refresh brings every cell back in line, and a refresh with nothing noted
changes nothing."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

import pytest

from sanpi.cockpit import facts
from sanpi.cockpit.models import (
    FactChange,
    InvestmentCell,
    InvestmentYear,
    Level,
    PlanCell,
    StageCell,
)
from sanpi.core.bulk import bulk_insert
from sanpi.dispatch.models import AnnualPlan, MonthlyReport
from sanpi.projects.models import Industry, Project
from sanpi.projects.tests.factories import ProjectFactory
from sanpi.regions.models import County, DevelopmentZone

pytestmark = pytest.mark.django_db

CELL_FIELDS = {
    StageCell: ("kind", "year", "month", "n", "investment_wan", "next_n",
                "planned_output_wan", "actual_output_wan"),
    InvestmentCell: ("industry", "year", "month", "reports", "investment_wan", "output_wan",
                     "tax_wan"),
    PlanCell: ("industry", "year", "projects", "planned_investment_wan"),
}  # fmt: skip
FRESH = {
    StageCell: (lambda: Project.objects.all(), facts.stage_rows),
    InvestmentCell: (lambda: MonthlyReport.objects.all(), facts.investment_rows),
    PlanCell: (lambda: AnnualPlan.objects.all(), facts.plan_rows),
}


def _stored(model, level: str, unit: int) -> Counter:
    fields = CELL_FIELDS[model]
    return Counter(model.objects.filter(level=level, unit_id=unit).values_list(*fields))


def _fresh(model, level: str, unit: int) -> Counter:
    """The unit's cells computed now from the ledger, over just its rows."""
    source, rows_of = FRESH[model]
    qs = source()
    prefix = "" if model is StageCell else "project__"
    if level == Level.COUNTY:
        qs = qs.filter(**{f"{prefix}county_id": unit})
    elif level == Level.ZONE:
        qs = qs.filter(**{f"{prefix}zone_id": unit})
    fields = CELL_FIELDS[model]
    return Counter(tuple(row[f] for f in fields) for row in rows_of(qs))


def assert_facts_equal_the_ledger():
    units = [(Level.ALL, 0)]
    units += [(Level.COUNTY, pk) for pk in County.objects.values_list("pk", flat=True)]
    units += [(Level.ZONE, pk) for pk in DevelopmentZone.objects.values_list("pk", flat=True)]
    for model in CELL_FIELDS:
        for level, unit in units:
            assert _stored(model, level, unit) == _fresh(model, level, unit), (model, level, unit)
    for level, unit in units:
        assert _stored_years(level, unit) == _fresh_years(level, unit), (level, unit)


def _stored_years(level: str, unit: int) -> dict:
    rows = InvestmentYear.objects.filter(level=level, unit_id=unit)
    return {r.year: (r.reports, r.investment_wan) for r in rows}


def _fresh_years(level: str, unit: int) -> dict:
    """Each year's totals of the unit's accepted reports, from the fresh monthly rows."""
    years: dict[int, tuple[int, Decimal]] = {}
    for (_industry, year, _month, reports, investment, *_), times in _fresh(
        InvestmentCell, level, unit
    ).items():
        n, total = years.get(year, (0, Decimal("0.00")))
        years[year] = (n + reports * times, total + investment * times)
    return years


def _day(rng: random.Random) -> dt.date:
    return dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(5 * 365))


def _money(rng: random.Random) -> Decimal:
    return Decimal(rng.randrange(0, 10**7)) / 100


def _change(rng: random.Random, world, zones, counties) -> None:
    """One random change to the ledger, by one of the ways the code writes."""
    projects = list(Project.objects.order_by("pk").values_list("pk", flat=True))
    what = rng.choice(
        ["new", "new", "stage", "money", "move", "report", "report", "bulk_reports",
         "report_update", "report_delete", "plan", "plan_delete"]
    )  # fmt: skip
    if what == "new" or not projects:
        zone = rng.choice([*zones, None])
        county = zone.county if zone else rng.choice(counties)
        ProjectFactory(
            county=county,
            zone=zone,
            enterprise=world.enterprise_a,
            industry=rng.choice(Industry.values),
            total_investment_wan=_money(rng),
            planned_output_wan=rng.choice([None, _money(rng)]),
            actual_output_wan=rng.choice([None, _money(rng)]),
        )
        return
    pk = rng.choice(projects)
    if what == "stage":
        signed = _day(rng)
        dates = {"signed_date": signed, "stage": "signed", "started_date": None,
                 "produced_date": None, "reached_date": None}  # fmt: skip
        if rng.random() < 0.7:
            dates.update(
                started_date=signed + dt.timedelta(days=rng.randrange(300)), stage="started"
            )
            if rng.random() < 0.5:
                dates.update(produced_date=dates["started_date"] + dt.timedelta(days=90),
                             stage="produced")  # fmt: skip
                if rng.random() < 0.3:
                    dates.update(reached_date=dates["produced_date"] + dt.timedelta(days=200),
                                 stage="reached")  # fmt: skip
        Project.objects.filter(pk=pk).update(**dates)  # no save(): the triggers still see it
    elif what == "money":
        p = Project.objects.get(pk=pk)
        p.total_investment_wan = _money(rng)
        p.actual_output_wan = _money(rng)
        p.save()
    elif what == "move":
        zone = rng.choice([*zones, None])
        county = zone.county if zone else rng.choice(counties)
        Project.objects.filter(pk=pk).update(
            county=county, zone=zone, industry=rng.choice(Industry.values)
        )
    elif what in ("report", "bulk_reports"):
        count = 1 if what == "report" else rng.randrange(2, 8)
        taken = set(MonthlyReport.objects.values_list("project_id", "year", "month"))
        new = []
        for _ in range(count):
            key = (rng.choice(projects), rng.choice([2024, 2025, 2026]), rng.randrange(1, 13))
            if key in taken:
                continue
            taken.add(key)
            new.append(
                MonthlyReport(
                    project_id=key[0], year=key[1], month=key[2],
                    status=rng.choice(["accepted", "accepted", "submitted", "draft"]),
                    investment_wan=_money(rng), output_wan=rng.choice([None, _money(rng)]),
                    progress_percent=rng.randrange(101),
                )
            )  # fmt: skip
        if what == "report":
            for r in new:
                r.save()
        else:
            bulk_insert(MonthlyReport, new)
    elif what == "report_update":
        report = MonthlyReport.objects.order_by("?").first()
        if report:
            MonthlyReport.objects.filter(pk=report.pk).update(
                status=rng.choice(["accepted", "returned"]), investment_wan=_money(rng)
            )
    elif what == "report_delete":
        report = MonthlyReport.objects.order_by("?").first()
        if report:
            report.delete()
    elif what == "plan":
        AnnualPlan.objects.update_or_create(
            project_id=pk,
            year=rng.choice([2025, 2026]),
            defaults={"planned_investment_wan": _money(rng)},
        )
    elif what == "plan_delete":
        AnnualPlan.objects.filter(pk__in=AnnualPlan.objects.order_by("?")[:1]).delete()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_summaries_equal_the_ledger_after_random_changes(world, seed):
    rng = random.Random(seed)
    zones = list(DevelopmentZone.objects.select_related("county"))
    counties = list(County.objects.all())
    facts.refresh()
    assert_facts_equal_the_ledger()
    for _batch in range(4):
        for _ in range(25):
            _change(rng, world, zones, counties)
        assert facts.pending()
        done = facts.refresh()
        assert done.ms >= 0 and "汇总" in done.text()
        assert not facts.pending()
        assert_facts_equal_the_ledger()
    assert StageCell.objects.filter(level=Level.ALL).exists()


def test_a_refresh_with_nothing_noted_changes_nothing(world):
    facts.refresh()
    before = list(StageCell.objects.order_by("pk").values_list("pk", flat=True))
    done = facts.refresh()
    assert (done.stages, done.plans, done.months, done.rows) == (False, False, 0, 0)
    assert done.text() == "没有需要更新的汇总"
    assert list(StageCell.objects.order_by("pk").values_list("pk", flat=True)) == before


def test_only_the_months_whose_reports_changed_are_rebuilt(world):
    MonthlyReport.objects.create(
        project=world.project_a,
        year=2025,
        month=3,
        status="accepted",
        investment_wan=100,
        progress_percent=10,
    )
    MonthlyReport.objects.create(
        project=world.project_a,
        year=2025,
        month=4,
        status="accepted",
        investment_wan=50,
        progress_percent=20,
    )
    facts.refresh()
    march = InvestmentCell.objects.get(level=Level.ALL, year=2025, month=3)
    MonthlyReport.objects.filter(month=4).update(investment_wan=70)
    assert list(FactChange.objects.values_list("kind", "year", "month")) == [
        ("investment", 2025, 4)
    ]
    done = facts.refresh()
    assert (done.stages, done.plans, done.months) == (False, False, 1)
    assert InvestmentCell.objects.get(level=Level.ALL, year=2025, month=3).pk == march.pk
    april = InvestmentCell.objects.get(level=Level.ALL, year=2025, month=4)
    assert april.investment_wan == Decimal("70.00")


def test_freshness_says_when_and_whether_changes_wait(world):
    assert facts.freshness().text() == "汇总数据尚未生成"
    facts.refresh()
    fresh = facts.freshness()
    assert fresh.as_of is not None and not fresh.pending
    assert fresh.text().endswith("与台账一致")
    ProjectFactory(county=world.county_a, enterprise=world.enterprise_a)
    assert "其后的变动将在下次汇总" in facts.freshness().text()


def test_the_refresh_runs_as_a_scheduled_job(world):
    from sanpi.cockpit.jobs import FACTS_REFRESH
    from sanpi.core import jobs
    from sanpi.core.models import Job
    from sanpi.core.schedules import PERIODIC

    assert PERIODIC[FACTS_REFRESH].minutes == facts.REFRESH_MINUTES
    job = jobs.job_start(user=None, kind=FACTS_REFRESH)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert job.message.startswith("已更新项目阶段、年度计划汇总")
    assert job.summary["stages"] is True and not facts.pending()


def test_the_rankings_are_stored_each_night_by_a_job(world):
    from sanpi.cockpit.jobs import RANKINGS_REFRESH
    from sanpi.cockpit.models import RankCell
    from sanpi.core import jobs
    from sanpi.core.models import Job
    from sanpi.core.schedules import PERIODIC

    assert PERIODIC[RANKINGS_REFRESH].at.hour == 2
    job = jobs.job_start(user=None, kind=RANKINGS_REFRESH)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert job.summary["rows"] == RankCell.objects.count()
    assert job.message == (
        f"已汇总各月排名，共{job.summary['rows']}条；开工预警评分{job.summary['scored']}个项目"
    )
