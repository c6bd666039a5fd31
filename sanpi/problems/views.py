"""The problems' pages: the ledger, the board, raising, a problem's page with its timeline,
clocks and moves, attachments, the SLA policies. Thin: parse, call, render.

A problem's page offers only the moves the table allows from its state that the user may
make (`permissions.allowed_moves`); every move posts the version the user saw, and a
stale one answers 409 with the problem as it is now.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sanpi.accounts.roles import Cap
from sanpi.core.errors import Conflict, ServiceError
from sanpi.core.scope import restrict
from sanpi.core.web import add_service_error, paginate, require_cap, submit, web_view
from sanpi.dispatch.models import MonthlyReport
from sanpi.regions.forms import county_choices
from sanpi.regions.models import County, Department, DevelopmentZone
from sanpi.regions.selectors import zone_list

from . import attachments, permissions, rules, selectors, services
from .forms import PolicyForm, RaiseForm, move_form
from .models import Category, LevelChoices, Problem
from .rules import Move, State

PAGE_SIZE = 30
BOARD_SHOWN = 10
STATE_FILTERS = {"open": "未销号", **{s.value: label for s, label in rules.STATE_LABELS.items()}}
BOARD_COLUMNS = [
    State.RAISED,
    State.ANALYSED,
    State.ESCALATED,
    State.ASSIGNED,
    State.IN_PROGRESS,
    State.SOLVED,
]


def _filter_context(user, filters: selectors.ProblemFilter) -> dict:
    """The filters' choices, limited to what tells the user something."""
    dimension = user.scope_dimension
    units = None
    if dimension != "department":
        units = [("city", "市项目办")]
        units += [(f"county:{c.code}", c.name) for c in County.objects.order_by("code")]
        units += [(f"zone:{z.pk}", z.name) for z in DevelopmentZone.objects.order_by("name")]
        units += [(f"department:{d.pk}", d.name) for d in Department.objects.order_by("name")]
    return {
        "filters": filters,
        "query": urlencode(filters.as_params()),
        "states": STATE_FILTERS,
        "levels": LevelChoices.choices,
        "categories": Category.choices,
        "counties": county_choices(user=user) if user.sees_all else None,
        "zones": zone_list(user=user) if user.sees_all or dimension == "county" else None,
        "units": units,
    }


@require_GET
@web_view
def problem_list(request):
    """The problem ledger with its filters, 30 a page."""
    user = request.user
    require_cap(user, Cap.VIEW_PROBLEMS)
    filters = selectors.ProblemFilter.from_params(request.GET)
    page = paginate(request, selectors.problem_list(user=user, filters=filters), PAGE_SIZE)
    return render(
        request,
        "problems/list.html",
        {
            "page": page,
            "can_raise": user.can(Cap.RAISE_PROBLEMS),
            **_filter_context(user, filters),
        },
    )


@require_GET
@web_view
def board(request):
    """The open problems by state: each column's count and its first problems."""
    user = request.user
    require_cap(user, Cap.VIEW_PROBLEMS)
    filters = selectors.ProblemFilter.from_params(request.GET)
    filters.state = ""
    counts = selectors.board_counts(user=user, filters=filters)
    columns = []
    for state in BOARD_COLUMNS:
        column = selectors.ProblemFilter(**{**vars(filters), "state": state.value})
        rows = list(selectors.problem_list(user=user, filters=column)[:BOARD_SHOWN])
        columns.append(
            {
                "state": state.value,
                "label": rules.STATE_LABELS[state],
                "count": counts[state.value],
                "rows": rows,
                "query": urlencode(column.as_params()),
            }
        )
    done = [
        (s.value, rules.STATE_LABELS[s], counts[s.value]) for s in (State.CLOSED, State.WITHDRAWN)
    ]
    return render(
        request,
        "problems/board.html",
        {"columns": columns, "done": done, **_filter_context(user, filters)},
    )


@require_http_methods(["GET", "POST"])
@web_view
def problem_raise(request):
    """Raise a problem of a project in the user's scope (?project=ID preselects it)."""
    user = request.user
    require_cap(user, Cap.RAISE_PROBLEMS)
    q = request.GET.get("q", "")
    chosen = request.GET.get("project", "")
    form = RaiseForm(
        request.POST if request.method == "POST" else None,
        user=user,
        q=q,
        chosen=chosen,
        initial={"project": chosen} if chosen.isdigit() else None,
    )
    problem = submit(request, form, lambda data: services.problem_raise(by=user, **data))
    if problem:
        messages.success(request, "问题已提出，已通知负责研判交办的同志")
        return redirect("problems:detail", pk=problem.pk)
    return render(request, "problems/raise.html", {"form": form, "q": q[:100], "chosen": chosen})


def _detail_context(request, problem: Problem, *, bound=None) -> dict:
    """The problem's page: facts, the five 到位, clocks, timeline and the forms of the
    moves the user may make (``bound``: a refused form, shown with its errors)."""
    user = request.user
    forms = []
    for move in permissions.allowed_moves(user, problem):
        form = bound if bound is not None and bound.move == move else move_form(move, problem)
        forms.append((move.value, rules.MOVE_LABELS[move], form))
    unit = problem.unit
    return {
        "problem": problem,
        "clocks": [_clock_row(c) for c in selectors.clocks(problem)],
        "events": selectors.timeline(problem),
        "move_forms": forms,
        "five": [
            ("责任单位", unit),
            ("责任领导", problem.leader_name),
            ("责任人", problem.person),
            ("解决措施", problem.solution),
            ("完成时限", problem.deadline),
        ],
        "escalation": rules.ESCALATION_LABELS.get(rules.escalation_of(problem.level)),
        "can_see_project": user.can(Cap.VIEW_LEDGER),
        "can_raise": user.can(Cap.RAISE_PROBLEMS),
    }


def _clock_row(c: rules.ClockState) -> dict:
    """A clock as the page says it: due, used, left (or overdue by), met, its light."""
    if c.stopped is not None:
        state = f"已完成（{c.stopped:%Y-%m-%d %H:%M}）" + ("，超时" if c.breached else "")
    elif c.breached:
        state = f"已超期{-c.left_days}个工作日" if c.left_days < 0 else "已超期"
    else:
        state = f"剩余{c.left_days}个工作日"
    return {
        "label": rules.CLOCK_LABELS[c.clock],
        "due": c.due,
        "used": c.used_days,
        "left": c.left_days,
        "breached": c.breached,
        "state": state,
        "light": c.light.value,
        "light_label": rules.LIGHT_LABELS[c.light],
    }


@require_GET
@web_view
def detail(request, pk: int):
    problem = selectors.problem_get(user=request.user, pk=pk)
    return render(request, "problems/detail.html", _detail_context(request, problem))


@require_POST
@web_view
def move(request, pk: int):
    """One move of the loop, named by ``move`` in the POST, with the version seen."""
    user = request.user
    problem = selectors.problem_get(user=user, pk=pk)
    try:
        chosen = Move(request.POST.get("move", ""))
    except ValueError:
        messages.error(request, f"“{request.POST.get('move', '')[:20]}”不是有效的操作")
        return render(
            request, "problems/detail.html", _detail_context(request, problem), status=400
        )
    permissions.check_move(user, problem, chosen)  # 403 for a move the user may not make
    form = move_form(chosen, problem, request.POST, request.FILES)
    if form.is_valid():
        data = form.service_data()
        try:
            attachments.move_with_files(
                by=user,
                problem=problem,
                move=chosen.value,
                version=form.cleaned_data["version"],
                **data,
            )
        except Conflict as exc:
            messages.error(request, exc.message)
            problem = selectors.problem_get(user=user, pk=pk)
            return render(
                request, "problems/detail.html", _detail_context(request, problem), status=409
            )
        except ServiceError as exc:
            add_service_error(form, exc)  # NotFound / PermissionDenied: 404 / 403
        else:
            messages.success(request, f"已{rules.MOVE_LABELS[chosen]}")
            return redirect("problems:detail", pk=problem.pk)
    for message in form.non_field_errors():
        messages.error(request, message)
    for field in form.hidden_fields():  # the version: a page too old or tampered with
        for message in field.errors:
            messages.error(request, message)
    problem = selectors.problem_get(user=user, pk=pk)
    if chosen not in permissions.allowed_moves(user, problem):
        return render(request, "problems/detail.html", _detail_context(request, problem))
    return render(request, "problems/detail.html", _detail_context(request, problem, bound=form))


@require_GET
@web_view
def attachment(request, pk: int, file_pk: int):
    """A file of a problem's note, within scope; always a download, never sniffed."""
    found = selectors.attachment_get(user=request.user, problem_pk=pk, pk=file_pk)
    try:
        handle = found.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("附件文件已不存在") from None
    response = FileResponse(
        handle, as_attachment=True, filename=found.name, content_type=found.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@web_view
def from_report(request, report_pk: int):
    """A monthly report's "problems met" into the problem ledger, with one click."""
    user = request.user
    require_cap(user, Cap.RAISE_PROBLEMS)
    report = (
        restrict(MonthlyReport.objects.select_related("project"), user).filter(pk=report_pk).first()
    )
    if report is None:
        raise Http404("月报不存在或不在您的权限范围内")
    back = redirect(
        "dispatch:report", year=report.year, month=report.month, project=report.project_id
    )
    try:
        problem = services.problem_from_report(by=user, report=report)
    except Conflict as exc:
        messages.info(request, exc.message)
        existing = selectors.problems(user=user).filter(report=report).order_by("pk").first()
        return redirect("problems:detail", pk=existing.pk) if existing else back
    except ServiceError as exc:
        if exc.status in (403, 404):
            raise
        messages.error(request, exc.message)
        return back
    messages.success(request, "已转入问题台账，等待研判交办")
    return redirect("problems:detail", pk=problem.pk)


@require_GET
@web_view
def policies(request):
    """The SLA policies: the current ones and every earlier version."""
    user = request.user
    rows = list(selectors.policy_list(user=user))
    return render(
        request,
        "problems/policies.html",
        {
            "current": [p for p in rows if p.current],
            "past": [p for p in rows if not p.current],
            "can_edit": user.can(Cap.MANAGE_PROBLEM_RULES),
        },
    )


@require_http_methods(["GET", "POST"])
@web_view
def policy_edit(request, pk: int):
    """A new version of a policy (the city office's); running problems keep theirs."""
    user = request.user
    require_cap(user, Cap.MANAGE_PROBLEM_RULES)
    policy = selectors.policy_get(user=user, pk=pk)
    if not policy.current and request.method == "GET":
        messages.info(request, "这是已停用的旧版本，请修改现行版本")
        return redirect("problems:policies")
    form = PolicyForm(request.POST if request.method == "POST" else None, instance=policy)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.policy_update(by=user, policy=policy, **form.cleaned_data)
        except Conflict as exc:
            messages.error(request, exc.message)
            context = {"form": form, "policy": policy}
            return render(request, "problems/policy_form.html", context, status=409)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            if saved.pk == policy.pk:
                messages.info(request, "规则没有变化，未作修改")
            else:
                messages.success(
                    request,
                    f"已保存为“{saved.name}”第{saved.version}版；已提出的问题仍按原版本计时",
                )
            return redirect("problems:policies")
    return render(request, "problems/policy_form.html", {"form": form, "policy": policy})
