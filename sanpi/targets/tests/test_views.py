"""The ranking, bulletin, targets and weights pages: who sees and who may change what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from sanpi.core.models import AuditLog, Job
from sanpi.projects.models import Project
from sanpi.regions.models import Enterprise
from sanpi.targets.models import ScoringScheme, UnitTarget
from sanpi.targets.rules import previous_month
from sanpi.targets.tests.factories import target
from sanpi.targets.tests.test_io import workbook

W = Decimal
NOT_CITY = ("leader", "county", "zone", "enterprise", "admin", "auditor", "department", "agent")


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_ranking_page_shows_each_units_breakdown_and_the_time_progress(zones_2024, login):
    client = login(zones_2024.user("zone"))
    html = _html(client.get(reverse("targets:ranking"), {"year": 2024, "month": 6, "kind": "zone"}))
    assert "2024年6月开发区排名" in html
    assert "6/12 = 50.00%" in html
    table = html[html.index('id="ranking-zone"') :]
    assert table.index("吕梁经济技术开发区") < table.index("孝义经济开发区")
    assert "63.00" in table and "33.33" in table
    assert "40.00%" in table  # investment 400/1,000, behind the time progress
    assert "400.00/1,000.00" in table and "12.00分" in table
    assert "text-danger" in table and "text-success" in table


def test_the_ranking_page_defaults_to_last_month_and_refuses_a_coming_one(world, login):
    client = login(world.user("city_office"))
    year, month = previous_month(timezone.localdate().year, timezone.localdate().month)
    assert f"{year}年{month}月县(市、区)排名" in _html(client.get(reverse("targets:ranking")))
    coming = timezone.localdate().year + 1
    html = _html(client.get(reverse("targets:ranking"), {"year": coming, "month": 1}))
    assert f"{coming}年1月还没到，没有排名" in html
    assert f"{year}年{month}月县(市、区)排名" in html
    html = _html(client.get(reverse("targets:ranking"), {"year": "x", "month": 13}))
    assert "输入整数。" in html and "选择一个有效的选项" in html


def test_the_bulletin_page_lists_lagging_projects_only_within_the_readers_scope(zones_2024, login):
    w = zones_2024
    Project.objects.filter(pk=w.project_a.pk).update(health="lagging")
    Project.objects.filter(pk=w.project_b.pk).update(health="stalled")
    url = reverse("targets:bulletin")
    city = _html(login(w.user("city_office")).get(url, {"year": 2024, "month": 6}))
    assert "2024年6月项目调度排名通报" in city
    assert "甲新材料项目" in city and "乙装备制造项目" in city
    assert (
        "开发区中，吕梁经济技术开发区以63.00分位列第一；排名后1位的是孝义经济开发区（33.33分）"
        in city
    )
    county = _html(login(w.user("county")).get(url, {"year": 2024, "month": 6}))
    assert "甲新材料项目" in county and "乙装备制造项目" not in county
    assert "孝义经济开发区（33.33分）" in county  # the ranking itself is published
    assert "滞后项目范围：离石区" in county


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_the_bulletin_files_are_made_by_a_job(zones_2024, login, fmt):
    client = login(zones_2024.user("county"))
    response = client.get(reverse("targets:bulletin_file", args=[fmt]), {"year": 2024, "month": 6})
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("core:job", args=[job.pk])
    assert job.status == "done", job.message
    assert job.result_name.startswith("2024年6月调度排名通报-") and job.result_name.endswith(fmt)
    assert bytes(job.result_file).startswith(b"PK")
    assert AuditLog.objects.filter(action="export", object_type="targets.bulletin").count() == 1
    assert client.get(reverse("targets:bulletin_file", args=["pdf"])).status_code == 404


def test_the_targets_page_shows_every_unit_and_flags_a_small_reserve_target(world, login):
    target(2025, county=world.county_a, investment_wan=W("1000"), reserve_wan=W("4999.99"))
    url = reverse("targets:target_list", args=[2025])
    html = _html(login(world.user("leader")).get(url))
    assert "离石区" in html and "1,000.00" in html and "4,999.99" in html
    assert "储备目标不足投资目标的5倍" in html
    assert "编辑" not in html.split('id="targets"')[1]  # the leader reads only
    zones = _html(login(world.user("city_office")).get(url, {"kind": "zone"}))
    assert "吕梁经济技术开发区" in zones and "编辑" in zones


def _edit_url(world, kind="county"):
    pk = world.county_b.pk if kind == "county" else world.zone_b.pk
    return reverse("targets:target_edit", args=[2025, kind, pk])


def test_the_city_office_sets_targets_on_the_page(world, login):
    client = login(world.user("city_office"))
    response = client.post(
        _edit_url(world), {"investment_wan": "1200.5", "signed_count": "8", "reserve_wan": ""}
    )
    assert response.status_code == 302
    row = UnitTarget.objects.get(county=world.county_b)
    assert (row.investment_wan, row.signed_count, row.reserve_wan) == (W("1200.50"), 8, None)
    html = _html(client.get(_edit_url(world)))
    assert 'value="1200.50"' in html and "变更记录" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"investment_wan": "-1"}, "确保该值大于或等于0。"),
        ({"investment_wan": "abc"}, "请填写数字"),
        ({"investment_wan": "1.234"}, "最多保留两位小数"),
        ({"investment_wan": "123456789012345"}, "数值过大（应小于100,000,000,000,000）"),
        ({"signed_count": "2.5"}, "请填写整数"),
        ({"signed_count": "-3"}, "确保该值大于或等于0。"),
        ({"started_count": "1000001"}, "确保该值小于或等于1000000。"),
    ],
)
def test_bad_targets_on_the_page_are_refused_with_their_message(world, login, data, message):
    html = _html(login(world.user("city_office")).post(_edit_url(world), data))
    assert message in html
    assert not UnitTarget.objects.exists()
    assert not AuditLog.objects.exclude(action="login").exists()


def test_a_target_page_for_a_unit_that_is_not_there_is_404(world, login):
    client = login(world.user("city_office"))
    assert (
        client.get(reverse("targets:target_edit", args=[2025, "county", 999999])).status_code == 404
    )
    assert client.get(reverse("targets:target_edit", args=[2025, "city", 1])).status_code == 404


def _scheme_data(**over):
    today = timezone.localdate()
    data = {
        "year": today.year, "month": today.month, "cap": "1.20", "note": "",
        "w_investment": 30, "w_signed": 20, "w_signed_investment": 0, "w_started": 20,
        "w_produced": 20, "w_reserve": 10, "w_above_size": 0,
    }  # fmt: skip
    return {**data, **over}


def test_the_city_office_sets_the_weights(world, login):
    client = login(world.user("city_office"))
    response = client.post(reverse("targets:scheme_create"), _scheme_data(w_above_size=5))
    assert response.status_code == 302
    assert ScoringScheme.objects.get().weights["above_size"] == 5
    html = _html(client.get(reverse("targets:scheme_list")))
    assert f"{timezone.localdate().year}年{timezone.localdate().month}月起" in html
    assert "默认（未设置时）" in html
    assert '<td class="text-end">5</td>' in html  # the new weight of 上规, in its column


def test_bad_weights_are_refused_with_their_message(world, login):
    client = login(world.user("city_office"))
    year, month = previous_month(timezone.localdate().year, timezone.localdate().month)
    cases = [
        (_scheme_data(year=year, month=month), "过去月份的排名保持当时的权重"),
        (_scheme_data(cap="3"), "封顶系数应在1.00至2.00之间"),
        (_scheme_data(cap="1.234"), "最多保留两位小数"),
        (_scheme_data(cap="10"), "封顶系数应在1.00至2.00之间"),
        (_scheme_data(cap="x"), "请填写数字"),
        (
            _scheme_data(w_investment=0, w_signed=0, w_started=0, w_produced=0, w_reserve=0),
            "至少一项指标的权重应大于0",
        ),
        (_scheme_data(w_reserve=101), "确保该值小于或等于100。"),
        (_scheme_data(w_reserve=""), "这个字段是必填项。"),
        (_scheme_data(month=13), "选择一个有效的选项"),
    ]
    for data, message in cases:
        html = _html(client.post(reverse("targets:scheme_create"), data))
        assert message in html, message
    assert not ScoringScheme.objects.exists()
    assert not AuditLog.objects.exclude(action="login").exists()


def test_the_import_page_shows_every_error_or_imports(world, login):
    client = login(world.user("city_office"))
    url = reverse("targets:target_import", args=[2025])
    bad = workbook([("县(市、区)", "火星县", 1), ("县(市、区)", "离石区", -1)])
    # Read in a background job (run at once here), never in the web request.
    response = client.post(url, {"file": SimpleUploadedFile("目标.xlsx", bad)})
    job = Job.objects.get(kind="targets.import")
    assert response.url == reverse("core:job", args=[job.pk])
    assert (job.status, job.params) == (Job.Status.REJECTED, {"year": 2025})
    html = _html(client.get(response.url))
    assert "文件有2处错误，未导入任何数据，请改正后重新导入。" in html
    assert "第2行 单位名称（B列）: 没有名为“火星县”的县(市、区)" in html
    assert "第3行 固定资产投资目标(万元)（C列）: 不能为负数" in html
    html = _html(client.post(url, {}))
    assert "请选择要上传的文件" in html
    good = workbook([("县(市、区)", "离石区", 100)])
    response = client.post(url, {"file": SimpleUploadedFile("目标.xlsx", good)}, follow=True)
    assert "已导入2025年度目标：新增1个单位" in response.content.decode()
    assert UnitTarget.objects.get().investment_wan == W("100.00")
    template = client.get(reverse("targets:target_template", args=[2025]))
    assert template["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("role", NOT_CITY)
def test_other_roles_may_not_write(world, login, role):
    client = login(world.user(role))
    upload = SimpleUploadedFile("目标.xlsx", workbook([("县(市、区)", "离石区", 100)]))
    for url, data in (
        (_edit_url(world), {"investment_wan": "1"}),
        (reverse("targets:scheme_create"), _scheme_data()),
        (reverse("targets:target_import", args=[2025]), {"file": upload}),
    ):
        assert client.post(url, data).status_code == 403, url
    assert client.get(reverse("targets:target_template", args=[2025])).status_code == 403
    assert not UnitTarget.objects.exists() and not ScoringScheme.objects.exists()
    assert not AuditLog.objects.exclude(action="login").exists()


def test_the_enterprise_form_sets_the_above_size_date(world, login):
    client = login(world.user("county"))
    url = reverse("regions:enterprise_edit", args=[world.enterprise_a.pk])
    data = {"name": world.enterprise_a.name, "credit_code": world.enterprise_a.credit_code,
            "county": world.county_a.pk}  # fmt: skip
    html = _html(client.get(url))
    assert "上规日期" in html
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    html = _html(client.post(url, {**data, "above_size_since": tomorrow.isoformat()}))
    assert "上规日期不能晚于今天" in html
    assert client.post(url, {**data, "above_size_since": "2024-03-01"}).status_code == 302
    assert Enterprise.objects.get(pk=world.enterprise_a.pk).above_size_since == dt.date(2024, 3, 1)


def test_the_nav_offers_the_ranking_to_ledger_readers(world, login):
    url = reverse("targets:ranking")
    for role in ("city_office", "leader", "county", "enterprise"):
        assert f'href="{url}">月度排名</a>' in _html(login(world.user(role)).get("/"))
    assert f'href="{url}">月度排名</a>' not in _html(login(world.user("admin")).get("/"))
