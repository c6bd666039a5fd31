"""Writing a year's assessment: opening the year with its scheme, and the units' inputs."""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction

from sanpi.accounts.roles import Cap
from sanpi.core.errors import Conflict
from sanpi.core.services import require

from . import engine
from .models import SchemeYear
from .schemes import SCHEMES
from .selectors import check_scheme_key


def scheme_year_open(*, by, key: str, year: int) -> SchemeYear:
    """The year's assessment, begun with a copy of sanpi's scheme if it was not yet (by
    whoever first enters its data: the city office or an assessor)."""
    require(by, Cap.ENTER_ASSESSMENT)
    check_scheme_key(key)
    row = SchemeYear.objects.filter(scheme=key, year=year).first()
    if row is not None:
        return row
    scheme = SCHEMES[key]
    try:
        with transaction.atomic():
            return SchemeYear.objects.create(
                scheme=key, year=year, name=scheme.name, definition=engine.scheme_data(scheme)
            )
    except IntegrityError:  # begun at the same moment by someone else
        return SchemeYear.objects.get(scheme=key, year=year)


def check_open(row: SchemeYear) -> None:
    if row.state != SchemeYear.State.OPEN:
        raise Conflict(f"{row}已{row.get_state_display().removeprefix('已')}，不能再修改数据")


# open → closed (填报截止) → locked (结果锁定); back to open only with a reason (audited).
TRANSITIONS = {
    ("open", "closed"): "填报截止",
    ("closed", "locked"): "锁定结果",
    ("closed", "open"): "重新开放填报",
    ("locked", "open"): "解除锁定并重新开放填报",
}


@transaction.atomic
def scheme_year_state_set(
    *, by, key: str, year: int, state: str, version: int, reason: str = ""
) -> SchemeYear:
    """Close, lock or reopen a year's assessment. Reopening needs a reason; a stale page
    (another change since) gets 409; every change is audited with before and after."""
    from sanpi.core import audit
    from sanpi.core.errors import ValidationFailed

    require(by, Cap.MANAGE_TARGETS)
    row = scheme_year_open(by=by, key=key, year=year)
    row = SchemeYear.objects.select_for_update().get(pk=row.pk)
    if row.version != version:
        raise Conflict(
            f"{row}的状态已被他人修改（现为“{row.get_state_display()}”），请刷新页面后再操作"
        )
    label = TRANSITIONS.get((row.state, state))
    if label is None:
        names = dict(SchemeYear.State.choices)
        raise ValidationFailed.of(
            "state", f"{row}现为“{row.get_state_display()}”，不能改为“{names.get(state, state)}”"
        )
    reason = (reason or "").strip()
    if state == "open" and not reason:
        raise ValidationFailed.of("reason", "重新开放须填写原因")
    before = audit.snapshot(row, ["state", "version"])
    row.state, row.version = state, row.version + 1
    row.save(update_fields=["state", "version", "updated_at"])
    _publish(row)
    audit.record(user=by, action="update", obj=row, before=before,
                 after=audit.snapshot(row, ["state", "version"]),
                 message=f"{label}" + (f"：{reason}" if reason else ""))  # fmt: skip
    return row


@transaction.atomic
def scheme_points_set(
    *, by, key: str, year: int, points: dict[str, Decimal], version: int
) -> SchemeYear:
    """Change the maximum points of the year's indicators (the city office), while the
    year is open. The scheme must still add up (engine.check_scheme: the regular
    indicators to 100); a stale page gets 409; audited with the old and new points. Other
    years keep their own schemes."""
    import dataclasses

    from sanpi.core import audit
    from sanpi.core.errors import ValidationFailed

    require(by, Cap.MANAGE_TARGETS)
    row = scheme_year_open(by=by, key=key, year=year)
    row = SchemeYear.objects.select_for_update().get(pk=row.pk)
    if row.version != version:
        raise Conflict(f"{row}已被他人修改，请刷新页面后再修改")
    check_open(row)
    scheme = engine.scheme_from_data(row.definition)
    unknown = set(points) - {i.key for i in scheme.indicators}
    if unknown:
        raise ValidationFailed.of(sorted(unknown)[0], "没有这项指标")
    changed = tuple(
        dataclasses.replace(i, max_points=points.get(i.key, i.max_points))
        for i in scheme.indicators
    )
    new = dataclasses.replace(scheme, indicators=changed)
    errors = engine.check_scheme(new)
    if errors:
        raise ValidationFailed("；".join(errors))
    if new == scheme:
        return row
    before = {i.key: str(i.max_points) for i in scheme.indicators}
    row.definition, row.version = engine.scheme_data(new), row.version + 1
    row.save(update_fields=["definition", "version", "updated_at"])
    audit.record(user=by, action="update", obj=row, before={"points": before},
                 after={"points": {i.key: str(i.max_points) for i in new.indicators}},
                 message=f"修改{row}的指标分值")  # fmt: skip
    return row


@transaction.atomic
def inputs_compute(*, by, key: str, year: int) -> int:
    """Fill a computed scheme's inputs (the zones') from the ledger, replacing what was
    computed before, while the year is open. Audited; returns the units written."""
    from sanpi.core import audit

    from .models import UnitEntry
    from .schemes import COMPUTED
    from .sources import mujun_by_zone, zone_inputs

    require(by, Cap.MANAGE_TARGETS)
    if key not in COMPUTED:
        from sanpi.core.errors import ValidationFailed

        raise ValidationFailed.of("scheme", "该考核方案的数据由各单位填报，请用模板导入")
    row = scheme_year_open(by=by, key=key, year=year)
    row = SchemeYear.objects.select_for_update().get(pk=row.pk)
    check_open(row)
    computed = zone_inputs(year, mujun=mujun_by_zone(year))
    UnitEntry.objects.filter(scheme_year=row).delete()
    UnitEntry.objects.bulk_create(
        UnitEntry(scheme_year=row, unit=name, values={k: str(v) for k, v in values.items()},
                  updated_by=by if getattr(by, "pk", None) else None)
        for name, values in computed.items()
    )  # fmt: skip
    audit.record(user=by, action="update", obj=row, before=None,
                 after={"units": len(computed)},
                 message=f"从台账计算{row}的考核数据（{len(computed)}个单位）")  # fmt: skip
    return len(computed)


def _publish(row: SchemeYear) -> None:
    """A locked year's results are stored as published (UnitResult); any other state has
    none, so a reopened year's old places are not shown as final."""
    from .models import UnitResult
    from .selectors import results

    UnitResult.objects.filter(scheme_year=row).delete()
    if row.state != SchemeYear.State.LOCKED:
        return
    r = results(row.scheme, row.year)
    UnitResult.objects.bulk_create(
        UnitResult(scheme_year=row, unit=u.name, rank=u.rank, total=u.total, vetoed=u.vetoed,
                   labels=r.consequences.get(u.name, []))
        for u in r.units
    )  # fmt: skip
