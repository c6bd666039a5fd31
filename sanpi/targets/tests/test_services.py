"""Setting targets and weights: the city office's, audited; others refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from sanpi.core.errors import NotFound, PermissionDenied, ValidationFailed
from sanpi.core.models import AuditLog
from sanpi.targets import services
from sanpi.targets.models import ScoringScheme, UnitTarget
from sanpi.targets.rules import previous_month

W = Decimal
NOT_CITY = ("leader", "county", "zone", "enterprise", "admin", "auditor", "department", "agent")


def test_the_city_office_sets_a_units_targets_audited(world):
    city = world.user("city_office")
    row = services.target_set(
        by=city, year=2025, kind="county", pk=world.county_b.pk,
        investment_wan=W("1200"), signed_count=8, reserve_wan=None,
    )  # fmt: skip
    assert (row.county, row.investment_wan, row.signed_count) == (world.county_b, W("1200.00"), 8)
    entry = AuditLog.objects.get(object_type="targets.unittarget", action="create")
    assert entry.message == "设置孝义市2025年度目标"
    # The same values again: nothing written.
    services.target_set(
        by=city, year=2025, kind="county", pk=world.county_b.pk,
        investment_wan=W("1200.00"), signed_count=8,
    )  # fmt: skip
    assert AuditLog.objects.filter(object_type="targets.unittarget").count() == 1
    services.target_set(by=city, year=2025, kind="county", pk=world.county_b.pk, signed_count=9)
    update = AuditLog.objects.get(object_type="targets.unittarget", action="update")
    assert update.before["signed_count"] == 8 and update.after["signed_count"] == 9
    assert update.after["investment_wan"] is None  # every target set: absent means none
    zone = services.target_set(by=city, year=2025, kind="zone", pk=world.zone_a.pk, started_count=3)
    assert zone.zone == world.zone_a and zone.county is None
    assert UnitTarget.objects.count() == 2


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"investment_wan": W("-1")}, "__all__", "目标金额不能为负数"),
        ({"investment_wan": W("1.234")}, "investment_wan", "金额最多保留两位小数"),
        ({"signed_count": -1}, "signed_count", "确保该值大于或等于0。"),
    ],
)
def test_bad_targets_are_refused(world, values, field, message):
    with pytest.raises(ValidationFailed) as caught:
        services.target_set(
            by=world.user("city_office"), year=2025, kind="county", pk=world.county_a.pk, **values
        )
    assert message in caught.value.fields[field][0]
    assert not UnitTarget.objects.exists() and not AuditLog.objects.exists()


def test_bad_years_units_and_kinds_are_refused(world):
    city = world.user("city_office")
    next_year = timezone.localdate().year + 1
    with pytest.raises(ValidationFailed, match=f"年度应在2000至{next_year}之间"):
        services.target_set(by=city, year=next_year + 1, kind="county", pk=world.county_a.pk)
    with pytest.raises(NotFound):
        services.target_set(by=city, year=2025, kind="county", pk=999999)
    with pytest.raises(ValidationFailed, match="单位类型应为"):
        services.target_set(by=city, year=2025, kind="city", pk=world.county_a.pk)


@pytest.mark.parametrize("role", NOT_CITY)
def test_only_the_city_office_sets_targets_and_weights(world, role):
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        services.target_set(
            by=world.user(role), year=2025, kind="county", pk=world.county_a.pk, signed_count=1
        )
    with pytest.raises(PermissionDenied):
        services.scheme_set(
            by=world.user(role), year=today.year, month=today.month, cap=W("1.2"),
            weights={"investment": 100},
        )  # fmt: skip
    assert not AuditLog.objects.exists()


def test_weights_are_set_from_this_month_on_and_replaced_for_the_same_month(world):
    city = world.user("city_office")
    today = timezone.localdate()
    row = services.scheme_set(
        by=city, year=today.year, month=today.month, cap=W("1.5"),
        weights={"investment": 60, "signed": 40}, note="加大投资权重",
    )  # fmt: skip
    assert row.weights == {
        "investment": 60, "signed": 40, "signed_investment": 0, "started": 0,
        "produced": 0, "reserve": 0, "above_size": 0,
    }  # fmt: skip
    assert row.cap == W("1.50") and row.created_by == city
    services.scheme_set(
        by=city, year=today.year, month=today.month, cap=W("1.50"),
        weights={"investment": 60, "signed": 40}, note="加大投资权重",
    )  # fmt: skip
    assert AuditLog.objects.filter(object_type="targets.scoringscheme").count() == 1
    services.scheme_set(
        by=city, year=today.year, month=today.month, cap=W("1.2"), weights={"investment": 100}
    )
    assert ScoringScheme.objects.count() == 1
    assert ScoringScheme.objects.get().weights["investment"] == 100
    assert AuditLog.objects.filter(object_type="targets.scoringscheme").count() == 2


def test_a_past_months_weights_cannot_be_changed(world):
    city = world.user("city_office")
    year, month = previous_month(*timezone.localdate().timetuple()[:2])
    with pytest.raises(ValidationFailed) as caught:
        services.scheme_set(by=city, year=year, month=month, cap=W("1.2"), weights={"signed": 1})
    assert "过去月份的排名保持当时的权重" in caught.value.fields["month"][0]
    with pytest.raises(ValidationFailed, match="封顶系数最多保留两位小数"):
        services.scheme_set(by=city, year=year + 1, month=1, cap=W("1.234"), weights={"signed": 1})
    assert not ScoringScheme.objects.exists()
