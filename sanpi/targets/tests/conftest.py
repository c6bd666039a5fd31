"""A year of figures for the two zones of the test world (see `zones_2024`)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sanpi.targets.tests.factories import D, project, recorded_on, report, target

Y, M = 2024, 6  # ranked: 2024, months 1–6 (time progress 6/12 = 50%)


@pytest.fixture
def zones_2024(world):
    """Zone A (吕梁经济技术开发区, county A) and zone B (孝义经济开发区, county B) in 2024.

    Zone A: PA1 signed 2024-02-01 and started 2024-05-10 (3,000万元); PA2 signed in
    2023, started 2024-01-15, produced 2024-06-30 (5,000万元); project A in reserve since
    2024-01-01 (10,000万元); PA3 in reserve but recorded 2024-07-02 (after June). Accepted
    investment of PA1: 100.00 (Jan) + 250.50 (Mar) + 49.50 (Jun) = 400.00万元; not
    counted: July (after M), a submitted May report, December 2023. Enterprise A went
    上规 on 2024-03-01.
    Zone B: project B in reserve since 2024-01-01 (10,000万元), nothing else.
    """
    a, b = world.zone_a, world.zone_b
    pa1 = project(
        name="甲一期项目", enterprise=world.enterprise_a, county=world.county_a, zone=a,
        signed_date=D(2024, 2, 1), started_date=D(2024, 5, 10),
        total_investment_wan=Decimal("3000.00"),
    )  # fmt: skip
    pa2 = project(
        name="甲二期项目", county=world.county_a, zone=a,
        signed_date=D(2023, 11, 1), started_date=D(2024, 1, 15), produced_date=D(2024, 6, 30),
        total_investment_wan=Decimal("5000.00"), recorded=D(2023, 10, 1),
    )  # fmt: skip
    project(
        name="甲三期项目", county=world.county_a, zone=a,
        total_investment_wan=Decimal("2500.00"), recorded=D(2024, 7, 2),
    )  # fmt: skip
    recorded_on(world.project_a, D(2024, 1, 1))
    recorded_on(world.project_b, D(2024, 1, 1))
    report(pa1, 2024, 1, "100.00")
    report(pa1, 2024, 3, "250.50")
    report(pa1, 2024, 6, "49.50")
    report(pa1, 2024, 7, "999.00")
    report(pa1, 2024, 5, "77.00", status="submitted")
    report(pa1, 2023, 12, "500.00")
    world.enterprise_a.above_size_since = D(2024, 3, 1)
    world.enterprise_a.save()
    target(
        Y, zone=a, investment_wan=Decimal("1000.00"), signed_count=2,
        signed_investment_wan=Decimal("6000.00"), started_count=1, produced_count=4,
        reserve_wan=Decimal("8000.00"),
    )  # fmt: skip
    target(
        Y, zone=b, investment_wan=Decimal("0.00"), signed_count=1,
        reserve_wan=Decimal("10000.00"),
    )  # fmt: skip
    world.pa1, world.pa2 = pa1, pa2
    return world
