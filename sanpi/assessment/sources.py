"""Inputs sanpi computes from its own records, for the schemes that need no template:
the zones' assessment (`zone_inputs`). Each figure is read through the selector that
defines it elsewhere (targets, cohort rates, problems' figures, approvals' report), so the
assessment states the same numbers as the pages it comes from."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sanpi.accounts.actors import SystemActor
from sanpi.regions.models import DevelopmentZone

TARGETED = ("investment", "signed", "started", "produced", "reserve", "above_size")


def zone_inputs(
    year: int, *, mujun: dict[str, Decimal] | None = None
) -> dict[str, dict[str, Decimal | int]]:
    """Each zone's inputs for the year, by zone name (every zone of the city)."""
    from sanpi.approvals.rules import on_time_rate
    from sanpi.approvals.selectors import approval_report
    from sanpi.cockpit.selectors import cohort_rates_by_county
    from sanpi.problems.figures import Period, figures
    from sanpi.targets.selectors import actuals, targets_by_unit

    reader = SystemActor(name="assessment")
    done = actuals(year, 12, "zone")
    targets = targets_by_unit(year, "zone")
    rates = cohort_rates_by_county(user=reader, year=year, by="zone_id")
    problems = {row.key[0]: row for row in figures(user=reader, period=Period(year, None)).by_zone}
    # The year's decided items once (their clocks on the official calendar), by zone,
    # counted by the approvals' own rule.
    report = approval_report(user=reader, start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))
    clocks_by_zone: dict[int, list] = {}
    for r in report.decided:
        clocks_by_zone.setdefault(r.item.project.zone_id, []).append(r.clock)
    out: dict[str, dict[str, Decimal | int]] = {}
    for zone in DevelopmentZone.objects.order_by("county__code", "name"):
        values: dict[str, Decimal | int] = {}
        for key in TARGETED:
            values[key] = done.get(zone.pk, {}).get(key, 0)
            target = targets.get(zone.pk, {}).get(key)
            if target is not None:
                values[f"{key}_target"] = target
        r = rates.get(zone.pk)
        if r is not None:
            values |= {
                "signed_cohort": r.start_rate.den, "signed_cohort_started": r.start_rate.num,
                "started_cohort": r.production_rate.den,
                "started_cohort_produced": r.production_rate.num,
                "output_planned": r.target_rate.den, "output_actual": r.target_rate.num,
            }  # fmt: skip
        p = problems.get(zone.pk)
        if p is not None:
            values |= {"problems_closed": p.closed, "problems_on_time": p.on_time}
        approvals = on_time_rate(clocks_by_zone.get(zone.pk, []))
        values |= {"approvals_decided": approvals.den, "approvals_on_time": approvals.num}
        if mujun and zone.name in mujun:
            values["mujun"] = mujun[zone.name]
        out[zone.name] = values
    return out


def mujun_by_zone(year: int) -> dict[str, Decimal]:
    """The mean 亩均 total of each zone's assessed enterprises (an enterprise counts for
    every zone it has a project in), from the year's 亩均 results; none: empty."""
    from sanpi.projects.models import Project

    from .selectors import scores

    _, ranked = scores("mujun", year)
    total = {u.name: u.total for u in ranked}
    if not total:
        return {}
    sums: dict[str, list[Decimal]] = {}
    pairs = (
        Project.objects.filter(enterprise__name__in=list(total), zone__isnull=False)
        .values_list("zone__name", "enterprise__name")
        .distinct()
    )
    for zone, enterprise in pairs:
        sums.setdefault(zone, []).append(total[enterprise])
    return {
        zone: (sum(v, Decimal(0)) / len(v)).quantize(Decimal("0.01")) for zone, v in sums.items()
    }


def mujun_defaults(names) -> dict[str, dict[str, object]]:
    """The 亩均 defaults of these enterprises (by name) from their projects in the ledger:
    land = the sum of their projects' 用地面积 (亩), group = 传统产业 when every one of their
    projects is 传统产业, else 其他产业. One grouped query."""
    from django.db.models import Count, Q, Sum

    from sanpi.projects.models import Industry, Project

    from .schemes import GROUPS

    rows = (
        Project.objects.filter(enterprise__name__in=list(names))
        .order_by()
        .values("enterprise__name")
        .annotate(
            land=Sum("land_mu"),
            others=Count("pk", filter=~Q(industry=Industry.TRADITIONAL)),
        )
    )
    return {
        r["enterprise__name"]: {
            "land": r["land"],
            "group": GROUPS[0] if r["others"] == 0 else GROUPS[1],
        }
        for r in rows
    }
