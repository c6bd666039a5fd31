"""The bell: ``{% load notifications_tags %}{% notification_bell %}`` in the navigation
bar, with the signed-in user's unread count (one COUNT query, only when rendered)."""

from __future__ import annotations

from django import template

from ..selectors import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """``{% unread_notifications as count %}``: counted once per page, shown twice (the
    bell in the menu, and on narrow screens a badge beside the collapsed menu's button)."""
    return unread_count(context.get("user"))


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context, count: int) -> dict:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    return {"count": count, "active": getattr(match, "namespace", "") == "notifications"}
