"""Helpers every service uses: permission checks and model validation in Chinese."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models

from . import audit
from .errors import PermissionDenied, ValidationFailed


def require(user, cap) -> None:
    if user is None or not user.can(cap):
        raise PermissionDenied()


def validate_instance(instance: models.Model, *, exclude: list[str] | None = None) -> None:
    """Run the model's own validation (fields, validators, uniqueness, constraints).

    Raises ValidationFailed whose field keys are model field names and whose
    messages name the field by its Chinese verbose_name.
    """
    try:
        instance.full_clean(exclude=exclude)
    except DjangoValidationError as exc:
        raise validation_failed(instance, exc) from None


def validation_failed(instance_or_model, exc: DjangoValidationError) -> ValidationFailed:
    meta = instance_or_model._meta
    fields: dict[str, list[str]] = {}
    lines: list[str] = []
    for name, messages in exc.message_dict.items():
        fields[name] = list(messages)
        if name == NON_FIELD_ERRORS:
            lines.extend(messages)
        else:
            try:
                label = str(meta.get_field(name).verbose_name)
            except Exception:
                label = name
            lines.extend(f"{label}: {m}" for m in messages)
    return ValidationFailed("；".join(lines) or "数据有误", fields=fields)


def apply_fields(instance: models.Model, allowed: Iterable[str], data: dict) -> None:
    """Set the fields a service lets its caller set; any other name is a programming error."""
    allowed = set(allowed)
    for name, value in data.items():
        if name not in allowed:
            raise ValueError(f"unknown field {name}")
        setattr(instance, name, value)


def account_of(by):
    """The user account to record as 'recorded by' (None for operator commands)."""
    return by if getattr(by, "pk", None) else None


def save_create(*, by, instance: models.Model, message: str = ""):
    """Validate and save a new instance with its audit row; the instance."""
    validate_instance(instance)
    instance.save()
    audit.record(
        user=by, action="create", obj=instance, before=None, after=audit.snapshot(instance),
        message=message,
    )  # fmt: skip
    return instance


def save_update(*, by, instance: models.Model, before: dict, message: str = "") -> bool:
    """Save a changed, validated instance with its audit row; nothing at all if unchanged.

    `before` is `audit.snapshot(instance)` taken before the service changed it.
    """
    after = audit.snapshot(instance)
    if after == before:
        return False
    instance.save()
    audit.record(
        user=by, action="update", obj=instance, before=before, after=after, message=message
    )
    return True
