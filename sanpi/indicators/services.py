"""Writes of the main indicators: the city office enters each year's actual values.

The capability is the one that manages targets (`Cap.MANAGE_TARGETS`, the city office's
市项目办): the indicators are the city's targets of the plan. Every write is audited, and
refused with a Chinese message for a year outside 2021 to this year, a value that is not
a number, and a form or API call made on a value someone else has changed since
(`version`: 409 该指标数值已被他人修改，请刷新后重试).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit
from sanpi.core.errors import Conflict, NotFound, ValidationFailed
from sanpi.core.services import require, validate_instance

from . import rules
from .models import Indicator, IndicatorValue

STALE = "该指标数值已被他人修改，请刷新后重试"
AUDITED = ("indicator", "year", "actual", "note", "version")


def _locked_indicator(indicator: Indicator | int) -> Indicator:
    pk = indicator.pk if isinstance(indicator, Indicator) else indicator
    # No ordering: the lock is on the one row.
    found = Indicator.objects.select_for_update().filter(pk=pk).order_by().first()
    if found is None:
        raise NotFound()
    return found


@transaction.atomic
def value_set(
    *,
    by,
    indicator: Indicator | int,
    year: int,
    actual: object,
    note: str = "",
    version: int | None = None,
) -> IndicatorValue:
    """Enter or correct the indicator's actual value for `year`.

    `version` is the version the caller read (0: no value yet); a different one means
    someone else changed it meanwhile (Conflict). None skips the check (operator
    commands). The indicator's row is locked first, so two people entering the same
    year's first value one after the other get one success and one conflict."""
    require(by, Cap.MANAGE_TARGETS)
    problem = rules.check_year(year, timezone.localdate())
    if problem:
        raise ValidationFailed.of("year", problem)
    try:
        number = rules.parse_value(actual)
    except ValueError as exc:
        raise ValidationFailed.of("actual", str(exc)) from None
    note = (note or "").strip()
    locked = _locked_indicator(indicator)
    row = (
        IndicatorValue.objects.select_for_update()
        .filter(indicator=locked, year=year)
        .order_by()
        .first()
    )
    current = row.version if row is not None else 0
    if version is not None and version != current:
        raise Conflict(STALE)
    if row is None:
        row = IndicatorValue(indicator=locked, year=year, actual=number, note=note, version=1)
        row.entered_by = by if getattr(by, "pk", None) else None
        row.entered_at = timezone.now()
        validate_instance(row)
        row.save()
        audit.record(
            user=by,
            action="create",
            obj=row,
            after=audit.snapshot(row, AUDITED),
            message=f"录入{locked.name}{year}年实际值{rules.text(number)}{locked.unit}",
        )
        return row
    if row.actual == number and row.note == note:
        return row  # nothing changed: nothing written
    before = audit.snapshot(row, AUDITED)
    row.actual, row.note = number, note
    row.entered_by = by if getattr(by, "pk", None) else None
    row.entered_at = timezone.now()
    row.version += 1
    validate_instance(row)
    row.save()
    audit.record(
        user=by,
        action="update",
        obj=row,
        before=before,
        after=audit.snapshot(row, AUDITED),
        message=f"修改{locked.name}{year}年实际值为{rules.text(number)}{locked.unit}",
    )
    return row
