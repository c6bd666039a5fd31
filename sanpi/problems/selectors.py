"""Reading problems, always within the user's scope: the ledger with its filters, one
problem with its timeline and clocks, the board's counts by state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core.calendar import official_calendar
from sanpi.core.errors import NotFound
from sanpi.core.scope import restrict
from sanpi.core.services import require
from sanpi.core.workdays import WorkCalendar

from . import rules
from .models import Attachment, Policy, Problem, ProblemEvent
from .rules import Clock, State
from .services import local_naive

OPEN = [s.value for s in rules.OPEN_STATES]


def overdue_q(now: dt.datetime, prefix: str = "") -> Q:
    """Open problems out of time: marked red by the breach task, or with a clock still
    running past its due moment (so it shows before the task's next run)."""
    p = prefix
    running_late = (
        Q(**{f"{p}assigned_at__isnull": True, f"{p}deploy_due__lt": now})
        | Q(**{f"{p}first_feedback_at__isnull": True, f"{p}feedback_due__lt": now})
        | Q(**{f"{p}solved_at__isnull": True, f"{p}solve_due__lt": now})
    )
    return Q(**{f"{p}state__in": OPEN}) & (Q(**{f"{p}light": rules.Light.RED}) | running_late)


def due_soon_q(now: dt.datetime, prefix: str = "") -> Q:
    """Open problems close to a due moment (yellow), not yet out of time."""
    p = prefix
    return Q(**{f"{p}state__in": OPEN, f"{p}light": rules.Light.YELLOW}) & ~overdue_q(now, prefix)


@dataclass
class ProblemFilter:
    state: str = ""  # a State value, or "open"
    level: str = ""
    category: str = ""
    county: str = ""  # county code
    zone: str = ""  # zone id
    unit: str = ""  # "department:3", "county:141102", "zone:5", "city"
    overdue: str = ""  # "1": out of time (overdue_q: red, or a clock already past due)
    key: str = ""  # "1": provincial or city key projects only
    project: str = ""  # project id
    q: str = ""

    @classmethod
    def from_params(cls, params) -> ProblemFilter:
        return cls(**{f.name: (params.get(f.name) or "").strip()[:100] for f in fields(cls)})

    def as_params(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def apply(self, qs: QuerySet[Problem]) -> QuerySet[Problem]:
        if self.state == "open":
            qs = qs.filter(state__in=OPEN)
        elif self.state in State.__members__.values():
            qs = qs.filter(state=self.state)
        if self.level:
            qs = qs.filter(level=self.level)
        if self.category:
            qs = qs.filter(category=self.category)
        if self.county:
            qs = qs.filter(project__county__code=self.county)
        if self.zone.isdigit():
            qs = qs.filter(project__zone_id=int(self.zone))
        if self.unit:
            kind, _, value = self.unit.partition(":")
            if kind == "city":
                qs = qs.filter(unit_kind="city")
            elif kind == "department" and value.isdigit():
                qs = qs.filter(unit_department_id=int(value))
            elif kind == "county":
                qs = qs.filter(unit_county__code=value)
            elif kind == "zone" and value.isdigit():
                qs = qs.filter(unit_zone_id=int(value))
        if self.overdue == "1":
            qs = qs.filter(overdue_q(timezone.now()))
        if self.key == "1":
            qs = qs.filter(Q(project__is_provincial_key=True) | Q(project__is_city_key=True))
        if self.project.isdigit():
            qs = qs.filter(project_id=int(self.project))
        if self.q:
            qs = qs.filter(Q(description__icontains=self.q) | Q(project__name__icontains=self.q))
        return qs


def problems(*, user) -> QuerySet[Problem]:
    """Every problem the user may see."""
    require(user, Cap.VIEW_PROBLEMS)
    return restrict(Problem.objects.all(), user)


def problem_list(*, user, filters: ProblemFilter | None = None) -> QuerySet[Problem]:
    qs = problems(user=user)
    if filters is not None:
        qs = filters.apply(qs)
    return qs.select_related(
        "project", "project__county", "project__zone", "unit_department", "unit_county",
        "unit_zone", "person",
    ).order_by("-raised_at", "-pk")  # fmt: skip


def problem_get(*, user, pk: int) -> Problem:
    try:
        return (
            problems(user=user)
            .select_related(
                "project",
                "project__county",
                "project__zone",
                "project__enterprise",
                "policy",
                "unit_department",
                "unit_county",
                "unit_zone",
                "person",
                "leader",
                "raised_by",
            )  # fmt: skip
            .get(pk=pk)
        )
    except (Problem.DoesNotExist, ValueError, TypeError):
        raise NotFound("问题不存在或不在您的权限范围内") from None


def board_counts(*, user, filters: ProblemFilter | None = None) -> dict[str, int]:
    """How many problems are in each state (one grouped query)."""
    qs = problem_list(user=user, filters=filters).order_by()
    counts = dict(qs.values_list("state").annotate(n=Count("pk")))
    return {s.value: counts.get(s.value, 0) for s in State}


def clock_moments(problem: Problem) -> list[tuple[Clock, dt.datetime, dt.datetime | None]]:
    """Each clock with its due moment and the moment it was met (None: still running), as
    stored: deploy until assigned, first feedback until the first progress note, solve
    until claimed solved (a rejection starts it again)."""
    return [
        (Clock.DEPLOY, problem.deploy_due, problem.assigned_at),
        (Clock.FEEDBACK, problem.feedback_due, problem.first_feedback_at),
        (Clock.SOLVE, problem.solve_due, problem.solved_at),
    ]


def clocks(
    problem: Problem,
    *,
    now: dt.datetime | None = None,
    warn_days: int | None = None,
    calendar: WorkCalendar | None = None,
    running_only: bool = False,
) -> list[rules.ClockState]:
    """The problem's three clocks as at ``now`` (due, used, left, breached, light), or
    only those still running; for its page and for the breach task (``jobs.problems_tick``,
    which passes the policy's ``warn_days`` and the calendar it read once). A withdrawn
    problem's clocks stopped when it was withdrawn."""
    now = local_naive(now or timezone.now())
    if calendar is None:
        calendar = official_calendar()
    if warn_days is None:
        warn_days = problem.policy.warn_days
    raised = local_naive(problem.raised_at)
    ended = problem.closed_at if problem.state == State.WITHDRAWN else None
    out = []
    for clock, due, met in clock_moments(problem):
        stop = met or ended
        if stop and running_only:
            continue
        out.append(
            rules.clock_state(
                clock,
                raised=raised,
                due=local_naive(due),
                stopped=local_naive(stop) if stop else None,
                now=now,
                warn_days=warn_days,
                calendar=calendar,
            )
        )
    return out


def timeline(problem: Problem) -> QuerySet[ProblemEvent]:
    """A problem's steps, oldest first, with who made them and their files (the problem
    itself was read within the user's scope: `problem_get`)."""
    return (
        problem.events.select_related("by")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        .order_by("at", "pk")
    )


def attachment_get(*, user, problem_pk: int, pk: int) -> Attachment:
    """One file of a problem's note, only within the user's scope."""
    require(user, Cap.VIEW_PROBLEMS)
    found = (
        restrict(Attachment.objects.select_related("event"), user)
        .filter(pk=pk, event__problem_id=problem_pk)
        .first()
    )
    if found is None:
        raise NotFound("附件不存在或不在您的权限范围内")
    return found


def policy_list(*, user) -> QuerySet[Policy]:
    """The SLA policies, current and past versions (public to whoever sees problems)."""
    require(user, Cap.VIEW_PROBLEMS)
    return Policy.objects.select_related("created_by").order_by("-current", "code", "-version")


def policy_get(*, user, pk: int) -> Policy:
    require(user, Cap.VIEW_PROBLEMS)
    try:
        return Policy.objects.get(pk=pk)
    except Policy.DoesNotExist:
        raise NotFound("没有这条时限规则") from None
