"""The bell: ``{% load notifications_tags %}{% notification_bell %}`` in the navigation
bar, with the signed-in user's unread count (one COUNT query, only when rendered)."""

from __future__ import annotations

from django import template

from ..selectors import unread_count

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context) -> dict:
    user = context.get("user")
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    return {
        "count": unread_count(user),
        "active": getattr(match, "namespace", "") == "notifications",
    }
