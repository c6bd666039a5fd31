"""The breach task (问题时限预警): every 15 minutes, the open problems' running clocks.

A clock runs from the moment a problem is raised until it is met: deploy (当日部署) until
it is assigned, first feedback (首次反馈) until the first progress note, solve (办结)
until the responsible unit claims it solved (a rejection starts it again). For each open
problem near or past a due moment, ``problems_tick(now)``:

* sets ``Problem.light``: red when a running clock ran out, yellow when one has the
  policy's ``warn_days`` working days or fewer left, green otherwise. A clock met late
  no longer colours the light (the problem's page shows it, and ``breached_at``, the
  due moment of the first clock the task saw run out, stays);
* alerts once per clock and colour (and due moment): a line on the timeline (a
  ``ProblemEvent`` with move "alert", whose text — clock, colour, due moment — is how
  the task knows it alerted), an audit row by ``system:problems``, and notifications:
  临期 (``PROBLEM_DUE``) to the responsible person and leader, 超期
  (``PROBLEM_OVERDUE``) to them and the handlers (who analyse and assign), each once
  (``Notification.subject``);
* escalates a problem red for the policy's ``escalate_after_days`` full working days
  (counted from the due moment of its oldest overdue clock, or from its last escalation)
  one level up when the level and the move table allow, through the services' escalate
  (``services.problem_escalate_overdue``: state 已提级, audited, the new level told).

It reads only open problems with a running clock due before the warning horizon, or not
green (closed and withdrawn ones are never loaded), a chunk at a time; a chunk's writes
are bulk. Running it twice at the same ``now`` changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from sanpi.accounts.models import User
from sanpi.core import audit
from sanpi.core.bulk import bulk_insert, bulk_update
from sanpi.core.calendar import official_calendar
from sanpi.core.errors import ServiceError
from sanpi.core.jobs import Done
from sanpi.core.schedules import periodic, scheduled_for
from sanpi.core.workdays import ONE_DAY, WorkCalendar
from sanpi.notifications.jobs import start_delivery_if_due
from sanpi.notifications.models import Notification
from sanpi.notifications.services import notify

from . import rules, selectors, services
from .models import Policy, Problem, ProblemEvent
from .rules import CLOCK_LABELS, ESCALATION_LABELS, LIGHT_LABELS, ClockState, Light, Move
from .services import aware, local_naive

logger = logging.getLogger(__name__)

PROBLEMS_TICK = "problems_tick"
CHUNK = 500
SEVERITY = {Light.GREEN: 0, Light.YELLOW: 1, Light.RED: 2}
_OPEN = [s.value for s in rules.OPEN_STATES]


@dataclass
class TickSummary:
    checked: int = 0  # open problems read (near or past a due moment, or not green)
    changed: int = 0  # problems whose light (or breached_at) changed
    to: Counter = field(default_factory=Counter)  # light → problems that changed to it
    alerts: int = 0
    notified: int = 0
    escalated: int = 0

    def text(self) -> str:
        return (
            f"检查临期或超期的问题{self.checked}个，预警变化{self.changed}个，"
            f"新预警{self.alerts}条，发出通知{self.notified}条，自动提级{self.escalated}个"
        )

    def as_json(self) -> dict:
        return {
            "checked": self.checked,
            "changed": self.changed,
            "to": dict(self.to),
            "alerts": self.alerts,
            "notified": self.notified,
            "escalated": self.escalated,
        }


def alert_text(clock: ClockState) -> str:
    """The timeline's words for a clock turning yellow or red; also what marks that the
    task alerted it (a new due moment is a new alert)."""
    return (
        f"{CLOCK_LABELS[clock.clock]}{LIGHT_LABELS[clock.light]}（时限{clock.due:%Y-%m-%d %H:%M}）"
    )


def light_of(clocks: list[ClockState]) -> Light:
    return max((c.light for c in clocks), key=SEVERITY.__getitem__, default=Light.GREEN)


def full_working_days_since(since: dt.datetime, now: dt.datetime, calendar: WorkCalendar) -> int:
    """Working days wholly gone by since ``since`` (both local): those after its day and
    before today."""
    return calendar.between(since.date(), now.date() - ONE_DAY).value


class _Handlers:
    """Who analyses and assigns (`services.handlers`), read once per county (and once
    for the city office) per run."""

    def __init__(self) -> None:
        self._known: dict[tuple, list[User]] = {}

    def __call__(self, problem: Problem) -> list[User]:
        county = problem.level == rules.Level.COUNTY
        key = ("county", problem.project.county_id) if county else ("city",)
        if key not in self._known:
            self._known[key] = services.handlers(problem)
        return self._known[key]


@dataclass
class _Run:
    now: dt.datetime  # aware
    local: dt.datetime  # Beijing time, naive: what the rules read
    calendar: WorkCalendar
    policies: dict[int, Policy]
    handlers: _Handlers
    summary: TickSummary


def problems_tick(now: dt.datetime | None = None, *, chunk: int = CHUNK) -> TickSummary:
    """Set the lights of the open problems near or past a due moment as at ``now``, alert
    and tell once, and escalate those red long enough (see the module's docstring)."""
    now = now or timezone.now()
    run = _Run(
        now=now,
        local=local_naive(now),
        calendar=official_calendar(),
        policies={p.pk: p for p in Policy.objects.all()},
        handlers=_Handlers(),
        summary=TickSummary(),
    )
    if not run.policies:
        return run.summary
    # A running clock is yellow when at most warn_days working days are left, i.e. when
    # its due day comes before the (warn_days + 1)-th working day from today.
    warn = max(p.warn_days for p in run.policies.values())
    horizon = aware(
        dt.datetime.combine(run.calendar.add(run.local.date(), warn + 1).value, dt.time())
    )
    near = (
        Q(assigned_at__isnull=True, deploy_due__lt=horizon)
        | Q(first_feedback_at__isnull=True, feedback_due__lt=horizon)
        | Q(solved_at__isnull=True, solve_due__lt=horizon)
    )
    candidates = (
        Problem.objects.filter(state__in=_OPEN)
        .filter(near | ~Q(light=Light.GREEN))
        .select_related("project__county", "person", "leader")
        .order_by("pk")
    )
    last = 0
    while True:
        rows = list(candidates.filter(pk__gt=last)[:chunk])
        if not rows:
            break
        last = rows[-1].pk
        with transaction.atomic():
            _tick_chunk(rows, run)
        if len(rows) < chunk:
            break
    if run.summary.notified:
        start_delivery_if_due()
    return run.summary


def _tick_chunk(rows: list[Problem], run: _Run) -> None:
    summary = run.summary
    summary.checked += len(rows)
    alerted = set(
        ProblemEvent.objects.filter(
            problem_id__in=[p.pk for p in rows], move="alert"
        ).values_list("problem_id", "text")
    )  # fmt: skip
    changed: list[Problem] = []
    events: list[ProblemEvent] = []
    entries: list[dict] = []
    wanted: list[tuple[Problem, ClockState]] = []
    escalate: list[tuple[Problem, ClockState, int]] = []
    for problem in rows:
        policy = run.policies[problem.policy_id]
        clocks = selectors.clocks(
            problem,
            now=run.now,
            warn_days=policy.warn_days,
            calendar=run.calendar,
            running_only=True,
        )
        light = light_of(clocks)
        overdue = sorted((c for c in clocks if c.breached), key=lambda c: c.due)
        new = [
            c
            for c in clocks
            if c.light != Light.GREEN and (problem.pk, alert_text(c)) not in alerted
        ]
        before = {"light": problem.light, "breached_at": audit.jsonable(problem.breached_at)}
        if problem.light != light:
            problem.light = light.value
            summary.to[light.value] += 1
        if overdue and problem.breached_at is None:
            problem.breached_at = aware(overdue[0].due)
        after = {"light": problem.light, "breached_at": audit.jsonable(problem.breached_at)}
        if after != before:
            changed.append(problem)
        if after != before or new:
            entries.append(_audit_entry(problem, before, after, new))
        for clock in new:
            events.append(
                ProblemEvent(
                    problem=problem,
                    move="alert",
                    from_state=problem.state,
                    to_state=problem.state,
                    text=alert_text(clock),
                    at=run.now,
                    by=None,
                )
            )
            wanted.append((problem, clock))
        if overdue and _may_escalate(problem, policy):
            days = _red_days(problem, overdue[0], run)
            if days >= policy.escalate_after_days:
                escalate.append((problem, overdue[0], days))
    summary.changed += len(changed)
    summary.alerts += len(events)
    bulk_update(Problem, changed, ["light", "breached_at"])
    bulk_insert(ProblemEvent, events, returning=False)
    audit.record_many(entries)
    summary.notified += _tell(wanted, run.handlers)
    for problem, clock, days in escalate:
        _escalate(problem, clock, days, run)


def _audit_entry(problem: Problem, before: dict, after: dict, new: list[ClockState]) -> dict:
    if new:
        what = "；".join(alert_text(c) for c in new)
    else:
        what = f"预警改为“{LIGHT_LABELS[Light(problem.light)]}”"
    return {
        "user": services.SYSTEM,
        "action": "update",
        "obj": problem,
        "before": before,
        "after": after,
        "message": f"问题预警（{problem.project.name}）：{what}",
    }


def _subject(problem: Problem, clock: ClockState) -> str:
    return f"problem:{problem.pk}:{clock.clock}:{clock.light}:{clock.due:%Y%m%d%H%M}"


def _tell(wanted: list[tuple[Problem, ClockState]], handlers: _Handlers) -> int:
    """Notify each new alert not told before (one query for who was told)."""
    if not wanted:
        return 0
    told = set(
        Notification.objects.filter(
            kind__in=[services.PROBLEM_DUE, services.PROBLEM_OVERDUE],
            subject__in=[_subject(p, c) for p, c in wanted],
        ).values_list("subject", flat=True)
    )
    sent = 0
    for problem, clock in wanted:
        subject = _subject(problem, clock)
        if subject in told:
            continue
        told.add(subject)
        name, label = problem.project.name, CLOCK_LABELS[clock.clock]
        due = f"{clock.due:%Y-%m-%d %H:%M}"
        # The person and leader come with the problem (select_related); before it is
        # assigned nobody is responsible (and unit_users of no unit reads nothing).
        if clock.light == Light.RED:
            users = services.responsible(problem) + handlers(problem)
            kind, level, title = services.PROBLEM_OVERDUE, "urgent", f"问题超期：{name}"
            text = f"“{problem}”{label}时限{due}已过，请尽快办理。"
        else:
            users = services.responsible(problem)
            kind, level, title = services.PROBLEM_DUE, "warning", f"问题临期：{name}"
            left = "今天到期" if clock.left_days <= 0 else f"还剩{clock.left_days}个工作日"
            text = f"“{problem}”{label}时限{due}，{left}，请抓紧办理。"
        if not users:
            continue
        sent += len(
            notify(
                kind=kind,
                title=title,
                text=text,
                level=level,
                link=services.link_of(problem),
                users=users,
                subject=subject,
                deliver=False,
            )
        )
    return sent


def _may_escalate(problem: Problem, policy: Policy) -> bool:
    """The policy escalates by itself, the level can go up and the table allows it."""
    return (
        policy.escalate_after_days > 0
        and rules.escalation_of(problem.level) is not None
        and rules.move_to(Move.ESCALATE, problem.state) is not None
    )


def _red_days(problem: Problem, oldest: ClockState, run: _Run) -> int:
    """Full working days red: since the oldest overdue clock ran out, or since the last
    escalation if that came later."""
    since = oldest.due
    if problem.escalated_at is not None:
        since = max(since, local_naive(problem.escalated_at))
    return full_working_days_since(since, run.local, run.calendar)


def _escalate(problem: Problem, oldest: ClockState, days: int, run: _Run) -> None:
    up = rules.escalation_of(problem.level)
    again = "提级后仍" if problem.escalated_at is not None else ""
    text = (
        f"{CLOCK_LABELS[oldest.clock]}时限{oldest.due:%Y-%m-%d %H:%M}已过，"
        f"{again}超期{days}个工作日未办理，自动提级至{ESCALATION_LABELS[up]}"
    )
    try:
        services.problem_escalate_overdue(problem=problem, now=run.now, text=text)
    except ServiceError as exc:  # moved by someone meanwhile: the next run looks again
        logger.warning("problem %s not escalated: %s", problem.pk, exc.message)
        return
    run.summary.escalated += 1


# Idempotent: a second run at the same moment finds nothing to change.
@periodic(PROBLEMS_TICK, label="问题时限预警", every="minutes", minutes=15, idempotent=True)
def tick_job(job, progress):
    """As at the slot it was started for (now when started by hand)."""
    summary = problems_tick(scheduled_for(job) or timezone.now())
    return Done(summary.text(), summary.as_json())
