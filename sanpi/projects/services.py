"""Writes for projects and "三个一批" activities.

Each service: checks the capability and the scope, validates, saves, writes its
audit row, all in one transaction. Views, the API, imports and commands call these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit
from sanpi.core.errors import Conflict, NotFound, ValidationFailed
from sanpi.core.scope import ensure_in_scope
from sanpi.core.services import (
    account_of,
    apply_fields,
    require,
    save_update,
    validate_instance,
)

from .models import Activity, ActivityEntry, Health, PlannedEntry, Project, ProjectEvent
from .rules import (
    ACTION_LABELS,
    ACTION_STAGE,
    DATE_FIELD_LABELS,
    STAGE_DATE_FIELD,
    STAGE_LABELS,
    STAGE_ORDER,
    Action,
    Stage,
    amount_scale_error,
    amount_scale_warning,
    date_errors,
    future_date_errors,
    future_error,
    planned_completion_error,
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
    "planned_completion_date",
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
    problem = planned_completion_error(project.planned_completion_date, dates)
    if problem:
        errors["planned_completion_date"] = problem
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


STALE = "该项目已被他人修改，请刷新后重试"


def _lock(project: Project, version: int | None = None) -> Project:
    """Lock the project's row for the rest of the transaction and re-read it in place, so
    that every decision (and the audit's "before") is made on what is stored now; a
    caller that read an older ``version`` gets a conflict. Whoever saves a change raises
    the version by one."""
    Project.objects.select_for_update().filter(pk=project.pk).values_list("pk").get()
    project.refresh_from_db()
    if version is not None and version != project.version:
        raise Conflict(STALE)
    return project


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
                    recorded_by=account_of(by),
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
def project_update(
    *, by, project: Project, confirm_large: bool = False, version: int | None = None, **data
) -> Project:
    """Edit a project's fields, and correct the dates of stages it has already reached.
    A changed amount above the plausibility limits needs ``confirm_large``; a form or call
    made on an older ``version`` is a conflict."""
    _ensure_writable(by, project)
    _lock(project, version)
    before = audit.snapshot(project)
    previous = large_amount_warnings(project)
    apply_fields(project, PROJECT_FIELDS + DATE_FIELDS, data)
    ensure_in_scope(by, project)  # can't move a project out of one's own scope
    _validate(project)
    if large_amount_warnings(project) != previous:
        _confirm_large(project, confirm_large)
    if audit.snapshot(project) != before:
        project.version += 1
        save_update(by=by, instance=project, before=before)
    return project


@transaction.atomic
def project_advance_stage(
    *,
    by,
    project: Project,
    to_stage: str,
    date: dt.date,
    evidence: str = "",
    activity=None,
    version: int | None = None,
) -> Project:
    """Move a project one stage forward, on a date not before the stage it leaves."""
    _ensure_writable(by, project)
    _lock(project, version)
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
    project.version += 1
    _validate(project)
    project.save(update_fields=["stage", STAGE_DATE_FIELD[target], "updated_at", "version"])
    ProjectEvent.objects.create(
        project=project,
        kind=ProjectEvent.Kind.STAGE,
        value=target.value,
        date=date,
        evidence=evidence,
        activity=activity,
        recorded_by=account_of(by),
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


# Sent when someone records a project's health (sender Project; project, health,
# evidence, by): the health rules' app keeps a person's judgement until the facts change.
health_recorded = Signal()


@transaction.atomic
def project_set_health(
    *,
    by,
    project: Project,
    health: str,
    date: dt.date,
    evidence: str = "",
    version: int | None = None,
) -> Project:
    _ensure_writable(by, project)
    _lock(project, version)
    new = Health(health)
    if date is None:
        raise ValidationFailed.of("date", "请填写日期")
    problem = future_error("日期", date, timezone.localdate())
    if problem:
        raise ValidationFailed.of("date", problem)
    same = project.health == new
    if same and not evidence.strip():
        return project  # nothing new to say
    before = audit.snapshot(project, ["health"])
    if not same:
        project.health = new.value
        project.version += 1
        project.save(update_fields=["health", "updated_at", "version"])
    # A change, or the same status reported again with news: a dated entry either way.
    ProjectEvent.objects.create(
        project=project,
        kind=ProjectEvent.Kind.HEALTH,
        value=new.value,
        date=date,
        evidence=evidence,
        recorded_by=account_of(by),
    )
    verb = "仍为" if same else "改为"
    audit.record(
        user=by,
        action="update",
        obj=project,
        before=None if same else before,
        after={"health": new.value, **({"note": evidence} if same else {})},
        message=f"推进状态{verb}“{new.label}”（{date:%Y-%m-%d}）{evidence}",
    )
    health_recorded.send(
        sender=Project, project=project, health=new.value, evidence=evidence, by=by
    )
    return project


# --- activities ------------------------------------------------------------------------

ACTIVITY_FIELDS = (
    "year",
    "sequence",
    "date",
    "level",
    "venue",
    # The province's totals, entered by the city office when the province announces them.
    "province_signed",
    "province_started",
    "province_produced",
)


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
    last = timezone.localdate().year + 1
    if activity.year is not None and not 2000 <= activity.year <= last:
        raise ValidationFailed.of("year", f"年度应在2000到{last}之间，实为{activity.year}")
    if activity.date and activity.year and activity.date.year != activity.year:
        raise ValidationFailed.of(
            "date", f"活动日期{activity.date:%Y-%m-%d}不在{activity.year}年度内"
        )
    validate_instance(activity)


@dataclass(frozen=True)
class DateMove:
    """A confirmed entry whose stage date moves with its activity's date."""

    entry: ActivityEntry
    date_field: str
    old: dt.date
    new: dt.date

    def __str__(self) -> str:
        label = DATE_FIELD_LABELS[self.date_field]
        return f"{self.entry.project.name}：{label} {self.old:%Y-%m-%d} → {self.new:%Y-%m-%d}"


def activity_date_moves(activity: Activity, new_date: dt.date) -> list[DateMove]:
    """What changing an activity's date does to the stage dates of its confirmed entries,
    decided on their projects' rows locked for the rest of the transaction (as `_lock`)."""
    entries = (
        ActivityEntry.objects.filter(activity=activity)
        .select_related("project")
        .select_for_update(of=("project",))
    )
    return [
        DateMove(e, STAGE_DATE_FIELD[ACTION_STAGE[e.action_enum]],
                 getattr(e.project, STAGE_DATE_FIELD[ACTION_STAGE[e.action_enum]]), new_date)
        for e in entries.order_by("project__name", "pk")
    ]  # fmt: skip


@transaction.atomic
def activity_update(*, by, activity: Activity, confirm_move: bool = False, **data) -> Activity:
    """Edit an activity. A new date moves the stage dates of its confirmed entries with it:
    refused with the list of what would move until ``confirm_move``, and refused outright
    when a move would break a project's date order or land after today."""
    require(by, Cap.MANAGE_ACTIVITIES)
    before = audit.snapshot(activity)
    old_date = activity.date
    apply_fields(activity, ACTIVITY_FIELDS, data)
    _validate_activity(activity)
    moves = activity_date_moves(activity, activity.date) if activity.date != old_date else []
    if moves:
        _check_moves(moves)
        if not confirm_move:
            listed = "；".join(str(m) for m in moves[:20]) + ("……" if len(moves) > 20 else "")
            raise ValidationFailed.of(
                "date",
                f"改动活动日期将同时改动{len(moves)}个项目的阶段日期（{listed}）。"
                "如确认，请勾选“同时改动项目的阶段日期”后保存",
            )
    save_update(by=by, instance=activity, before=before)
    for move in moves:
        project = move.entry.project
        project_before = audit.snapshot(project)
        setattr(project, move.date_field, move.new)
        project.version += 1  # a form or call made before the move is stale
        project.save(update_fields=[move.date_field, "updated_at", "version"])
        ProjectEvent.objects.filter(
            project=project, kind=ProjectEvent.Kind.STAGE, activity=activity
        ).update(date=move.new)
        audit.record(
            user=by, action="update", obj=project, before=project_before,
            after=audit.snapshot(project), message=f"随{activity}改期：{move}",
        )  # fmt: skip
    return activity


def _check_moves(moves: list[DateMove]) -> None:
    today = timezone.localdate()
    problems = []
    for move in moves:
        project = move.entry.project
        dates = {f: getattr(project, f) for f in DATE_FIELDS}
        dates[move.date_field] = move.new
        errors = date_errors(project.stage, dates)
        errors.update(future_date_errors({move.date_field: move.new}, today))
        if errors:
            problems.append(f"{project.name}：{'；'.join(errors.values())}")
    if problems:
        raise ValidationFailed.of("date", "不能改到这一天：" + "；".join(problems))


@transaction.atomic
def activity_delete(*, by, activity: Activity) -> None:
    """Delete an activity with no confirmed entries (its planned list goes with it)."""
    require(by, Cap.MANAGE_ACTIVITIES)
    count = ActivityEntry.objects.filter(activity=activity).count()
    if count:
        raise ValidationFailed(
            f"已有{count}个项目归属{activity}，不能删除（请先在活动页面移除这些归属）"
        )
    for planned in PlannedEntry.objects.filter(activity=activity):
        audit.record(
            user=by, action="delete", obj=planned, before=audit.snapshot(planned),
            message=f"随活动删除：{planned}",
        )  # fmt: skip
        planned.delete()
    audit.record(user=by, action="delete", obj=activity, before=audit.snapshot(activity))
    activity.delete()


@transaction.atomic
def activity_add_project(
    *, by, activity: Activity, project: Project, action: str, sign_mode: str = ""
) -> ActivityEntry:
    """Put a project into an activity; its stage moves to the action's stage on the activity's date."""
    require(by, Cap.ENTER_ACTIVITY)
    ensure_in_scope(by, project)
    _lock(project)  # the checks below read what is stored now, not a stale copy
    act = Action(action)
    target = ACTION_STAGE[act]
    sign_mode = _check_sign_mode(act, sign_mode)
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


# --- planned activities: the list collected ahead of the day -----------------------------


def activity_is_coming(activity: Activity) -> bool:
    return activity.date > timezone.localdate()


def activity_enter_project(
    *, by, activity: Activity, project: Project, action: str, sign_mode: str = ""
) -> ActivityEntry | PlannedEntry:
    """A project into an activity: attributed (its stage moves) when the activity has been
    held, put on its list (拟办) when it is still to come."""
    add = activity_plan_project if activity_is_coming(activity) else activity_add_project
    return add(by=by, activity=activity, project=project, action=action, sign_mode=sign_mode)


def _check_sign_mode(act: Action, sign_mode: str) -> str:
    if act == Action.SIGN and sign_mode not in ("onsite", "sync"):
        raise ValidationFailed.of("sign_mode", "签约须选择签约方式（现场签约或同步签约）")
    return sign_mode if act == Action.SIGN else ""


@transaction.atomic
def activity_plan_project(
    *, by, activity: Activity, project: Project, action: str, sign_mode: str = ""
) -> PlannedEntry:
    """Put a project on a coming activity's list (拟签约/拟开工/拟投产). Nothing is counted
    and no stage moves until it is confirmed on or after the activity's day."""
    require(by, Cap.ENTER_ACTIVITY)
    ensure_in_scope(by, project)
    _lock(project)  # the checks below read what is stored now, not a stale copy
    act = Action(action)
    sign_mode = _check_sign_mode(act, sign_mode)
    if not activity_is_coming(activity):
        raise ValidationFailed.of(
            "action", f"{activity}已于{activity.date:%Y-%m-%d}举行，请直接登记，不再列入拟办清单"
        )
    target = ACTION_STAGE[act]
    if stage_index(project.stage) >= stage_index(target):
        raise ValidationFailed.of(
            "action", f"项目已{STAGE_LABELS[target]}，不能列入拟{ACTION_LABELS[act]}清单"
        )
    if stage_index(project.stage) + 1 < stage_index(target):
        needed = STAGE_ORDER[stage_index(target) - 1]
        raise ValidationFailed.of(
            "action",
            f"项目处于“{STAGE_LABELS[project.stage_enum]}”阶段，须先{STAGE_LABELS[needed]}"
            f"才能列入拟{ACTION_LABELS[act]}清单",
        )
    entry = ActivityEntry.objects.filter(project=project, action=act.value).first()
    if entry is not None:
        raise ValidationFailed.of("action", f"项目已在{entry.activity}中{ACTION_LABELS[act]}")
    planned = PlannedEntry.objects.filter(project=project, action=act.value).first()
    if planned is not None:
        raise ValidationFailed.of(
            "action", f"项目已列入{planned.activity}的拟{ACTION_LABELS[act]}清单"
        )
    planned = PlannedEntry(
        activity=activity, project=project, action=act.value, sign_mode=sign_mode,
        created_by=account_of(by),
    )  # fmt: skip
    validate_instance(planned)
    planned.save()
    audit.record(
        user=by, action="create", obj=planned, after=audit.snapshot(planned),
        message=f"列入{activity}拟{ACTION_LABELS[act]}清单：{project}",
    )  # fmt: skip
    return planned


@transaction.atomic
def planned_withdraw(*, by, planned: PlannedEntry) -> None:
    """Take a project off a coming activity's list."""
    require(by, Cap.ENTER_ACTIVITY)
    ensure_in_scope(by, planned)
    audit.record(
        user=by, action="delete", obj=planned, before=audit.snapshot(planned),
        message=f"移出拟办清单：{planned}",
    )  # fmt: skip
    planned.delete()


@transaction.atomic
def planned_confirm(*, by, planned: PlannedEntry) -> ActivityEntry:
    """On or after the activity's day: the planned action happened. The project's stage
    moves on the activity's date and the attribution counts from now on."""
    require(by, Cap.ENTER_ACTIVITY)
    ensure_in_scope(by, planned)
    activity = planned.activity
    if activity.date > timezone.localdate():
        raise ValidationFailed.of(
            "action", f"{activity}定于{activity.date:%Y-%m-%d}举行，当天或之后才能确认"
        )
    project = Project.objects.select_for_update().get(pk=planned.project_id)
    entry = activity_add_project(
        by=by, activity=activity, project=project, action=planned.action,
        sign_mode=planned.sign_mode,
    )  # fmt: skip
    audit.record(
        user=by, action="delete", obj=planned, before=audit.snapshot(planned),
        message=f"拟办已确认：{planned}",
    )  # fmt: skip
    planned.delete()
    return entry


@transaction.atomic
def activity_confirm_planned(*, by, activity: Activity) -> list[ActivityEntry]:
    """Confirm a held activity's whole list (the part the user may see) at once: all or
    nothing, refusing with every project that can't be confirmed and why."""
    from .selectors import planned_entries

    require(by, Cap.ENTER_ACTIVITY)
    entries: list[ActivityEntry] = []
    problems: list[str] = []
    for planned in planned_entries(user=by, activity=activity):
        try:
            with transaction.atomic():
                entries.append(planned_confirm(by=by, planned=planned))
        except ValidationFailed as exc:
            problems.append(f"{planned.project}：{exc.message}")
    if problems:
        raise ValidationFailed("以下项目不能确认，全部未确认：" + "；".join(problems))
    if not entries:
        raise ValidationFailed("拟办清单中没有您可以确认的项目")
    return entries


# --- many projects into an activity at once ------------------------------------------------


@dataclass
class BulkAdd:
    """What putting many projects into an activity does: the projects it adds (or plans,
    for a coming activity) and those it refuses, each with the reason."""

    added: list[Project]
    refused: list[tuple[Project, str]]
    planned: bool


BULK_LIMIT = 5000  # projects in one operation


def activity_add_many(
    *,
    by,
    activity: Activity,
    action: str,
    sign_mode: str = "",
    project_ids: Sequence[int],
    dry_run: bool = False,
) -> BulkAdd:
    """Put many projects (by id) into an activity with one action, as one audited
    operation: each project is added (planned, when the activity is still to come) or refused with its
    reason; ``dry_run`` is the preview, which writes nothing."""
    require(by, Cap.ENTER_ACTIVITY)
    act = Action(action)
    sign_mode = _check_sign_mode(act, sign_mode)
    coming = activity_is_coming(activity)
    outcome = BulkAdd([], [], coming)
    ids = list(project_ids[: BULK_LIMIT + 1])
    if len(ids) > BULK_LIMIT:
        raise ValidationFailed(f"一次最多{BULK_LIMIT}个项目，请缩小筛选范围")
    if not ids:
        raise ValidationFailed("没有可加入的项目（所选项目不在您的权限范围内，或不符合筛选条件）")
    with transaction.atomic():
        # Fresh rows: a preview's rolled-back stage moves must not linger on the instances.
        fresh = Project.objects.in_bulk(ids)
        for project in (fresh[pk] for pk in ids if pk in fresh):
            try:
                with transaction.atomic():
                    activity_enter_project(
                        by=by, activity=activity, project=project, action=act.value,
                        sign_mode=sign_mode,
                    )  # fmt: skip
            except (ValidationFailed, NotFound) as exc:
                outcome.refused.append((project, exc.message))
            else:
                outcome.added.append(project)
        if dry_run:
            transaction.set_rollback(True)
        elif outcome.added:
            verb = "列入拟" if coming else ""
            audit.record(
                user=by, action="update", obj=activity,
                after={"action": act.value, "added": [p.pk for p in outcome.added],
                       "refused": {p.pk: reason for p, reason in outcome.refused}},
                message=f"批量{verb}{ACTION_LABELS[act]}：{len(outcome.added)}个项目"
                + (f"，{len(outcome.refused)}个未加入" if outcome.refused else ""),
            )  # fmt: skip
    return outcome
