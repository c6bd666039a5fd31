"""Problems on pages: the light of a problem (its reason on hover), the clock running now,
the project page's problems card and the monthly report's "转入问题台账" button.

{% load problems_tags %}
{% problem_light p %}                  light + label, reason in the title
{% running_clock p as clock %}         (label, due, overdue) of the next clock, or None
{% project_problems_card project %}    the project page's card
{% report_problem_button report %}     on a monthly report with problems met
"""

from __future__ import annotations

from django import template
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.html import format_html

from sanpi.accounts.roles import Cap
from sanpi.core import uploads

from .. import rules, selectors
from ..models import Problem
from ..rules import Clock, Light, State

register = template.Library()

COLORS = {Light.GREEN: "success", Light.YELLOW: "warning", Light.RED: "danger"}
LIGHT_NAMES = {Light.GREEN: "绿灯", Light.YELLOW: "黄灯", Light.RED: "红灯"}


def _clocks(problem: Problem) -> list[tuple[Clock, object, bool]]:
    """The clocks still running: (clock, due, past due)."""
    now = timezone.now()
    running = []
    for clock, due, met in selectors.clock_moments(problem):
        if met is None and due is not None:
            running.append((clock, due, now > due))
    return running


def explain(problem: Problem) -> str:
    """Why the light is as it is, in words."""
    light = Light(problem.light)
    head = rules.LIGHT_LABELS[light]
    if not problem.is_open:
        return f"{head}：{rules.STATE_LABELS[State(problem.state)]}"
    if problem.state == State.SOLVED:
        return f"{head}：已办结，等待企业确认"
    parts = [
        f"{rules.CLOCK_LABELS[clock]}时限{timezone.localtime(due):%m-%d %H:%M}"
        + ("（已超期）" if late else "")
        for clock, due, late in _clocks(problem)
    ]
    return f"{head}：" + ("；".join(parts) if parts else "各项时限均已完成")


@register.filter
def state_label(value: str) -> str:
    """A state's Chinese name (``in_progress`` → 办理中)."""
    try:
        return rules.STATE_LABELS[State(value)]
    except ValueError:
        return value or ""


@register.filter
def size_text(value) -> str:
    return uploads.size_text(int(value or 0))


@register.simple_tag
def problem_light(problem: Problem, label: bool = True):
    light = Light(problem.light) if problem.light in Light.__members__.values() else Light.GREEN
    title = explain(problem)
    text = rules.LIGHT_LABELS[light] if label else ""
    return format_html(
        '<span class="sanpi-light text-nowrap position-relative" title="{}" data-light="{}">'
        '<span class="text-{}" aria-hidden="true">●</span>{}{}'
        '<span class="visually-hidden">（{}：{}）</span></span>',
        title,
        light.value,
        COLORS[light],
        " " if text else "",
        text,
        LIGHT_NAMES[light],
        title,
    )


@register.simple_tag
def running_clock(problem: Problem):
    """The first clock still running (label, due, past due), or None."""
    if not problem.is_open or problem.state == State.SOLVED:
        return None
    running = _clocks(problem)
    if not running:
        return None
    clock, due, late = running[0]
    return {"label": rules.CLOCK_LABELS[clock], "due": due, "late": late}


@register.inclusion_tag("problems/_project_card.html", takes_context=True)
def project_problems_card(context, project):
    user = context["request"].user
    if not user.can(Cap.VIEW_PROBLEMS):
        return {"show": False}
    mine = selectors.problems(user=user).filter(project=project)
    is_open = Q(state__in=[s.value for s in rules.OPEN_STATES])
    counts = mine.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=is_open),
        red=Count("pk", filter=is_open & Q(light=Light.RED)),
    )
    return {
        "show": True,
        "project": project,
        "open_count": counts["open"],
        "red_count": counts["red"],
        "total": counts["total"],
        "recent": list(mine.filter(is_open).order_by("-raised_at", "-pk")[:5]),
        "can_raise": user.can(Cap.RAISE_PROBLEMS),
    }


@register.inclusion_tag("problems/_report_button.html", takes_context=True)
def report_problem_button(context, report):
    user = context["request"].user
    if report is None or not (report.problems or "").strip() or not user.can(Cap.VIEW_PROBLEMS):
        return {"show": False}
    existing = selectors.problems(user=user).filter(report=report).order_by("pk").first()
    return {
        "show": existing is not None or user.can(Cap.RAISE_PROBLEMS),
        "report": report,
        "existing": existing,
        "csrf_token": context.get("csrf_token"),
    }
