"""Writes for targets and the ranking's weights: the city office's, audited, atomic."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit
from sanpi.core.errors import ValidationFailed
from sanpi.core.money import AmountError, parse_wan
from sanpi.core.services import require, save_update, validate_instance

from . import rules
from .models import ScoringScheme, UnitTarget
from .rules import INDICATORS
from .selectors import check_kind, unit_get

TARGET_FIELDS = tuple(ind.target_field for ind in INDICATORS)


def _check_year(year: int) -> None:
    problem = rules.check_target_year(year, timezone.localdate())
    if problem:
        raise ValidationFailed.of("year", problem)


def target_row(*, year: int, kind: str, pk: int) -> UnitTarget:
    """The unit's row for the year, locked; a new (unsaved) one when there is none."""
    check_kind(kind)
    unit_get(kind=kind, pk=pk)  # NotFound for a unit that isn't there
    # (No ordering: the default one joins the counties and zones, which can't be locked.)
    rows = UnitTarget.objects.select_for_update().filter(year=year, **{f"{kind}_id": pk})
    row = rows.order_by("pk").first()
    return row or UnitTarget(year=year, **{f"{kind}_id": pk})


def _cents(value, field: str, message: str = "金额最多保留两位小数") -> Decimal:
    """An exact amount to the cent (core.money); a negative one is left to the model."""
    try:
        amount = parse_wan(value, allow_negative=True)
    except AmountError:
        amount = None
    if amount is None:
        raise ValidationFailed.of(field, message)
    return amount


@transaction.atomic
def target_set(*, by, year: int, kind: str, pk: int, **values) -> UnitTarget:
    """Set one unit's annual targets (every target field; None: no target)."""
    require(by, Cap.MANAGE_TARGETS)
    _check_year(year)
    unknown = set(values) - set(TARGET_FIELDS)
    if unknown:
        raise ValueError(f"unknown target fields {sorted(unknown)}")
    row = target_row(year=year, kind=kind, pk=pk)
    creating = row.pk is None
    before = None if creating else audit.snapshot(row)
    for ind in INDICATORS:
        value = values.get(ind.target_field)
        if value is not None and ind.is_amount:
            value = _cents(value, ind.target_field)
        setattr(row, ind.target_field, value)
    validate_instance(row)
    if creating:
        row.save()
        audit.record(
            user=by,
            action="create",
            obj=row,
            after=audit.snapshot(row),
            message=f"设置{row}",
        )
    else:
        save_update(by=by, instance=row, before=before, message=f"修改{row}")
    return row


@transaction.atomic
def scheme_set(
    *, by, year: int, month: int, cap: Decimal, weights: dict[str, int], note: str = ""
) -> ScoringScheme:
    """Set the weights and cap in force from (year, month): this month or later only, so
    a past month keeps the weights it was ranked with. Setting a month that already has
    a scheme (not yet begun, or this one) replaces it."""
    require(by, Cap.MANAGE_TARGETS)
    cap = _cents(cap, "cap", "封顶系数最多保留两位小数")
    weights = {ind.key: int(weights.get(ind.key, 0)) for ind in INDICATORS}
    errors = rules.check_scheme(
        year=year, month=month, cap=cap, weights=weights, today=timezone.localdate()
    )
    if errors:
        raise ValidationFailed(
            "；".join(errors.values()),
            fields={key or "__all__": [message] for key, message in errors.items()},
        )
    row = ScoringScheme.objects.select_for_update().filter(year=year, month=month).first()
    if row is None:
        row = ScoringScheme(year=year, month=month, weights=weights, cap=cap, note=note)
        row.created_by = by if getattr(by, "pk", None) else None
        validate_instance(row)
        row.save()
        audit.record(
            user=by, action="create", obj=row, after=audit.snapshot(row), message=f"设置{row}"
        )
        return row
    before = audit.snapshot(row)
    row.weights, row.cap, row.note = weights, cap, note
    validate_instance(row)
    save_update(by=by, instance=row, before=before, message=f"修改{row}")
    return row
