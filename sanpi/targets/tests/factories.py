"""Fixture data for the ranking: accepted monthly reports, projects recorded on a day,
targets and weights, written directly (not through the services)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from sanpi.dispatch.models import MonthlyReport
from sanpi.projects.models import Project
from sanpi.projects.tests.factories import ProjectFactory
from sanpi.targets.models import ScoringScheme, UnitTarget

D = dt.date


def report(project, year: int, month: int, investment: str, status: str = "accepted"):
    return MonthlyReport.objects.create(
        project=project,
        year=year,
        month=month,
        status=status,
        investment_wan=Decimal(investment),
        progress_percent=50,
    )


def recorded_on(project, day: dt.date) -> None:
    """Pretend the project was recorded on ``day`` (created_at is set automatically)."""
    moment = timezone.make_aware(dt.datetime(day.year, day.month, day.day, 9))
    Project.objects.filter(pk=project.pk).update(created_at=moment)


def project(**kw):
    """A project at the stage its dates say (reserve without dates)."""
    stage = "reserve"
    for field, name in (
        ("signed_date", "signed"),
        ("started_date", "started"),
        ("produced_date", "produced"),
    ):
        if kw.get(field):
            stage = name
    recorded = kw.pop("recorded", D(2024, 1, 1))
    p = ProjectFactory(stage=stage, **kw)
    recorded_on(p, recorded)
    return p


def target(year: int, *, county=None, zone=None, **values) -> UnitTarget:
    return UnitTarget.objects.create(year=year, county=county, zone=zone, **values)


def scheme(year: int, month: int, cap: str = "1.20", **weights) -> ScoringScheme:
    return ScoringScheme.objects.create(year=year, month=month, cap=Decimal(cap), weights=weights)
