"""Health pages: the three lists (per county and zone, exportable), the rules and their
thresholds, and a project's evaluation with its overrides. Thin: parse, call, render."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from sanpi.accounts.roles import Cap
from sanpi.core.errors import ValidationFailed
from sanpi.core.web import attachment, paginate, require_cap, submit, web_view
from sanpi.projects.models import Health
from sanpi.projects.selectors import project_get

from . import io as health_io
from . import selectors, services
from .forms import ListFilterForm, OverrideForm, RulesForm


@web_view
def overview(request):
    """The three lists' counts, in the user's scope and per county."""
    user = request.user
    require_cap(user, Cap.VIEW_LEDGER)
    counts = selectors.list_counts(user=user)
    return render(
        request,
        "health/overview.html",
        {
            "lists": [(item, counts[f"list_{key}"]) for key, item in selectors.LISTS.items()],
            "by_county": selectors.list_counts_by_county(user=user) if user.sees_all else [],
            "keys": list(selectors.LISTS),
            "thresholds": services.settings_get().thresholds(),
        },
    )


@web_view
def health_list(request, key: str):
    user = request.user
    item = selectors.get_list(key)
    filters = selectors.ListFilter.from_params(request.GET)
    page = paginate(request, selectors.list_projects(user=user, key=key, filters=filters))
    return render(
        request,
        "health/list.html",
        {
            "list": item,
            "lists": selectors.LISTS.values(),
            "page": page,
            "query": urlencode(filters.as_params()),
            "filter_form": ListFilterForm(request.GET or None, user=user),
        },
    )


@web_view
def list_export(request, key: str):
    done = health_io.list_export(
        by=request.user, key=key, filters=selectors.ListFilter.from_params(request.GET)
    )
    return attachment(done.data, done.filename)


@web_view
@require_http_methods(["GET", "POST"])
def rules_page(request):
    """The rules in words, with their thresholds; the city office changes them here."""
    user = request.user
    require_cap(user, Cap.VIEW_LEDGER)
    row = services.settings_get()
    can_edit = user.can(Cap.MANAGE_HEALTH_RULES)
    if request.method == "POST":
        require_cap(user, Cap.MANAGE_HEALTH_RULES)
    form = RulesForm(request.POST or None, settings_row=row)
    if (
        saved := submit(request, form, lambda data: services.settings_update(by=user, **data))
    ) is not None:
        _, changed = saved
        if changed:
            messages.success(request, "预警规则的阈值已保存，今晚评估时起按新阈值判断")
        else:
            messages.info(request, "阈值没有变化，未作修改")
        return redirect("health:rules")
    return render(
        request,
        "health/rules.html",
        {
            "form": form if can_edit else None,
            "settings_row": row,
            "thresholds": row.thresholds(),
        },
    )


def _project_context(request, project, *, form=None) -> dict:
    user = request.user
    return {
        "project": project,
        "state": selectors.state_of(project),
        "override": selectors.active_override(project),
        "overrides": selectors.project_overrides(user=user, project=project)[:50],
        "can_write": user.can(Cap.CHANGE_LEDGER),
        "form": form or OverrideForm(initial={"health": project.health}),
    }


@web_view
@require_http_methods(["GET", "POST"])
def project_health(request, pk: int):
    """A project's evaluation and overrides; POST: a person's override (人工认定)."""
    user = request.user
    project = project_get(user=user, pk=pk)
    form = None
    if request.method == "POST":
        require_cap(user, Cap.CHANGE_LEDGER)
        form = OverrideForm(request.POST)
        if submit(
            request,
            form,
            lambda data: services.override_set(by=user, project=project, **data),
        ):
            messages.success(
                request,
                f"已人工认定推进状态为“{Health(project.health).label}”，项目情况变化前一直有效",
            )
            return redirect("projects:detail", pk=project.pk)
        project = project_get(user=user, pk=pk)
    return render(request, "health/project.html", _project_context(request, project, form=form))


@web_view
@require_POST
def override_clear(request, pk: int):
    """Lift a project's override: the rules apply again at once."""
    user = request.user
    project = project_get(user=user, pk=pk)
    require_cap(user, Cap.CHANGE_LEDGER)
    try:
        verdict = services.override_clear(by=user, project=project)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("health:project", pk=project.pk)
    messages.success(request, f"已取消人工认定，按规则评估为“{Health(verdict.health).label}”")
    return redirect("projects:detail", pk=project.pk)


@web_view
@require_POST
def evaluate(request, pk: int):
    user = request.user
    project = project_get(user=user, pk=pk)
    require_cap(user, Cap.CHANGE_LEDGER)
    verdict = services.evaluate_now(by=user, project=project)
    label = verdict.rule_label
    messages.info(
        request,
        f"已按规则重新评估：{Health(verdict.health).label}"
        + (f"（{label}：{verdict.reason}）" if label else f"（{verdict.reason}）"),
    )
    return redirect("projects:detail", pk=project.pk)
