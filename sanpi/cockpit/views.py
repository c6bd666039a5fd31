"""The cockpit (首页) and the 开工投产率 report page."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from sanpi.accounts.roles import Cap, pinned_dimensions
from sanpi.core import jobs
from sanpi.core.errors import NotFound, ValidationFailed
from sanpi.core.web import BootstrapFormMixin, DateInput, require_cap, submit, web_view
from sanpi.health.selectors import LISTS as HEALTH_LISTS
from sanpi.projects.models import Health, StageChoices
from sanpi.projects.rules import parse_activity_key
from sanpi.projects.selectors import (
    activity_get,
    activity_get_by_key,
    activity_list,
    project_list,
)
from sanpi.regions.forms import county_choices
from sanpi.regions.selectors import zone_list

from . import board, facts
from .jobs import BULLETIN, START_RISKS
from .rules import MAX_POINTS
from .selectors import (
    AS_OF_DEFINITION,
    COHORT_DEFINITION,
    PERIOD_DEFINITION,
    RATE_DEFINITIONS,
    CohortRates,
    activity_figures,
    check_period,
    cohort_rates,
    cohort_rates_by_county,
    day_text,
    empty_rates,
    period_figures,
    place_of,
)
from .services import warning_points_set, warning_rules, warning_settings_get


@web_view
def home(request):
    user = request.user
    if not user.can(Cap.VIEW_LEDGER):
        # System and audit administrators see no business data: a portal to their pages.
        return render(request, "cockpit/portal.html")
    # The totals and rates from the summary tables (cockpit.board): no aggregate over the
    # whole ledger per request; the page says how fresh they are.
    view = board.view_for(user=user)
    totals = board.ledger_totals(view)
    this_year = timezone.localdate().year
    activities = list(activity_list(user=user)[:5])
    latest = activities[0] if activities else None
    return render(
        request,
        "cockpit/home.html",
        {
            "totals": totals,
            "stages": [(v, label, totals.stages[v]) for v, label in StageChoices.choices],
            "healths": [(v, label, totals.healths[v]) for v, label in Health.choices],
            "health_lists": [(item, totals.lists[key][0]) for key, item in HEALTH_LISTS.items()],
            "freshness": facts.freshness() if view.from_tables else None,
            "this_year": this_year,
            "rates_year": board.funnel(view, board.Period(this_year))[0],
            "rates_all": board.all_time_funnel(view),
            "activities": activities,
            "latest_bulletin": activity_figures(user=user, activity=latest).bulletin()
            if latest
            else "",
            "attention": project_list(user=user)
            .filter(health__in=[Health.LAGGING, Health.STALLED, Health.ZOMBIE])
            .select_related("health_state")  # the light's reason
            .order_by("-total_investment_wan")[:10],
        },
    )


class RatesFilterForm(BootstrapFormMixin, forms.Form):
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100)
    activity = forms.ChoiceField(label="三个一批活动", required=False)
    as_of = forms.DateField(label="截至日期", required=False, widget=DateInput())
    county = forms.ChoiceField(label="县(市、区)", required=False)
    zone = forms.ChoiceField(label="开发区", required=False)
    # The figures of a period, by stage date (a section of their own on the page).
    date_from = forms.DateField(label="时段开始日期", required=False, widget=DateInput())
    date_to = forms.DateField(label="时段结束日期", required=False, widget=DateInput())
    PERIOD_FIELDS = ("date_from", "date_to")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].widget.attrs["placeholder"] = "全部年度"
        self.fields["activity"].choices = [
            ("", "不按活动"),
            *((a.key, a.name) for a in activity_list(user=user)),
        ]
        # Filters by what the user's scope already fixes mean nothing to them.
        for name in pinned_dimensions(user.scope_dimension) & self.fields.keys():
            del self.fields[name]
        self.counties = []
        if "county" in self.fields:
            self.counties = list(county_choices(user=user))
            self.fields["county"].choices = [
                ("", "全部县(市、区)"),
                *((c.code, c.name) for c in self.counties),
            ]
        if "zone" in self.fields:
            self.fields["zone"].choices = [
                ("", "全部开发区"),
                *((str(z.pk), z.name) for z in zone_list(user=user).order_by("name")),
            ]

    def cohort_fields(self):
        return [f for f in self if f.name not in self.PERIOD_FIELDS]

    def period_fields(self):
        return [self[name] for name in self.PERIOD_FIELDS]

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            try:
                check_period(start, end)
            except ValidationFailed as exc:
                self.add_error("date_to", exc.message)
        elif (start or end) and not self.has_error("date_from") and not self.has_error("date_to"):
            self.add_error(
                "date_to" if start else "date_from", "请同时填写时段的开始日期和结束日期"
            )
        return data


@web_view
def rates(request):
    user = request.user
    form = RatesFilterForm(request.GET or None, user=user)
    data = {}
    if form.is_bound:
        form.is_valid()  # a field the user got wrong shows its message and is left out
        data = form.cleaned_data
    year = data.get("year")
    as_of = data.get("as_of")
    county = data.get("county") or ""
    zone = data.get("zone") or ""
    activity = None
    if data.get("activity"):
        year_seq = parse_activity_key(data["activity"])
        if year_seq is None:
            raise NotFound()
        activity = activity_get_by_key(user=user, year=year_seq[0], sequence=year_seq[1])
    result = cohort_rates(
        user=user, year=year, activity=activity, county=county, zone=zone, as_of=as_of
    )
    if activity is not None:
        cohort = f"{activity.name}活动（按批次）"
    elif year:
        cohort = f"{year}年（按阶段日期）"
    else:
        cohort = "全部项目"
    if as_of:
        cohort += f"，截至{day_text(as_of)}"
    by_county = []
    if not county and not zone and user.sees_all:
        per_county = cohort_rates_by_county(user=user, year=year, activity=activity, as_of=as_of)
        by_county: list[tuple[object, CohortRates]] = [
            (c, per_county.get(c.pk) or empty_rates()) for c in form.counties
        ]
    narrowed = [
        label
        for name, value in (("county", county), ("zone", zone))
        if value
        for key, label in form.fields[name].choices
        if key == value
    ]
    period = None
    if data.get("date_from") and data.get("date_to"):
        period = period_figures(
            user=user,
            date_from=data["date_from"],
            date_to=data["date_to"],
            county=county,
            zone=zone,
        )
    return render(
        request,
        "cockpit/rates.html",
        {
            "form": form,
            "rates": result,
            "cohort": cohort,
            "narrowed": narrowed,
            "period": period,
            "period_sentence": period.sentence(narrowed[-1] if narrowed else place_of(user))
            if period
            else "",
            "activity": activity,
            "figures": activity_figures(user=user, activity=activity, county=county, zone=zone)
            if activity
            else None,
            "by_county": by_county,
            "definitions": RATE_DEFINITIONS,
            "cohort_definition": COHORT_DEFINITION,
            "as_of_definition": AS_OF_DEFINITION,
            "period_definition": PERIOD_DEFINITION,
        },
    )


class WarningPointsForm(BootstrapFormMixin, forms.Form):
    """One field per sign of the early warning: its points (0 turns it off)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, rules, version: int, **kwargs):
        kwargs.setdefault("initial", {"version": version, **{r.key: r.points for r in rules}})
        super().__init__(*args, **kwargs)
        for r in rules:
            self.fields[r.key] = forms.IntegerField(
                label=r.label, min_value=0, max_value=MAX_POINTS, help_text="分；填0不计此项"
            )

    def points(self) -> dict[str, int]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


@web_view
def warning_rules_page(request):
    """The early warning's signs and their points; the city office changes the points
    here, and the scores are recomputed at once (a background job)."""
    user = request.user
    require_cap(user, Cap.VIEW_LEDGER)
    row = warning_settings_get()
    can_edit = user.can(Cap.MANAGE_TARGETS)
    if request.method == "POST":
        require_cap(user, Cap.MANAGE_TARGETS)
    form = WarningPointsForm(request.POST or None, rules=warning_rules(), version=row.version)
    changed = submit(
        request,
        form,
        lambda data: warning_points_set(by=user, points=form.points(), version=data["version"]),
    )
    if changed is not None:
        if changed:
            job = jobs.job_start(user=user, kind=START_RISKS)
            messages.success(request, "开工预警规则的分值已保存，正在按新分值重新评分")
            return redirect("core:job", pk=job.pk)
        messages.info(request, "分值没有变化，未作修改")
        return redirect("cockpit:warning_rules")
    return render(
        request,
        "cockpit/warning_rules.html",
        {
            "rules": warning_rules(),
            "form": form if can_edit else None,
            "settings_row": row,
        },
    )


@web_view
def activity_bulletin(request, pk: int):
    """The activity's bulletin as a Word document, for the user's scope: built by a
    background job (a provincial activity lists thousands of projects); its page shows
    progress and then the file."""
    activity = activity_get(user=request.user, pk=pk)
    require_cap(request.user, Cap.EXPORT_LEDGER)
    job = jobs.job_start(user=request.user, kind=BULLETIN, params={"activity": activity.pk})
    return redirect("core:job", pk=job.pk)
