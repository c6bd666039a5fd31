"""红黄绿灯: a project's health as a small light, the reason on hover.

{% load health_tags %}
{% health_states page.object_list as states %}   one query for a page of projects
{% light p states %}                              light + label, reason in the title
{% health_state_for project as state %}           one project's last evaluation
{% health_panel project state %}                  the project page's card (override form)

Green: 正常推进; yellow: 进度滞后; red: 停缓建 and 长期停滞（僵尸）; grey: 清理退出.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from sanpi.accounts.roles import Cap
from sanpi.projects.models import Health

from .. import selectors
from ..forms import OverrideForm
from ..models import HealthState
from ..rules import RULE_LABELS, Rule

register = template.Library()

COLORS = {
    Health.NORMAL: "success",
    Health.LAGGING: "warning",
    Health.STALLED: "danger",
    Health.ZOMBIE: "danger",
    Health.WITHDRAWN: "secondary",
}
LIGHT_NAMES = {"success": "绿灯", "warning": "黄灯", "danger": "红灯", "secondary": "灰灯"}


def explain(project, state: HealthState | None) -> str:
    """The health and why, as the light's title says it."""
    label = Health(project.health).label
    if state is None or state.health != project.health:
        return f"{label}（人工登记，尚未按规则评估）"
    if not state.rule:
        return f"{label}：{state.reason}"
    rule = RULE_LABELS[Rule(state.rule)]
    if state.rule == Rule.OVERRIDE:
        return f"{label}：{state.reason}（{state.since:%Y-%m-%d}起）"
    return f"{label}：【{rule}】{state.reason}（{state.since:%Y-%m-%d}起）"


@register.filter
def rule_label(rule: str) -> str:
    """A rule's name (``no_investment`` → 连续无投资); "" for none."""
    return RULE_LABELS.get(rule, "") if rule else ""


@register.simple_tag
def health_states(projects) -> dict[int, HealthState]:
    return selectors.states_for(projects)


@register.simple_tag
def health_state_for(project) -> HealthState | None:
    return selectors.state_of(project)


@register.simple_tag
def light(project, states=None, label: bool = True):
    """The light (and the health's name), the reason in its title and for screen readers
    (a visually hidden text, kept inside the light's own box: position-relative, so that in
    a table that scrolls it does not widen the page)."""
    state = (states.get(project.pk) if isinstance(states, dict) else states) or None
    color = COLORS.get(project.health, "secondary")
    title = explain(project, state)
    text = Health(project.health).label if label else ""
    return format_html(
        '<span class="sanpi-light text-nowrap position-relative" title="{}" data-health="{}">'
        '<span class="text-{}" aria-hidden="true">●</span>{}{}'
        '<span class="visually-hidden">（{}：{}）</span></span>',
        title,
        project.health,
        color,
        " " if text else "",
        text,
        LIGHT_NAMES[color],
        title,
    )


@register.inclusion_tag("health/_panel.html", takes_context=True)
def health_panel(context, project, state=None):
    request = context["request"]
    user = request.user
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "project": project,
        "state": state,
        "explained": explain(project, state),
        "override": selectors.active_override(project),
        "can_write": user.can(Cap.CHANGE_LEDGER),
        "form": OverrideForm(initial={"health": project.health}, auto_id="id_override_%s"),
    }
