"""The zones' assessment on sanpi's own figures: the inputs are the selectors' own numbers
(targets' actuals and targets, cohort rates, problems' and approvals' figures), computed
never typed, and scored by the engine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as W

import pytest

from sanpi.assessment import io, services
from sanpi.assessment.models import UnitEntry
from sanpi.assessment.selectors import scores
from sanpi.cockpit.selectors import cohort_rates
from sanpi.core.errors import ValidationFailed
from sanpi.dispatch.models import MonthlyReport
from sanpi.projects.models import Project
from sanpi.targets.models import UnitTarget
from sanpi.targets.selectors import actuals

pytestmark = pytest.mark.django_db
D = dt.date


def test_the_zones_inputs_are_the_ledgers_figures(world):
    city = world.user("city_office")
    Project.objects.filter(pk=world.project_a.pk).update(
        stage="started", signed_date=D(2025, 2, 1), started_date=D(2025, 5, 1)
    )
    MonthlyReport.objects.create(project=world.project_a, year=2025, month=6, status="accepted",
                                 investment_wan=W("800"), progress_percent=10)  # fmt: skip
    UnitTarget.objects.create(year=2025, zone=world.zone_a, investment_wan=W("1000"),
                              signed_count=2, started_count=1)  # fmt: skip
    from sanpi.approvals.selectors import ItemFilter, approval_report
    from sanpi.approvals.tests.factories import approvals_world, catalogue_item, make_item

    approvals_world(world)  # its items are 2021's; two decided in 2025 in zone A:
    for name, decided in (("取水许可", D(2025, 3, 4)), ("建设工程规划许可证", D(2025, 9, 30))):
        make_item(world.project_a, catalogue_item(name), applied_on=D(2025, 3, 3),
                  accepted_on=D(2025, 3, 3), decided_on=decided, outcome="approved")  # fmt: skip
    assert services.inputs_compute(by=city, key="zone", year=2025) >= 2
    a = UnitEntry.objects.get(unit=world.zone_a.name).values
    done = actuals(2025, 12, "zone")[world.zone_a.pk]
    rates = cohort_rates(user=city, year=2025, zone=str(world.zone_a.pk))
    assert (W(a["investment"]), int(a["signed"]), int(a["started"])) == (
        done["investment"], done["signed"], done["started"])  # fmt: skip
    assert (int(a["signed_cohort"]), int(a["signed_cohort_started"])) == (
        rates.start_rate.den, rates.start_rate.num) == (1, 1)  # fmt: skip
    assert a["investment_target"] == "1000.00" and "produced_target" not in a
    # Approvals on time: the approvals' own report narrowed to the zone (one on time).
    own = approval_report(user=city, start=D(2025, 1, 1), end=D(2025, 12, 31),
                          filters=ItemFilter(zone=str(world.zone_a.pk))).on_time  # fmt: skip
    assert (
        (int(a["approvals_decided"]), int(a["approvals_on_time"])) == (own.den, own.num) == (2, 1)
    )
    _, ranked = scores("zone", 2025)
    za = next(u for u in ranked if u.name == world.zone_a.name)
    items = {i.key: i for i in za.items}
    assert items["investment"].points == W("16.00")  # 20 × 800/1000
    assert items["signed"].points == W("5.00")  # 10 × 1/2
    assert items["started"].points == W("10.00")  # 10 × min(1/1, 1.2)
    assert items["produced"].note == "没有目标（未下达或不大于0），得0分"
    assert items["start_rate"].points == W("8.00")  # the best zone: 1 of 1 started
    assert za.rank == 1


def test_a_computed_scheme_has_no_template(world):
    with pytest.raises(ValidationFailed) as info:
        io.template(by=world.user("city_office"), key="zone", year=2025)
    assert "由系统从台账计算" in info.value.message
    with pytest.raises(ValidationFailed):
        services.inputs_compute(by=world.user("city_office"), key="bank", year=2025)
