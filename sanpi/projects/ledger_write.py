"""Writing a checked ledger: the file's rows read a second time, written a chunk at a time
with bulk operations in the caller's transaction, audit rows included.

Runs only on a plan without errors (`ledger_checks.LedgerPlan`): the checking pass kept,
for each row that changes something, only the project it updates and its new
attributions, and spooled the row's parsed values to a temporary file
(`core.tables.RowSpool`), so memory stays bounded whatever the file's size and the file is
parsed once; this pass reads the spool back and writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from sanpi.core import audit
from sanpi.core.bulk import bulk_insert, bulk_update
from sanpi.core.tables import Row
from sanpi.regions.models import Enterprise

from .ledger_checks import CHUNK_ROWS, LedgerPlan, chunks, stages_reached
from .ledger_columns import EVIDENCE, ROW_FIELD_NAMES, ROW_FIELDS
from .models import Activity, ActivityEntry, Project, ProjectEvent
from .rules import ACTION_LABELS, ACTION_STAGE, STAGE_DATE_FIELD, STAGE_LABELS, Stage


@dataclass
class _Written:
    """One row's project as it will be written."""

    project: Project
    is_new: bool
    from_stage: str
    new_entries: tuple
    before: dict | None = None
    changed: list[str] = field(default_factory=list)


def write_plan(plan: LedgerPlan, rows: Iterable[Row], *, filename: str = "") -> None:
    """Write the plan; ``rows`` are the checked rows to write (`LedgerPlan.spool`)."""
    by = plan.by
    total = plan.result.rows
    plan.progress(0, total, "写入")
    log: list[dict] = []
    bulk_insert(Activity, plan.new_activities)
    for activity in plan.new_activities:
        log.append(_log("create", by, activity))
    for activity, before in plan.changed_activities:
        activity.save()
        log.append(_log("update", by, activity, before=before))
    enterprises = list(plan.new_enterprises.values())
    for chunk in chunks(enterprises, CHUNK_ROWS):
        bulk_insert(Enterprise, chunk)
        log.extend(_log("create", by, e) for e in chunk)
    audit.record_many(log)

    done = 0
    for chunk in chunks(rows, CHUNK_ROWS):
        _write_chunk(plan, chunk)
        done += len(chunk)
        plan.progress(done, total, "写入")

    summary = plan.result.summary_text()
    counts = {k: v for k, v in plan.result.as_dict().items() if k != "understood"}
    audit.record(
        user=by,
        action="import",
        object_type="projects.ledger",
        object_repr=(filename or "项目台账")[:200],
        after=counts,
        message=f"导入项目台账{('“' + filename + '”') if filename else ''}：{summary}",
    )


def _write_chunk(plan: LedgerPlan, rows: list[Row]) -> None:
    by = plan.by
    planned = [(row, plan.records[row.number]) for row in rows if row.number in plan.records]
    # Locked for the import's transaction: a person's edit waits for it (or it for them).
    existing = Project.objects.select_for_update().in_bulk(
        [pk for _, (pk, _) in planned if pk is not None]
    )
    written: list[_Written] = []
    for row, (pk, new_entries) in planned:
        project = existing.get(pk) if pk is not None else None
        v = plan.fill_batch_dates(plan.complete(row.values, project))
        county, zone = plan.region_of(v)
        state = plan.state_of(v, county, zone)
        if project is None:
            code = v["credit_code"]
            known = plan.by_credit_code.get(code)
            enterprise_id = known.pk if known is not None else plan.new_enterprises[code].pk
            project = Project(name=v["name"], enterprise_id=enterprise_id, **state)
            written.append(_Written(project, True, Stage.RESERVE.value, new_entries))
            continue
        w = _Written(project, False, project.stage, new_entries)
        w.changed = [f for f in ROW_FIELDS if getattr(project, f) != state[f]]
        if w.changed:
            w.before = audit.snapshot(project)
            for f in w.changed:
                setattr(project, f, state[f])
        written.append(w)

    bulk_insert(Project, [w.project for w in written if w.is_new])
    updated = [w for w in written if w.changed]
    if updated:
        now = timezone.now()
        names = {ROW_FIELD_NAMES[f] for w in updated for f in w.changed}
        names |= {"updated_at", "version"}
        for w in updated:
            w.project.updated_at = now
            w.project.version += 1
        bulk_update(Project, [w.project for w in updated], sorted(names))

    # Ids, not instances, for the many small rows: assigning related instances
    # costs more than building the rows.
    account = by if getattr(by, "pk", None) else None
    account_id = account.pk if account is not None else None
    log: list[dict] = []
    events: list[ProjectEvent] = []
    entries: list[ActivityEntry] = []
    entry_reprs: list[str] = []
    for w in written:
        project = w.project
        attributed = {}
        for action, key, mode in w.new_entries:
            activity = plan.activities[key]
            attributed[ACTION_STAGE[action]] = activity
            entries.append(
                ActivityEntry(
                    activity_id=activity.pk,
                    project_id=project.pk,
                    action=action.value,
                    sign_mode=mode,
                    investment_wan=project.total_investment_wan or Decimal(0),
                )
            )
            entry_reprs.append(f"{activity} {ACTION_LABELS[action]} {project.name}")
        for stage in stages_reached(w.from_stage, project.stage):
            activity = attributed.get(stage)
            evidence = EVIDENCE
            if activity is not None:
                evidence = f"{EVIDENCE}：{activity}{STAGE_LABELS[stage]}"
            events.append(
                ProjectEvent(
                    project_id=project.pk,
                    kind=ProjectEvent.Kind.STAGE,
                    value=stage.value,
                    date=getattr(project, STAGE_DATE_FIELD[stage]),
                    evidence=evidence,
                    activity_id=activity.pk if activity is not None else None,
                    recorded_by_id=account_id,
                )
            )
        if w.is_new:
            log.append(_log("create", by, project, message=EVIDENCE))
        elif w.changed:
            log.append(_log("update", by, project, before=w.before, message=_update_message(w)))
    bulk_insert(ProjectEvent, events, returning=False)
    bulk_insert(ActivityEntry, entries)
    for entry, text in zip(entries, entry_reprs, strict=True):
        log.append(_log("create", by, entry, object_repr=text, message=EVIDENCE))
    audit.record_many(log)


def _log(action: str, by, obj, *, before: dict | None = None, **extra) -> dict:
    entry = {"user": by, "action": action, "obj": obj, "after": audit.snapshot(obj), **extra}
    if before is not None:
        entry["before"] = before
    return entry


def _update_message(w: _Written) -> str:
    parts = []
    if w.from_stage != w.project.stage:
        parts.append(
            f"阶段 {STAGE_LABELS[Stage(w.from_stage)]} → {STAGE_LABELS[Stage(w.project.stage)]}"
        )
    others = [ROW_FIELD_NAMES[f] for f in w.changed if f != "stage"]
    if others:
        labels = [str(Project._meta.get_field(n).verbose_name) for n in others]
        parts.append("修改" + "、".join(labels))
    return f"{EVIDENCE}：{'；'.join(parts)}"
