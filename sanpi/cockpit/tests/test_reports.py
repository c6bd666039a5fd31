"""The activity bulletin and the cohort rates: definitions, scope, and the demo's published figures."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sanpi.accounts.actors import SystemActor
from sanpi.cockpit.selectors import activity_figures, cohort_rates, cohort_rates_by_county
from sanpi.projects.models import Activity
from sanpi.projects.services import activity_add_project, project_advance_stage, project_update
from sanpi.projects.tests.factories import ActivityFactory, ProjectFactory

D = dt.date
CITY = SystemActor(name="test")


def _signed_in(activity, project, mode="onsite"):
    activity_add_project(by=CITY, activity=activity, project=project, action="sign", sign_mode=mode)


def test_activity_cohort_is_attribution_by_batch(world):
    a1 = ActivityFactory(year=2021, sequence=2, date=D(2021, 3, 22))
    a2 = ActivityFactory(year=2021, sequence=5, date=D(2021, 12, 1))
    p1, p2, p3 = (
        ProjectFactory(county=world.county_a, total_investment_wan=Decimal(v))
        for v in ("100.10", "200.20", "300.30")
    )
    _signed_in(a1, p1, "onsite")
    _signed_in(a1, p2, "sync")
    _signed_in(a2, p3, "onsite")
    # p1 starts in the later activity, p2 outside any activity.
    activity_add_project(by=CITY, activity=a2, project=p1, action="start")
    project_advance_stage(by=CITY, project=p2, to_stage="started", date=D(2022, 1, 10))

    rates = cohort_rates(user=CITY, activity=a1)
    assert (rates.start_rate.num, rates.start_rate.den) == (2, 2)
    assert rates.production_rate.den == 0 and rates.production_rate.pct is None
    rates2 = cohort_rates(user=CITY, activity=a2)
    assert (rates2.start_rate.num, rates2.start_rate.den) == (0, 1)
    assert (rates2.production_rate.num, rates2.production_rate.den) == (0, 1)

    figures = activity_figures(user=CITY, activity=a1)
    assert figures.as_json()["signed"] == {
        "count": 2,
        "investment_wan": "300.30",
        "onsite": {"count": 1, "investment_wan": "100.10"},
        "sync": {"count": 1, "investment_wan": "200.20"},
    }


def test_year_cohort_is_by_stage_date_and_county_narrows(world):
    p_in = ProjectFactory(county=world.county_a)
    p_other_year = ProjectFactory(county=world.county_a)
    p_other_county = ProjectFactory(county=world.county_b, enterprise=world.enterprise_b)
    project_advance_stage(by=CITY, project=p_in, to_stage="signed", date=D(2022, 2, 1))
    project_advance_stage(by=CITY, project=p_in, to_stage="started", date=D(2023, 2, 1))
    project_advance_stage(by=CITY, project=p_other_year, to_stage="signed", date=D(2021, 12, 31))
    project_advance_stage(by=CITY, project=p_other_county, to_stage="signed", date=D(2022, 5, 1))
    r = cohort_rates(user=CITY, year=2022)
    assert (r.start_rate.num, r.start_rate.den) == (1, 2)
    r = cohort_rates(user=CITY, year=2022, county="141102")
    assert (r.start_rate.num, r.start_rate.den) == (1, 1)
    r = cohort_rates(user=CITY, year=2023)
    assert (r.production_rate.num, r.production_rate.den) == (0, 1)


def test_target_rate_is_a_value_ratio_and_withdrawn_projects_stay(world):
    p1 = ProjectFactory(county=world.county_a, planned_output_wan=Decimal("1000.00"))
    p2 = ProjectFactory(county=world.county_a, planned_output_wan=Decimal("3000.00"))
    for p in (p1, p2):
        project_advance_stage(by=CITY, project=p, to_stage="signed", date=D(2021, 1, 1))
        project_advance_stage(by=CITY, project=p, to_stage="started", date=D(2021, 2, 1))
        project_advance_stage(by=CITY, project=p, to_stage="produced", date=D(2021, 6, 1))
    project_update(by=CITY, project=p1, actual_output_wan=Decimal("1100.00"))
    project_update(by=CITY, project=p2, actual_output_wan=Decimal("2796.00"))
    from sanpi.projects.services import project_set_health

    project_set_health(by=CITY, project=p2, health="withdrawn", date=D(2022, 1, 1))
    r = cohort_rates(user=CITY, year=2021).target_rate
    assert (r.num, r.den, r.pct) == (Decimal("3896.00"), Decimal("4000.00"), Decimal("97.4"))


def test_figures_follow_the_users_scope(world):
    _signed_in(world.activity, world.project_a)
    _signed_in(world.activity, world.project_b)
    assert (
        activity_figures(user=world.user("city_office"), activity=world.activity).signed.count == 2
    )
    for role in ("county", "zone", "enterprise"):
        assert activity_figures(user=world.user(role), activity=world.activity).signed.count == 1
        assert cohort_rates(user=world.user(role)).start_rate.den == 1


def test_demo_reproduces_the_published_figures(db):
    """The demo's 2021 activities state what the newspapers printed (domain.md §4)."""
    call_command("demo", "--no-serve", stdout=StringIO())
    out = StringIO()
    call_command("report", "activity", "--year", "2021", "--seq", "2", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["signed"] == {
        "count": 25,
        "investment_wan": "1084200.00",
        "onsite": {"count": 16, "investment_wan": "797800.00"},
        "sync": {"count": 9, "investment_wan": "286400.00"},
    }
    assert (data["started"]["count"], data["produced"]["count"]) == (21, 13)

    out = StringIO()
    call_command("report", "activity", "--year", "2021", "--seq", "2", stdout=out)
    assert out.getvalue().startswith(
        "2021年第2次“三个一批”活动中，签约项目25个、总投资108.42亿元，其中现场签约16个、总投资79.78亿元，"
        "同步签约9个、总投资28.64亿元；开工项目21个"
    )

    out = StringIO()
    call_command("report", "rates", "--year", "2021", "--seq", "4", "--json", stdout=out)
    rates = json.loads(out.getvalue())
    assert rates["start_rate"] == {"num": 15, "den": 16, "pct": "93.8"}
    assert rates["production_rate"] == {"num": 14, "den": 21, "pct": "66.7"}
    assert rates["target_rate"]["pct"] == "97.4"

    assert Activity.objects.count() == 4
    from sanpi.projects.models import Project

    assert Project.objects.count() == 300
    assert set(Project.objects.values_list("stage", flat=True)) == {
        "reserve",
        "signed",
        "started",
        "produced",
        "reached",
    }
    assert set(Project.objects.values_list("health", flat=True)) == {
        "normal",
        "lagging",
        "stalled",
        "withdrawn",
    }
    assert Project.objects.values("industry").distinct().count() == 8

    # The problems' loop (sanpi/problems/demo.py): every state, and some overdue.
    from sanpi.problems.models import Problem
    from sanpi.problems.rules import State

    assert set(Problem.objects.values_list("state", flat=True)) == {s.value for s in State}
    assert Problem.objects.filter(light="red", state__in=["analysed", "in_progress"]).exists()
    assert Problem.objects.filter(events__move="escalate", events__by__isnull=True).exists()


def test_report_command_errors(world):
    with pytest.raises(CommandError, match="没有2020年第9次活动"):
        call_command("report", "activity", "--year", "2020", "--seq", "9", stdout=StringIO())
    with pytest.raises(CommandError, match="须指定 --year 和 --seq"):
        call_command("report", "activity", stdout=StringIO())


def test_rates_by_county_equal_the_rates_narrowed_to_each_county(db):
    call_command("demo", "--no-serve", stdout=StringIO())
    for activity in (None, Activity.objects.get(year=2021, sequence=4)):
        per_county = cohort_rates_by_county(user=CITY, activity=activity)
        from sanpi.regions.models import County

        for county in County.objects.all():
            expected = cohort_rates(user=CITY, activity=activity, county=county.code)
            got = per_county.get(county.pk)
            if got is None:
                assert expected.start_rate.den == expected.production_rate.den == 0
            else:
                assert got == expected, county.name


def test_report_rates_text_reads_like_the_pages_and_json_keeps_raw_numbers(world):
    from sanpi.cockpit.tests.test_views import RATE_FOR_PEOPLE, _produced_at_scale

    _produced_at_scale(world)
    out = StringIO()
    call_command("report", "rates", "--year", "2021", "--seq", "4", stdout=out)
    assert f"达效率 {RATE_FOR_PEOPLE}" in out.getvalue()
    out = StringIO()
    call_command("report", "rates", "--year", "2021", "--seq", "4", "--json", stdout=out)
    assert json.loads(out.getvalue())["target_rate"] == {
        "num": "2089821.21",
        "den": "2566620.69",
        "pct": "81.4",
    }


def test_reading_commands_start_without_building_the_api(tmp_path):
    """`sanpi report` and `sanpi workdays` skip the system checks, which load every URL
    and build the API schema (issue #7: they took 1.8–2.7 s, almost all of it that)."""
    import os
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from sanpi.cli import main\n"
        "try:\n"
        "    main(['sanpi', *sys.argv[1:]])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('API-LOADED' if 'sanpi.api' in sys.modules else 'API-NOT-LOADED')\n"
    )
    env = {**os.environ, "SANPI_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [sys.executable, "-c", "from sanpi.cli import main; main(['sanpi', 'migrate', '-v0'])"],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    for args in (["report", "rates", "--year", "2021"], ["workdays", "add", "2021-09-30", "1"]):
        run = subprocess.run(
            [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True
        )
        assert run.stdout.strip().endswith("API-NOT-LOADED"), (args, run.stdout, run.stderr)


def test_every_rate_and_figure_is_one_query(world, django_assert_num_queries):
    """Issue #7: the rates page made seven whole-table aggregates."""
    city = world.user("city_office")
    activity_add_project(
        by=city, activity=world.activity, project=world.project_a, action="sign",
        sign_mode="onsite",
    )  # fmt: skip
    for kwargs in ({}, {"year": 2021}, {"activity": world.activity}):
        with django_assert_num_queries(1):
            cohort_rates(user=city, **kwargs)
        with django_assert_num_queries(1):
            cohort_rates_by_county(user=city, **kwargs)
    with django_assert_num_queries(1):
        figures = activity_figures(user=city, activity=world.activity)
    assert (figures.signed.count, figures.onsite.count, figures.sync.count) == (1, 1, 0)
