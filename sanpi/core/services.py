"""Helpers every service uses: permission checks and model validation in Chinese."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models

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
