"""The cockpit (首页) and the 开工投产率 report page through the real HTTP layer."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from sanpi.accounts.actors import SystemActor
from sanpi.cockpit import facts
from sanpi.cockpit.selectors import RATE_DEFINITIONS
from sanpi.core.tests.jobs import job_file
from sanpi.projects.services import activity_add_project, project_advance_stage, project_set_health
from sanpi.projects.tests.factories import ProjectFactory

D = dt.date
CITY = SystemActor(name="test")


def _sixteen_signed_fifteen_started(world):
    """The published 2021 fourth activity's 开工率: 15 of 16 signed projects started."""
    activity = world.activity
    for i in range(16):
        county, zone, enterprise = (
            (world.county_a, world.zone_a, world.enterprise_a)
            if i < 10
            else (world.county_b, world.zone_b, world.enterprise_b)
        )
        p = ProjectFactory(name=f"签约项目{i}", county=county, zone=zone, enterprise=enterprise)
        activity_add_project(
            by=CITY, activity=activity, project=p, action="sign", sign_mode="onsite"
        )
        if i < 15:
            project_advance_stage(by=CITY, project=p, to_stage="started", date=D(2021, 6, 1))
    return activity


def test_home_counts_stages_and_health_in_scope(world, login):
    project_advance_stage(by=CITY, project=world.project_b, to_stage="signed", date=D(2021, 3, 1))
    project_set_health(by=CITY, project=world.project_a, health="lagging", date=D(2021, 6, 1))
    facts.refresh()  # the totals are the summary tables' (refreshed every 5 minutes)
    html = login(world.user("city_office")).get(reverse("cockpit:home")).content.decode()
    assert "与台账一致" in html  # says how fresh
    stages = html[html.index('id="stage-counts"') : html.index('id="home-rates"')]
    assert "储备</div><div" in stages and "共 2 个项目" in html
    assert world.project_a.name in html  # lagging: needs attention
    assert "开工率" in html and "投产率" in html and "达效率" in html
    assert f"{timezone.localdate().year}年" in html
    assert "0.0%（0/1）" in html  # all time: 0 of 1 signed started
    assert str(world.activity) in html

    html = login(world.user("county")).get(reverse("cockpit:home")).content.decode()
    assert "共 1 个项目" in html and world.project_b.name not in html


def test_home_for_administrators_is_a_portal(world, login):
    html = login(world.user("admin")).get(reverse("cockpit:home")).content.decode()
    assert "用户管理" in html and "开工率" not in html
    html = login(world.user("auditor")).get(reverse("cockpit:home")).content.decode()
    assert "审计日志" in html and "开工率" not in html


def test_rates_page_shows_each_rate_with_its_fraction_and_definition(world, login):
    activity = _sixteen_signed_fifteen_started(world)
    client = login(world.user("city_office"))
    html = client.get(reverse("cockpit:rates"), {"activity": activity.key}).content.decode()
    assert "93.8%（15/16）" in html
    assert "2021年第4次活动（按批次）" in html
    assert "签约项目16个" in html  # the bulletin of the chosen activity
    for name, text in RATE_DEFINITIONS:
        assert name in html and text in html
    # Narrowed to a county.
    html = client.get(
        reverse("cockpit:rates"), {"activity": activity.key, "county": "141181"}
    ).content.decode()
    assert "83.3%（5/6）" in html and "孝义市" in html
    # By year of the stage dates.
    html = client.get(reverse("cockpit:rates"), {"year": 2021}).content.decode()
    assert "2021年（按阶段日期）" in html and "93.8%（15/16）" in html
    html = client.get(reverse("cockpit:rates"), {"year": 2020}).content.decode()
    assert "—（0/0）" in html


def test_rates_page_is_scoped(world, login):
    activity = _sixteen_signed_fifteen_started(world)
    html = (
        login(world.user("county"))
        .get(reverse("cockpit:rates"), {"activity": activity.key})
        .content.decode()
    )
    assert "100.0%（10/10）" in html and "93.8%" not in html
    assert "分县(市、区)" not in html  # one county: no breakdown


def test_rates_page_breaks_down_by_county_for_the_city(world, login):
    activity = _sixteen_signed_fifteen_started(world)
    html = (
        login(world.user("leader"))
        .get(reverse("cockpit:rates"), {"activity": activity.key})
        .content.decode()
    )
    table = html[html.index("分县(市、区)") :]
    assert "100.0%（10/10）" in table and "83.3%（5/6）" in table


def test_rates_page_bad_filters(world, login):
    client = login(world.user("city_office"))
    assert client.get(reverse("cockpit:rates"), {"activity": "2030-9"}).status_code == 200
    response = client.get(reverse("cockpit:rates"), {"year": "明年"})
    assert response.status_code == 200 and "输入整数" in response.content.decode()


def test_rates_filters_follow_the_users_scope(world, login):
    filters = {}
    for role in ("city_office", "county", "zone", "enterprise"):
        html = login(world.user(role)).get(reverse("cockpit:rates")).content.decode()
        start = html.index('id="rates-filter"')
        html = html[start : html.index("</form>", start)]
        filters[role] = {name for name in ("county", "zone") if f'name="{name}"' in html}
    assert filters == {
        "city_office": {"county", "zone"},
        "county": {"zone"},
        "zone": set(),
        "enterprise": set(),
    }


def test_activity_bulletin_docx_states_the_figures_for_the_users_scope(world, login):
    from io import BytesIO

    from docx import Document

    from sanpi.core.models import AuditLog
    from sanpi.projects.services import activity_add_project

    for project, mode in ((world.project_a, "onsite"), (world.project_b, "sync")):
        activity_add_project(
            by=world.user("city_office"),
            activity=world.activity,
            project=project,
            action="sign",
            sign_mode=mode,
        )

    def text(role: str) -> str:
        response = job_file(
            login(world.user(role)), reverse("cockpit:activity_bulletin", args=[world.activity.pk])
        )
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment")
        doc = Document(BytesIO(b"".join(response.streaming_content)))
        cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
        return "\n".join([p.text for p in doc.paragraphs] + cells)

    city = text("city_office")
    assert (
        "签约项目2个、总投资2.00亿元，其中现场签约1个、总投资1.00亿元，同步签约1个、总投资1.00亿元"
        in city
    )
    assert "甲新材料项目" in city and "乙装备制造项目" in city
    assert "开工率0.0%（0/2）" in city
    county = text("county")
    assert "签约项目1个" in county and "甲新材料项目" in county and "乙装备制造项目" not in county
    assert AuditLog.objects.filter(action="export", object_type="projects.activity").count() == 2


def _produced_at_scale(world):
    """2021-4 puts two large projects into production: 达效率 = 2,089,821.21 ÷ 2,566,620.69 万元,
    which the pages once printed as （2089821.21/2566620.69）."""
    from decimal import Decimal

    from sanpi.projects.services import activity_add_project

    for i, (planned, actual) in enumerate(
        ((Decimal("1566620.69"), Decimal("1089821.21")), (Decimal("1000000.00"), None))
    ):
        p = ProjectFactory(
            name=f"大项目{i}",
            county=world.county_a,
            zone=world.zone_a,
            enterprise=world.enterprise_a,
            stage="started",
            signed_date=D(2020, 5, 1),
            started_date=D(2020, 9, 1),
            total_investment_wan=Decimal("1234567.89"),
            planned_output_wan=planned,
            actual_output_wan=actual if actual is not None else Decimal("1000000.00"),
        )
        activity_add_project(by=CITY, activity=world.activity, project=p, action="produce")
    return world.activity


RATE_FOR_PEOPLE = "81.4%（2,089,821.21万元/2,566,620.69万元）"


def _text(response) -> str:
    """The page as read: tags dropped (an amount's fraction may break after its slash)."""
    return re.sub(r"<[^>]+>", "", response.content.decode())


def test_value_rates_read_with_separators_and_units_on_every_page(world, login):
    activity = _produced_at_scale(world)
    facts.refresh()
    client = login(world.user("city_office"))
    home = _text(client.get(reverse("cockpit:home")))
    assert RATE_FOR_PEOPLE in home and "2089821.21" not in home
    assert "共 4 个项目" in home
    rates = _text(client.get(reverse("cockpit:rates"), {"activity": activity.key}))
    assert RATE_FOR_PEOPLE in rates and "2089821.21" not in rates
    assert "实际年产值 2,089,821.21 万元 ÷ 预计年产值 2,566,620.69 万元" in rates
    page = _text(client.get(reverse("projects:activity_detail", args=[activity.pk])))
    assert "2,089,821.21万元/2,566,620.69万元" in page and "2089821.21" not in page
    assert "1,234,567.89" in page  # the entries' 总投资 column, grouped


def test_counts_on_the_home_page_carry_thousands_separators(world, login):
    from sanpi.projects.models import Project

    Project.objects.bulk_create(
        ProjectFactory.build(enterprise=world.enterprise_a, county=world.county_a)
        for _ in range(1000)
    )
    facts.refresh()
    home = login(world.user("city_office")).get(reverse("cockpit:home")).content.decode()
    assert "共 1,002 个项目" in home
    stages = home[home.index('id="stage-counts"') : home.index('id="home-rates"')]
    assert ">1,002<" in stages  # every one of them in reserve


def test_word_bulletin_states_the_value_rate_with_separators_and_units(world, login):
    from io import BytesIO

    from docx import Document

    activity = _produced_at_scale(world)
    response = job_file(
        login(world.user("city_office")), reverse("cockpit:activity_bulletin", args=[activity.pk])
    )
    doc = Document(BytesIO(b"".join(response.streaming_content)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"投产项目达效率{RATE_FOR_PEOPLE}。" in text
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "1,234,567.89" in cells


def test_api_keeps_the_raw_numbers_of_a_value_rate(world):
    from sanpi.core.tests.api import ApiClient

    activity = _produced_at_scale(world)
    body = (
        ApiClient(world.user("city_office"))
        .get("/reports/rates", {"year": activity.year, "seq": activity.sequence})
        .json()
    )
    assert body["target_rate"] == {"num": "2089821.21", "den": "2566620.69", "pct": "81.4"}
