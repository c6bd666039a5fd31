"""The leaders' cockpit page (领导驾驶舱, /cockpit/) and its JSON (/cockpit/data/).

Thin: the filter form parses, `board` answers, the template lays it out. The charts are
drawn by static/sanpi/cockpit-board.js from the same figures the page prints as tables
(``data-chart`` attributes), the map by cockpit-map.js from /cockpit/data/?panel=map.
``?screen=1`` is the large-screen mode (dark, full width, refreshed every 5 minutes);
the print layout is the page's own print style (one A4 landscape sheet).
"""

from __future__ import annotations

import json

from django import forms
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from sanpi.accounts.roles import Cap, pinned_dimensions
from sanpi.core.errors import ServiceError, ValidationFailed
from sanpi.core.web import BootstrapFormMixin, attachment, require_cap, web_view
from sanpi.indicators.selectors import indicator_summary
from sanpi.projects.selectors import activity_list
from sanpi.regions.forms import county_choices
from sanpi.regions.models import County
from sanpi.regions.rules import COUNTIES
from sanpi.regions.selectors import zone_list

from . import board, facts, io

SCREEN_REFRESH_SECONDS = 300
MAP_CODES = [code for code, _name in COUNTIES]  # the counties the map draws (吕梁's 13)
LIST_MAX = 200  # more units than this: typed, not chosen from a list (no unbounded page)
MONTHS = [("", "—"), *((m, f"{m}月") for m in range(1, 13))]


class BoardForm(BootstrapFormMixin, forms.Form):
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100)
    first = forms.TypedChoiceField(label="起始月", choices=MONTHS, coerce=int, required=False)
    last = forms.TypedChoiceField(label="截止月", choices=MONTHS, coerce=int, required=False)
    county = forms.ChoiceField(label="县(市、区)", required=False)
    zone = forms.ChoiceField(label="开发区", required=False)
    activity = forms.TypedChoiceField(label="“三个一批”活动", required=False, coerce=int,
                                      empty_value=None)  # fmt: skip
    measure = forms.ChoiceField(
        label="地图指标",
        required=False,
        choices=[(k, label) for k, (label, _unit) in board.MEASURES.items()],
    )

    def __init__(self, *args, user, lists: bool = True, **kwargs):
        """`lists`: offer the counties and zones as dropdowns (the page), at most LIST_MAX
        of each; otherwise (the JSON, or more units than that) they are typed, a county by
        its code and a zone by its number, and checked by `board.view_for`."""
        super().__init__(*args, **kwargs)
        for name in pinned_dimensions(user.scope_dimension) & self.fields.keys():
            del self.fields[name]
        units = {
            "county": ("全部县(市、区)", "行政区划代码",
                       lambda: county_choices(user=user).order_by("code"),
                       lambda c: (c.code, c.name)),
            "zone": ("全部开发区", "开发区编号",
                     lambda: zone_list(user=user).order_by("name"),
                     lambda z: (str(z.pk), z.short_name or z.name)),
        }  # fmt: skip
        self.fields["activity"].choices = [
            ("", "不按活动（按年度、月份）"),
            *((a.pk, str(a)) for a in activity_list(user=user)[:LIST_MAX]),
        ]
        for name, (everything, hint, listing, option) in units.items():
            if name not in self.fields:
                continue
            listed = list(listing()[: LIST_MAX + 1]) if lists else None
            if listed is not None and len(listed) <= LIST_MAX:
                self.fields[name].choices = [("", everything), *map(option, listed)]
                continue
            typed = forms.CharField(label=self.fields[name].label, required=False, max_length=20)
            typed.widget.attrs.update({"class": "form-control", "placeholder": hint})
            self.fields[name] = typed

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last and first > last:
            self.add_error("last", f"截止月（{last}月）早于起始月（{first}月）")
        return data


def _params(request, *, lists: bool = True) -> tuple[BoardForm, dict]:
    form = BoardForm(request.GET or None, user=request.user, lists=lists)
    data = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    return form, {
        "year": data.get("year") or today.year,
        "first": data.get("first") or 1,
        "last": data.get("last")
        or (today.month if (data.get("year") or today.year) == today.year else 12),
        "county": data.get("county") or "",
        "zone": data.get("zone") or "",
        "measure": data.get("measure") or "signed_investment",
        "activity": data.get("activity") or "",
    }


def _query(p: dict, **changes) -> str:
    merged = {**p, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in ("", None)})


def map_json(view: board.View, period: board.Period, measure: str) -> dict:
    """The map's figures in cockpit-map.js's contract: every county of the city, null
    where the user's view has none of it."""
    shown = list(County.objects.filter(code__in=MAP_CODES).order_by("code"))
    values = board.by_county(view, period, measure, [c.pk for c in shown])
    label, unit = board.MEASURES[measure]
    counties = []
    for county in shown:
        value = values.get(county.pk)
        visible = (
            view.user.sees_all
            or county.pk in values
            or (view.user.scope_dimension == "county" and view.user.scope_value == county.pk)
        )
        if value is None and visible:
            value = board.empty_value(measure)
        counties.append(
            {
                "code": county.code,
                "name": county.name,
                "value": None if value is None or value[0] is None else str(value[0]),
                "text": "不在本账号范围" if value is None else value[1],
            }
        )
    return {
        "measure": {"key": measure, "label": label, "unit": unit},
        "counties": counties,
        "selected": view.county.code if view.county else None,
    }


@web_view
def board_page(request):
    require_cap(request.user, Cap.VIEW_LEDGER)
    form, p = _params(request)
    try:
        view = board.view_for(user=request.user, county=p["county"], zone=p["zone"])
        period = board.Period.parse(p["year"], p["first"], p["last"])
    except ValidationFailed as exc:
        return render(
            request, "400.html", {"heading": "请求有误（400）", "message": exc.message}, status=400
        )
    activity = _activity(request.user, p["activity"])
    if activity is not None:
        now, last = board.activity_funnel(view, activity)
        period = board.Period(activity.year)
    else:
        now, last = board.funnel(view, period)
    investment = board.investment_year(view, period.year)
    zones = board.investment_by_zone(view, period.year)
    trend = board.ranking_trend(view, period.year)
    narrow = {}
    if view.county is not None:
        narrow["county"] = view.county.code
    if view.zone is not None:
        narrow["zone"] = view.zone.pk
    narrow_query = urlencode(narrow)
    screen = request.GET.get("screen") == "1"
    # The city's main indicators (专栏1-2): a year of the plan, at most this one.
    indicator_year = min(max(period.year, 2021), timezone.localdate().year)
    indicators = indicator_summary(user=request.user, year=indicator_year)
    map_figures = map_json(view, period, p["measure"])
    drill = _drill_links(view, period, activity)
    return render(
        request,
        "cockpit/board.html",
        {
            "form": form,
            "p": p,
            "view": view,
            "period": period,
            "funnel": now,
            "funnel_last": last,
            "period_label": now.period.text(),
            "stages": [
                (now.stages[k], last.stages[k] if last else None, drill[k])
                for k in board.STAGE_LABELS
            ],
            "rates": [
                (name, rate, last.rates()[name] if last else None)
                for name, rate in now.rates().items()
            ],
            "investment": investment,
            "cumulative": list(
                zip(range(1, 13), investment.cumulative(), investment.months, strict=True)
            ),
            "zones": [{**z, "url": "?" + _query(p, zone=z["zone"])} for z in zones],
            "map": map_figures,
            "map_url": reverse("cockpit:board_data") + "?" + _query(p, panel="map"),
            "click_url": "?" + _query(p, county="") + "&county={code}",
            "freshness": facts.freshness(),
            "health_lists": board.health_lists(view),
            "problems": board.open_problems(view),
            "approvals": board.approvals_overdue(view),
            "key_projects": board.key_projects(view),
            "warnings": board.start_warnings(view),
            "warnings_url": reverse("cockpit:warnings_export")
            + (f"?{narrow_query}" if narrow_query else ""),
            "can_export": request.user.can(Cap.EXPORT_LEDGER),
            "can_edit_warning_rules": request.user.can(Cap.MANAGE_TARGETS),
            "narrow_query": narrow_query,
            "rank_panels": [
                (
                    kind,
                    label,
                    {
                        **trend[kind],
                        "json": json.dumps({"type": "ranks", **trend[kind]}, ensure_ascii=False),
                    },
                )
                for kind, label in (("county", "县(市、区)"), ("zone", "开发区"))
            ],  # fmt: skip
            "indicators": indicators,
            "screen": screen,
            "screen_refresh": SCREEN_REFRESH_SECONDS,
            "screen_url": "?" + _query(p, screen=1),
            "normal_url": "?" + _query(p),
            "charts": {
                "funnel": json.dumps(
                    {"type": "funnel", **now.as_json(), "last": last.as_json() if last else None},
                    ensure_ascii=False,
                ),
                "investment": json.dumps(
                    {"type": "months", **investment.as_json()}, ensure_ascii=False
                ),
                "zones": json.dumps({"type": "zones", "zones": zones}, ensure_ascii=False),
                "groups": json.dumps(
                    {"type": "groups", "groups": investment.as_json()["by_group"]},
                    ensure_ascii=False,
                ),
            },  # fmt: skip
        },
    )


def _drill_links(view: board.View, period: board.Period, activity=None) -> dict[str, str]:
    """Each funnel count's list of projects in the ledger (which exports to .xlsx): by
    stage date in the period, or by action in the activity."""
    base = reverse("projects:list")
    date_from, date_to = period.dates()
    narrow = {}
    if view.county is not None:
        narrow["county"] = view.county.code
    if view.zone is not None:
        narrow["zone"] = view.zone.pk
    links = {"reserve": f"{base}?{urlencode({**narrow, 'stage': 'reserve'})}"}
    if activity is not None:
        for kind, action in (("signed", "sign"), ("started", "start"), ("produced", "produce")):
            links[kind] = f"{base}?" + urlencode(
                {**narrow, "activity": activity.pk, "action": action}
            )
        links["reached"] = ""
        return links
    for kind in ("signed", "started", "produced", "reached"):
        links[kind] = f"{base}?" + urlencode(
            {**narrow, "reached": kind, "date_from": date_from.isoformat(),
             "date_to": date_to.isoformat()}
        )  # fmt: skip
    return links


def _activity(user, pk):
    """The chosen activity (the form only offers the user's), or None."""
    if not pk:
        return None
    return activity_list(user=user).filter(pk=pk).first()


def _json(body: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


PANELS = ("funnel", "map", "investment", "zones", "ranking", "attention", "warning", "freshness")


@web_view
def board_data(request):
    """One panel's figures as JSON (for the map, the large screen and scripts); bad
    input answers 400 in the API's error shape."""
    try:
        require_cap(request.user, Cap.VIEW_LEDGER)
        panel = request.GET.get("panel") or "funnel"
        if panel not in PANELS:
            raise ValidationFailed.of(
                "panel", f"未知的数据面板“{panel[:30]}”，可选：{'、'.join(PANELS)}"
            )
        form, p = _params(request, lists=False)
        if request.GET and not form.is_valid():
            field, errors = next(iter(form.errors.items()))
            label = form.fields[field].label if field in form.fields else field
            raise ValidationFailed.of(field, f"{label}：{errors[0]}")
        view = board.view_for(user=request.user, county=p["county"], zone=p["zone"])
        period = board.Period.parse(p["year"], p["first"], p["last"])
        if panel == "funnel":
            activity = _activity(request.user, p["activity"])
            if activity is not None:
                now, last = board.activity_funnel(view, activity)
            else:
                now, last = board.funnel(view, period)
            body = {**now.as_json(), "last": last.as_json() if last else None}
        elif panel == "map":
            body = map_json(view, period, board.check_measure(p["measure"]))
        elif panel == "investment":
            body = board.investment_year(view, period.year).as_json()
        elif panel == "zones":
            body = {"zones": board.investment_by_zone(view, period.year)}
        elif panel == "ranking":
            body = board.ranking_trend(view, period.year)
        elif panel == "warning":
            found = board.start_warnings(view)
            body = {
                "computed_at": found["computed_at"].isoformat() if found["computed_at"] else None,
                "rules": found["rules"],
                "projects": [
                    {**w, "signed_date": w["signed_date"].isoformat(),
                     "investment_wan": str(w["investment_wan"])}
                    for w in found["projects"]
                ],
            }  # fmt: skip
        elif panel == "attention":
            body = {
                "health_lists": [
                    {**h, "investment_wan": str(h["investment_wan"])}
                    for h in board.health_lists(view)
                ],
                "problems": board.open_problems(view),
                "approvals": board.approvals_overdue(view),
                "key_projects": [
                    {**k, "investment_wan": str(k["investment_wan"])}
                    for k in board.key_projects(view)
                ],
            }
        else:
            fresh = facts.freshness()
            body = {
                "as_of": fresh.as_of.isoformat() if fresh.as_of else None,
                "pending": fresh.pending,
                "text": fresh.text(),
            }
    except ServiceError as exc:
        return _json(exc.as_dict(), status=exc.status)
    return _json(body)


@web_view
def warnings_export(request):
    """The early-warning list of the view (its county and zone narrowing) as .xlsx."""
    require_cap(request.user, Cap.EXPORT_LEDGER)
    form, p = _params(request, lists=False)
    try:
        view = board.view_for(user=request.user, county=p["county"], zone=p["zone"])
    except ValidationFailed as exc:
        return render(
            request, "400.html", {"heading": "请求有误（400）", "message": exc.message}, status=400
        )
    document = io.warnings_xlsx(by=request.user, view=view)
    return attachment(document.data, document.filename)
