"""Figures, the joint-meeting export, the 督办 notice, leaders' liaison and the service
team's visits. Thin: parse, call a selector or a service, render.

Who may use what: the figures every problems reader (each within their scope); the
joint-meeting export the city office, leaders, counties and zones (`io.EXPORT_ROLES`); the
notice whoever may see the problem; the leaders' and visits' pages the problems readers
who also read the ledger (their projects' stage and health); liaison the city office
(MANAGE_PROBLEM_RULES); recording a visit RECORD_VISITS (city office, counties, zones).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from sanpi.accounts.roles import Cap
from sanpi.core import jobs
from sanpi.core.errors import ValidationFailed
from sanpi.core.web import add_service_error, attachment, paginate, require_cap, submit, web_view
from sanpi.core.word import DOCX_CONTENT_TYPE

from . import figures as fig
from . import io as problems_io
from . import liaison_selectors as ls
from . import services
from .selectors import ProblemFilter, problem_get
from .service_forms import LiaisonEndForm, LiaisonForm, PeriodForm, VisitFilterForm, VisitForm


def _posted(request):
    """The POSTed data (even empty: an empty form is refused with its messages), or None."""
    return request.POST if request.method == "POST" else None


def _require_reader(user) -> None:
    """The leaders' and visits' pages show projects (stage, health): problems readers who
    also read the ledger."""
    require_cap(user, Cap.VIEW_PROBLEMS)
    require_cap(user, Cap.VIEW_LEDGER)


# --- figures -------------------------------------------------------------------------------


def _period(request) -> tuple[PeriodForm, fig.Period]:
    """The period asked for (this month by default); on bad input the form carries the
    Chinese message and this month is shown."""
    today = timezone.localdate()
    data = request.GET.copy()
    if "year" not in data and "month" not in data:
        data.update({"year": str(today.year), "month": str(today.month)})
    form = PeriodForm(data)
    if form.is_valid():
        try:
            return form, fig.period_of(form.cleaned_data["year"], form.cleaned_data["month"])
        except ValidationFailed as exc:
            add_service_error(form, exc)
    return form, fig.current_period(today)


@require_GET
@web_view
def figures(request):
    user = request.user
    require_cap(user, Cap.VIEW_PROBLEMS)
    form, period = _period(request)
    return render(
        request,
        "problems/figures.html",
        {
            "form": form,
            "figures": fig.figures(user=user, period=period),
            "wording": fig.WORDING,
            "can_export": problems_io.may_export(user),
        },
    )


# --- the joint meeting's ledger and the 督办通知 ------------------------------------------------


@require_GET
@web_view
def export(request):
    """The problem ledger, filtered as on the ledger page, in the joint meeting's columns:
    a background job whose page shows its progress and then the file."""
    user = request.user
    problems_io.require_export(user)
    filters = ProblemFilter.from_params(request.GET)
    job = jobs.job_start(
        user=user, kind=problems_io.LEDGER_EXPORT, params={"filters": filters.as_params()}
    )
    return redirect("core:job", pk=job.pk)


@require_GET
@web_view
def notice(request, pk: int):
    """One problem's 督办通知 (.docx); refused, back on the problem's page with the reason,
    before it is assigned or once it has ended."""
    user = request.user
    problem = problem_get(user=user, pk=pk)
    try:
        doc = problems_io.notice_docx(by=user, problem=problem)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("problems:detail", pk=problem.pk)
    return attachment(doc.data, doc.filename, DOCX_CONTENT_TYPE)


# --- leaders' liaison ------------------------------------------------------------------------


@require_GET
@web_view
def leaders(request):
    user = request.user
    _require_reader(user)
    return render(
        request,
        "problems/leaders.html",
        {
            "leaders": ls.leader_list(user=user),
            "can_manage": user.can(Cap.MANAGE_PROBLEM_RULES),
        },
    )


@require_GET
@web_view
def leader(request, user_pk: int):
    """One leader's liaised projects, most urgent first."""
    user = request.user
    _require_reader(user)
    person = ls.leader_get(user=user, pk=user_pk)
    today = timezone.localdate()
    page = paginate(request, ls.leader_projects(user=user, leader=person, today=today))
    mine = ls.liaisons(user=user).filter(leader=person)
    current = {
        liaison.project_id: liaison
        for liaison in mine.filter(
            ls.in_force(today), project_id__in=[p.pk for p in page.object_list]
        )
    }
    rows = [(p, current.get(p.pk)) for p in page.object_list]
    ended = mine.filter(until__lt=today).order_by("-until")[:20]
    return render(
        request,
        "problems/leader.html",
        {
            "leader": person,
            "page": page,
            "rows": rows,
            "ended": ended,
            "can_manage": user.can(Cap.MANAGE_PROBLEM_RULES),
        },
    )


@require_http_methods(["GET", "POST"])
@web_view
def liaison_new(request):
    user = request.user
    require_cap(user, Cap.MANAGE_PROBLEM_RULES)
    initial = {"since": timezone.localdate()}
    for name in ("leader", "project"):
        if request.GET.get(name, "").isdigit():
            initial[name] = request.GET[name]
    form = LiaisonForm(_posted(request), user=user, initial=initial)
    liaison = submit(request, form, lambda data: services.liaison_set(by=user, **data))
    if liaison is not None:
        messages.success(request, f"已登记：{liaison.leader}包联{liaison.project.name}")
        return redirect("problems:leader", user_pk=liaison.leader_id)
    return render(request, "problems/liaison_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@web_view
def liaison_end(request, pk: int):
    user = request.user
    require_cap(user, Cap.MANAGE_PROBLEM_RULES)
    liaison = ls.liaison_get(user=user, pk=pk)
    form = LiaisonEndForm(_posted(request), initial={"until": timezone.localdate()})
    done = submit(
        request,
        form,
        lambda data: services.liaison_end(by=user, liaison=liaison, until=data["until"]),
    )
    if done is not None:
        messages.success(
            request,
            f"已结束{liaison.leader}对{liaison.project.name}的包联（截至{done.until:%Y-%m-%d}）",
        )
        return redirect("problems:leader", user_pk=liaison.leader_id)
    return render(request, "problems/liaison_end.html", {"form": form, "liaison": liaison})


# --- visits ---------------------------------------------------------------------------------


@require_GET
@web_view
def visits(request):
    """The visit log, and the followed projects not visited in the quarter (the one
    chosen, this one by default): counted per county, then listed."""
    user = request.user
    _require_reader(user)
    form = VisitFilterForm(request.GET or None, user=user)
    filters = ls.VisitFilter()
    if form.is_bound and form.is_valid():
        filters = ls.VisitFilter(**{k: v or "" for k, v in form.cleaned_data.items()})
    quarter = ls.Quarter.parse(filters.quarter) or ls.Quarter.of(timezone.localdate())
    return render(
        request,
        "problems/visits.html",
        {
            "form": form,
            "page": paginate(request, ls.visit_list(user=user, filters=filters)),
            "idle": paginate(
                request, ls.unvisited(user=user, quarter=quarter, filters=filters), param="idle"
            ),
            "by_county": ls.unvisited_by_county(user=user, quarter=quarter),
            "quarter": quarter,
            "query": urlencode(filters.as_params()),
            "can_record": user.can(Cap.RECORD_VISITS),
        },
    )


def _visit_error(form: VisitForm, exc: ValidationFailed) -> ValidationFailed:
    """The service names a visit's problems ``problems.<i>.<field>``: put each message
    next to the form's field of that problem."""
    fields = {}
    for name, errors in exc.fields.items():
        if name.startswith("problems."):
            _, index, field = (name.split(".", 2) + ["", ""])[:3]
            slot = form.slot_of(int(index)) if index.isdigit() else 1
            name = f"p{slot}_{field}" if f"p{slot}_{field}" in form.fields else "__all__"
        fields.setdefault(name, []).extend(errors)
    return ValidationFailed(exc.message, fields=fields)


@require_http_methods(["GET", "POST"])
@web_view
def visit_new(request):
    user = request.user
    require_cap(user, Cap.RECORD_VISITS)
    initial = {}
    if request.GET.get("project", "").isdigit():
        initial["project"] = request.GET["project"]
    form = VisitForm(_posted(request), user=user, initial=initial)

    def record(data):
        try:
            return services.visit_record(
                by=user,
                project=data["project"],
                date=data["date"],
                visitors=data["visitors"],
                findings=data["findings"],
                promises=data["promises"],
                problems=form.problems(),
            )
        except ValidationFailed as exc:
            raise _visit_error(form, exc) from None

    visit = submit(request, form, record)
    if visit is not None:
        n = visit.problems.count()
        raised = f"，{n}个问题已转入问题台账" if n else ""
        messages.success(request, f"已记录{visit.project.name}的入企服务{raised}")
        return redirect("problems:visits")
    return render(request, "problems/visit_form.html", {"form": form})
