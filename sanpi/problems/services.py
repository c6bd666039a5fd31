"""Every write of the problems' closed loop: raising a problem, each move of the table in
`rules.MOVES` (one function, `problem_move`), progress notes' attachments, the SLA
policies (new versions, never edits), leaders' liaison and the service team's visits.

Each move is checked against the table, the acting user's right to make it, and the
version the user saw (a stale form is a 409 conflict, never a second success); it is
audited, written on the problem's timeline, and tells whoever must act next.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from sanpi.accounts.actors import SystemActor
from sanpi.accounts.models import User
from sanpi.accounts.roles import Cap, Role
from sanpi.core import audit
from sanpi.core.calendar import official_calendar
from sanpi.core.errors import Conflict, PermissionDenied, ValidationFailed
from sanpi.core.scope import in_scope
from sanpi.core.services import require, validate_instance
from sanpi.dispatch.models import MonthlyReport
from sanpi.notifications.kinds import register_kind
from sanpi.notifications.services import notify, recipients
from sanpi.projects.models import Project
from sanpi.regions.models import County, Department, DevelopmentZone

from . import permissions, rules
from .models import (
    Category,
    LevelChoices,
    Liaison,
    Policy,
    Problem,
    ProblemEvent,
    Source,
    UnitKind,
    Visit,
)
from .rules import FIVE, Level, Move

STALE = "该问题已被他人处理，请刷新后重试"
# Automatic changes (the breach task's escalations) are made by the rules, not by a
# person: audited under this name.
SYSTEM = SystemActor(name="system:problems")
TEXT_MAX = 2000
PROBLEM_ACTION = register_kind("problem_action", "问题待办（交办、反馈、确认）", email=True).key
PROBLEM_DUE = register_kind("problem_due", "问题办理临期", email=True, robot=True).key
PROBLEM_OVERDUE = register_kind("problem_overdue", "问题办理超期", email=True, robot=True).key
PROBLEM_ESCALATED = register_kind("problem_escalated", "问题提级", email=True, robot=True).key

# Where a problem comes from when the caller does not say (a monthly report, a service
# visit): the raiser's role (a leader raises on a visit). Every role that may raise one.
SOURCE_OF_ROLE = {
    Role.ENTERPRISE: Source.ENTERPRISE,
    Role.ZONE: Source.ZONE,
    Role.COUNTY: Source.COUNTY,
    Role.CITY_OFFICE: Source.CITY,
    Role.LEADER: Source.LEADER_VISIT,
}


# --- time ----------------------------------------------------------------------------------


def local_naive(moment: dt.datetime) -> dt.datetime:
    """A stored (aware) moment as the rules read it: Beijing time, naive."""
    return timezone.make_naive(moment)


def aware(moment: dt.datetime) -> dt.datetime:
    """A moment the rules computed (Beijing time, naive) as stored; aware ones as they are."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def policy_for(project: Project) -> Policy:
    """The current policy for a project: 13710 for provincial and city key projects."""
    applies = Policy.AppliesTo.KEY if is_key(project) else Policy.AppliesTo.OTHER
    return Policy.objects.get(applies_to=applies, current=True)


def is_key(project: Project) -> bool:
    return bool(project.is_provincial_key or project.is_city_key)


# A policy's clock terms are its columns of the same names as rules.Terms' fields.
TERMS_FIELDS = tuple(f.name for f in dataclasses.fields(rules.Terms))


def terms_of(policy: Policy) -> rules.Terms:
    return rules.Terms(**{name: getattr(policy, name) for name in TERMS_FIELDS})


def _set_dues(problem: Problem) -> None:
    dues = rules.due_moments(
        local_naive(problem.raised_at), terms_of(problem.policy), official_calendar()
    )
    problem.deploy_due = aware(dues["deploy"])
    problem.feedback_due = aware(dues["feedback"])
    problem.solve_due = aware(dues["solve_complex" if problem.is_complex else "solve_ordinary"])


# --- raising ----------------------------------------------------------------------------


def _clean_text(value: object, field: str, label: str, *, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationFailed.of(field, f"请填写{label}")
    if len(text) > TEXT_MAX:
        raise ValidationFailed.of(field, f"{label}最多{TEXT_MAX}字，实为{len(text)}字")
    return text


def _choice(value: object, choices, field: str, label: str) -> str:
    if value not in choices.values:
        options = "、".join(str(x) for x in choices.labels)
        raise ValidationFailed.of(field, f"“{value}”不是有效的{label}（可选：{options}）")
    return str(value)


@transaction.atomic
def problem_raise(
    *,
    by,
    project: Project,
    description: str,
    category: str,
    level: str = Level.COUNTY,
    source: str | None = None,
    raised_at: dt.datetime | None = None,
    report=None,
) -> Problem:
    """Anyone concerned raises a problem of a project in their scope. Its clocks start at
    once under the project's current policy. ``source`` is given by the services that
    raise from a monthly report or a visit; otherwise the raiser's role says it."""
    permissions.may_raise(by, project)
    description = _clean_text(description, "description", "问题描述")
    category = _choice(category, Category, "category", "问题类别")
    level = _choice(level, LevelChoices, "level", "解决层级")
    now = timezone.now()
    raised_at = aware(raised_at) if raised_at else now
    if raised_at > now:
        raise ValidationFailed.of("raised_at", "提出时间不能晚于现在")
    problem = Problem(
        project=project,
        description=description,
        category=category,
        level=level,
        source=source or SOURCE_OF_ROLE[by.role_enum],
        raised_at=raised_at,
        raised_by=by,
        report=report,
        policy=policy_for(project),
    )
    _set_dues(problem)
    problem.save()
    _event(problem, "raise", by=by, from_state="", text=description, at=raised_at)
    audit.record(
        user=by,
        action="create",
        obj=problem,
        after=_snapshot(problem),
        message=f"提出问题（{project.name}）",
    )
    _tell_handlers(problem, f"{project.name}有新问题待研判交办：{problem}")
    return problem


@transaction.atomic
def problem_from_report(*, by, report: MonthlyReport) -> Problem:
    """A monthly report's "problems met" made a problem with one click, once: the report's
    row is locked while it is checked, so two clicks at once make one problem."""
    report = MonthlyReport.objects.select_for_update().select_related("project").get(pk=report.pk)
    text = (report.problems or "").strip()
    if not text:
        raise ValidationFailed.of("problems", "该月报没有填写遇到的问题")
    if Problem.objects.filter(report=report).exists():
        raise Conflict("该月报的问题已转入问题台账")
    return problem_raise(
        by=by,
        project=report.project,
        description=f"{report.year}年{report.month}月月报：{text}",
        category=Category.OTHER,
        source=Source.MONTHLY_REPORT,
        report=report,
    )


# --- moves ------------------------------------------------------------------------------


def _locked(problem: Problem, version: int | None) -> Problem:
    locked = (
        Problem.objects.select_for_update(of=("self",))
        .select_related("project__county", "project__enterprise", "policy")
        .get(pk=problem.pk)
    )
    if version is not None and version != locked.version:
        raise Conflict(STALE)
    return locked


def _unit_from(data: dict) -> tuple[str, object]:
    kind = data.get("unit_kind") or ""
    if kind not in UnitKind.values:
        raise ValidationFailed.of("unit", "请选择责任单位（部门、县(市、区)、开发区或市项目办）")
    if kind == UnitKind.CITY:
        return kind, None
    model = {"department": Department, "county": County, "zone": DevelopmentZone}[kind]
    value = data.get("unit_id")
    try:
        return kind, model.objects.get(pk=int(value))
    except (TypeError, ValueError, model.DoesNotExist):
        raise ValidationFailed.of("unit", f"没有编号为“{value}”的{UnitKind(kind).label}") from None


def _assign(problem: Problem, data: dict) -> None:
    values = {
        "unit": data.get("unit_kind"),
        "leader": data.get("leader_name"),
        "person": data.get("person_id"),
        "solution": data.get("solution") or problem.solution,
        "deadline": data.get("deadline"),
    }
    missing = rules.five_missing(values)
    if missing:
        names = "、".join(FIVE[k] for k in missing)
        raise ValidationFailed(
            f"交办须五到位，尚缺：{names}",
            fields={k: [f"请填写{FIVE[k]}"] for k in missing},
        )
    kind, unit = _unit_from(data)
    problem.unit_kind = kind
    problem.unit_department = unit if kind == UnitKind.DEPARTMENT else None
    problem.unit_county = unit if kind == UnitKind.COUNTY else None
    problem.unit_zone = unit if kind == UnitKind.ZONE else None
    deadline = data["deadline"]
    if not isinstance(deadline, dt.date):
        raise ValidationFailed.of("deadline", "完成时限应为日期，如 2026-12-31")
    if deadline < timezone.localdate():
        raise ValidationFailed.of("deadline", f"完成时限（{deadline:%Y-%m-%d}）不能早于今天")
    problem.deadline = deadline
    problem.leader_name = _clean_text(data["leader_name"], "leader", "责任领导")[:50]
    leader_id = data.get("leader_id")
    problem.leader = None
    if leader_id:
        problem.leader = User.objects.filter(pk=leader_id, is_active=True).first()
        if problem.leader is None:
            raise ValidationFailed.of("leader", f"没有编号为“{leader_id}”的账号")
    person = User.objects.filter(pk=data["person_id"], is_active=True).first()
    if person is None or not permissions.user_in_unit(person, problem):
        raise ValidationFailed.of("person", "责任人应为责任单位的在用账号")
    problem.person = person
    problem.solution = _clean_text(values["solution"], "solution", "解决措施")
    if "is_complex" in data and data["is_complex"] is not None:
        problem.is_complex = bool(data["is_complex"])
        _set_dues(problem)
    problem.assigned_at = problem.assigned_at or timezone.now()


@transaction.atomic
def problem_move(*, by, problem: Problem, move: str, version: int | None = None, **data) -> Problem:
    """Make one move of the table on a problem. ``data`` by move: ANALYSE ``solution``
    (and ``is_complex``); ASSIGN the five 到位 ``unit_kind``, ``unit_id``, ``leader_name``
    (``leader_id``), ``person_id``, ``solution``, ``deadline`` (and ``is_complex``);
    FEEDBACK, SOLVE, REJECT, ESCALATE, WITHDRAW a ``text``; CONFIRM an optional ``text``."""
    return problem_move_event(by=by, problem=problem, move=move, version=version, **data).problem


@transaction.atomic
def problem_move_event(
    *, by, problem: Problem, move: str, version: int | None = None, **data
) -> ProblemEvent:
    """`problem_move`, answering with the timeline event it wrote (its ``problem`` is the
    moved problem): for what belongs to that step, as the files on a progress note
    (`attachments.move_with_files`)."""
    return _move(by=by, problem=problem, move=move, version=version, data=data, now=timezone.now())


@transaction.atomic
def problem_escalate_overdue(*, problem: Problem, now: dt.datetime, text: str) -> Problem:
    """The breach task's escalation (``jobs.problems_tick``): the same move as a person's
    提级 (level up one, state escalated, audited, the new level's handlers told), made by
    the system actor at the task's ``now``."""
    return _move(by=SYSTEM, problem=problem, move=Move.ESCALATE, version=None,
                 data={"text": text}, now=now).problem  # fmt: skip


def _move(*, by, problem: Problem, move: str, version: int | None, data: dict, now) -> ProblemEvent:
    try:
        move = Move(move)
    except ValueError:
        raise ValidationFailed.of("move", f"“{move}”不是有效的操作") from None
    problem = _locked(problem, version)
    target = rules.move_to(move, problem.state)
    on_behalf = permissions.check_move(by, problem, move)
    if target is None:
        raise ValidationFailed(rules.refusal(move, problem.state))
    before = _snapshot(problem)
    from_state = problem.state
    text = ""
    if move == Move.ANALYSE:
        problem.solution = _clean_text(data.get("solution"), "solution", "解决措施")
        if data.get("is_complex") is not None:
            problem.is_complex = bool(data["is_complex"])
            _set_dues(problem)
        text = problem.solution
    elif move == Move.ASSIGN:
        _assign(problem, data)
        text = f"责任单位：{problem.unit}；责任人：{problem.person}；完成时限：{problem.deadline:%Y-%m-%d}"
    elif move == Move.CONFIRM:
        text = _clean_text(data.get("text"), "text", "意见", required=False)
        problem.satisfied, problem.closed_at = True, now
        problem.confirmed_on_behalf = on_behalf
    else:
        labels = {
            Move.FEEDBACK: "进展情况",
            Move.SOLVE: "办理结果",
            Move.REJECT: "不满意的原因",
            Move.ESCALATE: "提级原因",
            Move.WITHDRAW: "撤回原因",
        }
        text = _clean_text(data.get("text"), "text", labels[move])
        if move == Move.FEEDBACK:
            problem.first_feedback_at = problem.first_feedback_at or now
        elif move == Move.SOLVE:
            problem.solved_at = now
        elif move == Move.REJECT:
            problem.satisfied, problem.solved_at = False, None
        elif move == Move.ESCALATE:
            _escalate(problem, now)
        elif move == Move.WITHDRAW:
            problem.closed_at = now
    problem.state = target.value
    problem.version += 1
    problem.save()
    event = _event(
        problem, move, by=by, from_state=from_state, text=text, on_behalf=on_behalf, at=now
    )
    audit.record(
        user=by,
        action="update",
        obj=problem,
        before=before,
        after=_snapshot(problem),
        message=f"问题{rules.MOVE_LABELS[move]}（{problem.project.name}）"
        + ("（代企业确认）" if on_behalf else ""),
    )
    _tell_next(problem, move)
    return event


def _escalate(problem: Problem, now: dt.datetime) -> None:
    up = rules.escalation_of(problem.level)
    if up is None:
        raise ValidationFailed("省级问题已是最高层级，不能再提级")
    problem.level = up.value
    problem.escalated_at = now


def _event(problem, move, *, by, from_state, text="", on_behalf=False, at=None) -> ProblemEvent:
    return ProblemEvent.objects.create(
        problem=problem,
        move=str(move),
        from_state=from_state,
        to_state=problem.state,
        text=text,
        at=at or timezone.now(),
        by=by if isinstance(by, User) else None,
        on_behalf=on_behalf,
    )


def _snapshot(problem: Problem) -> dict:
    """Every column (the due moments and the moments each clock was met included), but
    the row's own ``updated_at``."""
    row = audit.snapshot(problem)
    del row["updated_at"]
    return row


# --- telling who acts next -----------------------------------------------------------------


def link_of(problem: Problem) -> str:
    return reverse("problems:detail", args=[problem.pk])


def unit_users(problem: Problem) -> list[User]:
    """The active users of the responsible unit (`permissions.user_in_unit`); nobody
    before it is assigned."""
    role = permissions.UNIT_ROLES.get(problem.unit_kind)
    if role is None:
        return []
    scope = None if problem.unit_kind == UnitKind.CITY else problem.unit
    return list(recipients(role=role, scope=scope))


def handlers(problem: Problem) -> list[User]:
    """Who analyses and assigns: the project's county officers at county level, the city
    office above it."""
    if problem.level == Level.COUNTY:
        return list(recipients(role=Role.COUNTY, scope=problem.project.county))
    return list(recipients(role=Role.CITY_OFFICE))


def responsible(problem: Problem) -> list[User]:
    """The responsible person and their leader (when the leader has an account); the
    unit's users when no person is named."""
    people = [u for u in (problem.person, problem.leader) if u is not None and u.is_active]
    return people or unit_users(problem)


def enterprise_users(problem: Problem) -> list[User]:
    return list(recipients(role=Role.ENTERPRISE, scope=problem.project.enterprise))


def _tell(users: list[User], kind: str, title: str, problem: Problem, text: str = "") -> None:
    if users:
        notify(
            kind=kind,
            title=title,
            text=text or f"{problem.project.name}：{problem}",
            link=link_of(problem),
            users=users,
            subject=f"problem:{problem.pk}:{problem.version}",
        )


def _tell_handlers(problem: Problem, title: str) -> None:
    _tell(handlers(problem), PROBLEM_ACTION, title, problem)


def _tell_next(problem: Problem, move: Move) -> None:
    name = problem.project.name
    if move == Move.ASSIGN:
        _tell(responsible(problem), PROBLEM_ACTION, f"交办问题：{name}", problem,
              f"{problem}（完成时限{problem.deadline:%Y-%m-%d}）")  # fmt: skip
    elif move == Move.SOLVE:
        users = enterprise_users(problem) or handlers(problem)
        _tell(users, PROBLEM_ACTION, f"问题已办结，请确认是否满意：{name}", problem)
    elif move == Move.REJECT:
        _tell(responsible(problem), PROBLEM_ACTION, f"企业对办理结果不满意：{name}", problem)
    elif move == Move.ESCALATE:
        _tell(handlers(problem), PROBLEM_ESCALATED,
              f"问题提级至{rules.ESCALATION_LABELS[Level(problem.level)]}：{name}", problem)  # fmt: skip
    elif move == Move.CONFIRM:
        _tell(responsible(problem), PROBLEM_ACTION, f"问题已销号：{name}", problem)


# --- policies ----------------------------------------------------------------------------

POLICY_FIELDS = ("name", *TERMS_FIELDS)


@transaction.atomic
def policy_update(*, by, policy: Policy, **data) -> Policy:
    """A new version of a policy (the old one stays for the problems raised under it)."""
    require(by, Cap.MANAGE_PROBLEM_RULES)
    old = Policy.objects.select_for_update().get(pk=policy.pk)
    if not old.current:
        raise Conflict("该规则已有更新的版本，请刷新后重试")
    new = Policy(code=old.code, version=old.version + 1, applies_to=old.applies_to,
                 created_by=by if isinstance(by, User) else None)  # fmt: skip
    for field in POLICY_FIELDS:
        setattr(new, field, data.get(field, getattr(old, field)))
    new.name = str(new.name or "").strip() or old.name
    validate_instance(new, exclude=["current"])
    changed = {f for f in POLICY_FIELDS if getattr(new, f) != getattr(old, f)}
    if not changed:
        return old
    old.current = False
    old.save(update_fields=["current"])
    new.save()
    audit.record(
        user=by,
        action="update",
        obj=new,
        before=audit.snapshot(old, POLICY_FIELDS),
        after=audit.snapshot(new, POLICY_FIELDS),
        message=f"修改时限规则“{old.name}”为第{new.version}版（已提出的问题仍按原版本计时）",
    )
    return new


# --- liaison and visits -------------------------------------------------------------------


@transaction.atomic
def liaison_set(
    *, by, leader: User, project: Project, since: dt.date, until: dt.date | None = None
) -> Liaison:
    """A leader liaises for a project from ``since`` (to ``until``)."""
    require(by, Cap.MANAGE_PROBLEM_RULES)
    if leader.role != Role.LEADER or not leader.is_active:
        raise ValidationFailed.of("leader", "包联领导应为在用的“领导”账号")
    if until is not None and until < since:
        raise ValidationFailed.of("until", "包联截止日期不能早于起始日期")
    overlapping = Liaison.objects.filter(leader=leader, project=project).exclude(until__lt=since)
    if until is not None:
        overlapping = overlapping.exclude(since__gt=until)
    if overlapping.exists():
        raise Conflict(f"{leader}在该时段已包联此项目")
    liaison = Liaison.objects.create(leader=leader, project=project, since=since, until=until)
    audit.record(
        user=by,
        action="create",
        obj=liaison,
        after=audit.snapshot(liaison, ["leader", "project", "since", "until"]),
        message=f"{leader}包联{project.name}",
    )
    return liaison


@transaction.atomic
def liaison_end(*, by, liaison: Liaison, until: dt.date) -> Liaison:
    require(by, Cap.MANAGE_PROBLEM_RULES)
    liaison = Liaison.objects.select_for_update().get(pk=liaison.pk)
    if until < liaison.since:
        raise ValidationFailed.of("until", "包联截止日期不能早于起始日期")
    before = audit.snapshot(liaison, ["until"])
    liaison.until = until
    liaison.save(update_fields=["until"])
    audit.record(user=by, action="update", obj=liaison, before=before,
                 after=audit.snapshot(liaison, ["until"]), message="结束领导包联")  # fmt: skip
    return liaison


@transaction.atomic
def visit_record(
    *,
    by,
    project: Project,
    date: dt.date,
    visitors: str,
    findings: str = "",
    promises: str = "",
    problems: list[dict] | None = None,
) -> Visit:
    """A service-team visit, with the problems found on it raised into the ledger."""
    require(by, Cap.RECORD_VISITS)
    if not in_scope(by, project):
        raise PermissionDenied("只能记录权限范围内项目的走访")
    if date > timezone.localdate():
        raise ValidationFailed.of("date", "走访日期不能晚于今天")
    visit = Visit.objects.create(
        project=project,
        date=date,
        visitors=_clean_text(visitors, "visitors", "走访人员")[:200],
        findings=_clean_text(findings, "findings", "发现的情况", required=False),
        promises=_clean_text(promises, "promises", "作出的承诺", required=False),
        recorded_by=by,
    )
    for i, item in enumerate(problems or ()):
        try:
            problem = problem_raise(by=by, project=project, source=Source.SERVICE_VISIT, **item)
        except ValidationFailed as exc:
            fields = {f"problems.{i}.{k}": v for k, v in exc.fields.items()}
            raise ValidationFailed(f"第{i + 1}个问题：{exc.message}", fields=fields) from None
        visit.problems.add(problem)
    audit.record(
        user=by,
        action="create",
        obj=visit,
        after={"project": project.pk, "date": date.isoformat(), "problems": len(problems or ())},
        message=f"记录入企服务（{project.name}）",
    )
    return visit
