"""Writing a year's assessment: opening the year with its scheme, the units' inputs, its
states, and scoring (the stored results)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core.errors import Conflict
from sanpi.core.services import require

from . import engine
from .models import SchemeYear, UnitResult
from .schemes import SCHEMES
from .selectors import check_scheme_key, computed, item_data

# A year of up to this many units is scored in the transaction that changes it (a city's
# banks, zones or enterprises: well under a second); a larger one by the job that scores
# stale years every two minutes (`jobs.RESCORE`), so a page save never waits on a province.
SYNC_UNITS = 1000
# Schemes whose scores read the ledger beyond their inputs (亩均: an enterprise's land and
# group default to its projects'): their open years are scored again each day.
READS_LEDGER = {"mujun"}


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
    if state == "closed":  # the last scoring: a closed or locked year's results stay put
        rescore(row, force=True)
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
    inputs_changed(row)
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
    inputs_changed(row)
    audit.record(user=by, action="update", obj=row, before=None,
                 after={"units": len(computed)},
                 message=f"从台账计算{row}的考核数据（{len(computed)}个单位）")  # fmt: skip
    return len(computed)


def inputs_changed(row: SchemeYear) -> None:
    """Note a change of the year's inputs or points (inside the change's transaction):
    the stored results are now stale. A small year is scored at once, in the same
    transaction; a larger one by the next run of `rescore_due`."""
    SchemeYear.objects.filter(pk=row.pk).update(revision=F("revision") + 1)
    row.refresh_from_db(fields=["revision"])
    # More than SYNC_UNITS? Asked with a bounded read (at most SYNC_UNITS + 1 index
    # entries), not a count of a large year's every unit on each page save.
    if not row.entries.order_by().values("pk")[SYNC_UNITS : SYNC_UNITS + 1].exists():
        rescore(row)


def rescore(
    row: SchemeYear, *, force: bool = False, due_from: dt.datetime | None = None
) -> int | None:
    """Score the year from its inputs and store its results (replacing the stored ones),
    in one transaction; returns the units scored, None if it was not scored. A closed or
    locked year is scored again only when `force`d (by closing it) or if it never was.
    With `due_from` (the job), only if it is still due once locked: a run that overlapped
    the previous one, which has scored it meanwhile, does nothing."""
    with transaction.atomic():
        row = SchemeYear.objects.select_for_update().get(pk=row.pk)
        if row.state != SchemeYear.State.OPEN and not force and row.scored_revision is not None:
            return None
        if due_from is not None and not _due(row, due_from):
            return None
        r = computed(row)
        UnitResult.objects.filter(scheme_year=row).delete()
        UnitResult.objects.bulk_create(
            (
                UnitResult(scheme_year=row, unit=u.name, group=u.group, position=n,
                           rank=u.rank, regular=u.regular, bonus=u.bonus, total=u.total,
                           vetoed=u.vetoed, veto=u.veto[:200],
                           labels=r.consequences.get(u.name, []),
                           items=[item_data(i) for i in u.items])
                for n, u in enumerate(r.units, 1)
            ),
            batch_size=1000,
        )  # fmt: skip
        row.scored_revision, row.scored_at = row.revision, timezone.now()
        row.scored_units = len(r.units)
        row.save(update_fields=["scored_revision", "scored_at", "scored_units"])
    return len(r.units)


def _due(row: SchemeYear, start: dt.datetime) -> bool:
    """`rescore_due`'s condition, for one locked row."""
    if row.scored_revision is None:
        return True
    if row.state != SchemeYear.State.OPEN:
        return False
    return row.stale or row.scheme in READS_LEDGER and row.scored_at < start


def rescore_due(today: dt.date | None = None) -> list[str]:
    """Score the years whose stored results are stale: open years changed since they were
    scored, years never scored, and open years of a scheme that reads the ledger not yet
    scored today. Returns the years scored (their names)."""
    today = today or timezone.localdate()
    start = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    due = SchemeYear.objects.filter(
        Q(scored_revision__isnull=True)
        | Q(state=SchemeYear.State.OPEN)
        & (~Q(scored_revision=F("revision")) | Q(scheme__in=READS_LEDGER) & Q(scored_at__lt=start))
    ).order_by("scheme", "year")
    return [str(row) for row in due if rescore(row, due_from=start) is not None]
