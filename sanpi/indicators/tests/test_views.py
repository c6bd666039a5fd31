"""The pages: the table for every reader, the export, an indicator, a year's value."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from sanpi.core.models import AuditLog
from sanpi.core.tests import office
from sanpi.indicators.models import IndicatorValue
from sanpi.indicators.tests.factories import value

D = Decimal
READERS = ("city_office", "leader", "county", "zone", "enterprise")
NOT_READERS = ("admin", "auditor", "department", "agent")
NOT_CITY = ("leader", "county", "zone", "enterprise", "admin", "auditor", "department", "agent")
TABLE = reverse("indicators:table")


def _edit(ind, year):
    return reverse("indicators:value_edit", kwargs={"pk": ind.pk, "year": year})


@pytest.mark.parametrize("role", READERS)
def test_every_reader_sees_the_table(world, login, indicators, role):
    value(indicators[1], 2023, "1900")
    html = login(world.user(role)).get(TABLE, {"year": 2023}).content.decode()
    assert "“十四五”吕梁市转型出雏型主要指标 · 2023年" in html
    for heading in ("一、经济发展（6个）", "六、安全保障（2个）"):
        assert heading in html
    row = html[html.index('id="indicator-1"') : html.index('id="indicator-2"')]
    assert "地区生产总值（GDP）" in row and "1538" in row and "2238" in row and "&gt;8" in row
    # progress with its fraction, and the verdict with its reason
    assert "51.7%" in row and "362亿元" in row and "700亿元" in row
    assert "落后于进度" in row and "应达值1937.4371亿元" in row
    energy = html[html.index('id="indicator-21"') : html.index('id="indicator-22"')]
    assert "完成省下达目标任务" in energy and "不计算进度" in energy
    editable = role == "city_office"
    assert (_edit(indicators[1], 2023) in html) is editable


@pytest.mark.parametrize("role", NOT_READERS)
def test_roles_without_the_ledger_may_not_open_it(world, login, indicators, role):
    client = login(world.user(role))
    assert client.get(TABLE).status_code == 403
    assert client.get(reverse("indicators:export")).status_code == 403
    detail = reverse("indicators:detail", kwargs={"pk": indicators[1].pk})
    assert client.get(detail).status_code == 403


@pytest.mark.parametrize("year", ["abc", "2020", "9999", "２０２３", "1" * 5000])
def test_a_bad_year_shows_the_default_with_a_warning(world, login, indicators, year):
    response = login(world.user("leader")).get(TABLE, {"year": year})
    assert response.status_code == 200
    default = max(2021, timezone.localdate().year - 1)
    html = response.content.decode()
    assert f"已显示{default}年" in html and "年份应在2021至" in html


def test_the_default_year_is_the_last_full_year(world, login, indicators):
    default = max(2021, timezone.localdate().year - 1)
    for params in ({}, {"year": ""}):
        html = login(world.user("leader")).get(TABLE, params).content.decode()
        assert f"主要指标 · {default}年" in html and "已显示" not in html


def test_the_export_is_the_table_audited_and_formula_safe(world, login, indicators):
    value(indicators[1], 2022, "1800", note='=HYPERLINK("http://x")')
    response = login(world.user("county")).get(reverse("indicators:export"), {"year": 2022})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet["A1"].value == "“十四五”主要指标2022年进展"
    header = [c.value for c in sheet[3]]
    assert header[:4] == ["序号", "类别", "指标", "单位"]
    first = [c.value for c in sheet[4]]
    assert first[:7] == [
        1,
        "一、经济发展（6个）",
        "地区生产总值（GDP）",
        "亿元",
        "1538",
        "2238",
        ">8",
    ]
    assert first[9] == 1800 and first[10] == 2022
    assert first[12] == "37.4%" and first[13] == "262亿元/700亿元"
    assert first[14] == "达到进度"
    note = sheet.cell(row=4, column=17)
    assert note.value == '=HYPERLINK("http://x")' and note.data_type == "s"  # text, not run
    assert sheet.max_row == 3 + 34
    entry = AuditLog.objects.get(action="export", object_type="indicators.table")
    assert entry.after == {"year": 2022, "count": 34} and entry.user == world.user("county")


@office.needs_soffice
def test_the_export_opens_in_libreoffice(world, login, indicators):
    value(indicators[26], 2023, "5.2", note="+86 调查口径")
    response = login(world.user("leader")).get(reverse("indicators:export"), {"year": 2023})
    text = office.convert(
        b"".join(response.streaming_content), suffix="xlsx", to=office.CSV
    ).decode("utf-8")
    assert "“十四五”主要指标2023年进展" in text
    assert "城镇调查失业率" in text and "<5.5" in text and "+86 调查口径" in text
    assert "省级重点实验室2-3个/省级技术创新中心1个/省级工程研究中心5-6个" in text


def test_an_indicators_page(world, login, indicators):
    value(indicators[2], 2022, "56.9", note="统计公报")
    url = reverse("indicators:detail", kwargs={"pk": indicators[2].pk})
    html = login(world.user("zone")).get(url).content.decode()
    assert "常住人口城镇化率（%）" in html and "按每年提高的百分点" in html
    line = html[html.index('id="year-2022"') : html.index('id="year-2023"')]
    assert "56.9" in line and "56.82" in line and "达到进度" in line and "统计公报" in line
    assert _edit(indicators[2], 2022) not in html  # a zone officer doesn't enter values
    assert (
        login(world.user("zone"))
        .get(reverse("indicators:detail", kwargs={"pk": 999999}))
        .status_code
        == 404
    )


def test_the_city_office_enters_a_value(world, login, indicators):
    client = login(world.user("city_office"))
    url = _edit(indicators[4], 2022)
    html = client.get(url).content.decode()
    assert "实际值（%）" in html and "2022年应达56.56%" in html
    response = client.post(url, {"actual": "56.5", "note": "统计公报", "version": "0"})
    assert response.status_code == 302
    assert response.url == reverse("indicators:detail", kwargs={"pk": indicators[4].pk})
    row = IndicatorValue.objects.get()
    assert (row.actual, row.version) == (D("56.5"), 1)
    # The page shows the value and its history, exactly.
    page = client.get(response.url).content.decode()
    assert "变更记录" in page and "录入工业增加值占GDP比重2022年实际值56.5%" in page
    # Correct it from the form as read.
    form = client.get(url).content.decode()
    assert 'name="version" value="1"' in form and 'value="56.5"' in form
    assert client.post(url, {"actual": "56.4", "version": "1"}).status_code == 302
    assert IndicatorValue.objects.get().actual == D("56.4")


@pytest.mark.parametrize(
    ("actual", "message"),
    [
        ("abc", "“abc”不是数字"),
        ("56.2%", "不要带%或汉字"),
        ("", "请填写实际值"),
        ("1.23456", "最多保留四位小数"),
        ("1" * 41, "数值过长"),
    ],
)
def test_bad_values_are_refused_on_the_form(world, login, indicators, actual, message):
    response = login(world.user("city_office")).post(
        _edit(indicators[4], 2022), {"actual": actual, "version": "0"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert (
        not IndicatorValue.objects.exists()
        and not AuditLog.objects.filter(object_type="indicators.indicatorvalue").exists()
    )


def test_a_broken_version_is_refused_on_the_form(world, login, indicators):
    response = login(world.user("city_office")).post(
        _edit(indicators[4], 2022), {"actual": "56", "version": "abc"}
    )
    assert response.status_code == 200 and "页面已过期，请刷新后重试" in response.content.decode()
    assert not IndicatorValue.objects.exists()


def test_a_stale_form_is_a_409_and_keeps_the_others_value(world, login, indicators):
    client = login(world.user("city_office"))
    url = _edit(indicators[4], 2022)
    assert client.post(url, {"actual": "56.5", "version": "0"}).status_code == 302
    stale = client.post(url, {"actual": "56.7", "version": "0"})
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "该指标数值已被他人修改，请刷新后重试" in html
    assert "现有值：56.5%" in html and 'name="version" value="1"' in html  # to overwrite knowingly
    assert IndicatorValue.objects.get().actual == D("56.5")


def test_years_outside_the_plan_have_no_form(world, login, indicators):
    client = login(world.user("city_office"))
    for year in (2020, timezone.localdate().year + 1):
        assert client.get(_edit(indicators[1], year)).status_code == 404
        assert client.post(_edit(indicators[1], year), {"actual": "1"}).status_code == 404
    assert (
        client.get(
            reverse("indicators:value_edit", kwargs={"pk": 999999, "year": 2022})
        ).status_code
        == 404
    )
    assert not IndicatorValue.objects.exists()


@pytest.mark.parametrize("role", NOT_CITY)
def test_only_the_city_office_opens_the_form(world, login, indicators, role):
    client = login(world.user(role))
    url = _edit(indicators[1], 2022)
    assert client.get(url).status_code == 403
    assert client.post(url, {"actual": "1800", "version": "0"}).status_code == 403
    assert not IndicatorValue.objects.exists()
