"""Helpers for health tests: projects at a stage with their dates, accepted monthly reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from sanpi.dispatch.models import MonthlyReport
from sanpi.projects.models import Project

D = dt.date
# The evaluation day of most tests: May's reports are due (deadline 5 June 2026, the 5th
# working day), so the months counted end with May 2026.
TODAY = D(2026, 6, 20)
SIGNED = D(2025, 12, 1)
STARTED = D(2026, 1, 1)


def at_stage(
    project: Project,
    *,
    stage: str = "started",
    signed: dt.date | None = SIGNED,
    started: dt.date | None = STARTED,
    planned: dt.date | None = None,
    total: str | None = None,
    health: str | None = None,
) -> Project:
    """Put a project at a stage with its dates (straight into the table, as a test fixture)."""
    values = {
        "stage": stage,
        "signed_date": signed,
        "started_date": started if stage != "signed" else None,
        "planned_completion_date": planned,
    }
    if total is not None:
        values["total_investment_wan"] = Decimal(total)
    if health is not None:
        values["health"] = health
    Project.objects.filter(pk=project.pk).update(**values)
    project.refresh_from_db()
    return project


def report(
    project: Project, year: int, month: int, wan, *, status: str = "accepted"
) -> MonthlyReport:
    """A month's report, accepted unless said otherwise."""
    return MonthlyReport.objects.create(
        project=project,
        year=year,
        month=month,
        status=status,
        investment_wan=Decimal(str(wan)),
        progress_percent=0,
        reviewed_at=timezone.now() if status == "accepted" else None,
    )
