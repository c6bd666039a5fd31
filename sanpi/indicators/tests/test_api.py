"""The API: the table for a year, and entering a year's value (the one error shape)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from sanpi.core.models import AuditLog
from sanpi.core.tests.api import ApiClient, assert_error
from sanpi.indicators.models import IndicatorValue
from sanpi.indicators.tests.factories import value

READERS = ("city_office", "leader", "county", "zone", "enterprise")
NOT_READERS = ("admin", "auditor", "department", "agent")
NOT_CITY = ("leader", "county", "zone", "enterprise", "admin", "auditor", "department", "agent")


@pytest.mark.parametrize("role", READERS)
def test_the_table_for_every_reader(world, indicators, role):
    value(indicators[1], 2023, "1900", note="初步核算")
    response = ApiClient(world.user(role)).get("/indicators", {"year": 2023})
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["year"] == 2023 and len(body["items"]) == 34
    assert body["summary"] == {
        "year": 2023, "on_path": 0, "behind": 1, "undecidable": 33, "entered": 1, "total": 34,
    }  # fmt: skip
    gdp = body["items"][0]
    assert gdp == {
        "id": indicators[1].pk,
        "order": 1,
        "group": "经济发展",
        "name": "地区生产总值（GDP）",
        "unit": "亿元",
        "attribute": "expected",
        "attribute_label": "预期性",
        "direction": "up",
        "direction_label": "越高越好",
        "path_kind": "compound",
        "path_kind_label": "按年均增速复合增长",
        "baseline": "1538",
        "baseline_text": "1538",
        "target": "2238",
        "target_text": "2238",
        "annual_growth": "8",
        "annual_growth_text": ">8",
        "actual": "1900",
        "actual_year": 2023,
        "actual_note": "初步核算",
        "version": 1,
        "expected": "1937.4371",
        "progress": {
            "num": "362",
            "den": "700",
            "unit": "亿元",
            "pct": "51.7",
            "text": "51.7%（362亿元/700亿元）",
        },
        "progress_note": "",
        "verdict": "behind",
        "verdict_label": "落后于进度",
        "verdict_reason": gdp["verdict_reason"],
    }
    assert gdp["verdict_reason"].startswith("2023年实际1900亿元，低于应达值1937.4371亿元")
    energy = body["items"][20]
    assert energy["target"] is None and energy["target_text"] == "完成省下达目标任务"
    assert energy["progress"] is None and "不计算进度" in energy["progress_note"]
    assert energy["verdict"] == "unknown"


def test_the_table_defaults_to_the_last_full_year(world, indicators):
    body = ApiClient(world.user("leader")).get("/indicators").json()
    assert body["year"] == max(2021, timezone.localdate().year - 1)


@pytest.mark.parametrize("year", ["2020", "abc", "9999", "-1", str(2**70), "２０２３"])
def test_a_bad_year_is_a_400(world, indicators, year):
    response = ApiClient(world.user("leader")).get("/indicators", {"year": year})
    assert_error(response, 400, field="year")


@pytest.mark.parametrize("role", NOT_READERS)
def test_roles_without_the_ledger_are_403(world, indicators, role):
    assert_error(ApiClient(world.user(role)).get("/indicators"), 403, "permission_denied")


def test_the_city_office_enters_and_corrects_a_value(world, indicators):
    client = ApiClient(world.user("city_office"))
    path = f"/indicators/{indicators[2].pk}/values/2022"
    response = client.put(path, {"actual": "56.9", "note": "统计公报", "version": 0})
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert {k: body[k] for k in ("indicator", "year", "actual", "unit", "note", "version")} == {
        "indicator": indicators[2].pk, "year": 2022, "actual": "56.9", "unit": "%",
        "note": "统计公报", "version": 1,
    }  # fmt: skip
    assert body["entered_by"] == "city"
    assert client.put(path, {"actual": 57.05, "version": 1}).json()["actual"] == "57.05"
    table = client.get("/indicators", {"year": 2022}).json()
    assert table["items"][1]["actual"] == "57.05" and table["items"][1]["version"] == 2
    entries = AuditLog.objects.filter(object_type="indicators.indicatorvalue").order_by("pk")
    assert [e.source for e in entries] == ["api", "api"]


def test_a_stale_version_is_a_409(world, indicators):
    client = ApiClient(world.user("city_office"))
    path = f"/indicators/{indicators[2].pk}/values/2022"
    assert client.put(path, {"actual": "56.9", "version": 0}).status_code == 200
    error = assert_error(client.put(path, {"actual": "57", "version": 0}), 409, "conflict")
    assert error["message"] == "该指标数值已被他人修改，请刷新后重试"
    assert str(IndicatorValue.objects.get().actual) == "56.9000"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"actual": "abc", "version": 0}, "actual", "不是数字"),
        ({"actual": "56.2%", "version": 0}, "actual", "不是数字"),
        ({"actual": None, "version": 0}, "actual", "请填写实际值"),
        ({"actual": True, "version": 0}, "actual", "须为数字"),
        ({"actual": "1.00001", "version": 0}, "actual", "最多保留四位小数"),
        ({"actual": 1e300, "version": 0}, "actual", "数值过大"),
        ({"actual": "1"}, "version", "必须填写"),
        ({"actual": "1", "version": -1}, "version", "不能小于0"),
        ({"actual": "1", "version": 0, "extra": 1}, "extra", "不是可接受的字段"),
        ({"actual": "1", "version": 0, "note": "x" * 501}, "note", "不能超过500个字符"),
    ],
)
def test_bad_bodies_are_400_in_chinese(world, indicators, body, field, message):
    response = ApiClient(world.user("city_office")).put(
        f"/indicators/{indicators[2].pk}/values/2022", body
    )
    error = assert_error(response, 400, field=field)
    assert message in error["fields"][field][0], error
    assert not IndicatorValue.objects.exists()


@pytest.mark.parametrize("year", [2020, None])
def test_a_year_outside_the_plan_is_a_400(world, indicators, year):
    year = year or timezone.localdate().year + 1
    response = ApiClient(world.user("city_office")).put(
        f"/indicators/{indicators[2].pk}/values/{year}", {"actual": "1", "version": 0}
    )
    error = assert_error(response, 400, field="year")
    assert error["fields"]["year"][0].startswith("年份应在2021至")


def test_unknown_indicators_and_bad_ids(world, indicators):
    client = ApiClient(world.user("city_office"))
    assert_error(client.put("/indicators/999999/values/2022", {"actual": "1", "version": 0}), 404)
    for bad in ("0", "abc", str(2**64)):
        response = client.put(f"/indicators/{bad}/values/2022", {"actual": "1", "version": 0})
        assert response.status_code in (400, 404)
        assert_error(response, response.status_code)
    assert_error(client.put(f"/indicators/{indicators[1].pk}/values/abc", {}), 400)


@pytest.mark.parametrize("role", NOT_CITY)
def test_only_the_city_office_enters_values(world, indicators, role):
    response = ApiClient(world.user(role)).put(
        f"/indicators/{indicators[2].pk}/values/2022", {"actual": "1", "version": 0}
    )
    assert_error(response, 403, "permission_denied")
    assert not IndicatorValue.objects.exists()
