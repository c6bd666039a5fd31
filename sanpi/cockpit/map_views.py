"""The county map of 吕梁 (issue 11): a page and the JSON its map draws.

The page holds a ``.sanpi-map`` element that ``static/sanpi/cockpit-map.js`` draws with
ECharts (the shapes: ``vendor/geo/lvliang.json``, scripts/vendor_geo.py); the JSON
endpoint answers that script's contract, documented at the top of the script:

    {"measure": {"key", "label", "unit"},
     "counties": [{"code", "name", "value", "text"}, ...],   every county of the city
     "selected": "141102" or null}

``value`` is an exact decimal as a string, or null for a county outside the user's scope
(the map greys it). The figures read the ledger through `project_list`, so they are
scoped like every other page: a county user gets their county's figures and nulls.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db.models import Count, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse

from sanpi.accounts.roles import Cap
from sanpi.core.amounts import yi
from sanpi.core.errors import ServiceError, ValidationFailed
from sanpi.core.money import exact_wan
from sanpi.core.web import require_cap, web_view
from sanpi.projects.selectors import project_list
from sanpi.regions.forms import county_choices
from sanpi.regions.selectors import county_list


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str


MEASURES = {
    m.key: m
    for m in (
        Measure("investment", "总投资", "亿元"),
        Measure("projects", "项目数", "个"),
    )
}
DEFAULT_MEASURE = "investment"
OUT_OF_SCOPE = "不在本账号范围"


def _measure(key: str | None) -> Measure:
    key = key or DEFAULT_MEASURE
    if key not in MEASURES:
        choices = "、".join(f"{m.key}（{m.label}）" for m in MEASURES.values())
        raise ValidationFailed.of("measure", f"不支持的指标“{key}”，可选：{choices}")
    return MEASURES[key]


def _selected(code: str | None, counties) -> str | None:
    if not code:
        return None
    if code not in {c.code for c in counties}:
        raise ValidationFailed.of("county", f"县(市、区)代码“{code}”不存在")
    return code


def map_figures(*, user, measure: Measure, selected: str | None = None) -> dict:
    """Every county of the city with the measure's figure in the user's scope."""
    counties = list(county_list(user=user).order_by("code"))
    selected = _selected(selected, counties)
    in_scope = (
        None if user.sees_all else set(county_choices(user=user).values_list("pk", flat=True))
    )
    rows = {
        row["county_id"]: row
        for row in project_list(user=user)
        .order_by()
        .values("county_id")
        .annotate(projects=Count("id"), investment=Sum("total_investment_wan"))
    }
    items = []
    for county in counties:
        row = rows.get(county.pk)
        if in_scope is not None and county.pk not in in_scope:
            value, text = None, OUT_OF_SCOPE
        elif measure.key == "investment":
            amount = exact_wan(row["investment"] if row else None)
            value, text = yi(amount), f"{yi(amount, grouped=True)}亿元"
        else:
            count = row["projects"] if row else 0
            value, text = str(count), f"{count}个"
        items.append({"code": county.code, "name": county.name, "value": value, "text": text})
    return {"measure": asdict(measure), "counties": items, "selected": selected}


def _json(body: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@web_view
def county_map(request):
    """The map page: the measure's switch, the map, and the same figures as a table."""
    require_cap(request.user, Cap.VIEW_LEDGER)
    try:
        measure = _measure(request.GET.get("measure"))
        figures = map_figures(
            user=request.user, measure=measure, selected=request.GET.get("county")
        )
    except ValidationFailed as exc:
        return render(
            request, "400.html", {"heading": "请求有误（400）", "message": exc.message}, status=400
        )
    query = f"?measure={measure.key}"
    if figures["selected"]:
        query += f"&county={figures['selected']}"
    return render(
        request,
        "cockpit/map.html",
        {
            "figures": figures,
            "measure": measure,
            "measures": MEASURES.values(),
            "data_url": reverse("cockpit:map_data") + query,
            "click_url": f"?measure={measure.key}&county={{code}}",
        },
    )


@web_view
def county_map_data(request):
    """The map's JSON (the contract above); a refusal in the API's error shape."""
    try:
        require_cap(request.user, Cap.VIEW_LEDGER)
        measure = _measure(request.GET.get("measure"))
        body = map_figures(user=request.user, measure=measure, selected=request.GET.get("county"))
    except ServiceError as exc:
        return _json(exc.as_dict(), status=exc.status)
    return _json(body)
