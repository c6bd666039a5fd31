"""Reads of the audit log (the audit administrator's page)."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from sanpi.accounts.roles import Cap

from .models import AuditLog
from .services import require


def audit_log_list(
    *,
    user,
    username: str = "",
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditLog]:
    """The whole audit log, newest first, for those who may read it (dates in Asia/Shanghai)."""
    require(user, Cap.VIEW_AUDIT)
    qs = AuditLog.objects.select_related("user")
    if username:
        qs = qs.filter(username__icontains=username)
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    return qs
