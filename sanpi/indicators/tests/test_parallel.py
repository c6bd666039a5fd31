"""Two people entering the same year's value at the same moment, through real parallel
HTTP requests (threads, each with its own database connection): one succeeds, the other
gets 409 该指标数值已被他人修改，请刷新后重试, never two successes."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from sanpi.accounts.tests.factories import UserFactory
from sanpi.core.models import AuditLog
from sanpi.core.tests.api import ApiClient
from sanpi.core.tests.parallel import parallel, signed_in
from sanpi.indicators.models import IndicatorValue
from sanpi.indicators.tests.factories import seeded

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(transactional_db):
    indicators = seeded()
    one = UserFactory(username="city_one", role="city_office")
    two = UserFactory(username="city_two", role="city_office")
    return indicators[3], one, two


def test_two_first_entries_of_the_same_year_one_wins(setup):
    ind, one, two = setup
    url = f"/indicators/{ind.pk}/2023/"
    a, b = signed_in(one), signed_in(two)
    responses = parallel(
        lambda: a.post(url, {"actual": "800", "version": "0"}),
        lambda: b.post(url, {"actual": "810", "version": "0"}),
    )
    assert sorted(r.status_code for r in responses) == [302, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert "该指标数值已被他人修改，请刷新后重试" in loser.content.decode()
    row = IndicatorValue.objects.get()
    assert row.version == 1 and row.actual in (Decimal("800"), Decimal("810"))
    assert AuditLog.objects.filter(object_type="indicators.indicatorvalue").count() == 1


def test_two_corrections_through_the_api_one_wins(setup):
    ind, one, two = setup
    path = f"/indicators/{ind.pk}/values/2022"
    first = ApiClient(one).put(path, {"actual": "700", "version": 0})
    assert first.status_code == 200, first.content.decode()
    a, b = ApiClient(one), ApiClient(two)
    responses = parallel(
        lambda: a.put(path, {"actual": "701", "version": 1}),
        lambda: b.put(path, {"actual": "702", "version": 1}),
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert json.loads(loser.content)["error"] == {
        "code": "conflict",
        "message": "该指标数值已被他人修改，请刷新后重试",
        "fields": {},
    }
    row = IndicatorValue.objects.get()
    assert row.version == 2 and row.actual in (Decimal("701"), Decimal("702"))
