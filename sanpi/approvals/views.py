"""Approval pages. Thin: parse, call selectors/services, render."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from sanpi.accounts.roles import Cap
from sanpi.core import jobs
from sanpi.core.audit import history_for
from sanpi.core.errors import NotFound, ServiceError
from sanpi.core.web import (
    add_service_error,
    attachment,
    describe_audit,
    paginate,
    require_cap,
    submit,
    web_view,
)

from . import io, selectors, services
from .forms import (
    AcceptForm,
    AddItemsForm,
    AgencyStepForm,
    CatalogueItemForm,
    CommitmentFilterForm,
    CommitmentForm,
    DecideForm,
    DepartmentForm,
    FulfilForm,
    ItemFilterForm,
    ItemPlanForm,
    MaterialForm,
    ReportForm,
)
from .jobs import LEDGER_EXPORT
from .models import AgencyService, LowRiskProfile
from .rules import AGENCY_STEP_LABELS, AgencyStep, agency_next_steps, provisional_note


def _note(rows) -> str:
    """The provisional note for a set of rows (clocks) or figures."""
    years: set[int] = set()
    for row in rows:
        years.update(getattr(row, "clock", row).uncovered_years)
    return provisional_note(years)


# --- items ---------------------------------------------------------------------------------


@web_view
def item_list(request):
    user = request.user
    filters = selectors.ItemFilter.from_params(request.GET)
    rows = selectors.item_rows(user=user, filters=filters)
    page = paginate(request, rows)
    return render(
        request,
        "approvals/item_list.html",
        {
            "page": page,
            "query": urlencode(filters.as_params()),
            "filter_form": ItemFilterForm(request.GET or None, user=user),
            "provisional": _note(page.object_list),
            "total": len(rows),
        },
    )


@web_view
def overdue(request):
    user = request.user
    filters = selectors.ItemFilter.from_params(request.GET)
    rows = selectors.overdue_rows(user=user, filters=filters)
    return render(
        request,
        "approvals/overdue.html",
        {
            "rows": rows,
            "groups": selectors.overdue_groups(rows),
            "filter_form": ItemFilterForm(request.GET or None, user=user),
            "provisional": _note(rows),
            "today": timezone.localdate(),
        },
    )


def _warn(request, item, fields: tuple[str, ...]) -> None:
    """After a save: the unusual dates among `fields` (allowed, but worth a second look)."""
    for name, message in selectors.item_warnings(item).items():
        if name in fields:
            messages.warning(request, f"已保存，但请注意：{message}")


def _item_context(request, item, **forms) -> dict:
    user = request.user
    can_decide = user.can(Cap.DECIDE_APPROVALS)
    can_commit = user.can(Cap.MANAGE_COMMITMENTS)
    clock = selectors.item_clock(item)
    commitments = selectors.commitment_list(user=user).filter(item=item)
    return {
        "item": item,
        "lead": selectors.item_lead(user=user, item=item),
        "clock": clock,
        "warnings": selectors.item_warnings(item),
        "can_plan": user.can(Cap.PLAN_APPROVALS),
        "can_decide": can_decide,
        "can_commit": can_commit,
        "accept_form": forms.get("accept_form")
        or (AcceptForm(item=item) if can_decide and not item.accepted_on else None),
        "decide_form": forms.get("decide_form")
        or (
            DecideForm(item=item)
            if can_decide and item.accepted_on and not item.decided_on
            else None
        ),
        "commitment_form": forms.get("commitment_form")
        or (CommitmentForm() if can_commit and item.applied_on else None),
        "fulfil_form": FulfilForm(),
        "commitments": commitments,
        "history": describe_audit(history_for(item)),
    }


@web_view
def item_detail(request, pk: int):
    item = selectors.item_get(user=request.user, pk=pk)
    return render(request, "approvals/item_detail.html", _item_context(request, item))


@web_view
def item_edit(request, pk: int):
    user = request.user
    item = selectors.item_get(user=user, pk=pk)
    require_cap(user, Cap.PLAN_APPROVALS)
    form = ItemPlanForm(request.POST or None, instance=item, user=user)
    if submit(request, form, lambda data: services.item_update(by=user, item=item, **data)):
        messages.success(request, "审批事项已保存")
        _warn(request, item, ("applied_on",))
        return redirect("approvals:item_detail", pk=item.pk)
    if form.is_bound:
        item = selectors.item_get(user=user, pk=pk)  # a refused edit left it half-set
    return render(request, "approvals/item_form.html", {"form": form, "item": item})


@require_POST
@web_view
def item_accept(request, pk: int):
    user = request.user
    item = selectors.item_get(user=user, pk=pk)
    require_cap(user, Cap.DECIDE_APPROVALS)
    form = AcceptForm(request.POST, item=item)
    if submit(request, form, lambda data: services.item_accept(by=user, item=item, **data)):
        clock = selectors.item_clock(item)
        messages.success(
            request,
            f"已受理，须于{clock.deadline:%Y-%m-%d}前办结"
            + (f"（{clock.note()}）" if clock.provisional else ""),
        )
        _warn(request, item, ("applied_on", "accepted_on"))
        return redirect("approvals:item_detail", pk=item.pk)
    item = selectors.item_get(user=user, pk=pk)  # a refused act left it half-set
    return render(
        request, "approvals/item_detail.html", _item_context(request, item, accept_form=form)
    )


@require_POST
@web_view
def item_decide(request, pk: int):
    user = request.user
    item = selectors.item_get(user=user, pk=pk)
    require_cap(user, Cap.DECIDE_APPROVALS)
    form = DecideForm(request.POST, item=item)
    if submit(request, form, lambda data: services.item_decide(by=user, item=item, **data)):
        clock = selectors.item_clock(item)
        messages.success(request, f"已办结（{item.get_outcome_display()}），{clock.label}")
        return redirect("approvals:item_detail", pk=item.pk)
    item = selectors.item_get(user=user, pk=pk)  # a refused act left it half-set
    return render(
        request, "approvals/item_detail.html", _item_context(request, item, decide_form=form)
    )


@require_POST
@web_view
def item_remove(request, pk: int):
    user = request.user
    item = selectors.item_get(user=user, pk=pk)
    require_cap(user, Cap.PLAN_APPROVALS)
    project_pk = item.project_id
    try:
        services.item_remove(by=user, item=item)
    except ServiceError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
        return redirect("approvals:item_detail", pk=pk)
    messages.success(request, f"已删除事项“{item.name}”")
    return redirect("approvals:project", pk=project_pk)


# --- commitments ------------------------------------------------------------------------------


@require_POST
@web_view
def commitment_create(request, pk: int):
    user = request.user
    item = selectors.item_get(user=user, pk=pk)
    require_cap(user, Cap.MANAGE_COMMITMENTS)
    form = CommitmentForm(request.POST)
    if submit(request, form, lambda data: services.commitment_create(by=user, item=item, **data)):
        messages.success(request, "已登记承诺事项")
        return redirect("approvals:item_detail", pk=item.pk)
    return render(
        request,
        "approvals/item_detail.html",
        _item_context(request, item, commitment_form=form),
    )


@require_POST
@web_view
def commitment_fulfil(request, pk: int):
    user = request.user
    commitment = selectors.commitment_get(user=user, pk=pk)
    require_cap(user, Cap.MANAGE_COMMITMENTS)
    form = FulfilForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写有效的履行日期")
    else:
        try:
            services.commitment_fulfil(by=user, commitment=commitment, **form.cleaned_data)
        except ServiceError as exc:
            if isinstance(exc, NotFound):
                raise
            messages.error(request, exc.message)
        else:
            messages.success(request, "已登记承诺履行")
    return redirect("approvals:item_detail", pk=commitment.item_id)


@web_view
def commitments(request):
    user = request.user
    county = (request.GET.get("county") or "").strip()
    status = (request.GET.get("status") or "").strip()
    return render(
        request,
        "approvals/commitments.html",
        {
            "filter_form": CommitmentFilterForm(request.GET or None, user=user),
            "page": paginate(
                request, selectors.commitment_list(user=user, county=county, status=status)
            ),
            "records": selectors.credit_record_list(user=user, county=county)[:200],
            "query": urlencode({k: v for k, v in {"county": county}.items() if v}),
        },
    )


@web_view
def credit_export(request):
    user = request.user
    county = (request.GET.get("county") or "").strip()
    export = io.credit_export(by=user, county=county)
    return attachment(export.data, export.filename, io.XLSX)


# --- projects -------------------------------------------------------------------------------


def _offered_steps(user, agency) -> list[AgencyStep]:
    """The next steps of the flow that this user may record."""
    return [
        step
        for step in agency_next_steps(agency.status if agency else None)
        if user.can(Cap.EVALUATE_AGENCY if step == AgencyStep.EVALUATE else Cap.MANAGE_AGENCY)
    ]


def _agency_form(user, project, agency, data=None) -> AgencyStepForm | None:
    steps = _offered_steps(user, agency)
    if not steps:
        return None
    return AgencyStepForm(
        data, steps=[(s.value, AGENCY_STEP_LABELS[s]) for s in steps], project=project
    )


def _project_context(request, project, *, add_form=None, agency_form=None) -> dict:
    user = request.user
    data = selectors.project_approvals(user=user, project=project)
    agency = data.agency
    form = agency_form or _agency_form(user, project, agency)
    return {
        "project": project,
        "data": data,
        "figures": data.figures,
        "rows": data.rows,
        "agency": agency,
        "provisional": data.figures.note(),
        "can_plan": user.can(Cap.PLAN_APPROVALS),
        "add_form": add_form or (AddItemsForm(user=user) if user.can(Cap.PLAN_APPROVALS) else None),
        "agency_form": form,
        "low_risk": LowRiskProfile.objects.filter(project_id=project.pk).first(),
    }


@web_view
def project(request, pk: int):
    project = selectors.approval_project_get(user=request.user, pk=pk)
    return render(request, "approvals/project.html", _project_context(request, project))


@require_POST
@web_view
def project_add_items(request, pk: int):
    user = request.user
    project = selectors.approval_project_get(user=user, pk=pk)
    require_cap(user, Cap.PLAN_APPROVALS)
    form = AddItemsForm(request.POST, user=user)
    if form.is_valid():
        building = form.building()
        if not form.errors:
            try:
                created = services.approvals_add(
                    by=user, project=project, catalogue_items=form.items(), building=building
                )
            except ServiceError as exc:
                if "low_risk" in exc.fields:  # the whole sentence, every failed rule in it
                    form.add_error(None, exc.message)
                else:
                    add_service_error(form, exc)
            else:
                messages.success(request, f"已添加{len(created)}项审批事项")
                return redirect("approvals:project", pk=project.pk)
    return render(
        request, "approvals/project.html", _project_context(request, project, add_form=form)
    )


@require_POST
@web_view
def agency_step(request, pk: int):
    user = request.user
    project = selectors.approval_project_get(user=user, pk=pk)
    if not (user.can(Cap.MANAGE_AGENCY) or user.can(Cap.EVALUATE_AGENCY)):
        require_cap(user, Cap.MANAGE_AGENCY)
    agency = AgencyService.objects.filter(project_id=project.pk).first()
    form = _agency_form(user, project, agency, request.POST)
    if form is None:
        messages.error(request, "全代办服务当前没有您可以登记的环节")
        return redirect("approvals:project", pk=project.pk)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        data.setdefault("note", "")
        try:
            services.agency_step(by=user, project=project, **data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"全代办：已登记“{AGENCY_STEP_LABELS[data['step']]}”")
            return redirect("approvals:project", pk=project.pk)
    return render(
        request, "approvals/project.html", _project_context(request, project, agency_form=form)
    )


@web_view
def project_notice(request, pk: int, fmt: str):
    project = selectors.approval_project_get(user=request.user, pk=pk)
    data = selectors.project_approvals(user=request.user, project=project)
    items = [r.item.catalogue_item for r in data.rows]
    title = f"{project.name} 一次性告知清单"
    return _notice(request, title, items, fmt)


def _notice(request, title: str, items, fmt: str) -> HttpResponse:
    notice = selectors.notice_for(items)
    if fmt == "docx":
        return attachment(io.notice_docx(title, notice), f"{title}.docx", io.DOCX)
    if fmt == "xlsx":
        return attachment(io.notice_xlsx(title, notice), f"{title}.xlsx", io.XLSX)
    raise NotFound()


# --- lists and reports -------------------------------------------------------------------------


@web_view
def ledger_export(request):
    """The items ledger as .xlsx, written by a background job whose page offers the file."""
    filters = selectors.ItemFilter.from_params(request.GET)
    require_cap(request.user, Cap.VIEW_APPROVALS)
    job = jobs.job_start(
        user=request.user, kind=LEDGER_EXPORT, params={"filters": filters.as_params()}
    )
    return redirect("core:job", pk=job.pk)


def _default_period() -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    return dt.date(today.year, 1, 1), today


@web_view
def report(request):
    user = request.user
    require_cap(user, Cap.VIEW_APPROVALS)
    start, end = _default_period()
    form = ReportForm(request.GET or None, user=user, initial={"start": start, "end": end})
    filters = selectors.ItemFilter.from_params(request.GET)
    result = None
    if request.GET and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    if not request.GET or form.is_valid():
        result = selectors.approval_report(user=user, start=start, end=end, filters=filters)
    comparison = selectors.agency_comparison(user=user, filters=filters)
    years: set[int] = set(result.uncovered_years if result else ())
    for _, figures in comparison:
        years.update(figures.uncovered_years)
    return render(
        request,
        "approvals/report.html",
        {
            "form": form,
            "report": result,
            "comparison": comparison,
            "provisional": provisional_note(years),
        },
    )


# --- the catalogue -----------------------------------------------------------------------------


@web_view
def catalogue(request):
    user = request.user
    tracks = [
        (track, selectors.figures_for(selectors.catalogue_items(user=user, track=track)))
        for track in selectors.track_list(user=user)
    ]
    return render(
        request,
        "approvals/catalogue.html",
        {"tracks": tracks, "can_manage": user.can(Cap.MANAGE_CATALOGUE)},
    )


@web_view
def track(request, pk: int):
    user = request.user
    track = selectors.track_get(user=user, pk=pk)
    items = list(selectors.catalogue_items(user=user, track=track))
    return render(
        request,
        "approvals/track.html",
        {
            "track": track,
            "items": items,
            "figures": selectors.figures_for(items),
            "can_manage": user.can(Cap.MANAGE_CATALOGUE),
        },
    )


@web_view
def track_notice(request, pk: int, fmt: str):
    user = request.user
    track = selectors.track_get(user=user, pk=pk)
    items = list(selectors.catalogue_items(user=user, track=track))
    return _notice(request, f"{track.name} 一次性告知清单", items, fmt)


@web_view
def catalogue_item_create(request, pk: int):
    user = request.user
    track = selectors.track_get(user=user, pk=pk)
    require_cap(user, Cap.MANAGE_CATALOGUE)
    form = CatalogueItemForm(request.POST or None)
    if item := submit(
        request, form, lambda data: services.catalogue_item_create(by=user, track=track, **data)
    ):
        messages.success(request, f"已新增事项“{item}”")
        return redirect("approvals:catalogue_item_edit", pk=item.pk)
    return render(
        request,
        "approvals/catalogue_item_form.html",
        {"form": form, "track": track, "item": None},
    )


def _catalogue_item_page(request, item, *, form=None, material_form=None):
    return render(
        request,
        "approvals/catalogue_item_form.html",
        {
            "form": form or CatalogueItemForm(instance=item),
            "material_form": material_form or MaterialForm(),
            "track": item.track,
            "item": item,
            "history": describe_audit(history_for(item)),
        },
    )


@web_view
def catalogue_item_edit(request, pk: int):
    user = request.user
    item = selectors.catalogue_item_get(user=user, pk=pk)
    require_cap(user, Cap.MANAGE_CATALOGUE)
    form = CatalogueItemForm(request.POST or None, instance=item)
    if submit(
        request, form, lambda data: services.catalogue_item_update(by=user, item=item, **data)
    ):
        messages.success(request, "事项已保存（已在办项目的期限不变，新添加的按新时限）")
        return redirect("approvals:track", pk=item.track_id)
    if form.is_bound:
        item = selectors.catalogue_item_get(user=user, pk=pk)
    return _catalogue_item_page(request, item, form=form)


@require_POST
@web_view
def material_add(request, pk: int):
    user = request.user
    item = selectors.catalogue_item_get(user=user, pk=pk)
    require_cap(user, Cap.MANAGE_CATALOGUE)
    form = MaterialForm(request.POST)
    if submit(
        request, form, lambda data: services.catalogue_material_add(by=user, item=item, **data)
    ):
        messages.success(request, "已添加材料")
        return redirect("approvals:catalogue_item_edit", pk=item.pk)
    return _catalogue_item_page(request, item, material_form=form)


@require_POST
@web_view
def material_remove(request, pk: int):
    user = request.user
    material = selectors.material_get(user=user, pk=pk)
    require_cap(user, Cap.MANAGE_CATALOGUE)
    services.catalogue_material_remove(by=user, material=material)
    messages.success(request, f"已删除材料“{material.name}”")
    return redirect("approvals:catalogue_item_edit", pk=material.item_id)


# --- departments ------------------------------------------------------------------------------


@web_view
def department_list(request):
    user = request.user
    return render(
        request,
        "approvals/department_list.html",
        {
            "departments": selectors.department_list(user=user),
            "can_manage": user.can(Cap.MANAGE_CATALOGUE),
        },
    )


@web_view
def department_create(request):
    user = request.user
    require_cap(user, Cap.MANAGE_CATALOGUE)
    form = DepartmentForm(request.POST or None)
    if department := submit(
        request, form, lambda data: services.department_create(by=user, **data)
    ):
        messages.success(request, f"已新增部门“{department}”")
        return redirect("approvals:department_list")
    return render(request, "approvals/department_form.html", {"form": form, "department": None})


@web_view
def department_edit(request, pk: int):
    user = request.user
    department = selectors.department_get(user=user, pk=pk)
    require_cap(user, Cap.MANAGE_CATALOGUE)
    form = DepartmentForm(request.POST or None, instance=department)
    if submit(
        request,
        form,
        lambda data: services.department_update(by=user, department=department, **data),
    ):
        messages.success(request, "部门信息已保存")
        return redirect("approvals:department_list")
    if form.is_bound:
        department = selectors.department_get(user=user, pk=pk)
    return render(
        request, "approvals/department_form.html", {"form": form, "department": department}
    )
