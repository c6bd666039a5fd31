"""Entering actual values: the city office's, audited; refusals in Chinese; stale forms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from sanpi.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from sanpi.core.models import AuditLog
from sanpi.indicators import services
from sanpi.indicators.models import IndicatorValue

D = Decimal
NOT_CITY = ("leader", "county", "zone", "enterprise", "admin", "auditor", "department", "agent")


def test_the_city_office_enters_and_corrects_a_value_audited(world, indicators):
    city = world.user("city_office")
    gdp = indicators[1]
    row = services.value_set(
        by=city, indicator=gdp, year=2023, actual="1,937.44", note="统计公报", version=0
    )
    assert (row.actual, row.note, row.version, row.entered_by) == (
        D("1937.44"),
        "统计公报",
        1,
        city,
    )
    created = AuditLog.objects.get(object_type="indicators.indicatorvalue", action="create")
    assert created.message == "录入地区生产总值（GDP）2023年实际值1937.44亿元"
    assert created.after["actual"] == "1937.4400" and created.user == city
    # The same again: nothing written, the version stays.
    same = services.value_set(
        by=city, indicator=gdp.pk, year=2023, actual="1937.44", note="统计公报", version=1
    )
    assert same.version == 1
    assert AuditLog.objects.filter(object_type="indicators.indicatorvalue").count() == 1
    fixed = services.value_set(by=city, indicator=gdp, year=2023, actual=D("1940"), version=1)
    assert (fixed.actual, fixed.note, fixed.version) == (D("1940"), "", 2)
    update = AuditLog.objects.get(object_type="indicators.indicatorvalue", action="update")
    assert update.before["actual"] == "1937.4400" and update.after["actual"] == "1940.0000"
    assert update.message == "修改地区生产总值（GDP）2023年实际值为1940亿元"
    assert IndicatorValue.objects.count() == 1


@pytest.mark.parametrize("role", NOT_CITY)
def test_only_the_city_office_enters_values(world, indicators, role):
    with pytest.raises(PermissionDenied):
        services.value_set(
            by=world.user(role), indicator=indicators[1], year=2023, actual="1", version=0
        )
    assert not IndicatorValue.objects.exists() and not AuditLog.objects.exists()


@pytest.mark.parametrize(
    ("year", "actual", "field", "message"),
    [
        (2020, "1", "year", "年份应在2021至"),
        (None, "1", "year", "年份应在2021至"),  # next year, filled in below
        (2023, "abc", "actual", "“abc”不是数字"),
        (2023, "56.2%", "actual", "不是数字"),
        (2023, "", "actual", "请填写实际值"),
        (2023, "1.00001", "actual", "最多保留四位小数"),
        (2023, "1" * 13, "actual", "数值过大"),
    ],
)
def test_bad_years_and_values_are_refused_in_chinese(
    world, indicators, year, actual, field, message
):
    year = year or timezone.localdate().year + 1
    with pytest.raises(ValidationFailed) as caught:
        services.value_set(
            by=world.user("city_office"), indicator=indicators[2], year=year, actual=actual,
            version=0,
        )  # fmt: skip
    assert message in caught.value.fields[field][0]
    assert not IndicatorValue.objects.exists() and not AuditLog.objects.exists()


def test_this_years_value_may_be_entered(world, indicators):
    year = timezone.localdate().year
    row = services.value_set(
        by=world.user("city_office"), indicator=indicators[2], year=year, actual="58", version=0
    )
    assert row.year == year


def test_an_unknown_indicator_is_not_found(world, indicators):
    with pytest.raises(NotFound):
        services.value_set(
            by=world.user("city_office"), indicator=999999, year=2023, actual="1", version=0
        )


def test_a_stale_version_is_a_conflict(world, indicators):
    """Two people read the same empty year; the first saves, the second is refused. A form
    read before a change is refused too; the stored value stays the first one's."""
    city = world.user("city_office")
    ind = indicators[11]
    services.value_set(by=city, indicator=ind, year=2022, actual="40", version=0)
    with pytest.raises(Conflict) as caught:
        services.value_set(by=city, indicator=ind, year=2022, actual="41", version=0)
    assert caught.value.status == 409
    assert caught.value.message == "该指标数值已被他人修改，请刷新后重试"
    services.value_set(by=city, indicator=ind, year=2022, actual="42", version=1)
    with pytest.raises(Conflict):
        services.value_set(by=city, indicator=ind, year=2022, actual="43", version=1)
    row = IndicatorValue.objects.get(indicator=ind, year=2022)
    assert (row.actual, row.version) == (D("42"), 2)
    assert AuditLog.objects.filter(object_type="indicators.indicatorvalue").count() == 2


def test_without_a_version_there_is_no_check(world, indicators):
    """Operator commands (no form read) pass no version."""
    city = world.user("city_office")
    services.value_set(by=city, indicator=indicators[11], year=2022, actual="40")
    row = services.value_set(by=city, indicator=indicators[11], year=2022, actual="41")
    assert (row.actual, row.version) == (D("41"), 2)
