"""Health by rules: evaluate projects (one, when a report is accepted; all, nightly), let a
person override the rules with a reason, and let the city office tune the thresholds.

A project's facts are read by one query (`facts_queryset`: its stage, dates, total and
planned completion date, with aggregates of its accepted monthly reports and its active
override), the verdict comes from the pure `rules.evaluate`, and a change of health is
written as `projects.services.project_set_health` writes it (the project's field, a
dated 推进状态 event, an audit row saying which rule fired), so a project's history stays
one story. The nightly run does the same for every project, a chunk at a time, with bulk
writes and bulk audit rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from sanpi.accounts.actors import SystemActor
from sanpi.accounts.roles import Cap
from sanpi.core import audit
from sanpi.core.bulk import bulk_insert, bulk_update
from sanpi.core.errors import ValidationFailed
from sanpi.core.scope import ensure_in_scope
from sanpi.core.services import require, validate_instance
from sanpi.dispatch.models import MonthlyReport
from sanpi.dispatch.services import month_get
from sanpi.projects.models import Health, Project, ProjectEvent
from sanpi.projects.services import project_set_health

from . import rules
from .models import HealthOverride, HealthSettings, HealthState
from .rules import Rule, Verdict
from .selectors import loaded_state

# Automatic changes are made by the rules, not by a person: audited under this name.
HEALTH_ACTOR = SystemActor(name="system:health")
CHUNK = 500  # projects evaluated (read, then written) together
SETTING_FIELDS = (
    "signed_days",
    "stall_months",
    "behind_percent",
    "long_stall_months",
    "counting_from",
)
REASON_MAX = 300
FACTS_CHANGED = "项目情况已变化（新的月报、阶段或日期、总投资变动），人工认定结束，恢复按规则评估"
WITHDRAWN_ENDS = "项目已清理退出，人工认定结束"
WITHDRAWN_REASON = "已清理退出，不再按规则评估"


# --- thresholds ---------------------------------------------------------------------------


def settings_get() -> HealthSettings:
    """The thresholds in force: the city office's row, or the defaults (not saved)."""
    return HealthSettings.objects.filter(pk=1).first() or HealthSettings(pk=1)


@transaction.atomic
def settings_update(*, by, **data) -> tuple[HealthSettings, bool]:
    """Change the rules' thresholds (the city office). Audited with the old and new
    values; they apply from the next evaluation. Returns the row and whether anything
    changed."""
    require(by, Cap.MANAGE_HEALTH_RULES)
    row = HealthSettings.objects.select_for_update().filter(pk=1).first()
    created = row is None
    if created:
        row = HealthSettings(pk=1)
    unknown = set(data) - set(SETTING_FIELDS)
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    values = {name: data.get(name, getattr(row, name)) for name in SETTING_FIELDS}
    errors = rules.threshold_errors(values)
    if errors:
        raise ValidationFailed(
            "；".join(errors.values()), fields={k: [v] for k, v in errors.items()}
        )
    before = audit.snapshot(row, SETTING_FIELDS)
    for name, value in values.items():
        setattr(row, name, value)
    after = audit.snapshot(row, SETTING_FIELDS)
    if after == before:
        return row, False
    row.updated_by = by if getattr(by, "pk", None) else None
    validate_instance(row)
    row.save()
    audit.record(
        user=by,
        action="update",
        obj=row,
        before=before,
        after=after,
        message="修改推进状态预警规则的阈值" + ("（此前为默认值）" if created else ""),
    )
    return row, True


# --- facts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The months an evaluation on ``today`` counts: every project up to ``due``; one whose
    report for ``prev`` (the previous month, due on ``deadline``) is already accepted up
    to ``prev`` (`rules.counted_through`)."""

    today: dt.date
    deadline: dt.date
    due: tuple[int, int]
    prev: tuple[int, int]

    @classmethod
    def on(cls, today: dt.date) -> Window:
        prev = rules.previous_month(today)
        # The month's own deadline, as the city office may have moved it.
        deadline = month_get(*prev).deadline
        return cls(today, deadline, rules.due_month(today, deadline), prev)


def _up_to(year: int, month: int) -> Q:
    return Q(reports__year__lt=year) | Q(reports__year=year, reports__month__lte=month)


def facts_queryset(qs: QuerySet[Project], window: Window) -> QuerySet[Project]:
    """Projects with what the rules and the override need, in one query: aggregates of
    their accepted reports (all of them, for the fingerprint; up to the due month and in
    the previous month, for the rules), their active override and their last state."""
    accepted = Q(reports__status=MonthlyReport.StatusChoices.ACCEPTED)
    positive = Q(reports__investment_wan__gt=0)
    due = accepted & _up_to(*window.due)
    prev = accepted & Q(reports__year=window.prev[0], reports__month=window.prev[1])
    index = F("reports__year") * 12 + F("reports__month") - 1
    active = HealthOverride.objects.filter(project=OuterRef("pk"), ended_at__isnull=True)
    return qs.select_related("health_state").annotate(
        f_count=Count("reports", filter=accepted),
        f_sum=Sum("reports__investment_wan", filter=accepted),
        f_latest=Max(index, filter=accepted),
        f_reviewed=Max("reports__reviewed_at", filter=accepted),
        f_sum_due=Sum("reports__investment_wan", filter=due),
        f_last_due=Max(index, filter=due & positive),
        f_prev_count=Count("reports", filter=prev),
        f_prev_sum=Sum("reports__investment_wan", filter=prev),
        f_prev_positive=Count("reports", filter=prev & positive),
        o_pk=Subquery(active.values("pk")[:1]),
        o_health=Subquery(active.values("health")[:1]),
        o_fingerprint=Subquery(active.values("fingerprint")[:1]),
        o_reason=Subquery(active.values("reason")[:1]),
    )


def facts_of(p: Project, window: Window) -> rules.Facts:
    """The rules' view of an annotated project (`facts_queryset`)."""
    zero = Decimal("0")
    through = rules.counted_through(
        window.today, window.deadline, previous_reported=bool(p.f_prev_count)
    )
    # Past what every project counts (`due`): the previous month, reported early.
    early = through != window.due
    cumulative = (p.f_sum_due or zero) + ((p.f_prev_sum or zero) if early else zero)
    last = rules.from_index(p.f_last_due) if p.f_last_due is not None else None
    if early and p.f_prev_positive:
        last = window.prev
    return rules.Facts(
        stage=p.stage,
        signed_date=p.signed_date,
        started_date=p.started_date,
        planned_completion_date=p.planned_completion_date,
        total_investment_wan=p.total_investment_wan,
        through=through,
        last_invested=last,
        cumulative_wan=cumulative,
    )


def fingerprint_of(p: Project) -> str:
    """What an override made now is made on (`rules.fingerprint`)."""
    return rules.fingerprint(
        stage=p.stage,
        signed_date=p.signed_date,
        started_date=p.started_date,
        planned_completion_date=p.planned_completion_date,
        total_investment_wan=p.total_investment_wan,
        reports=p.f_count,
        reports_sum=p.f_sum,
        latest_report=p.f_latest,
        last_reviewed=p.f_reviewed,
    )


def _read(project: Project | int, window: Window) -> Project:
    pk = project if isinstance(project, int) else project.pk
    return facts_queryset(Project.objects.filter(pk=pk), window).get()


# --- deciding ------------------------------------------------------------------------------


def override_verdict(health: str, reason: str) -> Verdict:
    return Verdict(health, Rule.OVERRIDE.value, f"人工认定：{reason}")


@dataclass
class Decision:
    project: Project
    verdict: Verdict
    ends_override: int | None = None  # the override that no longer holds
    end_reason: str = ""


def decide(p: Project, th: rules.Thresholds, window: Window) -> Decision:
    """What one annotated project's health should be: its override's while the facts it
    was made on hold, else the rules'. A withdrawn project (清理退出, a person's decision
    the rules neither make nor undo) stays so, and ends an override that says otherwise."""
    ends, why = None, ""
    if p.o_pk is not None:
        if p.health == Health.WITHDRAWN and p.o_health != Health.WITHDRAWN:
            ends, why = p.o_pk, WITHDRAWN_ENDS
        elif p.o_fingerprint == fingerprint_of(p):
            return Decision(p, override_verdict(p.o_health, p.o_reason))
        else:
            ends, why = p.o_pk, FACTS_CHANGED
    if p.health == Health.WITHDRAWN:
        return Decision(p, Verdict(Health.WITHDRAWN, "", WITHDRAWN_REASON), ends, why)
    verdict = rules.evaluate(facts_of(p, window), th, window.today)
    return Decision(p, verdict, ends, why)


# --- writing --------------------------------------------------------------------------------


@dataclass
class Summary:
    evaluated: int = 0
    changed: int = 0
    overrides_ended: int = 0
    to: Counter = field(default_factory=Counter)  # changes by the new health

    def text(self, on: dt.date) -> str:
        moves = "，".join(f"{Health(h).label}{n}个" for h, n in sorted(self.to.items()))
        return (
            f"按{on:%Y-%m-%d}评估{self.evaluated:,}个项目：推进状态变化{self.changed:,}个"
            + (f"（改为{moves}）" if moves else "")
            + (
                f"；人工认定因项目情况变化结束{self.overrides_ended}个"
                if self.overrides_ended
                else ""
            )
        )


def _health_message(label: str, day: dt.date, evidence: str) -> str:
    """As projects.services.project_set_health words a change."""
    return f"推进状态改为“{label}”（{day:%Y-%m-%d}）{evidence}"


# Set while this module writes a decision through `project_set_health`: that change is
# the rules' (or an override's) own, not a person's to keep (`keep_manual`).
_applying: ContextVar[bool] = ContextVar("sanpi_health_applying", default=False)


def _apply(decisions: list[Decision], *, window: Window, by, one: bool, summary: Summary) -> None:
    """Write what the decisions change: overrides that ended, health changes (through
    `project_set_health` for one project; for a chunk, the same rows in bulk), and each
    project's state (which rule, why)."""
    now = timezone.now()
    today = window.today
    summary.evaluated += len(decisions)
    ended = [d for d in decisions if d.ends_override is not None]
    for why in {d.end_reason for d in ended}:
        HealthOverride.objects.filter(
            pk__in=[d.ends_override for d in ended if d.end_reason == why], ended_at__isnull=True
        ).update(ended_at=now, ended_reason=why[:200])
    if ended:
        audit.record_many(
            [
                {
                    "user": by,
                    "action": "update",
                    "object_type": audit.object_type_of(HealthOverride),
                    "object_id": str(d.ends_override),
                    "object_repr": f"{d.project}：人工认定",
                    "before": {"ended_at": None},
                    "after": {"ended_at": now.isoformat(), "ended_reason": d.end_reason},
                    "message": f"{d.project}：{d.end_reason}",
                }
                for d in ended
            ]
        )
        summary.overrides_ended += len(ended)
    changed = [d for d in decisions if d.verdict.health != d.project.health]
    for d in changed:
        summary.to[d.verdict.health] += 1
    summary.changed += len(changed)
    if one:
        token = _applying.set(True)
        try:
            for d in changed:
                project_set_health(
                    by=by,
                    project=d.project,
                    health=d.verdict.health,
                    date=today,
                    evidence=d.verdict.evidence()[:500],
                )
        finally:
            _applying.reset(token)
    elif changed:
        entries = []
        for d in changed:
            old = d.project.health
            d.project.health = d.verdict.health
            d.project.updated_at = now
            entries.append(
                {
                    "user": by,
                    "action": "update",
                    "obj": d.project,
                    "before": {"health": old},
                    "after": {"health": d.verdict.health},
                    "message": _health_message(
                        Health(d.verdict.health).label, today, d.verdict.evidence()
                    ),
                }
            )
        bulk_update(Project, [d.project for d in changed], ["health", "updated_at"])
        bulk_insert(
            ProjectEvent,
            [
                ProjectEvent(
                    project=d.project,
                    kind=ProjectEvent.Kind.HEALTH,
                    value=d.verdict.health,
                    date=today,
                    evidence=d.verdict.evidence()[:500],
                    recorded_by=None,
                )
                for d in changed
            ],
            returning=False,
        )
        audit.record_many(entries)
    _write_states(decisions, today)


def _write_states(decisions: Iterable[Decision], today: dt.date) -> None:
    new, changed = [], []
    for d in decisions:
        v = d.verdict
        reason = v.reason[:REASON_MAX]
        state = loaded_state(d.project)
        if state is None:
            new.append(
                HealthState(
                    project_id=d.project.pk,
                    health=v.health,
                    rule=v.rule,
                    reason=reason,
                    since=today,
                )
            )
        elif (state.health, state.rule, state.reason) != (v.health, v.rule, reason):
            state.health, state.rule, state.reason, state.since = v.health, v.rule, reason, today
            changed.append(state)
    bulk_insert(HealthState, new, returning=False)
    bulk_update(HealthState, changed, ["health", "rule", "reason", "since"])


# --- evaluating -------------------------------------------------------------------------------


def evaluate_project(project: Project | int, *, by=None, today: dt.date | None = None) -> Verdict:
    """Evaluate one project now and write what changes (the hook the monthly dispatch
    calls when a report is accepted; also after an override is lifted). Changes are made
    and audited as ``system:health`` unless ``by`` is given. Returns the verdict: the
    health the project has now and the rule (or override) that says so."""
    window = Window.on(today or timezone.localdate())
    with transaction.atomic():
        p = _read(project, window)
        decision = decide(p, settings_get().thresholds(), window)
        _apply([decision], window=window, by=by or HEALTH_ACTOR, one=True, summary=Summary())
    if isinstance(project, Project):
        project.health = decision.verdict.health
    return decision.verdict


def evaluate_all(
    *,
    today: dt.date | None = None,
    chunk: int = CHUNK,
    progress: Callable[[int, int, str], None] | None = None,
) -> Summary:
    """Evaluate every project (the nightly run), ``chunk`` projects at a time: one query
    reads a chunk with its facts, then bulk writes (health, events, states, overrides
    that ended) and bulk audit rows. Call inside a transaction (the job's)."""
    window = Window.on(today or timezone.localdate())
    th = settings_get().thresholds()
    total = Project.objects.count()
    summary = Summary()
    last = 0
    while True:
        rows = list(
            facts_queryset(Project.objects.filter(pk__gt=last), window).order_by("pk")[:chunk]
        )
        if not rows:
            break
        last = rows[-1].pk
        _apply(
            [decide(p, th, window) for p in rows],
            window=window,
            by=HEALTH_ACTOR,
            one=False,
            summary=summary,
        )
        if progress is not None:
            progress(summary.evaluated, total, "评估")
        if len(rows) < chunk:
            break
    return summary


# --- overrides ------------------------------------------------------------------------------


def _may_override(by, project: Project) -> None:
    require(by, Cap.CHANGE_LEDGER)
    ensure_in_scope(by, project)


@transaction.atomic
def override_set(
    *, by, project: Project, health: str, reason: str, today: dt.date | None = None
) -> HealthOverride:
    """A person sets a project's health against (or confirming) the rules, with a reason.
    It holds until the facts change (a new accepted report, a stage move, a corrected date
    or total); a new override replaces the one in force. Audited."""
    _may_override(by, project)
    if health not in Health.values:
        raise ValidationFailed.of("health", "请选择推进状态")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.of("reason", "请写明人工认定的理由（如：已复工，资金到位）")
    if len(reason) > REASON_MAX:
        raise ValidationFailed.of("reason", f"理由最多{REASON_MAX}字，实为{len(reason)}字")
    window = Window.on(today or timezone.localdate())
    Project.objects.select_for_update().filter(pk=project.pk).first()
    p = _read(project, window)
    override = _replace_override(
        by=by,
        p=p,
        health=health,
        reason=reason,
        replaced_by="被新的人工认定取代",
        message=f"人工认定推进状态为“{Health(health).label}”：{reason}",
    )
    verdict = override_verdict(health, reason)
    p.o_pk = None  # the decision is made: the new override's, with no other to end
    _apply([Decision(p, verdict)], window=window, by=by, one=True, summary=Summary())
    project.health = health
    return override


def keep_manual(*, project: Project, health: str, evidence: str, by) -> None:
    """Someone recorded the health by hand (the ledger's form, the API, the import of a
    status): that judgement holds, as an override, until the facts change, so the nightly
    run does not undo it. The rules' own changes pass through here too and are skipped."""
    if _applying.get():
        return
    _replace_override(
        by=by,
        p=_read(project, Window.on(timezone.localdate())),
        health=health,
        reason=(evidence or "").strip()[:REASON_MAX] or "人工登记",
        replaced_by="被新的人工登记取代",
        message=f"人工登记推进状态为“{Health(health).label}”，保持至项目情况变化",
    )


def _replace_override(
    *, by, p: Project, health: str, reason: str, replaced_by: str, message: str
) -> HealthOverride:
    """End the override in force on the annotated project ``p`` (saying ``replaced_by``)
    and record a new one on the facts as they are now. Both audited."""
    replaced = HealthOverride.objects.filter(project=p, ended_at__isnull=True).first()
    if replaced is not None:
        replaced.ended_at = timezone.now()
        replaced.ended_reason = replaced_by
        replaced.save(update_fields=["ended_at", "ended_reason"])
        audit.record(
            user=by,
            action="update",
            obj=replaced,
            before={"ended_at": None},
            after={
                "ended_at": audit.jsonable(replaced.ended_at),
                "ended_reason": replaced.ended_reason,
            },
            message=f"{p}：人工认定{replaced_by}",
        )
    override = HealthOverride(
        project=p,
        health=health,
        reason=reason,
        fingerprint=fingerprint_of(p),
        created_by=by if getattr(by, "pk", None) else None,
    )
    validate_instance(override, exclude=["created_by"])
    override.save()
    audit.record(
        user=by,
        action="create",
        obj=override,
        after=audit.snapshot(override, ["project", "health", "reason"]),
        message=message,
    )
    return override


@transaction.atomic
def override_clear(*, by, project: Project, today: dt.date | None = None) -> Verdict:
    """Lift a project's override: the rules apply again at once. Audited."""
    _may_override(by, project)
    override = (
        HealthOverride.objects.select_for_update()
        .filter(project=project, ended_at__isnull=True)
        .first()
    )
    if override is None:
        raise ValidationFailed("该项目没有生效的人工认定")
    override.ended_at = timezone.now()
    override.ended_reason = f"由{by}取消"[:200]
    override.save(update_fields=["ended_at", "ended_reason"])
    audit.record(
        user=by,
        action="update",
        obj=override,
        before={"ended_at": None},
        after={
            "ended_at": audit.jsonable(override.ended_at),
            "ended_reason": override.ended_reason,
        },
        message=f"{project}：取消人工认定，恢复按规则评估",
    )
    return evaluate_project(project, today=today)


@transaction.atomic
def evaluate_now(*, by, project: Project, today: dt.date | None = None) -> Verdict:
    """A person asks for a project to be evaluated now (after correcting its planned
    completion date, say) rather than at night. Audited, with the outcome."""
    _may_override(by, project)
    verdict = evaluate_project(project, today=today)
    audit.record(
        user=by,
        action="update",
        obj=project,
        after={"health": verdict.health, "rule": verdict.rule},
        message=f"按规则重新评估推进状态：{Health(verdict.health).label}（{verdict.reason}）",
    )
    return verdict
