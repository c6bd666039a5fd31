"""Reading the monthly dispatch: who owes the month's report and where each stands, one
report with its cumulative figures, the month's counts per county."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from sanpi.accounts.roles import Cap
from sanpi.core.errors import NotFound
from sanpi.core.scope import restrict
from sanpi.core.services import require
from sanpi.projects.models import Project

from . import rules
from .models import MonthlyReport
from .rules import Status

MISSING = "missing"  # no report yet: not a stored status
STATUS_FILTERS = {MISSING: "未填报", **{s.value: label for s, label in rules.STATUS_LABELS.items()}}


def owing(qs: QuerySet[Project], year: int, month: int) -> QuerySet[Project]:
    """Of these projects, those that owe the month's report: signed by the month's end,
    in a reporting stage now, not withdrawn."""
    return qs.filter(
        stage__in=[s.value for s in rules.REPORTING_STAGES],
        signed_date__lte=rules.month_end(year, month),
    ).exclude(health=rules.WITHDRAWN)


@dataclass
class MonthFilter:
    county: str = ""  # county code
    zone: str = ""  # zone id
    status: str = ""  # a STATUS_FILTERS key
    q: str = ""

    @classmethod
    def from_params(cls, params) -> MonthFilter:
        return cls(**{f.name: (params.get(f.name) or "").strip()[:100] for f in fields(cls)})

    def as_params(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def month_rows(*, user, year: int, month: int, filters: MonthFilter | None = None):
    """The projects owing the month's report in the user's scope, each annotated with its
    report's status ("missing" when none), id, version and this month's investment, and
    its cumulative accepted investment up to and including the month."""
    require(user, Cap.VIEW_LEDGER)
    filters = filters or MonthFilter()
    this_month = MonthlyReport.objects.filter(project=OuterRef("pk"), year=year, month=month)
    up_to = MonthlyReport.objects.filter(
        Q(year__lt=year) | Q(year=year, month__lte=month),
        project=OuterRef("pk"),
        status=Status.ACCEPTED,
    )
    cumulative = up_to.order_by().values("project").annotate(s=Sum("investment_wan")).values("s")
    money = DecimalField(max_digits=16, decimal_places=2)
    qs = owing(restrict(Project.objects.all(), user), year, month).select_related(
        "county", "zone", "enterprise"
    )
    qs = qs.annotate(
        report_status=Coalesce(Subquery(this_month.values("status")[:1]), Value(MISSING)),
        report_id=Subquery(this_month.values("pk")[:1], output_field=IntegerField()),
        report_investment=Subquery(this_month.values("investment_wan")[:1], output_field=money),
        cumulative_wan=Coalesce(Subquery(cumulative, output_field=money), Value(Decimal("0"))),
    )
    if filters.county:
        qs = qs.filter(county__code=filters.county)
    if filters.zone.isdigit():
        qs = qs.filter(zone_id=int(filters.zone))
    if filters.status in STATUS_FILTERS:
        qs = qs.filter(report_status=filters.status)
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(enterprise__name__icontains=filters.q))
    return qs.order_by("county__code", "name", "pk")


def month_counts(*, user, year: int, month: int) -> dict[str, int]:
    """How many of the user's projects are in each state for the month (one query)."""
    rows = month_rows(user=user, year=year, month=month)
    counts = dict(rows.order_by().values_list("report_status").annotate(n=Count("pk")).order_by())
    return {key: counts.get(key, 0) for key in STATUS_FILTERS}


def report_get(*, user, project_id: int, year: int, month: int) -> MonthlyReport | None:
    """The month's report of a project the user may see (None: not filed yet)."""
    require(user, Cap.VIEW_LEDGER)
    return (
        restrict(MonthlyReport.objects.select_related("project", "filed_by", "reviewed_by"), user)
        .filter(project_id=project_id, year=year, month=month)
        .first()
    )


def month_reports(*, user, year: int, month: int) -> QuerySet[MonthlyReport]:
    """The month's reports the user may see."""
    require(user, Cap.VIEW_LEDGER)
    return restrict(MonthlyReport.objects.filter(year=year, month=month), user)


def project_for_report(*, user, project_id: int) -> Project:
    require(user, Cap.VIEW_LEDGER)
    project = (
        restrict(Project.objects.select_related("county", "zone", "enterprise"), user)
        .filter(pk=project_id)
        .first()
    )
    if project is None:
        raise NotFound("项目不存在或不在您的权限范围内")
    return project


def up_to(year: int, month: int) -> Q:
    """Months 1900-01 … year-month (the filter a cumulative figure sums over)."""
    return Q(year__lt=year) | Q(year=year, month__lte=month)


def accepted_investment(
    project: Project, *, up_to_month: tuple[int, int] | None = None, excluding=None
) -> Decimal:
    """The project's accepted investment: up to and including a month (累计完成投资), or
    of every month but one (``excluding``: what a month's figure is checked against)."""
    qs = MonthlyReport.objects.filter(project=project, status=Status.ACCEPTED)
    if up_to_month is not None:
        qs = qs.filter(up_to(*up_to_month))
    if excluding is not None:
        qs = qs.exclude(year=excluding[0], month=excluding[1])
    return qs.aggregate(s=Sum("investment_wan"))["s"] or Decimal("0")


def cumulative_investment(project: Project, *, year: int, month: int) -> Decimal:
    """The project's accepted investment up to and including the month (累计完成投资)."""
    return accepted_investment(project, up_to_month=(year, month))


def project_reports(*, user, project: Project) -> QuerySet[MonthlyReport]:
    """A project's reports, newest month first (its page's history)."""
    return restrict(MonthlyReport.objects.filter(project=project), user).order_by("-year", "-month")
