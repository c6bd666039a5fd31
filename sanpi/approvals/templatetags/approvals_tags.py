"""Template helpers for approvals: clock badges, and the cards other apps' pages include.

{% load approvals_tags %}
{{ row.clock|clock_badge }}                       → a coloured state badge (+ "推算")
{% project_approvals_card project %}              → the project page's approvals card
{% enterprise_credit_card enterprise %}           → the enterprise page's credit records
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from sanpi.accounts.roles import Cap
from sanpi.approvals import selectors
from sanpi.approvals.rules import Clock, ClockState

register = template.Library()

_BADGES = {
    ClockState.NOT_APPLIED: "text-bg-light border",
    ClockState.APPLIED: "text-bg-secondary",
    ClockState.RUNNING: "text-bg-primary",
    ClockState.OVERDUE: "text-bg-danger",
    ClockState.ON_TIME: "text-bg-success",
    ClockState.LATE: "text-bg-warning",
    ClockState.WITHDRAWN: "text-bg-light border",
}


@register.filter
def clock_badge(clock: Clock) -> str:
    if not isinstance(clock, Clock):
        return ""
    badge = format_html(
        '<span class="badge {} clock-{}">{}</span>', _BADGES[clock.state], clock.state, clock.label
    )
    return format_html("{}{}", badge, provisional_badge(clock))


@register.filter
def provisional_badge(obj) -> str:
    """A "推算" mark whose title says which year is not in the official calendar."""
    note = obj.note() if hasattr(obj, "note") else ""
    if not note:
        return ""
    return format_html(
        ' <span class="badge text-bg-warning provisional" title="{}">推算</span>', note
    )


@register.inclusion_tag("approvals/_project_card.html", takes_context=True)
def project_approvals_card(context, project):
    user = context["request"].user
    if not user.can(Cap.VIEW_APPROVALS):
        return {"show": False}
    data = selectors.project_approvals(user=user, project=project)
    return {"show": True, "project": project, "data": data, "figures": data.figures}


@register.inclusion_tag("approvals/_credit_card.html", takes_context=True)
def enterprise_credit_card(context, enterprise):
    user = context["request"].user
    if not user.can(Cap.VIEW_APPROVALS):
        return {"show": False}
    records = list(selectors.credit_record_list(user=user, enterprise=enterprise.pk)[:50])
    return {"show": True, "enterprise": enterprise, "records": records}
