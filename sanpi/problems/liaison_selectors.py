"""Reading leaders' liaison (包联) and the service team's visits (入企服务), always within
the user's scope: the leaders with their liaised projects, a leader's projects with what
needs attention (most urgent first), the liaisons, the visit log and the followed projects
not visited in a quarter.

The leaders' pages (service_views) and the API (``GET /leaders/{id}/projects``,
``/liaisons``, ``/visits``) read these same functions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, fields

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from sanpi.accounts.models import User
from sanpi.accounts.roles import Cap, Role
from sanpi.core.errors import NotFound
from sanpi.core.scope import restrict
from sanpi.core.services import require
from sanpi.projects.models import Health, Project
from sanpi.projects.rules import Stage

from .models import Liaison, Visit
from .selectors import OPEN, due_soon_q, overdue_q

# Most severe first: among equally urgent projects the long-stalled come first.
HEALTH_RANK = {
    Health.ZOMBIE: 0,
    Health.STALLED: 1,
    Health.LAGGING: 2,
    Health.NORMAL: 3,
    Health.WITHDRAWN: 4,
}
# The projects the service team follows: signed, under construction or producing, not
# withdrawn (清理退出).
FOLLOWED_STAGES = (Stage.SIGNED.value, Stage.STARTED.value, Stage.PRODUCED.value)


def in_force(today: dt.date, prefix: str = "") -> Q:
    """Liaisons in force on ``today``: started, not yet ended."""
    return Q(**{f"{prefix}since__lte": today}) & (
        Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gte": today})
    )


def _problem_counts(now: dt.datetime, prefix: str) -> dict[str, Count]:
    """Conditional counts over the problems reached by ``prefix`` (e.g. ``problems__``)."""
    target = prefix.removesuffix("__")
    return {
        "open_problems": Count(target, filter=Q(**{f"{prefix}state__in": OPEN}), distinct=True),
        "overdue_problems": Count(target, filter=overdue_q(now, prefix), distinct=True),
        "due_soon_problems": Count(target, filter=due_soon_q(now, prefix), distinct=True),
        # Problems that ever ran out of time (曾超期), open or not.
        "breaches": Count(
            target, filter=Q(**{f"{prefix}breached_at__isnull": False}), distinct=True
        ),
    }


# --- liaison ---------------------------------------------------------------------------------


def liaisons(*, user) -> QuerySet[Liaison]:
    """Every liaison the user may see (of the county's, zone's or enterprise's projects)."""
    require(user, Cap.VIEW_PROBLEMS)
    return restrict(Liaison.objects.all(), user).select_related(
        "leader", "project", "project__county", "project__zone", "project__enterprise"
    )


def liaison_get(*, user, pk: int) -> Liaison:
    try:
        return liaisons(user=user).get(pk=pk)
    except (Liaison.DoesNotExist, ValueError, TypeError):
        raise NotFound("包联记录不存在或不在您的权限范围内") from None


def leader_get(*, user, pk: int) -> User:
    """A leader's account (active or not: a past liaison stays readable)."""
    require(user, Cap.VIEW_PROBLEMS)
    try:
        return User.objects.get(pk=pk, role=Role.LEADER)
    except (User.DoesNotExist, ValueError, TypeError):
        raise NotFound("没有这位领导") from None


def leader_list(
    *, user, today: dt.date | None = None, now: dt.datetime | None = None
) -> list[User]:
    """The leaders (active ones, and inactive ones with a liaison the user sees), each
    with ``current_liaisons`` (in force today, within the user's scope) and the
    ``open_problems`` and ``overdue_problems`` of those projects. Two queries."""
    require(user, Cap.VIEW_PROBLEMS)
    today = today or timezone.localdate()
    now = now or timezone.now()
    counts = _problem_counts(now, "project__problems__")
    current = list(
        liaisons(user=user)
        .filter(in_force(today))
        .annotate(open_problems=counts["open_problems"], overdue=counts["overdue_problems"])
        .order_by("project__county__code", "project__name", "pk")
    )
    with_liaison = restrict(Liaison.objects.all(), user).values("leader_id")
    leaders = list(
        User.objects.filter(role=Role.LEADER)
        .filter(Q(is_active=True) | Q(pk__in=with_liaison))
        .order_by("full_name", "username", "pk")
    )
    by_leader: dict[int, list[Liaison]] = defaultdict(list)
    for liaison in current:
        by_leader[liaison.leader_id].append(liaison)
    for leader in leaders:
        mine = by_leader.get(leader.pk, [])
        leader.current_liaisons = mine
        leader.open_problems = sum(liaison.open_problems for liaison in mine)
        leader.overdue_problems = sum(liaison.overdue for liaison in mine)
    return leaders


def leader_projects(
    *, user, leader: User, today: dt.date | None = None, now: dt.datetime | None = None
) -> QuerySet[Project]:
    """The projects ``leader`` liaises for today, within ``user``'s scope, most urgent
    first: the most overdue open problems, then the most due soon, then the most open,
    then the worst health, then by name. Each is annotated with ``liaison_since`` (the
    liaison's start), ``open_problems``, ``overdue_problems`` (open, out of time),
    ``due_soon_problems`` (open, yellow) and ``breaches`` (ever out of time).

    One query: conditional counts over the project's problems."""
    require(user, Cap.VIEW_PROBLEMS)
    today = today or timezone.localdate()
    now = now or timezone.now()
    current = Liaison.objects.filter(in_force(today), leader=leader)
    since = current.filter(project=OuterRef("pk")).order_by("since").values("since")[:1]
    health_rank = Case(
        *(When(health=h.value, then=Value(rank)) for h, rank in HEALTH_RANK.items()),
        default=Value(len(HEALTH_RANK)),
        output_field=IntegerField(),
    )
    return (
        restrict(Project.objects.filter(pk__in=current.values("project_id")), user)
        .select_related("county", "zone", "enterprise")
        .annotate(
            liaison_since=Subquery(since),
            health_rank=health_rank,
            **_problem_counts(now, "problems__"),
        )
        .order_by(
            "-overdue_problems",
            "-due_soon_problems",
            "-open_problems",
            "health_rank",
            "name",
            "pk",
        )
    )


# --- visits ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int  # 1–4

    @property
    def key(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return f"{self.year}年第{'一二三四'[self.number - 1]}季度"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> dt.date:
        if self.number == 4:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, 3 * self.number + 1, 1) - dt.timedelta(days=1)

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, key: str | None) -> Quarter | None:
        """``2026Q4`` → that quarter; anything else → None."""
        text = (key or "").strip().upper()
        year, sep, number = text.partition("Q")
        if not sep or not (year.isdigit() and len(year) == 4) or number not in ("1", "2", "3", "4"):
            return None
        if not 1900 <= int(year) <= 2200:
            return None
        return cls(int(year), int(number))

    def previous(self) -> Quarter:
        return Quarter(self.year, self.number - 1) if self.number > 1 else Quarter(self.year - 1, 4)


def recent_quarters(today: dt.date | None = None, count: int = 8) -> list[Quarter]:
    """This quarter and the ones before it, latest first (two years by default)."""
    quarter = Quarter.of(today or timezone.localdate())
    out = []
    for _ in range(count):
        out.append(quarter)
        quarter = quarter.previous()
    return out


@dataclass
class VisitFilter:
    county: str = ""  # county code
    zone: str = ""  # zone id
    quarter: str = ""  # "2026Q4"

    @classmethod
    def from_params(cls, params) -> VisitFilter:
        return cls(**{f.name: (params.get(f.name) or "").strip()[:100] for f in fields(cls)})

    def as_params(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def apply_projects(self, qs: QuerySet, prefix: str = "") -> QuerySet:
        """The county and zone filters, on projects (or on rows reaching them)."""
        if self.county:
            qs = qs.filter(**{f"{prefix}county__code": self.county})
        if str(self.zone).isdigit():
            qs = qs.filter(**{f"{prefix}zone_id": int(self.zone)})
        return qs

    def apply(self, qs: QuerySet[Visit]) -> QuerySet[Visit]:
        qs = self.apply_projects(qs, "project__")
        quarter = Quarter.parse(self.quarter)
        if quarter is not None:
            qs = qs.filter(date__range=(quarter.first_day, quarter.last_day))
        return qs


def visits(*, user) -> QuerySet[Visit]:
    """Every visit the user may see (to the county's, zone's or enterprise's projects)."""
    require(user, Cap.VIEW_PROBLEMS)
    return restrict(Visit.objects.all(), user).select_related(
        "project", "project__county", "project__zone", "project__enterprise", "recorded_by"
    )


def visit_list(*, user, filters: VisitFilter | None = None) -> QuerySet[Visit]:
    """The visit log, latest first, each with ``problem_count`` (problems raised on it)."""
    qs = visits(user=user)
    if filters is not None:
        qs = filters.apply(qs)
    return qs.annotate(problem_count=Count("problems", distinct=True)).order_by("-date", "-pk")


def followed_projects(*, user) -> QuerySet[Project]:
    """The projects the service team follows, within the user's scope."""
    require(user, Cap.VIEW_PROBLEMS)
    return restrict(
        Project.objects.filter(stage__in=FOLLOWED_STAGES).exclude(health=Health.WITHDRAWN), user
    )


def _visited_in(quarter: Quarter) -> Exists:
    return Exists(
        Visit.objects.filter(
            project=OuterRef("pk"), date__range=(quarter.first_day, quarter.last_day)
        )
    )


def unvisited(*, user, quarter: Quarter, filters: VisitFilter | None = None) -> QuerySet[Project]:
    """Followed projects with no visit in the quarter, by county and name."""
    qs = followed_projects(user=user)
    if filters is not None:
        qs = filters.apply_projects(qs)
    return (
        qs.filter(~_visited_in(quarter))
        .select_related("county", "zone", "enterprise")
        .order_by("county__code", "name", "pk")
    )


def unvisited_by_county(*, user, quarter: Quarter) -> list[dict]:
    """Per county: ``followed`` projects and how many were ``unvisited`` in the quarter
    (one grouped query)."""
    return list(
        followed_projects(user=user)
        .annotate(visited=_visited_in(quarter))
        .values("county__code", "county__name")
        .annotate(followed=Count("pk"), unvisited=Count("pk", filter=Q(visited=False)))
        .order_by("county__code")
    )
