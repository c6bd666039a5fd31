"""Writing a checked ledger plan: bulk operations in the caller's transaction, audit rows
included. Runs only on a plan without errors (`ledger_checks.LedgerPlan`)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from sanpi.core import audit
from sanpi.core.bulk import bulk_insert, bulk_update
from sanpi.regions.models import Enterprise

from .ledger_checks import LedgerPlan, PlannedRow, stages_reached
from .ledger_columns import EVIDENCE, ROW_FIELD_NAMES
from .models import Activity, ActivityEntry, Project, ProjectEvent
from .rules import ACTION_LABELS, ACTION_STAGE, STAGE_DATE_FIELD, STAGE_LABELS, Stage


def _account(by):
    return by if getattr(by, "pk", None) else None


def write_plan(plan: LedgerPlan, *, filename: str = "") -> None:
    by = plan.by
    account = _account(by)
    log: list[dict] = []
    steps = 7
    plan.progress(0, steps, "写入")

    bulk_insert(Activity, plan.new_activities)
    for activity in plan.new_activities:
        log.append(
            {"user": by, "action": "create", "obj": activity, "after": audit.snapshot(activity)}
        )
    for activity, before in plan.changed_activities:
        activity.save()
        log.append(
            {
                "user": by,
                "action": "update",
                "obj": activity,
                "before": before,
                "after": audit.snapshot(activity),
            }
        )
    plan.progress(1, steps, "写入")

    enterprises = list(plan.new_enterprises.values())
    bulk_insert(Enterprise, enterprises)
    for enterprise in enterprises:
        log.append(
            {
                "user": by,
                "action": "create",
                "obj": enterprise,
                "after": audit.snapshot(enterprise),
            }
        )
    plan.progress(2, steps, "写入")

    created = [r.project for r in plan.rows if r.is_new]
    for project in created:
        if project.enterprise_id is None:  # a new enterprise, which has its id now
            project.enterprise_id = project.enterprise.pk
    bulk_insert(Project, created)
    plan.progress(3, steps, "写入")

    updated = [r for r in plan.rows if not r.is_new and r.changed]
    if updated:
        now = timezone.now()
        names = {ROW_FIELD_NAMES[f] for r in updated for f in r.changed} | {"updated_at"}
        for r in updated:
            r.project.updated_at = now
        bulk_update(Project, [r.project for r in updated], sorted(names))
    plan.progress(4, steps, "写入")

    # Ids, not instances, for the many small rows: assigning related instances
    # costs more than building the rows.
    account_id = account.pk if account is not None else None
    events: list[ProjectEvent] = []
    entries: list[ActivityEntry] = []
    entry_reprs: list[str] = []
    for r in plan.rows:
        project = r.project
        attributed = {}
        for action, key, mode in r.new_entries:
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
        for stage in stages_reached(r):
            date_field = STAGE_DATE_FIELD[stage]
            activity = attributed.get(stage)
            evidence = EVIDENCE
            if activity is not None:
                evidence = f"{EVIDENCE}：{activity}{STAGE_LABELS[stage]}"
            events.append(
                ProjectEvent(
                    project_id=project.pk,
                    kind=ProjectEvent.Kind.STAGE,
                    value=stage.value,
                    date=getattr(project, date_field),
                    evidence=evidence,
                    activity_id=activity.pk if activity is not None else None,
                    recorded_by_id=account_id,
                )
            )
        if r.is_new:
            log.append(
                {
                    "user": by,
                    "action": "create",
                    "obj": project,
                    "after": audit.snapshot(project),
                    "message": EVIDENCE,
                }
            )
        elif r.changed:
            log.append(
                {
                    "user": by,
                    "action": "update",
                    "obj": project,
                    "before": r.before,
                    "after": audit.snapshot(project),
                    "message": _update_message(r),
                }
            )
    bulk_insert(ProjectEvent, events, returning=False)
    plan.progress(5, steps, "写入")
    bulk_insert(ActivityEntry, entries)
    for entry, text in zip(entries, entry_reprs, strict=True):
        log.append(
            {
                "user": by,
                "action": "create",
                "obj": entry,
                "object_repr": text,
                "after": audit.snapshot(entry),
                "message": EVIDENCE,
            }
        )
    plan.result.events_created = len(events)
    plan.progress(6, steps, "写入")

    summary = plan.result.summary_text()
    log.append(
        {
            "user": by,
            "action": "import",
            "object_type": "projects.ledger",
            "object_repr": (filename or "项目台账")[:200],
            "after": plan.result.as_dict(),
            "message": f"导入项目台账{('“' + filename + '”') if filename else ''}：{summary}",
        }
    )
    audit.record_many(log)
    plan.progress(steps, steps, "写入")


def _update_message(r: PlannedRow) -> str:
    parts = []
    if r.from_stage != r.project.stage:
        parts.append(
            f"阶段 {STAGE_LABELS[Stage(r.from_stage)]} → {STAGE_LABELS[Stage(r.project.stage)]}"
        )
    others = [ROW_FIELD_NAMES[f] for f in r.changed if f != "stage"]
    if others:
        labels = [str(Project._meta.get_field(n).verbose_name) for n in others]
        parts.append("修改" + "、".join(labels))
    return f"{EVIDENCE}：{'；'.join(parts)}"
