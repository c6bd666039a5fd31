"""Writes: notifying people, reading notifications, choosing channels, and the
organisations' group robots (system administrator, audited).

``notify`` is the one way code tells users something. Call it inside the transaction of
the write it is about: its rows (notifications, deliveries, the deliver job) commit with
that write or not at all. It never sends anything itself and never fails the caller's
write: sending is the deliver job's (``jobs.py``), which records every channel error on
the delivery; an error while notify writes its own rows is logged and rolled back to
notify's savepoint, and the caller carries on.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from sanpi.accounts.models import User
from sanpi.accounts.roles import Cap, Role
from sanpi.core import audit
from sanpi.core.errors import ValidationFailed
from sanpi.core.services import require, validate_instance
from sanpi.regions.models import County, Department, DevelopmentZone, Enterprise

from .channels import mask_url, webhook_url_error
from .kinds import KINDS, get_kind
from .models import UNIT_FIELDS, Channel, Delivery, Level, Notification, Preference, Webhook

logger = logging.getLogger(__name__)

Scope = County | DevelopmentZone | Department | Enterprise
Unit = County | DevelopmentZone | Department

TITLE_MAX = 200
TEXT_MAX = 2000


# --- recipients ------------------------------------------------------------------------------


def recipients(*, role: str, scope: Scope | None = None) -> QuerySet[User]:
    """Every active user of `role` within `scope` (every one of the role when None).

    A user is within a scope when their own unit is it or lies in it: within a county,
    its county users, the users of its zones and of its (and its zones') departments, and
    the users of enterprises registered in it; within a zone, its zone users and its
    departments' users; within a department or an enterprise, its own users. Roles bound
    to no unit (市项目办, 领导, administrators, 代办员) are within no scope: ask for them
    with scope=None.
    """
    role = Role(role).value  # ValueError for an unknown role
    qs = User.objects.filter(is_active=True, role=role)
    if scope is None:
        return qs.order_by("pk")
    if isinstance(scope, County):
        q = (
            Q(county=scope)
            | Q(zone__county=scope)
            | Q(department__county=scope)
            | Q(department__zone__county=scope)
            | Q(enterprise__county=scope)
        )
    elif isinstance(scope, DevelopmentZone):
        q = Q(zone=scope) | Q(department__zone=scope)
    elif isinstance(scope, Department):
        q = Q(department=scope)
    elif isinstance(scope, Enterprise):
        q = Q(enterprise=scope)
    else:
        raise ValueError(f"scope must be a county, zone, department or enterprise, not {scope!r}")
    return qs.filter(q).order_by("pk")


def _recipient_list(users: Iterable[User] | None, role: str | None, scope) -> list[User]:
    ids: set[int] = set()
    if users is not None:
        ids.update(u.pk for u in users if u is not None and u.pk)
    if role is not None:
        ids.update(recipients(role=role, scope=scope).values_list("pk", flat=True))
    if not ids:
        return []
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


# --- notify ----------------------------------------------------------------------------------


def safe_link(link: str) -> str:
    """The link if it is a path on this site ("/approvals/items/5/"), else ""."""
    link = (link or "").strip()
    if not link.startswith("/") or link.startswith("//") or "\\" in link or len(link) > 500:
        return ""
    if any(c.isspace() or ord(c) < 32 for c in link):
        return ""
    if not url_has_allowed_host_and_scheme(link, allowed_hosts=None):
        return ""
    return link


def notify(
    *,
    kind: str,
    title: str,
    text: str,
    level: str = Level.INFO,
    link: str = "",
    users: Iterable[User] | None = None,
    role: str | None = None,
    scope: Scope | None = None,
    subject: str = "",
    deliver: bool = True,
) -> list[Notification]:
    """Tell people something: in-app for every recipient, and by the channels each chose
    for this kind (email to an address on their account; their organisation's group
    robot, one post per robot). Recipients: `users`, and/or every active user of `role`
    within `scope` (see ``recipients``); inactive users never.

    Returns the notifications created ([] for nobody, or when writing them failed: that
    is logged, never raised). Sending happens in one background job
    ("notifications.deliver") that commits with the caller. Arguments that cannot be
    right (an unknown level or role, no recipients asked for) raise ValueError.

    For rules: `subject` is recorded for deduplication (what was notified), and
    ``deliver=False`` leaves starting the deliver job to the caller, so many calls share
    one (``jobs.start_delivery``).
    """
    if level not in Level.values:
        raise ValueError(f"unknown level {level!r}")
    if not kind or len(kind) > 40:
        raise ValueError("kind must be a key of 1 to 40 characters")
    if users is None and role is None:
        raise ValueError("notify needs users or a role")
    if scope is not None and role is None:
        raise ValueError("a scope selects users of a role: give the role")
    if role is not None:
        Role(role)
    if scope is not None and not isinstance(scope, Scope):
        raise ValueError(f"scope must be a county, zone, department or enterprise, not {scope!r}")
    try:
        with transaction.atomic():
            return _create(
                kind=kind,
                title=title,
                text=text,
                level=level,
                link=link,
                people=_recipient_list(users, role, scope),
                subject=subject,
                deliver=deliver,
            )
    except Exception:
        logger.exception("notify(kind=%s) failed: nothing was notified", kind)
        return []


def _create(*, kind, title, text, level, link, people, subject, deliver) -> list[Notification]:
    if not people:
        return []
    clean_link = safe_link(link)
    if link and not clean_link:
        logger.warning("notify(kind=%s): link %r is not a same-site path, dropped", kind, link)
    batch = uuid.uuid4()
    now = timezone.now()
    title = " ".join((title or "").split())[:TITLE_MAX] or get_kind(kind).label
    text = (text or "").strip()[:TEXT_MAX]
    created = Notification.objects.bulk_create(
        Notification(
            recipient=user,
            kind=kind,
            level=level,
            title=title,
            text=text,
            link=clean_link,
            subject=subject[:120],
            batch=batch,
            created_at=now,
        )
        for user in people
    )
    deliveries = _deliveries(kind, created)
    if deliveries:
        Delivery.objects.bulk_create(deliveries)
        if deliver:
            from .jobs import start_delivery

            start_delivery()
    return created


def _choices(kind: str, people: list[User]) -> dict[int, tuple[bool, bool]]:
    """user id → (email, robot) for this kind: their preference, else the kind's default."""
    default = get_kind(kind)
    chosen = {
        p.user_id: (p.email, p.robot)
        for p in Preference.objects.filter(kind=kind, user__in=[u.pk for u in people])
    }
    return {u.pk: chosen.get(u.pk, (default.email, default.robot)) for u in people}


def _unit_keys(user: User) -> list[tuple[str, int]]:
    keys = []
    for name in UNIT_FIELDS:
        value = getattr(user, f"{name}_id")
        if value:
            keys.append((name, value))
    return keys


def _deliveries(kind: str, created: list[Notification]) -> list[Delivery]:
    people = [n.recipient for n in created]
    choices = _choices(kind, people)
    out: list[Delivery] = []
    robot_wanted: dict[tuple[str, int], Notification] = {}  # unit → first notification
    for n in created:
        user = n.recipient
        email, robot = choices[user.pk]
        address = (user.email or "").strip()
        if email and address:
            out.append(Delivery(notification=n, channel=Channel.EMAIL, target=address))
        if robot:
            for key in _unit_keys(user):
                robot_wanted.setdefault(key, n)
    if robot_wanted:
        q = Q()
        for name, value in robot_wanted:
            q |= Q(**{f"{name}_id": value})
        for webhook in Webhook.objects.filter(q, enabled=True).order_by("pk"):
            out.append(
                Delivery(
                    notification=robot_wanted[webhook.unit_key],
                    channel=webhook.format,
                    target=str(webhook.pk),
                    webhook=webhook,
                )
            )
    return out


# --- reading ---------------------------------------------------------------------------------


def notification_open(*, user, notification: Notification) -> str:
    """Mark the user's own notification read; returns where it leads ("" for nowhere)."""
    if notification.recipient_id != user.pk:
        raise ValueError("not the user's notification")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return safe_link(notification.link)


def mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- preferences -----------------------------------------------------------------------------


def preferences_set(*, user, choices: dict[str, tuple[bool, bool]]) -> None:
    """The user's channels per kind: kind → (email, robot). Unknown kinds are ignored."""
    with transaction.atomic():
        for kind, (email, robot) in choices.items():
            if kind not in KINDS:
                continue
            Preference.objects.update_or_create(
                user=user, kind=kind, defaults={"email": bool(email), "robot": bool(robot)}
            )


# --- group robots (system administrator) -------------------------------------------------


def _snapshot(webhook: Webhook) -> dict:
    data = audit.snapshot(webhook, ["county", "zone", "department", "format", "url", "enabled"])
    data["url"] = mask_url(webhook.url)  # the key never reaches the audit log
    return data


def _set_unit(webhook: Webhook, unit: Unit | None) -> None:
    webhook.county = unit if isinstance(unit, County) else None
    webhook.zone = unit if isinstance(unit, DevelopmentZone) else None
    webhook.department = unit if isinstance(unit, Department) else None
    if unit is None or webhook.unit is None:
        raise ValidationFailed.of("unit", "请选择群机器人所属的县(市、区)、开发区或部门")


def _check_url(url: str) -> str:
    url = (url or "").strip()
    error = webhook_url_error(url)
    if error:
        raise ValidationFailed.of("url", error)
    return url


@transaction.atomic
def webhook_create(*, by, unit: Unit, format: str, url: str, enabled: bool = True) -> Webhook:
    require(by, Cap.MANAGE_USERS)
    webhook = Webhook(format=format, enabled=enabled)
    _set_unit(webhook, unit)
    webhook.url = _check_url(url)
    validate_instance(webhook)
    webhook.save()
    audit.record(
        user=by, action="create", obj=webhook, after=_snapshot(webhook), message="设置群机器人"
    )
    return webhook


@transaction.atomic
def webhook_update(
    *, by, webhook: Webhook, unit: Unit, format: str, url: str = "", enabled: bool
) -> Webhook:
    """Change a robot; a blank `url` keeps the address it has."""
    require(by, Cap.MANAGE_USERS)
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    before = _snapshot(webhook)
    old_url = webhook.url
    _set_unit(webhook, unit)
    webhook.format = format
    webhook.enabled = enabled
    if (url or "").strip():
        webhook.url = _check_url(url)
    validate_instance(webhook)
    after = _snapshot(webhook)
    if after == before and webhook.url == old_url:
        return webhook
    webhook.save()
    audit.record(
        user=by,
        action="update",
        obj=webhook,
        before=before,
        after=after,
        message="更换了机器人地址" if webhook.url != old_url else "",
    )
    return webhook


@transaction.atomic
def webhook_set_enabled(*, by, webhook: Webhook, enabled: bool) -> Webhook:
    require(by, Cap.MANAGE_USERS)
    webhook = Webhook.objects.select_for_update().get(pk=webhook.pk)
    if webhook.enabled == enabled:
        return webhook
    before = _snapshot(webhook)
    webhook.enabled = enabled
    webhook.save(update_fields=["enabled", "updated_at"])
    audit.record(
        user=by,
        action="update",
        obj=webhook,
        before=before,
        after=_snapshot(webhook),
        message="启用群机器人" if enabled else "停用群机器人",
    )
    return webhook
