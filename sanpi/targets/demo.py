"""The demo's targets for this year, per county and zone, so that the monthly ranking
has scores to show. Sized from the demo's own ledger (each unit's planned investment,
its projects signed, started and produced this year, its reserve), with a spread so that
units complete differently; deterministic for a given seed. Fixture data."""

from __future__ import annotations

import math
import random
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from sanpi.dispatch.models import AnnualPlan
from sanpi.projects.models import Project
from sanpi.regions.models import County, DevelopmentZone

from .models import UnitTarget

CENT = Decimal("0.01")


def _money(value, factor: Decimal) -> Decimal:
    return (Decimal(value or 0) * factor).quantize(CENT, ROUND_HALF_UP)


def _targets(projects, year: int, rng: random.Random) -> dict:
    factor = Decimal(rng.randint(80, 150)) / 100
    signed = projects.filter(signed_date__year=year)
    plans = AnnualPlan.objects.filter(project__in=projects, year=year).aggregate(
        s=Sum("planned_investment_wan")
    )["s"]
    reserve = projects.filter(stage="reserve").aggregate(s=Sum("total_investment_wan"))["s"]
    return {
        "investment_wan": _money(plans or 1000, factor),
        "signed_count": max(1, math.ceil(signed.count() * float(factor))),
        "signed_investment_wan": _money(
            signed.aggregate(s=Sum("total_investment_wan"))["s"] or 10000, factor
        ),
        "started_count": max(
            1, math.ceil(projects.filter(started_date__year=year).count() * float(factor))
        ),
        "produced_count": max(
            1, math.ceil(projects.filter(produced_date__year=year).count() * float(factor))
        ),
        "reserve_wan": _money(reserve or 10000, factor),
        "above_size_count": rng.randint(1, 3),
    }


def load_targets_demo(*, seed: int = 2021) -> None:
    rng = random.Random(seed)
    year = timezone.localdate().year
    rows = []
    for county in County.objects.filter(code__startswith="1411").order_by("code"):
        projects = Project.objects.filter(county=county)
        if projects.exists():
            rows.append(UnitTarget(year=year, county=county, **_targets(projects, year, rng)))
    for zone in DevelopmentZone.objects.order_by("pk"):
        projects = Project.objects.filter(Q(zone=zone))
        if projects.exists():
            rows.append(UnitTarget(year=year, zone=zone, **_targets(projects, year, rng)))
    UnitTarget.objects.bulk_create(rows)
