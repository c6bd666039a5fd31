"""Writes for projects and "三个一批" activities.

Each service: checks the capability and the scope, validates, saves, writes its
audit row, all in one transaction. Views, the API, imports and commands call these.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit
from sanpi.core.errors import ValidationFailed
from sanpi.core.scope import ensure_in_scope
from sanpi.core.services import apply_fields, require, save_update, validate_instance

from .models import Activity, ActivityEntry, Health, Project, ProjectEvent
from .rules import (
    ACTION_LABELS,
    ACTION_STAGE,
    DATE_FIELD_LABELS,
    STAGE_DATE_FIELD,
    STAGE_LABELS,
    Action,
    Stage,
    amount_scale_error,
    amount_scale_warning,
    date_errors,
    future_date_errors,
    future_error,
    project_code_error,
    stage_index,
)

# Fields a user edits directly. Stage, its dates and health move only through their services.
PROJECT_FIELDS = (
    "code",
    "name",
    "enterprise",
    "county",
    "zone",
    "industry",
    "construction_kind",
    "total_investment_wan",
    "planned_output_wan",
    "planned_tax_wan",
    "actual_output_wan",
    "land_mu",
    "is_standard_land",
    "energy_tce",
    "investment_source",
    "is_provincial_key",
    "is_city_key",
    "in_statistics",
    "above_size",
)
DATE_FIELDS = tuple(STAGE_DATE_FIELD.values())
AMOUNT_FIELDS = (
    "total_investment_wan", "planned_output_wan", "planned_tax_wan", "actual_output_wan",
)  # fmt: skip
# Fields checked against a plausibility limit (settings, in 万元).
LARGE_AMOUNT_SETTINGS = {
    "total_investment_wan": "SANPI_LARGE_INVESTMENT_WAN",
    "planned_output_wan": "SANPI_LARGE_OUTPUT_WAN",
    "actual_output_wan": "SANPI_LARGE_OUTPUT_WAN",
}


def project_rule_errors(project: Project) -> dict[str, str]:
    """Cross-field rules the database can't express with a clear message."""
    errors: dict[str, str] = {}
    if project.code:
        problem = project_code_error(project.code)
        if problem:
            errors["code"] = f"项目代码{problem}"
    if project.zone_id and project.county_id and project.zone.county_id != project.county_id:
        errors["zone"] = f"开发区“{project.zone}”不在{project.county}"
    dates = {f: getattr(project, f) for f in DATE_FIELDS}
    errors.update(date_errors(project.stage, dates))
    for field, message in future_date_errors(dates, timezone.localdate()).items():
        errors.setdefault(field, message)
    for field in AMOUNT_FIELDS:
        label = str(Project._meta.get_field(field).verbose_name).split("(")[0]
        problem = amount_scale_error(label, getattr(project, field))
        if problem:
            errors[field] = problem
    return errors


def large_amount_warnings(project: Project) -> dict[str, str]:
    """Amounts above the configured plausibility limits: each needs the user's confirmation
    (the form's 确认 box, the API's ``confirm_large``) and is a warning in the import."""
    out: dict[str, str] = {}
    for field, setting in LARGE_AMOUNT_SETTINGS.items():
        label = str(Project._meta.get_field(field).verbose_name).split("(")[0]
        limit = getattr(settings, setting)
        problem = amount_scale_warning(label, getattr(project, field), limit)
        if problem:
            out[field] = problem
    return out


def _confirm_large(project: Project, confirmed: bool) -> None:
    warnings = large_amount_warnings(project)
    if warnings and not confirmed:
        raise ValidationFailed(
            "；".join(warnings.values()) + "。如确认无误，请勾选“金额已核对”后再保存",
            fields={k: [v + "；如确认无误，请勾选“金额已核对”"] for k, v in warnings.items()},
        )


def _validate(project: Project) -> None:
    if project.code == "":
        project.code = None
    errors = project_rule_errors(project)
    if errors:
        raise ValidationFailed(
            "；".join(errors.values()), fields={k: [v] for k, v in errors.items()}
        )
    validate_instance(project)


def _ensure_writable(by, project: Project) -> None:
    require(by, Cap.CHANGE_LEDGER)
    ensure_in_scope(by, project)


def _account(by):
    """The user account to record as 'recorded by' (None for operator commands)."""
    return by if getattr(by, "pk", None) else None


def _stage_events(project: Project, *, from_stage: str, by, evidence: str, activity=None):
    """Events for every stage reached after `from_stage`."""
    events = []
    for stage, field in STAGE_DATE_FIELD.items():
        if stage_index(from_stage) < stage_index(stage) <= stage_index(project.stage):
            events.append(
                ProjectEvent(
                    project=project,
                    kind=ProjectEvent.Kind.STAGE,
                    value=stage.value,
                    date=getattr(project, field),
                    evidence=evidence,
                    activity=activity,
                    recorded_by=_account(by),
                )
            )
    return events


@transaction.atomic
def project_create(
    *, by, stage: str = Stage.RESERVE, evidence: str = "", confirm_large: bool = False, **data
) -> Project:
    """Create a project, possibly already past reserve (with the dates of every stage reached).
    Amounts above the plausibility limits need ``confirm_large``."""
    require(by, Cap.CHANGE_LEDGER)
    project = Project(stage=Stage(stage).value)
    apply_fields(project, (*PROJECT_FIELDS, *DATE_FIELDS, "health"), data)
    ensure_in_scope(by, project)
    _validate(project)
    _confirm_large(project, confirm_large)
    project.save()
    ProjectEvent.objects.bulk_create(
        _stage_events(
            project, from_stage=Stage.RESERVE, by=by, evidence=evidence or "新建项目时登记"
        )
    )
    audit.record(user=by, action="create", obj=project, after=audit.snapshot(project))
    return project


@transaction.atomic
def project_update(*, by, project: Project, confirm_large: bool = False, **data) -> Project:
    """Edit a project's fields, and correct the dates of stages it has already reached.
    A changed amount above the plausibility limits needs ``confirm_large``."""
    _ensure_writable(by, project)
    before = audit.snapshot(project)
    previous = large_amount_warnings(project)
    apply_fields(project, PROJECT_FIELDS + DATE_FIELDS, data)
    ensure_in_scope(by, project)  # can't move a project out of one's own scope
    _validate(project)
    if large_amount_warnings(project) != previous:
        _confirm_large(project, confirm_large)
    save_update(by=by, instance=project, before=before)
    return project


@transaction.atomic
def project_advance_stage(
    *, by, project: Project, to_stage: str, date: dt.date, evidence: str = "", activity=None
) -> Project:
    """Move a project one stage forward, on a date not before the stage it leaves."""
    _ensure_writable(by, project)
    target = Stage(to_stage)
    current = project.stage_enum
    if stage_index(target) <= stage_index(current):
        raise ValidationFailed.of(
            "stage",
            f"项目已处于“{STAGE_LABELS[current]}”阶段，阶段只能向前推进，不能改为“{STAGE_LABELS[target]}”",
        )
    if stage_index(target) > stage_index(current) + 1:
        missing = Stage(list(Stage)[stage_index(current) + 1])
        raise ValidationFailed.of(
            "stage",
            f"项目尚未{STAGE_LABELS[missing]}，请先登记{DATE_FIELD_LABELS[STAGE_DATE_FIELD[missing]]}",
        )
    if date is None:
        raise ValidationFailed.of("date", f"请填写{DATE_FIELD_LABELS[STAGE_DATE_FIELD[target]]}")
    problem = future_error(DATE_FIELD_LABELS[STAGE_DATE_FIELD[target]], date, timezone.localdate())
    if problem:
        raise ValidationFailed.of("date", problem)
    before = audit.snapshot(project)
    setattr(project, STAGE_DATE_FIELD[target], date)
    project.stage = target.value
    _validate(project)
    project.save(update_fields=["stage", STAGE_DATE_FIELD[target], "updated_at"])
    ProjectEvent.objects.create(
        project=project,
        kind=ProjectEvent.Kind.STAGE,
        value=target.value,
        date=date,
        evidence=evidence,
        activity=activity,
        recorded_by=_account(by),
    )
    audit.record(
        user=by,
        action="stage",
        obj=project,
        before=before,
        after=audit.snapshot(project),
        message=f"{STAGE_LABELS[current]} → {STAGE_LABELS[target]}（{date:%Y-%m-%d}）{evidence}",
    )
    return project


@transaction.atomic
def project_set_health(
    *, by, project: Project, health: str, date: dt.date, evidence: str = ""
) -> Project:
    _ensure_writable(by, project)
    new = Health(health)
    if date is None:
        raise ValidationFailed.of("date", "请填写日期")
    problem = future_error("日期", date, timezone.localdate())
    if problem:
        raise ValidationFailed.of("date", problem)
    if project.health == new:
        if evidence.strip():  # the same status reported again, with news: a dated entry
            ProjectEvent.objects.create(
                project=project,
                kind=ProjectEvent.Kind.HEALTH,
                value=new.value,
                date=date,
                evidence=evidence,
                recorded_by=_account(by),
            )
            audit.record(
                user=by,
                action="update",
                obj=project,
                after={"health": new.value, "note": evidence},
                message=f"推进状态仍为“{new.label}”（{date:%Y-%m-%d}）{evidence}",
            )
        return project
    before = audit.snapshot(project, ["health"])
    project.health = new.value
    project.save(update_fields=["health", "updated_at"])
    ProjectEvent.objects.create(
        project=project,
        kind=ProjectEvent.Kind.HEALTH,
        value=new.value,
        date=date,
        evidence=evidence,
        recorded_by=_account(by),
    )
    audit.record(
        user=by,
        action="update",
        obj=project,
        before=before,
        after={"health": new.value},
        message=f"推进状态改为“{new.label}”（{date:%Y-%m-%d}）{evidence}",
    )
    return project


# --- activities ------------------------------------------------------------------------

ACTIVITY_FIELDS = ("year", "sequence", "date", "level", "venue")


@transaction.atomic
def activity_create(*, by, **data) -> Activity:
    require(by, Cap.MANAGE_ACTIVITIES)
    activity = Activity()
    apply_fields(activity, ACTIVITY_FIELDS, data)
    _validate_activity(activity)
    activity.save()
    audit.record(user=by, action="create", obj=activity, after=audit.snapshot(activity))
    return activity


def _validate_activity(activity: Activity) -> None:
    if activity.date and activity.year and activity.date.year != activity.year:
        raise ValidationFailed.of(
            "date", f"活动日期{activity.date:%Y-%m-%d}不在{activity.year}年度内"
        )
    validate_instance(activity)


@transaction.atomic
def activity_update(*, by, activity: Activity, **data) -> Activity:
    require(by, Cap.MANAGE_ACTIVITIES)
    before = audit.snapshot(activity)
    apply_fields(activity, ACTIVITY_FIELDS, data)
    _validate_activity(activity)
    save_update(by=by, instance=activity, before=before)
    return activity


@transaction.atomic
def activity_add_project(
    *, by, activity: Activity, project: Project, action: str, sign_mode: str = ""
) -> ActivityEntry:
    """Put a project into an activity; its stage moves to the action's stage on the activity's date."""
    require(by, Cap.ENTER_ACTIVITY)
    ensure_in_scope(by, project)
    act = Action(action)
    target = ACTION_STAGE[act]
    if act == Action.SIGN and sign_mode not in ("onsite", "sync"):
        raise ValidationFailed.of("sign_mode", "签约须选择签约方式（现场签约或同步签约）")
    if act != Action.SIGN:
        sign_mode = ""
    existing = ActivityEntry.objects.filter(project=project, action=act.value).select_related(
        "activity"
    )
    if existing:
        raise ValidationFailed.of(
            "action", f"项目已在{existing[0].activity}中{ACTION_LABELS[act]}，不能重复归属"
        )
    if stage_index(project.stage) >= stage_index(target):
        reached = getattr(project, STAGE_DATE_FIELD[target])
        raise ValidationFailed.of(
            "action",
            f"项目已于{reached:%Y-%m-%d}{ACTION_LABELS[act]}，不能在本次活动中再次{ACTION_LABELS[act]}",
        )
    project_advance_stage(
        by=by,
        project=project,
        to_stage=target,
        date=activity.date,
        evidence=f"{activity}{ACTION_LABELS[act]}",
        activity=activity,
    )
    entry = ActivityEntry(
        activity=activity,
        project=project,
        action=act.value,
        sign_mode=sign_mode,
        investment_wan=project.total_investment_wan or Decimal(0),
    )
    validate_instance(entry)
    entry.save()
    audit.record(user=by, action="create", obj=entry, after=audit.snapshot(entry))
    return entry


@transaction.atomic
def activity_remove_entry(*, by, entry: ActivityEntry) -> None:
    """Take a mistaken attribution back. The project's stage and dates stay as recorded."""
    require(by, Cap.MANAGE_ACTIVITIES)
    before = audit.snapshot(entry)
    audit.record(user=by, action="delete", obj=entry, before=before)
    entry.delete()
