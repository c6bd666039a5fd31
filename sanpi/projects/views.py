"""Project ledger and "三个一批" activity pages. Thin: parse, call selectors/services, render."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from sanpi.accounts.roles import Cap
from sanpi.cockpit.selectors import activity_figures, cohort_rates
from sanpi.core.audit import history_for
from sanpi.core.errors import NotFound
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
    HealthForm,
    ProjectFilterForm,
    ProjectForm,
    next_stage,
)
from .models import StageChoices
from .rules import STAGE_DATE_FIELD, STAGE_ORDER, Action, stage_index

# --- projects ------------------------------------------------------------------------


@web_view
def project_list(request):
    user = request.user
    filters = selectors.ProjectFilter.from_params(request.GET)
    projects = selectors.project_list(user=user, filters=filters)
    page = paginate(request, projects)
    query = urlencode(filters.as_params())
    context = {"page": page, "query": query}
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "project-table":
        # htmx refreshes only the table; the address bar shows only the filters in use.
        response = render(request, "projects/_table.html", context)
        response["HX-Push-Url"] = request.path + (f"?{query}" if query else "")
        return response
    context["filter_form"] = ProjectFilterForm(request.GET or None, user=user)
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
        "health_form": health_form or HealthForm(initial={"health": project.health}),
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
    form = HealthForm(request.POST or None, initial={"health": project.health})
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


def _activity_context(request, activity, *, bound: ActivityAddForm | None = None) -> dict:
    user = request.user
    entries = list(selectors.activity_entries(user=user, activity=activity))
    batches = {
        "signed_onsite": [e for e in entries if e.action == "sign" and e.sign_mode == "onsite"],
        "signed_sync": [e for e in entries if e.action == "sign" and e.sign_mode == "sync"],
        "started": [e for e in entries if e.action == "start"],
        "produced": [e for e in entries if e.action == "produce"],
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
        "figures": activity_figures(user=user, activity=activity),
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


@require_POST
@web_view
def activity_add(request, pk: int):
    user = request.user
    activity = selectors.activity_get(user=user, pk=pk)
    require_cap(user, Cap.ENTER_ACTIVITY)
    try:
        action = Action(request.POST.get("action", ""))
    except ValueError:
        messages.error(request, "请选择签约、开工或投产")
        return redirect("projects:activity_detail", pk=activity.pk)
    form = ActivityAddForm(request.POST, user=user, action=action)
    entry = submit(
        request,
        form,
        lambda data: services.activity_add_project(
            by=user,
            activity=activity,
            project=data["project"],
            action=action.value,
            sign_mode=data.get("sign_mode", ""),
        ),
    )
    if entry:
        messages.success(
            request, f"已将“{entry.project}”加入本次活动（{entry.get_action_display()}）"
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
