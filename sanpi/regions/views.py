"""Enterprise, development-zone and county pages. Thin: parse, call selectors/services, render."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count, Q, Sum
from django.shortcuts import redirect, render

from sanpi.accounts.roles import Cap
from sanpi.core.audit import history_for
from sanpi.core.errors import PermissionDenied
from sanpi.core.scope import in_scope
from sanpi.core.web import (
    describe_audit,
    paginate,
    require_cap,
    submit,
    web_view,
)
from sanpi.projects.models import StageChoices
from sanpi.projects.rules import Stage
from sanpi.projects.selectors import ProjectFilter, project_list

from . import selectors, services
from .forms import EnterpriseForm, EnterpriseSearchForm, ZoneForm, county_choices

# --- enterprises -----------------------------------------------------------------------


@web_view
def enterprise_list(request):
    user = request.user
    form = EnterpriseSearchForm(request.GET or None)
    q = (request.GET.get("q") or "").strip()
    page = paginate(request, selectors.enterprise_list(user=user, q=q).order_by("name"))
    return render(
        request,
        "regions/enterprise_list.html",
        {"page": page, "form": form, "can_write": user.can(Cap.CHANGE_LEDGER)},
    )


@web_view
def enterprise_detail(request, pk: int):
    user = request.user
    enterprise = selectors.enterprise_get(user=user, pk=pk)
    projects = project_list(user=user).filter(enterprise=enterprise)
    return render(
        request,
        "regions/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "projects": projects,
            "history": describe_audit(history_for(enterprise)),
            "can_write": services.may_edit_enterprise(user, enterprise),
        },
    )


@web_view
def enterprise_create(request):
    user = request.user
    require_cap(user, Cap.CHANGE_LEDGER)
    form = EnterpriseForm(request.POST or None, user=user)
    if enterprise := submit(
        request, form, lambda data: services.enterprise_create(by=user, **data)
    ):
        messages.success(request, f"已新增企业“{enterprise}”")
        if in_scope(user, enterprise):
            return redirect("regions:enterprise_detail", pk=enterprise.pk)
        # Registered elsewhere: it becomes visible once it has a project in the user's scope.
        return redirect("projects:create")
    return render(request, "regions/enterprise_form.html", {"form": form, "enterprise": None})


@web_view
def enterprise_edit(request, pk: int):
    user = request.user
    enterprise = selectors.enterprise_get(user=user, pk=pk)
    require_cap(user, Cap.CHANGE_LEDGER)
    if not services.may_edit_enterprise(user, enterprise):
        raise PermissionDenied(services.MASTER_DATA_REFUSAL)
    form = EnterpriseForm(request.POST or None, user=user, instance=enterprise)
    if submit(
        request,
        form,
        lambda data: services.enterprise_update(by=user, enterprise=enterprise, **data),
        editing=True,
    ):
        messages.success(request, "企业信息已保存")
        return redirect("regions:enterprise_detail", pk=enterprise.pk)
    if form.is_bound:
        enterprise = selectors.enterprise_get(user=user, pk=pk)  # a refused edit left it half-set
    return render(request, "regions/enterprise_form.html", {"form": form, "enterprise": enterprise})


# --- development zones -----------------------------------------------------------------


@web_view
def zone_list(request):
    user = request.user
    zones = selectors.zone_list(user=user, with_counts=True).order_by("county__code", "name")
    return render(
        request,
        "regions/zone_list.html",
        {"zones": zones, "can_manage": user.can(Cap.MANAGE_ZONES)},
    )


@web_view
def zone_detail(request, pk: int):
    user = request.user
    zone = selectors.zone_get(user=user, pk=pk)
    projects = project_list(user=user, filters=ProjectFilter(zone=str(zone.pk)))
    return render(
        request,
        "regions/zone_detail.html",
        {
            "zone": zone,
            "summary": _stage_summary(projects),
            "projects": projects[:50],
            "history": describe_audit(history_for(zone)),
            "can_manage": user.can(Cap.MANAGE_ZONES),
        },
    )


@web_view
def zone_create(request):
    user = request.user
    require_cap(user, Cap.MANAGE_ZONES)
    form = ZoneForm(request.POST or None, user=user)
    if zone := submit(request, form, lambda data: services.zone_create(by=user, **data)):
        messages.success(request, f"已新增开发区“{zone}”")
        return redirect("regions:zone_detail", pk=zone.pk)
    return render(request, "regions/zone_form.html", {"form": form, "zone": None})


@web_view
def zone_edit(request, pk: int):
    user = request.user
    zone = selectors.zone_get(user=user, pk=pk)
    require_cap(user, Cap.MANAGE_ZONES)
    form = ZoneForm(request.POST or None, user=user, instance=zone)
    if submit(request, form, lambda data: services.zone_update(by=user, zone=zone, **data)):
        messages.success(request, "开发区信息已保存")
        return redirect("regions:zone_detail", pk=zone.pk)
    if form.is_bound:
        zone = selectors.zone_get(user=user, pk=pk)
    return render(request, "regions/zone_form.html", {"form": form, "zone": zone})


# --- counties --------------------------------------------------------------------------


def _stage_counts() -> dict:
    return {f"n_{s.value}": Count("id", filter=Q(stage=s.value)) for s in Stage}


def _stage_summary(projects) -> dict:
    return projects.order_by().aggregate(
        total=Count("id"), investment=Sum("total_investment_wan"), **_stage_counts()
    )


@web_view
def county_list(request):
    """The counties the user may see, each with the user's projects in it by stage."""
    user = request.user
    counties = list(county_choices(user=user))
    sums = {
        r["county_id"]: r
        for r in project_list(user=user)
        .order_by()
        .values("county_id")
        .annotate(total=Count("id"), investment=Sum("total_investment_wan"), **_stage_counts())
    }
    zones: dict[int, int] = {}
    for zone in selectors.zone_list(user=user):
        zones[zone.county_id] = zones.get(zone.county_id, 0) + 1
    rows = []
    for county in counties:
        row = sums.get(county.pk, {})
        rows.append(
            {
                "county": county,
                "zones": zones.get(county.pk, 0),
                "total": row.get("total", 0),
                "investment": row.get("investment"),
                "by_stage": [(s.value, row.get(f"n_{s.value}", 0)) for s in Stage],
            }
        )
    return render(
        request,
        "regions/county_list.html",
        {"rows": rows, "stages": [StageChoices(s.value).label for s in Stage]},
    )
