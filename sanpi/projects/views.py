"""Project ledger and "三个一批" activity pages. Thin: parse, call selectors/services, render."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sanpi.accounts.roles import Cap
from sanpi.cockpit.selectors import activity_figures, activity_since, cohort_rates
from sanpi.core.audit import history_for
from sanpi.core.errors import NotFound, ValidationFailed
from sanpi.core.job_views import CONTENT_TYPES
from sanpi.core.web import (
    describe_audit,
    paginate,
    require_cap,
    submit,
    web_view,
)

from . import selectors, services
from .forms import (
    ActivityAddForm,
    ActivityForm,
    AdvanceForm,
    BulkAddForm,
    HealthForm,
    ProjectFilterForm,
    ProjectForm,
    candidates,
    next_stage,
)
from .models import Activity, StageChoices
from .rules import STAGE_DATE_FIELD, STAGE_ORDER, Action, stage_index

# --- projects ------------------------------------------------------------------------

# The ledger table's columns: label, sort key (selectors.PROJECT_SORTS; None: not
# sortable), the direction of the first click ("-": largest or latest first), CSS class.
LEDGER_COLUMNS = (
    ("项目名称", "name", "", ""),
    ("项目单位", None, "", ""),
    ("县(市、区)", "county", "", ""),
    ("开发区", None, "", ""),
    ("产业类别", None, "", ""),
    ("总投资(万元)", "investment", "-", "text-end"),
    ("阶段", "stage", "", ""),
    ("推进状态", None, "", ""),
    ("签约日期", "signed", "-", ""),
    ("开工日期", "started", "-", ""),
    ("投产日期", "produced", "-", ""),
)


def _ledger_headers(filters: selectors.ProjectFilter) -> list[dict]:
    """Each column's header: a sortable one links to the list sorted by it, keeping the
    filters and starting again at page one; the active one says its direction."""
    params = {k: v for k, v in filters.as_params().items() if k != "sort"}
    descending = filters.sort.startswith("-")
    active = filters.sort.removeprefix("-")
    headers = []
    for label, key, first, css in LEDGER_COLUMNS:
        header = {"label": label, "css": css}
        if key:
            if key == active:
                header["aria_sort"] = "descending" if descending else "ascending"
                header["arrow"] = "↓" if descending else "↑"
                sort = key if descending else f"-{key}"
            else:
                sort = f"{first}{key}"
            header["href"] = "?" + urlencode({**params, "sort": sort})
        headers.append(header)
    return headers


@web_view
def project_list(request):
    user = request.user
    filters = selectors.ProjectFilter.from_params(request.GET)
    projects = selectors.project_list(user=user, filters=filters)
    page = paginate(request, selectors.project_rows(projects, filters))
    query = urlencode(filters.as_params())
    context = {
        "page": page,
        "query": query,
        "sort": filters.sort,
        "headers": _ledger_headers(filters),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "project-table":
        # htmx refreshes only the table; the address bar shows only the filters in use.
        response = render(request, "projects/_table.html", context)
        response["HX-Push-Url"] = request.path + (f"?{query}" if query else "")
        return response
    context["filter_form"] = ProjectFilterForm(request.GET or None, user=user)
    # The cockpit's drill-down (a stage reached in a period): kept, shown, removable.
    context["reached_text"] = filters.reached_text()
    context["reached_params"] = {
        k: getattr(filters, k) for k in ("reached", "date_from", "date_to") if getattr(filters, k)
    }
    context["can_write"] = user.can(Cap.CHANGE_LEDGER)
    return render(request, "projects/list.html", context)


def _timeline(project):
    reached = stage_index(project.stage)
    steps = []
    for stage in STAGE_ORDER:
        field = STAGE_DATE_FIELD.get(stage)
        steps.append(
            {
                "label": StageChoices(stage.value).label,
                "date": getattr(project, field) if field else None,
                "done": stage_index(stage) <= reached,
                "current": stage.value == project.stage,
            }
        )
    return steps


def _detail_context(request, project, *, advance_form=None, health_form=None) -> dict:
    user = request.user
    can_write = user.can(Cap.CHANGE_LEDGER)
    target = next_stage(project)
    return {
        "project": project,
        "timeline": _timeline(project),
        "events": selectors.project_events(project=project),
        "entries": project.activity_entries.select_related("activity").order_by("activity__date"),
        "history": describe_audit(history_for(project)),
        "can_write": can_write,
        "next_stage": StageChoices(target.value).label if target else "",
        "advance_form": advance_form or (AdvanceForm(project=project) if target else None),
        "health_form": health_form or HealthForm(project=project),
    }


@web_view
def project_detail(request, pk: int):
    project = selectors.project_get(user=request.user, pk=pk)
    return render(request, "projects/detail.html", _detail_context(request, project))


@web_view
def project_create(request):
    user = request.user
    require_cap(user, Cap.CHANGE_LEDGER)
    form = ProjectForm(request.POST or None, user=user)
    if project := submit(request, form, lambda data: services.project_create(by=user, **data)):
        messages.success(request, f"已新增项目“{project}”")
        return redirect("projects:detail", pk=project.pk)
    return render(request, "projects/form.html", {"form": form, "project": None})


@web_view
def project_edit(request, pk: int):
    user = request.user
    project = selectors.project_get(user=user, pk=pk)
    require_cap(user, Cap.CHANGE_LEDGER)
    form = ProjectForm(request.POST or None, user=user, instance=project)
    if submit(
        request,
        form,
        lambda data: services.project_update(by=user, project=project, **data),
        editing=True,
    ):
        messages.success(request, "项目信息已保存")
        return redirect("projects:detail", pk=project.pk)
    if form.is_bound:
        project = selectors.project_get(user=user, pk=pk)  # a refused edit left it half-set
    return render(request, "projects/form.html", {"form": form, "project": project})


@web_view
def project_advance(request, pk: int):
    user = request.user
    project = selectors.project_get(user=user, pk=pk)
    require_cap(user, Cap.CHANGE_LEDGER)
    form = AdvanceForm(request.POST or None, project=project)
    if submit(
        request, form, lambda data: services.project_advance_stage(by=user, project=project, **data)
    ):
        messages.success(request, f"项目已推进到“{project.get_stage_display()}”阶段")
        return redirect("projects:detail", pk=project.pk)
    if form.is_bound:
        project = selectors.project_get(user=user, pk=pk)
    return render(
        request, "projects/detail.html", _detail_context(request, project, advance_form=form)
    )


@web_view
def project_health(request, pk: int):
    user = request.user
    project = selectors.project_get(user=user, pk=pk)
    require_cap(user, Cap.CHANGE_LEDGER)
    form = HealthForm(request.POST or None, project=project)
    old_health = project.health
    if submit(
        request, form, lambda data: services.project_set_health(by=user, project=project, **data)
    ):
        if project.health == old_health:
            messages.info(request, f"推进状态仍为“{project.get_health_display()}”，未作修改")
        else:
            messages.success(request, f"推进状态已改为“{project.get_health_display()}”")
        return redirect("projects:detail", pk=project.pk)
    if form.is_bound:
        project = selectors.project_get(user=user, pk=pk)
    return render(
        request, "projects/detail.html", _detail_context(request, project, health_form=form)
    )


# --- activities ----------------------------------------------------------------------


@web_view
def activity_list(request):
    user = request.user
    page = paginate(request, selectors.activity_list(user=user))
    return render(
        request,
        "projects/activity_list.html",
        {"page": page, "can_manage": user.can(Cap.MANAGE_ACTIVITIES)},
    )


ACTIVITY_BATCHES = {
    "signed_onsite": {"action": "sign", "sign_mode": "onsite"},
    "signed_sync": {"action": "sign", "sign_mode": "sync"},
    "started": {"action": "start"},
    "produced": {"action": "produce"},
}
ENTRY_PAGE_SIZE = 30


def _activity_context(request, activity, *, bound: ActivityAddForm | None = None) -> dict:
    user = request.user
    entries = selectors.activity_entries(user=user, activity=activity)
    # Each batch its own pages (a provincial activity has thousands of entries).
    batches = {
        name: paginate(request, entries.filter(**match), ENTRY_PAGE_SIZE, param=f"{name}_page")
        for name, match in ACTIVITY_BATCHES.items()
    }
    add_forms = []
    if user.can(Cap.ENTER_ACTIVITY):
        for action in Action:
            if bound is not None and bound.action == action:
                add_forms.append(bound)
            else:
                add_forms.append(ActivityAddForm(user=user, action=action))
    return {
        "activity": activity,
        "coming": services.activity_is_coming(activity),
        "planned": list(selectors.planned_entries(user=user, activity=activity)),
        "figures": activity_figures(user=user, activity=activity),
        "since": activity_since(user=user, activity=activity),
        "rates": cohort_rates(user=user, activity=activity),
        "batches": batches,
        "add_forms": add_forms,
        "can_manage": user.can(Cap.MANAGE_ACTIVITIES),
    }


@web_view
def activity_detail(request, pk: int):
    activity = selectors.activity_get(user=request.user, pk=pk)
    return render(request, "projects/activity_detail.html", _activity_context(request, activity))


@web_view
def activity_create(request):
    user = request.user
    require_cap(user, Cap.MANAGE_ACTIVITIES)
    form = ActivityForm(request.POST or None)
    if activity := submit(request, form, lambda data: services.activity_create(by=user, **data)):
        messages.success(request, f"已新增{activity}")
        return redirect("projects:activity_detail", pk=activity.pk)
    return render(request, "projects/activity_form.html", {"form": form, "activity": None})


@web_view
def activity_edit(request, pk: int):
    user = request.user
    activity = selectors.activity_get(user=user, pk=pk)
    require_cap(user, Cap.MANAGE_ACTIVITIES)
    form = ActivityForm(request.POST or None, instance=activity)
    if submit(
        request, form, lambda data: services.activity_update(by=user, activity=activity, **data)
    ):
        messages.success(request, "活动信息已保存")
        return redirect("projects:activity_detail", pk=activity.pk)
    if form.is_bound:
        activity = selectors.activity_get(user=user, pk=pk)
    return render(request, "projects/activity_form.html", {"form": form, "activity": activity})


def _entering(request, pk: int, action: str) -> tuple[Activity, Action | None]:
    """The activity a user puts projects into (in their scope, with the right), and the
    action asked for (None: not one)."""
    activity = selectors.activity_get(user=request.user, pk=pk)
    require_cap(request.user, Cap.ENTER_ACTIVITY)
    try:
        return activity, Action(action)
    except ValueError:
        return activity, None


@require_POST
@web_view
def activity_add(request, pk: int):
    user = request.user
    activity, action = _entering(request, pk, request.POST.get("action", ""))
    if action is None:
        messages.error(request, "请选择签约、开工或投产")
        return redirect("projects:activity_detail", pk=activity.pk)
    form = ActivityAddForm(request.POST, user=user, action=action)
    coming = services.activity_is_coming(activity)  # a coming activity collects its list
    entry = submit(
        request,
        form,
        lambda data: services.activity_enter_project(
            by=user,
            activity=activity,
            project=data["project"],
            action=action.value,
            sign_mode=data.get("sign_mode", ""),
        ),
    )
    if entry:
        label = entry.get_action_display()
        messages.success(
            request,
            f"已将“{entry.project}”列入拟{label}清单（活动当天或之后确认）"
            if coming
            else f"已将“{entry.project}”加入本次活动（{label}）",
        )
        return redirect("projects:activity_detail", pk=activity.pk)
    return render(
        request,
        "projects/activity_detail.html",
        _activity_context(request, activity, bound=form),
    )


@require_POST
@web_view
def activity_remove_entry(request, pk: int, entry_pk: int):
    user = request.user
    activity = selectors.activity_get(user=user, pk=pk)
    entry = selectors.activity_entries(user=user, activity=activity).filter(pk=entry_pk).first()
    if entry is None:
        raise NotFound()
    services.activity_remove_entry(by=user, entry=entry)
    messages.success(request, f"已将“{entry.project}”移出本次活动（项目阶段和日期不变）")
    return redirect("projects:activity_detail", pk=activity.pk)


def _planned(request, pk: int, planned_pk: int):
    activity = selectors.activity_get(user=request.user, pk=pk)
    planned = selectors.planned_entries(user=request.user, activity=activity)
    found = planned.filter(pk=planned_pk).first()
    if found is None:
        raise NotFound()
    return activity, found


@require_POST
@web_view
def planned_withdraw(request, pk: int, planned_pk: int):
    activity, planned = _planned(request, pk, planned_pk)
    services.planned_withdraw(by=request.user, planned=planned)
    messages.success(request, f"已将“{planned.project}”移出拟办清单")
    return redirect("projects:activity_detail", pk=activity.pk)


@require_POST
@web_view
def planned_confirm(request, pk: int, planned_pk: int):
    activity, planned = _planned(request, pk, planned_pk)
    try:
        services.planned_confirm(by=request.user, planned=planned)
    except ValidationFailed as exc:
        return _activity_refused(request, activity, f"“{planned.project}”未能确认：{exc.message}")
    messages.success(request, f"已确认“{planned.project}”{planned.get_action_display()}")
    return redirect("projects:activity_detail", pk=activity.pk)


def _activity_refused(request, activity, message: str):
    """The activity page again, with why the request was refused (nothing was written)."""
    messages.error(request, message)
    return render(request, "projects/activity_detail.html", _activity_context(request, activity))


@require_POST
@web_view
def activity_confirm_all(request, pk: int):
    activity = selectors.activity_get(user=request.user, pk=pk)
    try:
        entries = services.activity_confirm_planned(by=request.user, activity=activity)
    except ValidationFailed as exc:
        return _activity_refused(request, activity, exc.message)
    messages.success(request, f"已确认拟办清单中的{len(entries)}个项目")
    return redirect("projects:activity_detail", pk=activity.pk)


@require_POST
@web_view
def activity_delete(request, pk: int):
    user = request.user
    activity = selectors.activity_get(user=user, pk=pk)
    require_cap(user, Cap.MANAGE_ACTIVITIES)
    try:
        services.activity_delete(by=user, activity=activity)
    except ValidationFailed as exc:
        return _activity_refused(request, activity, exc.message)
    messages.success(request, f"已删除{activity}")
    return redirect("projects:activity_list")


# --- many projects into an activity ----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@web_view
def bulk_add(request):
    """The ledger's selection (the list's filters, and either the ticked projects or all
    that match) into an activity: a preview that lists what would be refused and why, then
    one audited operation."""
    user = request.user
    require_cap(user, Cap.ENTER_ACTIVITY)
    source = request.POST if request.method == "POST" else request.GET
    filters = selectors.ProjectFilter.from_params(source)
    matching = selectors.project_list(user=user, filters=filters)
    ids = [int(i) for i in source.getlist("ids") if i.isdigit()]
    chosen = matching.filter(pk__in=ids) if ids else matching
    form = BulkAddForm(request.POST or None, user=user)
    context = {
        "form": form,
        "filters": filters.as_params(),
        "query": urlencode(filters.as_params()),
        "ids": ids,
        "count": chosen.count(),
        "preview": None,
    }
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        confirmed = request.POST.get("confirm") == "1"
        try:
            outcome = services.activity_add_many(
                by=user,
                activity=data["activity"],
                action=data["action"],
                sign_mode=data.get("sign_mode") or "",
                project_ids=list(chosen.values_list("pk", flat=True)[: services.BULK_LIMIT + 1]),
                dry_run=not confirmed,
            )
        except ValidationFailed as exc:
            form.add_error(None, exc.message)
        else:
            if confirmed:
                verb = "列入拟办清单" if outcome.planned else "加入"
                messages.success(
                    request,
                    f"已将{len(outcome.added)}个项目{verb}{data['activity']}"
                    + (f"；{len(outcome.refused)}个未加入" if outcome.refused else ""),
                )
                return redirect("projects:activity_detail", pk=data["activity"].pk)
            context["preview"] = outcome
    return render(request, "projects/bulk_add.html", context)


@require_GET
@web_view
def activity_candidates(request, pk: int):
    """The picker's options for what was typed (htmx): bounded, scoped, at the right stage."""
    user = request.user
    activity, action = _entering(request, pk, request.GET.get("action", "sign"))
    if action is None:
        raise NotFound("没有这种行动")
    form = ActivityAddForm(user=user, action=action)
    field = form.fields["project"]
    shown = [
        (p.pk, field.label_from_instance(p))
        for p in candidates(field.queryset, request.GET.get("q", ""))
    ]
    return render(
        request,
        "projects/_candidates.html",
        {"empty_label": field.empty_label, "options": shown, "activity": activity},
    )


@require_GET
@web_view
def planned_export(request, pk: int, fmt: str):
    from .ledger_export import planned_export as export

    activity = selectors.activity_get(user=request.user, pk=pk)
    if fmt not in CONTENT_TYPES:
        raise NotFound("只能导出为 .xlsx 或 .docx")
    done = export(by=request.user, activity=activity, fmt=fmt)
    return FileResponse(
        io.BytesIO(done.data), as_attachment=True, filename=done.filename,
        content_type=CONTENT_TYPES[fmt],
    )  # fmt: skip
