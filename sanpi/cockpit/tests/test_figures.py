"""The figures the newspapers printed: a period's figures by stage date, the projects signed
since an activity that have started, rates as of a day, the province's share, and how the
city writes 亿元 and names its activities. Every figure is worked by hand in a comment."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from sanpi.accounts.actors import SystemActor
from sanpi.cockpit.selectors import (
    ActivityFigures,
    Batch,
    activity_figures,
    activity_since,
    cohort_rates,
    cohort_rates_by_county,
    period_figures,
)
from sanpi.core.errors import ValidationFailed
from sanpi.core.models import AuditLog
from sanpi.projects.models import Activity
from sanpi.projects.services import activity_add_project, activity_update, project_advance_stage
from sanpi.projects.tests.factories import ActivityFactory, ProjectFactory

D = dt.date
W = Decimal
CITY = SystemActor(name="test")


def report(*args: str) -> str:
    out = StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue().strip()


def report_fails(*args: str) -> CommandError:
    with pytest.raises(CommandError) as exc:
        report(*args)
    return exc.value


# --- 1. a period's figures, by stage date ---------------------------------------------------


@pytest.fixture
def period_world(world):
    """Stage dates around the period 2021-01-01 … 2021-10-30 (万元):

    p1 county A  signed 2021-01-01 (first day)          investment 1,000,000.00
    p2 county A  signed 2020-12-31 (before), started 2021-02-01, produced 2021-10-30 (last
                 day)                                    investment   200,000.50, output 12,345.67
    p3 county A  signed 2021-03-01, started 2021-10-31 (after)      investment   242,500.00
    p4 county B  signed 2021-05-05, started 2021-06-01, produced 2021-09-01
                                                         investment    80,000.00, output 37,654.33
    p5 county A  signed 2021-10-31 (after)              investment   999,999.99
    world's project_a / project_b stay in reserve.
    """
    a, b = world.county_a, world.county_b
    common = {"enterprise": world.enterprise_a, "zone": world.zone_a}
    ProjectFactory(
        name="p1", county=a, **common, stage="signed", signed_date=D(2021, 1, 1),
        total_investment_wan=W("1000000.00"),
    )  # fmt: skip
    ProjectFactory(
        name="p2", county=a, **common, stage="produced", signed_date=D(2020, 12, 31),
        started_date=D(2021, 2, 1), produced_date=D(2021, 10, 30),
        total_investment_wan=W("200000.50"), planned_output_wan=W("12345.67"),
    )  # fmt: skip
    ProjectFactory(
        name="p3", county=a, **common, stage="started", signed_date=D(2021, 3, 1),
        started_date=D(2021, 10, 31), total_investment_wan=W("242500.00"),
    )  # fmt: skip
    ProjectFactory(
        name="p4", county=b, enterprise=world.enterprise_b, zone=world.zone_b, stage="produced",
        signed_date=D(2021, 5, 5), started_date=D(2021, 6, 1), produced_date=D(2021, 9, 1),
        total_investment_wan=W("80000.00"), planned_output_wan=W("37654.33"),
    )  # fmt: skip
    ProjectFactory(
        name="p5", county=a, **common, stage="signed", signed_date=D(2021, 10, 31),
        total_investment_wan=W("999999.99"),
    )  # fmt: skip
    return world


def test_period_figures_count_stage_dates_in_the_period_both_ends_included(period_world):
    f = period_figures(user=CITY, date_from=D(2021, 1, 1), date_to=D(2021, 10, 30))
    # Signed in the period: p1, p3, p4 = 3; 1,000,000.00 + 242,500.00 + 80,000.00
    # = 1,322,500.00万元 = 132.25亿元 (to one place, half-up: 132.3).
    assert (f.signed.count, f.signed.investment_wan) == (3, W("1322500.00"))
    # Started in the period: p2, p4 = 2; 200,000.50 + 80,000.00 = 280,000.50万元 = 28.00亿元.
    assert (f.started.count, f.started.investment_wan) == (2, W("280000.50"))
    # Produced in the period: p2 (on the last day), p4 = 2; 280,000.50万元; new annual
    # output 12,345.67 + 37,654.33 = 50,000.00万元 = 5.00亿元.
    assert (f.produced.count, f.produced.investment_wan) == (2, W("280000.50"))
    assert f.produced_output_wan == W("50000.00")
    assert f.sentence() == (
        "2021年1月1日至2021年10月30日，全市新签约项目3个、总投资132.25亿元，"
        "新开工项目2个、总投资28.00亿元，投产项目2个、总投资28.00亿元，年新增产值5.00亿元。"
    )
    assert f.as_json() == {
        "from": "2021-01-01",
        "to": "2021-10-30",
        "signed": {"count": 3, "investment_wan": "1322500.00"},
        "started": {"count": 2, "investment_wan": "280000.50"},
        "produced": {"count": 2, "investment_wan": "280000.50", "annual_output_wan": "50000.00"},
    }


def test_period_figures_narrow_to_a_county_a_zone_and_the_users_scope(period_world):
    w = period_world
    # County A: signed p1, p3 = 2, 1,242,500.00万元 = 124.25亿元; started and produced p2.
    for kwargs in ({"county": "141102"}, {"zone": "吕梁经开区"}, {"zone": str(w.zone_a.pk)}):
        f = period_figures(user=CITY, date_from=D(2021, 1, 1), date_to=D(2021, 10, 30), **kwargs)
        assert (f.signed.count, f.signed.investment_wan) == (2, W("1242500.00"))
        assert (f.started.count, f.produced.count, f.produced_output_wan) == (1, 1, W("12345.67"))
    county = period_figures(user=w.user("county"), date_from=D(2021, 1, 1), date_to=D(2021, 10, 30))
    assert county.signed.count == 2  # county B's p4 is not theirs to count
    # One day: only what happened that day (p2's production on 2021-10-30).
    day = period_figures(user=CITY, date_from=D(2021, 10, 30), date_to=D(2021, 10, 30))
    assert (day.signed.count, day.started.count, day.produced.count) == (0, 0, 1)


def test_period_figures_refuse_a_period_that_ends_before_it_starts(world):
    with pytest.raises(ValidationFailed) as exc:
        period_figures(user=CITY, date_from=D(2021, 10, 30), date_to=D(2021, 1, 1))
    assert exc.value.message == "结束日期2021-01-01早于开始日期2021-10-30，请检查时段"
    assert exc.value.fields == {"date_to": [exc.value.message]}


def test_yi_places_follow_the_setting_in_every_sentence(period_world, settings):
    settings.SANPI_YI_DECIMALS = 1
    f = period_figures(user=CITY, date_from=D(2021, 1, 1), date_to=D(2021, 10, 30))
    # 132.25 → 132.3 (half-up, not to even); 28.000050 → 28.0; 5.00 → 5.0.
    assert "新签约项目3个、总投资132.3亿元，新开工项目2个、总投资28.0亿元" in f.sentence()
    assert f.sentence().endswith("年新增产值5.0亿元。")


def test_report_period_prints_the_sentence_and_json(period_world):
    assert report("period", "--from", "2021-01-01", "--to", "2021-10-30").startswith(
        "2021年1月1日至2021年10月30日，全市新签约项目3个、总投资132.25亿元，"
    )
    # Narrowed, the sentence names where: the county, or the zone by its short name.
    assert "，离石区新签约项目2个、总投资124.25亿元，" in report(
        "period", "--from", "2021-01-01", "--to", "2021-10-30", "--county", "141102"
    )
    assert "，吕梁经开区新签约项目2个" in report(
        "period", "--from", "2021-01-01", "--to", "2021-10-30", "--zone", "吕梁经开区"
    )
    # As a county officer: their county, by their scope.
    assert "，离石区新签约项目2个" in report(
        "period", "--from", "2021-01-01", "--to", "2021-10-30", "--user", "county_a"
    )
    data = json.loads(report("period", "--from", "2021-01-01", "--to", "2021-10-30", "--json"))
    assert (
        data
        == period_figures(user=CITY, date_from=D(2021, 1, 1), date_to=D(2021, 10, 30)).as_json()
    )
    assert data["produced"] == {
        "count": 2,
        "investment_wan": "280000.50",
        "annual_output_wan": "50000.00",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2021-10-30", "--to", "2021-01-01"), "结束日期2021-01-01早于开始日期2021-10-30"),
        (("--from", "2021/01/01", "--to", "2021-10-30"), "开始日期“2021/01/01”格式不对，应为 YYYY-MM-DD"),
        (("--from", "2021-01-01", "--to", "2021-02-30"), "结束日期“2021-02-30”不是有效的日期"),
        (("--from", "2021-01-01", "--to", "明天"), "结束日期“明天”格式不对"),
        (("--from", "2021-01-01",), "时段统计须指定 --from 和 --to"),
        ((), "时段统计须指定 --from 和 --to"),
        (("--from", "2021-01-01", "--to", "2021-10-30", "--county", "999999"),
         "没有行政区划代码为“999999”的县(市、区)"),
        (("--from", "2021-01-01", "--to", "2021-10-30", "--zone", "火星开发区"),
         "开发区“火星开发区”不存在或不在您的权限范围内"),
        (("--from", "2021-01-01", "--to", "2021-10-30", "--zone", "9" * 30),
         "不存在或不在您的权限范围内"),
        (("--from", "2021-01-01", "--to", "2021-10-30", "--year", "2021"),
         "时段统计按 --from、--to 统计，不用 --year、--seq"),
        (("--from", "2021-01-01", "--to", "2021-10-30", "--as-of", "2021-10-30"),
         "--as-of 只用于 sanpi report rates"),
    ],
)  # fmt: skip
def test_report_period_bad_input_exits_2_in_chinese(world, args, message):
    error = report_fails("period", *args)
    assert error.returncode == 2
    assert message in str(error)


def test_other_reports_refuse_period_options_and_unknown_counties(world):
    error = report_fails("rates", "--from", "2021-01-01")
    assert (error.returncode, str(error)) == (2, "--from、--to 只用于 sanpi report period")
    error = report_fails("activity", "--year", "2021", "--seq", "4", "--as-of", "2021-01-01")
    assert (error.returncode, str(error)) == (2, "--as-of 只用于 sanpi report rates")
    # An unknown county used to give zeros; now it says so.
    error = report_fails("rates", "--county", "999999")
    assert (error.returncode, str(error)) == (2, "没有行政区划代码为“999999”的县(市、区)")
    # An activity that does not exist is not bad input but a missing thing: exit 1.
    assert report_fails("activity", "--year", "2020", "--seq", "9").returncode == 1


def test_period_page_on_the_rates_page(period_world, login):
    client = login(period_world.user("city_office"))
    page = client.get(
        reverse("cockpit:rates"), {"date_from": "2021-01-01", "date_to": "2021-10-30"}
    ).content.decode()
    assert 'id="period"' in page
    assert "全市新签约项目3个、总投资132.25亿元" in page
    assert "1,322,500.00" in page and "50,000.00" in page  # the table in exact 万元
    # Narrowed to a county: the sentence names it.
    page = client.get(
        reverse("cockpit:rates"),
        {"date_from": "2021-01-01", "date_to": "2021-10-30", "county": "141102"},
    ).content.decode()
    assert "离石区新签约项目2个、总投资124.25亿元" in page
    # A county officer sees their county's figures.
    page = (
        login(period_world.user("county"))
        .get(reverse("cockpit:rates"), {"date_from": "2021-01-01", "date_to": "2021-10-30"})
        .content.decode()
    )
    assert "离石区新签约项目2个" in page


def test_period_page_bad_input(world, login):
    client = login(world.user("city_office"))
    page = client.get(
        reverse("cockpit:rates"), {"date_from": "2021-10-30", "date_to": "2021-01-01"}
    ).content.decode()
    assert "结束日期2021-01-01早于开始日期2021-10-30，请检查时段" in page
    assert 'id="period"' not in page
    page = client.get(reverse("cockpit:rates"), {"date_from": "2021-10-30"}).content.decode()
    assert "请同时填写时段的开始日期和结束日期" in page and 'id="period"' not in page
    page = client.get(
        reverse("cockpit:rates"), {"date_from": "2021-02-30", "date_to": "2021-03-01"}
    ).content.decode()
    assert "时段开始日期：输入一个有效的日期" in page
    assert "请同时填写" not in page  # one message for one mistake
    # The rest of the filters still apply when one is wrong.
    page = client.get(
        reverse("cockpit:rates"), {"year": "2021", "date_from": "x", "date_to": "y"}
    ).content.decode()
    assert "2021年（按阶段日期）" in page


# --- 2. since an activity ------------------------------------------------------------------


@pytest.fixture
def since_world(world):
    """2022's activities: first 1-20, second 5-27, third 9-05.

    q1 signed in the first, started in the second   output   300,000.00 (before “since 2nd”)
    q2 signed in the second, started in the third    output 1,000,000.00
    q3 signed in the second, not started             output   999,999.00
    q4 signed in the third, started outside any activity 2022-10-01
                                                     output   498,200.00
    q5 signed outside any activity 2022-06-01, started 2022-07-01 (not counted: not signed
       in an activity)                               output   777,777.00
    q6 county B, signed in the third, not started
    """
    first = ActivityFactory(year=2022, sequence=1, date=D(2022, 1, 20))
    second = ActivityFactory(year=2022, sequence=2, date=D(2022, 5, 27))
    third = ActivityFactory(year=2022, sequence=3, date=D(2022, 9, 5))
    a = {"county": world.county_a, "enterprise": world.enterprise_a, "zone": world.zone_a}
    q = {
        name: ProjectFactory(name=name, planned_output_wan=W(output), **a)
        for name, output in (
            ("q1", "300000.00"),
            ("q2", "1000000.00"),
            ("q3", "999999.00"),
            ("q4", "498200.00"),
            ("q5", "777777.00"),
        )
    }
    q["q6"] = ProjectFactory(
        name="q6", county=world.county_b, enterprise=world.enterprise_b, zone=world.zone_b
    )

    def enter(activity, name, action):
        mode = "onsite" if action == "sign" else ""
        activity_add_project(
            by=CITY, activity=activity, project=q[name], action=action, sign_mode=mode
        )

    enter(first, "q1", "sign")
    enter(second, "q1", "start")
    enter(second, "q2", "sign")
    enter(second, "q3", "sign")
    enter(third, "q2", "start")
    enter(third, "q4", "sign")
    enter(third, "q6", "sign")
    project_advance_stage(by=CITY, project=q["q4"], to_stage="started", date=D(2022, 10, 1))
    project_advance_stage(by=CITY, project=q["q5"], to_stage="signed", date=D(2022, 6, 1))
    project_advance_stage(by=CITY, project=q["q5"], to_stage="started", date=D(2022, 7, 1))
    world.activities = (first, second, third)
    return world


def test_since_an_activity_counts_the_projects_signed_in_it_and_later_ones(since_world):
    first, second, third = since_world.activities
    s = activity_since(user=CITY, activity=second)
    # Signed in the second or third: q2, q3, q4, q6 = 4 (q1 signed earlier, q5 outside any
    # activity). Started: q2, q4 = 2. Their planned output 1,000,000.00 + 498,200.00
    # = 1,498,200.00万元 = 149.82亿元.
    assert (s.signed, s.started, s.started_output_wan) == (4, 2, W("1498200.00"))
    assert s.sentence() == (
        "2022年第2次“三个一批”活动以来签约项目4个，已开工2个，预计年产值149.82亿元。"
    )
    assert s.as_json() == {
        "activity": "2022-2",
        "signed": 4,
        "started": 2,
        "annual_output_wan": "1498200.00",
    }
    # Since the first: q1 too (started in the second), 5 signed, 3 started,
    # 1,498,200.00 + 300,000.00 = 1,798,200.00万元.
    s = activity_since(user=CITY, activity=first)
    assert (s.signed, s.started, s.started_output_wan) == (5, 3, W("1798200.00"))
    # Since the third: q4, q6 signed; q4 started, 498,200.00万元.
    s = activity_since(user=CITY, activity=third)
    assert (s.signed, s.started, s.started_output_wan) == (2, 1, W("498200.00"))
    # A county officer: q6 (county B) is not theirs.
    s = activity_since(user=since_world.user("county"), activity=second)
    assert (s.signed, s.started) == (3, 2)
    assert activity_since(user=CITY, activity=second, county="141181").signed == 1


def test_since_reads_in_the_activity_report_and_its_json(since_world):
    lines = report("activity", "--year", "2022", "--seq", "2").splitlines()
    assert lines[0].startswith("2022年第2次“三个一批”活动中，签约项目2个")
    assert lines[1] == "2022年第2次“三个一批”活动以来签约项目4个，已开工2个，预计年产值149.82亿元。"
    data = json.loads(report("activity", "--year", "2022", "--seq", "2", "--json"))
    assert data["since"] == {
        "activity": "2022-2",
        "signed": 4,
        "started": 2,
        "annual_output_wan": "1498200.00",
    }
    assert data["signed"]["count"] == 2  # the activity's own figures are unchanged


def test_since_on_the_activity_page_and_in_the_word_bulletin(since_world, login):
    from docx import Document

    from sanpi.core.tests.jobs import job_file

    second = since_world.activities[1]
    client = login(since_world.user("city_office"))
    page = client.get(reverse("projects:activity_detail", args=[second.pk])).content.decode()
    card = page[page.index('id="bulletin"') : page.index("</div>", page.index('id="since"'))]
    assert "2022年第2次“三个一批”活动以来签约项目4个，已开工2个，预计年产值149.82亿元。" in card
    response = job_file(client, reverse("cockpit:activity_bulletin", args=[second.pk]))
    doc = Document(BytesIO(b"".join(response.streaming_content)))
    paragraphs = [p.text for p in doc.paragraphs]
    assert (
        "2022年第2次“三个一批”活动以来签约项目4个，已开工2个，预计年产值149.82亿元。" in paragraphs
    )


# --- 3. rates as of a day -----------------------------------------------------------------


@pytest.fixture
def as_of_world(world):
    """In 2022's second activity (2022-05-27) r1 and r2 sign; r1 starts 2022-07-01 and goes
    into production 2022-08-01 (planned 1,000.00, actual 900.00万元); r2 starts 2022-12-01."""
    activity = ActivityFactory(year=2022, sequence=2, date=D(2022, 5, 27))
    a = {"county": world.county_a, "enterprise": world.enterprise_a, "zone": world.zone_a}
    r1 = ProjectFactory(name="r1", planned_output_wan=W("1000.00"), **a)
    r2 = ProjectFactory(name="r2", **a)
    for p in (r1, r2):
        activity_add_project(
            by=CITY, activity=activity, project=p, action="sign", sign_mode="onsite"
        )
    project_advance_stage(by=CITY, project=r1, to_stage="started", date=D(2022, 7, 1))
    project_advance_stage(by=CITY, project=r1, to_stage="produced", date=D(2022, 8, 1))
    project_advance_stage(by=CITY, project=r2, to_stage="started", date=D(2022, 12, 1))
    r1.actual_output_wan = W("900.00")
    r1.save(update_fields=["actual_output_wan"])
    world.activity_2022 = activity
    return world


def test_a_project_started_after_the_day_is_not_counted_as_started(as_of_world):
    activity = as_of_world.activity_2022
    # Today: both signed projects started, 2/2; r1 of the 2 started produced, 1/2.
    now = cohort_rates(user=CITY, activity=activity)
    assert (now.start_rate.num, now.start_rate.den) == (2, 2)
    # As of 2022-09-30: r2 started on 2022-12-01, after the day: 1/2 = 50.0%.
    for kwargs in ({"activity": activity}, {"year": 2022}, {}):
        r = cohort_rates(user=CITY, as_of=D(2022, 9, 30), **kwargs)
        assert str(r.start_rate) == "50.0%（1/2）", kwargs
    # By stage date (the year, or all projects): started by then r1 only, and in production
    # by then: 1/1; its actual 900.00 ÷ planned 1,000.00万元 = 90.0%. (The activity's own
    # started cohort is empty: r1 and r2 started outside it.)
    for kwargs in ({"year": 2022}, {}):
        r = cohort_rates(user=CITY, as_of=D(2022, 9, 30), **kwargs)
        assert str(r.production_rate) == "100.0%（1/1）", kwargs
        assert r.target_rate.pct == W("90.0"), kwargs
        # Before r1 went into production (2022-08-01): started 1, produced 0.
        r = cohort_rates(user=CITY, as_of=D(2022, 7, 31), **kwargs)
        assert str(r.production_rate) == "0.0%（0/1）", kwargs
        assert r.target_rate.den == 0, kwargs
    # The day before r1 started: 0/2 started; nobody started, so 投产率 has no denominator.
    r = cohort_rates(user=CITY, activity=activity, as_of=D(2022, 6, 30))
    assert (str(r.start_rate), r.production_rate.den) == ("0.0%（0/2）", 0)
    # Before the activity: nobody had signed in it yet.
    r = cohort_rates(user=CITY, activity=activity, as_of=D(2022, 5, 26))
    assert str(r.start_rate) == "—（0/0）"
    # On the day a stage is reached, it counts (the day is included).
    r = cohort_rates(user=CITY, activity=activity, as_of=D(2022, 12, 1))
    assert str(r.start_rate) == "100.0%（2/2）"
    by_county = cohort_rates_by_county(user=CITY, activity=activity, as_of=D(2022, 9, 30))
    assert str(by_county[as_of_world.county_a.pk].start_rate) == "50.0%（1/2）"


def test_report_rates_as_of(as_of_world):
    out = report("rates", "--year", "2022", "--as-of", "2022-09-30")
    assert out.splitlines() == [
        "截至2022年9月30日",
        "开工率 50.0%（1/2）",
        "投产率 100.0%（1/1）",
        "达效率 90.0%（900.00万元/1,000.00万元）",
    ]
    data = json.loads(
        report("rates", "--year", "2022", "--seq", "2", "--as-of", "2022-09-30", "--json")
    )
    assert data["as_of"] == "2022-09-30"
    assert data["start_rate"] == {"num": 1, "den": 2, "pct": "50.0"}
    assert "as_of" not in json.loads(report("rates", "--year", "2022", "--json"))
    for bad, message in (
        ("2022-9-30", "截至日期“2022-9-30”格式不对，应为 YYYY-MM-DD，如 2021-09-26"),
        ("2022-09-31", "截至日期“2022-09-31”不是有效的日期"),
    ):
        error = report_fails("rates", "--as-of", bad)
        assert (error.returncode, str(error)) == (2, message)


def test_rates_page_as_of(as_of_world, login):
    client = login(as_of_world.user("city_office"))
    page = client.get(
        reverse("cockpit:rates"), {"activity": "2022-2", "as_of": "2022-09-30"}
    ).content.decode()
    assert "2022年第2次活动（按批次），截至2022年9月30日" in page
    assert "50.0%（1/2）" in page and "100.0%（2/2）" not in page
    page = client.get(reverse("cockpit:rates"), {"activity": "2022-2"}).content.decode()
    assert "100.0%（2/2）" in page
    page = client.get(reverse("cockpit:rates"), {"as_of": "2022-13-01"}).content.decode()
    assert "截至日期：输入一个有效的日期" in page


# --- 5. the province's totals --------------------------------------------------------------


def test_the_bulletin_states_the_share_of_the_provinces_totals():
    """2022年第三次: 287 signed, 274 started, 210 produced province-wide (seeds/004)."""
    activity = Activity(year=2022, sequence=3, date=D(2022, 9, 5), province_signed=287,
                        province_started=274, province_produced=None)  # fmt: skip
    figures = ActivityFigures(
        activity=activity,
        signed=Batch(32, W("1243000.00")),
        onsite=Batch(32, W("1243000.00")),
        sync=Batch(0, W("0")),
        started=Batch(34, W("599000.00")),
        produced=Batch(28, W("696000.00")),
        produced_output_wan=W("803000.00"),
    )
    # 32/287 = 11.149…% → 11.1%; 34/274 = 12.408…% → 12.4%; produced: no total entered.
    assert figures.bulletin().endswith(
        "预计年新增产值80.30亿元。签约项目数占全省的11.1%（32/287），开工项目数占全省的12.4%（34/274）。"
    )
    assert figures.as_json()["province"] == {
        "signed": {"num": 32, "den": 287, "pct": "11.1"},
        "started": {"num": 34, "den": 274, "pct": "12.4"},
        "produced": None,
    }


def test_province_totals_are_entered_on_the_activity_form_and_audited(world, login):
    activity_add_project(
        by=CITY, activity=world.activity, project=world.project_a, action="sign",
        sign_mode="onsite",
    )  # fmt: skip
    client = login(world.user("city_office"))
    url = reverse("projects:activity_edit", args=[world.activity.pk])
    form = client.get(url).content.decode()
    assert 'name="province_signed"' in form and "全省签约项目数" in form
    data = {
        "year": 2021,
        "sequence": 4,
        "date": "2021-03-22",
        "level": "province",
        "venue": "兴县",
        "province_signed": "287",
        "province_started": "274",
        "province_produced": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    world.activity.refresh_from_db()
    assert (world.activity.province_signed, world.activity.province_produced) == (287, None)
    row = AuditLog.objects.filter(action="update", object_type="projects.activity").latest("id")
    assert row.after["province_signed"] == 287 and row.before["province_signed"] is None
    # The activity page's bulletin: 1 of 287 signed = 0.348…% → 0.3%; 0 of 274 started.
    page = client.get(reverse("projects:activity_detail", args=[world.activity.pk]))
    assert (
        "签约项目数占全省的0.3%（1/287），开工项目数占全省的0.0%（0/274）。"
        in page.content.decode()
    )
    # A negative total is refused, next to the field, and nothing changes.
    response = client.post(url, {**data, "province_signed": "-1"})
    assert response.status_code == 200
    assert "确保该值大于或等于0" in response.content.decode()
    world.activity.refresh_from_db()
    assert world.activity.province_signed == 287


def test_province_totals_through_the_service(world):
    activity_update(by=CITY, activity=world.activity, province_produced=210)
    figures = activity_figures(user=CITY, activity=world.activity)
    # Nothing produced in the activity: 0/210 = 0.0%.
    assert figures.bulletin().endswith("投产项目数占全省的0.0%（0/210）。")
    with pytest.raises(ValidationFailed):
        activity_update(by=CITY, activity=world.activity, province_signed=-5)


# --- 4. how the city names its activities ---------------------------------------------------


def test_activity_names_follow_the_setting_everywhere(world, settings, login):
    activity_add_project(
        by=CITY, activity=world.activity, project=world.project_a, action="sign",
        sign_mode="onsite",
    )  # fmt: skip
    assert str(world.activity) == "2021年第4次“三个一批”活动"
    settings.SANPI_ACTIVITY_NAMING = "qi"
    assert world.activity.name == "2021年第四期"
    assert (
        activity_figures(user=CITY, activity=world.activity)
        .bulletin()
        .startswith("2021年第四期“三个一批”活动中，签约项目1个")
    )
    assert (
        report("activity", "--year", "2021", "--seq", "4")
        .splitlines()[1]
        .startswith("2021年第四期“三个一批”活动以来签约项目1个")
    )
    client = login(world.user("city_office"))
    page = client.get(reverse("projects:activity_detail", args=[world.activity.pk]))
    assert page.content.decode().count("2021年第四期") >= 3  # title, heading, bulletin
    rates = client.get(reverse("cockpit:rates"), {"activity": "2021-4"}).content.decode()
    assert "2021年第四期活动（按批次）" in rates and "第4次" not in rates


# --- every figure stays one query ------------------------------------------------------------


def test_new_figures_are_one_query_each(since_world, django_assert_num_queries):
    second = since_world.activities[1]
    with django_assert_num_queries(1):
        period_figures(
            user=CITY, date_from=D(2022, 1, 1), date_to=D(2022, 12, 31), zone="吕梁经开区"
        )
    with django_assert_num_queries(1):
        activity_since(user=CITY, activity=second, county="141102")
    for kwargs in ({}, {"year": 2022}, {"activity": second}):
        with django_assert_num_queries(1):
            cohort_rates(user=CITY, as_of=D(2022, 9, 30), **kwargs)
        with django_assert_num_queries(1):
            cohort_rates_by_county(user=CITY, as_of=D(2022, 9, 30), **kwargs)


def test_rates_page_queries_do_not_grow_with_the_ledger(world, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(world.user("city_office"))
    params = {"date_from": "2021-01-01", "date_to": "2021-12-31", "as_of": "2021-12-31"}

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("cockpit:rates"), params).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for i in range(20):
        ProjectFactory(name=f"更多{i}", stage="signed", signed_date=D(2021, 5, 1))
    assert count() == before
