"""The cockpit's one write: the early warning's points per sign (the city office)."""

from __future__ import annotations

from django.db import transaction

from sanpi.accounts.roles import Cap
from sanpi.core import audit
from sanpi.core.errors import Conflict, ValidationFailed
from sanpi.core.services import require

from . import rules
from .models import WarningSettings

FIELDS = ["points"]


def warning_settings_get() -> WarningSettings:
    """The points in force: the city office's row, or the defaults (not saved)."""
    return WarningSettings.objects.filter(pk=1).first() or WarningSettings(pk=1)


def warning_rules() -> tuple[rules.RiskRule, ...]:
    return rules.with_points(warning_settings_get().points)


@transaction.atomic
def warning_points_set(*, by, points: dict[str, int], version: int) -> bool:
    """Change the points of the early warning's signs. `version` is the one the form was
    loaded with: if someone saved in between, the change is refused (409) and nothing is
    written. Audited with the old and new points; whether anything changed. The scores
    follow at the next scoring (`jobs.START_RISKS`, queued by the page)."""
    require(by, Cap.MANAGE_TARGETS)
    errors = rules.points_errors(points)
    if errors:
        raise ValidationFailed(
            "；".join(errors.values()), fields={k: [v] for k, v in errors.items()}
        )
    # The row exists before it is locked, so that two first saves at once queue on it.
    WarningSettings.objects.get_or_create(pk=1)
    row = WarningSettings.objects.select_for_update().get(pk=1)
    created = row.version == 0
    if row.version != version:
        who = (
            f"（{row.updated_by or '系统'}，{row.updated_at:%Y-%m-%d %H:%M}）"
            if row.updated_at
            else ""
        )
        raise Conflict(
            f"开工预警规则的分值已被他人修改{who}，本次修改未保存；请刷新页面查看最新分值后再修改"
        )
    new = {r.key: r.points for r in rules.with_points({**row.points, **points})}
    defaults = {r.key: r.points for r in rules.START_RISK_RULES}
    before = audit.snapshot(row, FIELDS)
    if new == {r.key: r.points for r in rules.with_points(row.points)}:
        return False
    # Only the points that differ from the defaults are kept.
    row.points = {k: v for k, v in new.items() if v != defaults[k]}
    row.version += 1
    row.updated_by = by if getattr(by, "pk", None) else None
    row.save()
    audit.record(
        user=by,
        action="update",
        obj=row,
        before=before,
        after=audit.snapshot(row, FIELDS),
        message="修改开工预警规则的分值" + ("（此前为默认值）" if created else ""),
    )
    return True
