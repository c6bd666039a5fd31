"""Reading health: the three lists the city pulls out (正常推进 / 进度滞后但仍在推进 /
长期停缓建), their counts, a project's last evaluation and its overrides — always within
the user's scope."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core.errors import NotFound
from sanpi.core.scope import restrict
from sanpi.core.services import require
from sanpi.projects.models import Health, Project
from sanpi.projects.rules import Stage
from sanpi.projects.selectors import PARAM_MAX, ProjectFilter

from .models import HealthOverride, HealthState


@dataclass(frozen=True)
class HealthList:
    key: str
    title: str
    wording: str  # as the province's meeting put it (seeds/004)
    healths: tuple[str, ...]


# Projects on their way to production: signed or started, not yet producing.
LIST_STAGES = (Stage.SIGNED.value, Stage.STARTED.value)
LISTS: dict[str, HealthList] = {
    item.key: item
    for item in (
        HealthList(
            "normal",
            "正常推进",
            "正常推进特别是具备投产条件的项目",
            (Health.NORMAL.value,),
        ),
        HealthList(
            "lagging",
            "进度滞后但仍在推进",
            "施工进度滞后但仍在努力推进的项目",
            (Health.LAGGING.value,),
        ),
        HealthList(
            "stalled",
            "长期停缓建",
            "长期停缓建特别是已实际形成“僵尸项目”的项目",
            (Health.STALLED.value, Health.ZOMBIE.value),
        ),
    )
}


def list_q(key: str) -> Q:
    return Q(stage__in=LIST_STAGES, health__in=LISTS[key].healths)


def list_count_expressions() -> dict[str, Count]:
    """Each list's count as an aggregate expression (``list_normal`` …), for a page that
    adds them to its own aggregate over the user's projects (the home page: one query)."""
    return {f"list_{key}": Count("id", filter=list_q(key)) for key in LISTS}


def get_list(key: str) -> HealthList:
    try:
        return LISTS[key]
    except KeyError:
        raise NotFound("没有这张清单") from None


@dataclass
class ListFilter:
    county: str = ""  # county code
    zone: str = ""  # zone id
    q: str = ""
    soon: str = ""  # "1": planned to complete by the end of this year

    @classmethod
    def from_params(cls, params) -> ListFilter:
        return cls(**{f.name: (params.get(f.name) or "").strip()[:PARAM_MAX] for f in fields(cls)})

    def as_params(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def apply(self, qs: QuerySet[Project], *, year: int) -> QuerySet[Project]:
        # County, zone and keyword as the ledger's own list filters them.
        qs = ProjectFilter(county=self.county, zone=self.zone, q=self.q).apply(qs)
        if self.soon == "1":
            qs = qs.filter(planned_completion_date__year__lte=year)
        return qs


def list_projects(
    *, user, key: str, filters: ListFilter | None = None, year: int | None = None
) -> QuerySet[Project]:
    """The projects of one list the user may see, with their last evaluation, in the
    ledger's order (county, name)."""
    require(user, Cap.VIEW_LEDGER)
    get_list(key)
    qs = restrict(Project.objects.filter(list_q(key)), user).select_related(
        "county", "zone", "enterprise", "health_state"
    )
    if filters is not None:
        qs = filters.apply(qs, year=year or timezone.localdate().year)
    return qs.order_by("county__code", "name", "pk")


def list_counts(*, user) -> dict[str, int]:
    """How many of the user's projects are on each list (one query)."""
    require(user, Cap.VIEW_LEDGER)
    return restrict(Project.objects.all(), user).order_by().aggregate(**list_count_expressions())


def list_counts_by_county(*, user) -> list[dict]:
    """Per county (those with projects on a list): its code, name and each list's count
    (one grouped query)."""
    require(user, Cap.VIEW_LEDGER)
    rows = (
        restrict(Project.objects.filter(stage__in=LIST_STAGES), user)
        .order_by()
        .values("county__code", "county__name")
        .annotate(**list_count_expressions())
        .order_by("county__code")
    )
    return [r for r in rows if any(r[f"list_{key}"] for key in LISTS)]


def states_for(projects: Iterable[Project]) -> dict[int, HealthState]:
    """The last evaluation of each of these (already scoped) projects: one query for a
    page of a list, whatever its length."""
    ids = [p.pk for p in projects]
    if not ids:
        return {}
    return {s.project_id: s for s in HealthState.objects.filter(project_id__in=ids)}


def loaded_state(project: Project) -> HealthState | None:
    """A project's last evaluation, read with it (``select_related("health_state")``)."""
    try:
        return project.health_state
    except HealthState.DoesNotExist:
        return None


def state_of(project: Project) -> HealthState | None:
    return HealthState.objects.filter(project_id=project.pk).first()


def project_overrides(*, user, project: Project) -> QuerySet[HealthOverride]:
    """A project's overrides, the one in force first, then the ended ones newest first."""
    require(user, Cap.VIEW_LEDGER)
    return restrict(
        HealthOverride.objects.filter(project=project).select_related("created_by"), user
    ).order_by("-created_at", "-pk")


def active_override(project: Project) -> HealthOverride | None:
    return (
        HealthOverride.objects.filter(project=project, ended_at__isnull=True)
        .select_related("created_by")
        .first()
    )
