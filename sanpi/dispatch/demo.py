"""The demo's monthly dispatch: the three months before this one, reported.

The two older months are accepted and closed; the latest is in progress (most accepted,
some submitted and waiting for the county, a few drafts, sent back, or missing), so the
month page, the reminders and the ranking show real content. Each started or producing
project also gets this year's planned investment. Written directly (fixture data, like
the rest of the demo's history), deterministic for a given seed.
"""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from sanpi.projects.models import Project

from . import rules, services
from .models import AnnualPlan, MonthlyReport, ReportMonth

CENT = Decimal("0.01")


def _months_before(today, n: int) -> list[tuple[int, int]]:
    year, month = today.year, today.month
    out = []
    for _ in range(n):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        out.append((year, month))
    return list(reversed(out))


def load_dispatch_demo(*, seed: int = 2021) -> None:
    rng = random.Random(seed)
    today = timezone.localdate()
    months = _months_before(today, 3)
    projects = list(
        Project.objects.filter(stage__in=[s.value for s in rules.REPORTING_STAGES])
        .exclude(health=rules.WITHDRAWN)
        .order_by("pk")
    )
    reports, plans = [], []
    for project in projects:
        total = project.total_investment_wan or Decimal("0")
        done = Decimal("0")
        if project.stage != "signed":
            plans.append(
                AnnualPlan(
                    project=project,
                    year=today.year,
                    planned_investment_wan=(total * Decimal(rng.randint(20, 50)) / 100).quantize(
                        CENT
                    ),
                )
            )
        for i, (year, month) in enumerate(months):
            if project.signed_date is None or project.signed_date > rules.month_end(year, month):
                continue
            latest = i == len(months) - 1
            roll = rng.random()
            if latest and roll < 0.12:
                continue  # missing: the reminders and the month page show it
            status = rules.Status.ACCEPTED
            if latest:
                status = (
                    rules.Status.SUBMITTED
                    if roll < 0.30
                    else rules.Status.DRAFT
                    if roll < 0.36
                    else rules.Status.RETURNED
                    if roll < 0.40
                    else rules.Status.ACCEPTED
                )
            if project.stage == "signed" or project.health == "stalled":
                amount = Decimal("0")  # not building yet, or stalled
            else:
                share = Decimal(rng.randint(5, 40)) / 1000  # 0.5%–4% of the total a month
                amount = min((total * share).quantize(CENT, ROUND_HALF_UP), total - done)
            done += amount if status == rules.Status.ACCEPTED else 0
            produced = project.stage == "produced"
            reports.append(
                MonthlyReport(
                    project=project,
                    year=year,
                    month=month,
                    status=status.value,
                    investment_wan=amount,
                    progress_percent=min(100, 10 + 25 * (i + 1) + rng.randint(0, 10)),
                    progress_text="设备安装调试" if produced else "主体结构施工",
                    output_wan=(
                        (project.planned_output_wan or Decimal(0)) / 12 * Decimal("0.8")
                    ).quantize(CENT)
                    if produced
                    else None,
                    tax_wan=Decimal(rng.randint(5, 80)) if produced else None,
                    jobs=rng.randint(20, 300),
                    return_reason="本月投资与统计部门数据不一致，请核对"
                    if status == rules.Status.RETURNED
                    else "",
                )
            )
    MonthlyReport.objects.bulk_create(reports, batch_size=500)
    AnnualPlan.objects.bulk_create(plans, batch_size=500)
    for year, month in months[:-1]:
        services.month_get(year, month)
        ReportMonth.objects.filter(year=year, month=month).update(closed_at=timezone.now())
    services.month_get(*months[-1])
