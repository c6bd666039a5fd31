"""Audit context and the one function that writes audit rows.

Every service that writes calls `record()` inside its own transaction, so the
change and its audit row commit or roll back together. Who and from where come
from the *audit context*: the web middleware, the API auth and the CLI commands
set it. A write made with no context at all is still recorded, as source
"system", never silently dropped (NetBox's blind spot).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal

from django.db import models

from .bulk import bulk_insert
from .models import AuditLog


@dataclass(frozen=True)
class AuditContext:
    source: str = AuditLog.Source.SYSTEM
    ip: str | None = None
    request_id: str = ""


_context: ContextVar[AuditContext] = ContextVar("sanpi_audit_context", default=AuditContext())  # noqa: B039 (frozen)


def current() -> AuditContext:
    return _context.get()


@contextlib.contextmanager
def audit_context(
    source: str, *, ip: str | None = None, request_id: str | None = None
) -> Iterator[AuditContext]:
    ctx = AuditContext(source=source, ip=ip, request_id=request_id or str(uuid.uuid4()))
    token = _context.set(ctx)
    try:
        yield ctx
    finally:
        _context.reset(token)


def jsonable(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict:
    """The audited state of an instance: concrete fields, foreign keys as ids."""
    out: dict[str, object] = {}
    names = set(fields) if fields is not None else None
    for field in instance._meta.concrete_fields:
        if names is not None and field.name not in names:
            continue
        out[field.name] = jsonable(getattr(instance, field.attname))
    return out


def object_type_of(obj: models.Model | type[models.Model]) -> str:
    """The audit log's name for an object's kind: its concrete model's label, so an object
    read through a proxy model (approvals' ApprovalProject is a projects.Project) keeps
    one history under one type."""
    return obj._meta.concrete_model._meta.label_lower


def _entry(
    *,
    user,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict | None = None,
    after: dict | None = None,
    message: str = "",
    username: str = "",
) -> AuditLog:
    ctx = current()
    if obj is not None:
        object_type = object_type or object_type_of(obj)
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    return AuditLog(
        # Operator commands act as a SystemActor: no account, its name is the username.
        user=user if (user is not None and user.pk) else None,
        username=username or (user.get_username() if user is not None else ""),
        source=ctx.source,
        ip=ctx.ip,
        request_id=ctx.request_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        before=before,
        after=after,
        message=message[:500],
    )


def record(**kwargs) -> AuditLog:
    """Write one audit row now (call inside the service's transaction)."""
    entry = _entry(**kwargs)
    entry.save()
    return entry


def record_many(entries: list[dict], *, batch_size: int = 1000) -> None:
    """Write many audit rows at once (bulk imports), through core.bulk's fast INSERT.

    ``batch_size`` is kept for callers; bulk_insert sizes its own statements."""
    bulk_insert(AuditLog, [_entry(**e) for e in entries], returning=False)


def history_for(obj: models.Model):
    return AuditLog.objects.filter(
        object_type=object_type_of(obj), object_id=str(obj.pk)
    ).select_related("user")
