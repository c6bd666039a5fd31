"""Reads: a user's own notifications (nobody else's exist for them), the bell's count,
their channel choices, and the group robots for the system administrator."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import OuterRef, QuerySet, Subquery

from sanpi.accounts.roles import Cap
from sanpi.core.errors import NotFound
from sanpi.core.services import require
from sanpi.regions.models import County, Department, DevelopmentZone

from .kinds import KINDS
from .models import UNIT_FIELDS, Delivery, Notification, Preference, Webhook

SHOW = ("all", "unread", "read")


def notification_list(*, user, show: str = "all") -> QuerySet[Notification]:
    """The user's notifications, newest first; ``show``: all, unread or read."""
    qs = Notification.objects.filter(recipient_id=user.pk)
    if show == "unread":
        qs = qs.filter(read_at__isnull=True)
    elif show == "read":
        qs = qs.filter(read_at__isnull=False)
    return qs.order_by("-created_at", "-id")


def notification_get(*, user, pk) -> Notification:
    try:
        return Notification.objects.get(pk=pk, recipient_id=user.pk)
    except (Notification.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        raise NotFound("通知不存在") from None


def unread_count(user) -> int:
    """The bell's number: one COUNT on the (recipient, read_at) index."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


@dataclass(frozen=True)
class PreferenceRow:
    kind: str
    label: str
    email: bool
    robot: bool


def preference_rows(*, user) -> list[PreferenceRow]:
    """Every registered kind with the user's channels (the kind's defaults until chosen)."""
    chosen = {p.kind: p for p in Preference.objects.filter(user_id=user.pk)}
    rows = []
    for kind in KINDS.values():
        pref = chosen.get(kind.key)
        rows.append(
            PreferenceRow(
                kind.key,
                kind.label,
                pref.email if pref else kind.email,
                pref.robot if pref else kind.robot,
            )
        )
    return rows


def user_webhook(user) -> Webhook | None:
    """The enabled group robot of the user's own unit, if any."""
    for name in UNIT_FIELDS:
        value = getattr(user, f"{name}_id", None)
        if value:
            return Webhook.objects.filter(**{f"{name}_id": value}, enabled=True).first()
    return None


# --- group robots (system administrator) -------------------------------------------------


def webhook_list(*, by) -> QuerySet[Webhook]:
    """Every robot with its latest delivery's status, time and error."""
    require(by, Cap.MANAGE_USERS)
    latest = Delivery.objects.filter(webhook=OuterRef("pk")).order_by("-created_at", "-pk")
    return (
        Webhook.objects.select_related("county", "zone", "department")
        .annotate(
            last_status=Subquery(latest.values("status")[:1]),
            last_error=Subquery(latest.values("last_error")[:1]),
            last_at=Subquery(latest.values("created_at")[:1]),
        )
        .order_by("county__code", "zone__name", "department__name", "pk")
    )


def webhook_get(*, by, pk) -> Webhook:
    require(by, Cap.MANAGE_USERS)
    try:
        return Webhook.objects.select_related("county", "zone", "department").get(pk=pk)
    except (Webhook.DoesNotExist, ValueError, TypeError):
        raise NotFound("群机器人不存在") from None


def unit_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The organisations a robot may belong to, grouped, as "county:3" values."""
    return [
        ("县(市、区)", [(f"county:{c.pk}", c.name) for c in County.objects.order_by("code")]),
        (
            "开发区",
            [
                (f"zone:{z.pk}", z.name)
                for z in DevelopmentZone.objects.order_by("county__code", "name")
            ],
        ),
        ("部门", [(f"department:{d.pk}", d.name) for d in Department.objects.order_by("name")]),
    ]


def unit_from_choice(value: str):
    """The County, DevelopmentZone or Department a "county:3" value names, or None."""
    model = {"county": County, "zone": DevelopmentZone, "department": Department}
    name, _, pk = (value or "").partition(":")
    if name not in model or not pk.isdigit():
        return None
    return model[name].objects.filter(pk=int(pk)).first()


def unit_choice(webhook: Webhook) -> str:
    key = webhook.unit_key
    return f"{key[0]}:{key[1]}" if key else ""
