"""The pages: the three lists for every role, per county and zone, exported; the lights on
the ledger, the project page and the home page; overrides and thresholds through the web."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from sanpi.core.models import AuditLog
from sanpi.core.tests import office
from sanpi.core.tests.api import EVERY_ROLE
from sanpi.health import services
from sanpi.health.models import HealthOverride, HealthSettings
from sanpi.health.tests.factories import TODAY, at_stage, report
from sanpi.projects.models import Project
from sanpi.projects.tests.factories import ProjectFactory
from sanpi.regions.tests.factories import EnterpriseFactory

D = dt.date
ROLES = EVERY_ROLE
# Who sees which of project A (zone A, enterprise A), C (county A, outside zone A, another
# enterprise) and B (county B).
SEES = {
    "city_office": {"A", "B", "C"},
    "leader": {"A", "B", "C"},
    "county": {"A", "C"},
    "zone": {"A"},
    "enterprise": {"A"},
}


@pytest.fixture
def three(world):
    """Projects A, B and C started, each on the 长期停缓建 list; A is stalled by the rules."""
    c = ProjectFactory(
        name="丙化工项目",
        county=world.county_a,
        enterprise=EnterpriseFactory(county=world.county_a),
    )
    for project in (world.project_b, c):
        at_stage(project, health="zombie")
    a = at_stage(world.project_a)
    report(a, 2026, 1, 100)
    services.evaluate_project(a, today=TODAY)
    return {"A": world.project_a, "B": world.project_b, "C": c}


def _names(html: str, three) -> set[str]:
    return {k for k, p in three.items() if f">{p.name}</a>" in html}


@pytest.mark.parametrize("role", ROLES)
def test_the_lists_for_every_role(world, login, three, role):
    client = login(world.user(role))
    response = client.get(reverse("health:list", kwargs={"key": "stalled"}))
    if role not in SEES:
        assert response.status_code == 403
        assert client.get(reverse("health:overview")).status_code == 403
        return
    html = response.content.decode()
    assert _names(html, three) == SEES[role]
    assert f"共 {len(SEES[role])} 个项目" in html
    for key in ("normal", "lagging"):
        html = client.get(reverse("health:list", kwargs={"key": key})).content.decode()
        assert _names(html, three) == set() and "没有符合条件的项目" in html
    overview = client.get(reverse("health:overview")).content.decode()
    assert re.search(
        r"长期停缓建</div>.*?<div class=\"fs-3 fw-semibold\">(\d+)</div>", overview, re.S
    )[1] == str(len(SEES[role]))
    # The export is the list as the role sees it.
    response = client.get(reverse("health:export", kwargs={"key": "stalled"}))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = {r[1] for r in sheet.iter_rows(min_row=4, values_only=True)}
    assert names == {three[k].name for k in SEES[role]}


def test_the_lists_per_county_and_zone(world, login, three):
    client = login(world.user("city_office"))
    url = reverse("health:list", kwargs={"key": "stalled"})
    assert _names(client.get(url, {"county": world.county_b.code}).content.decode(), three) == {"B"}
    assert _names(client.get(url, {"zone": world.zone_a.pk}).content.decode(), three) == {"A"}
    assert _names(client.get(url, {"q": "丙化工"}).content.decode(), three) == {"C"}
    Project.objects.filter(pk=three["C"].pk).update(planned_completion_date=D(2026, 12, 31))
    assert _names(client.get(url, {"soon": "1"}).content.decode(), three) == {"C"}
    # A county officer's filter by another county finds nothing (never another's projects).
    county = login(world.user("county"))
    html = county.get(url, {"county": world.county_b.code}).content.decode()
    assert _names(html, three) == set()
    # Per county on the overview (for those who see every county), with links to each
    # county's list.
    assert 'id="health-by-county"' not in county.get(reverse("health:overview")).content.decode()
    html = login(world.user("city_office")).get(reverse("health:overview")).content.decode()
    table = html[html.index('id="health-by-county"') :]
    assert "离石区" in table and "孝义市" in table
    assert f"?county={world.county_b.code}" in table


def test_an_unknown_list_is_404_in_chinese(world, login):
    client = login(world.user("city_office"))
    response = client.get(reverse("health:list", kwargs={"key": "rules2"}))
    assert (
        response.status_code == 404
        and "对象不存在或不在您的权限范围内" in response.content.decode()
    )
    assert client.get(reverse("health:export", kwargs={"key": "all"})).status_code == 404


def test_a_list_page_reads_a_constant_number_of_queries(
    world, login, three, django_assert_max_num_queries
):
    client = login(world.user("city_office"))
    url = reverse("health:list", kwargs={"key": "stalled"})
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for i in range(30):
        at_stage(ProjectFactory(county=world.county_b, name=f"停建{i}"), health="stalled")
    with django_assert_max_num_queries(len(few.captured_queries)):
        html = client.get(url).content.decode()
    assert "共 33 个项目" in html


def test_the_export_is_formula_safe_and_audited(world, login):
    name = '=HYPERLINK("http://evil.example","点我")'
    p = ProjectFactory(name=name, county=world.county_a, enterprise=world.enterprise_a)
    at_stage(p, health="lagging")
    client = login(world.user("county"))
    response = client.get(reverse("health:export", kwargs={"key": "lagging"}))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A1"].value == "进度滞后但仍在推进项目清单"
    assert [c.value for c in sheet[3]][:3] == ["序号", "项目名称", "项目单位"]
    cell = sheet["B4"]
    assert cell.value == name and cell.data_type == "s"  # text, not a formula
    row = AuditLog.objects.get(action="export", object_type="health.list")
    assert row.after == {"list": "lagging", "filters": {}, "count": 1}
    assert row.user == world.user("county")


@office.needs_soffice
def test_the_export_opens_in_libreoffice(world, login, three):
    Project.objects.filter(pk=three["B"].pk).update(name="+86-0358-1234567 项目")
    client = login(world.user("city_office"))
    response = client.get(reverse("health:export", kwargs={"key": "stalled"}))
    text = office.convert(b"".join(response.streaming_content), suffix="xlsx", to=office.CSV)
    csv = text.decode("utf-8")
    assert "长期停缓建项目清单" in csv
    assert "+86-0358-1234567 项目" in csv  # kept as typed, not computed
    assert three["A"].name in csv and "连续无投资" in csv


# --- lights -----------------------------------------------------------------------------


def test_the_ledger_and_the_project_page_show_the_light_with_its_reason(world, login, three):
    reason = "停缓建：【连续无投资】自2026年2月起连续4个月未报完成投资（满3个月判为停滞）"
    client = login(world.user("county"))
    html = client.get(reverse("projects:list")).content.decode()
    assert f'title="{reason}（2026-06-20起）" data-health="stalled"' in html
    assert '<span class="text-danger" aria-hidden="true">●</span> 停缓建' in html
    # C was set straight in the table: its light says it was not evaluated.
    assert 'title="长期停滞（僵尸）（人工登记，尚未按规则评估）" data-health="zombie"' in html

    html = client.get(reverse("projects:detail", kwargs={"pk": three["A"].pk})).content.decode()
    header = html[html.index('id="health-light"') :]
    assert f'title="{reason}（2026-06-20起）"' in header[:600]
    card = html[html.index('id="health"') :]
    assert reason in card and "更新推进状态" in card and 'name="reason"' in card
    assert "立即按规则重新评估" in card

    html = (
        login(world.user("leader"))
        .get(reverse("projects:detail", kwargs={"pk": three["A"].pk}))
        .content.decode()
    )
    card = html[html.index('id="health"') :]
    assert reason in card and "更新推进状态" not in card


def test_the_home_page_links_the_three_lists_with_their_counts(world, login, three):
    from sanpi.cockpit import facts

    facts.refresh()  # the counts are the summary tables'
    html = login(world.user("county")).get(reverse("cockpit:home")).content.decode()
    box = html[html.index('id="home-health-lists"') :]
    box = box[: box.index("</ul>")]
    for key, n in (("normal", 0), ("lagging", 0), ("stalled", 2)):
        url = reverse("health:list", kwargs={"key": key})
        assert re.search(rf'href="{url}"[^>]*>[^<]+</a><span class="fw-semibold">{n}</span>', box)
    attention = html[html.index("需关注的项目") :]
    assert three["A"].name in attention and 'data-health="stalled"' in attention


def test_the_home_page_counts_in_one_query(world, login, three, django_assert_max_num_queries):
    client = login(world.user("city_office"))
    with django_assert_max_num_queries(40) as few:
        client.get(reverse("cockpit:home"))
    for i in range(10):
        at_stage(ProjectFactory(county=world.county_b, name=f"滞后{i}"), health="lagging")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("cockpit:home"))


# --- overrides and thresholds through the pages ---------------------------------------------


def test_override_on_the_project_page(world, login, three):
    client = login(world.user("county"))
    a = three["A"]
    url = reverse("health:project", kwargs={"pk": a.pk})
    response = client.post(url, {"health": "normal", "reason": ""})
    html = response.content.decode()
    assert response.status_code == 200 and "请写明人工认定的理由（如：已复工，资金到位）" in html
    response = client.post(url, {"health": "复工", "reason": "x"})
    assert "请选择推进状态" in response.content.decode()
    assert not HealthOverride.objects.exists()

    response = client.post(url, {"health": "normal", "reason": "已复工，资金到位"}, follow=True)
    html = response.content.decode()
    assert "已人工认定推进状态为“正常推进”，项目情况变化前一直有效" in html
    assert Project.objects.get(pk=a.pk).health == "normal"
    assert "人工认定：已复工，资金到位" in html and "取消人工认定，按规则评估" in html
    page = client.get(url).content.decode()
    assert "已复工，资金到位" in page and "生效中" in page

    response = client.post(reverse("health:override_clear", kwargs={"pk": a.pk}), follow=True)
    html = response.content.decode()
    assert "已取消人工认定" in html
    # Lifted again: nothing in force.
    response = client.post(reverse("health:override_clear", kwargs={"pk": a.pk}), follow=True)
    assert "该项目没有生效的人工认定" in response.content.decode()

    response = client.post(reverse("health:evaluate", kwargs={"pk": a.pk}), follow=True)
    assert "已按规则重新评估" in response.content.decode()
    assert AuditLog.objects.filter(message__startswith="按规则重新评估推进状态").count() == 1


def test_override_refused_outside_scope_and_for_readers(world, login, three):
    url = reverse("health:project", kwargs={"pk": three["B"].pk})
    data = {"health": "normal", "reason": "越权"}
    assert login(world.user("county")).post(url, data).status_code == 404
    url_a = reverse("health:project", kwargs={"pk": three["A"].pk})
    assert login(world.user("leader")).post(url_a, data).status_code == 403
    assert login(world.user("enterprise")).post(url_a, data).status_code == 403
    assert not HealthOverride.objects.exists()


def test_the_rules_page(world, login):
    url = reverse("health:rules")
    html = login(world.user("leader")).get(url).content.decode()
    assert "签约超过180天仍未开工" in html and "修改阈值" not in html
    assert login(world.user("county")).post(url, {"signed_days": "200"}).status_code == 403

    client = login(world.user("city_office"))
    html = client.get(url).content.decode()
    assert "修改阈值" in html and 'value="180"' in html
    data = {
        "signed_days": "200",
        "stall_months": "0",
        "behind_percent": "20",
        "long_stall_months": "12",
        "counting_from": "2026-13",
    }
    html = client.post(url, data).content.decode()
    assert "连续无投资月数应为1至24之间的整数" in html
    assert "起算月份应写成 年-月，如 2026-01" in html
    assert not HealthSettings.objects.exists()

    data.update(stall_months="4", counting_from="2026-01")
    html = client.post(url, data, follow=True).content.decode()
    assert "预警规则的阈值已保存" in html and "签约超过200天仍未开工" in html
    assert "自2026年1月起算" in html
    row = HealthSettings.objects.get()
    assert (row.signed_days, row.stall_months, row.counting_from) == (200, 4, D(2026, 1, 1))
    assert AuditLog.objects.filter(object_type="health.healthsettings").count() == 1
    html = client.post(url, data, follow=True).content.decode()
    assert "阈值没有变化" in html
