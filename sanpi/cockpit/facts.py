"""Building the cockpit's summary tables (models.py) from the ledger, and the aggregate
functions that define them.

The same functions serve both sides: `refresh` runs them grouped by unit over the whole
ledger and stores the rows; a reader whose scope has no rows of its own (an enterprise)
runs them over just its projects (`board`). So a figure has one definition whether it
comes from the tables or straight from the ledger, and the tests compare the two.

* **Stage cells**: for each stage date (签约, 开工, 投产, 达效), the projects whose date
  falls in a month, their total investment, how many of them have reached the next stage
  since (签约 → 开工 …: the numerators of 开工率 and 投产率), and for 投产 their planned
  and actual annual output (达效率). ``reserve``: the projects in 储备 now, by the month
  they were recorded. ``now:…``: the projects as they stand now, by stage, 推进状态 and
  key-project flags (the home page's totals, the health lists' counts).
* **Investment cells**: accepted monthly reports, by month and industry: completed
  investment, output, tax.
* **Plan cells**: annual planned investment, by year and industry.

`refresh` takes the changes the triggers noted (migration 0002), rebuilds the stage and
plan cells when anything of theirs changed (a few hundred thousand projects: seconds) and
the investment cells of just the months whose reports changed (closed months never
change), all in one transaction, one refresh at a time.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone

from sanpi.accounts.actors import SystemActor
from sanpi.core.bulk import bulk_insert
from sanpi.core.money import exact_wan
from sanpi.dispatch.models import AnnualPlan, MonthlyReport
from sanpi.dispatch.rules import Status
from sanpi.projects.models import Project, Stage

from .models import (
    FactChange,
    FactsState,
    InvestmentCell,
    InvestmentYear,
    Level,
    PlanCell,
    RankCell,
    StageCell,
)

# A stage's date, and the date of the stage after it (None: the last).
STAGE_DATES: dict[str, tuple[str, str | None]] = {
    "signed": ("signed_date", "started_date"),
    "started": ("started_date", "produced_date"),
    "produced": ("produced_date", "reached_date"),
    "reached": ("reached_date", None),
}
KINDS = ("reserve", *STAGE_DATES)
RUN = "refresh"  # the FactsState row of the last refresh
REFRESH_MINUTES = 5  # the schedule (jobs.py); an import refreshes when it finishes
# How each level groups (None: the whole queryset as one unit, numbered 0).
GROUPS = {Level.ALL: None, Level.COUNTY: "county_id", Level.ZONE: "zone_id"}
ZERO = Decimal("0.00")


# --- the aggregates ------------------------------------------------------------------------


def stage_rows(projects: QuerySet, *, by: str | None = None) -> Iterator[dict]:
    """The stage cells of these projects, grouped by `by` (county_id, zone_id, or None
    for one unit 0): dicts of unit, kind, year, month and the sums."""
    for kind in KINDS:
        if kind == "reserve":
            date, after = "created_at", None
            qs = projects.filter(stage=Stage.RESERVE.value)
        else:
            date, after = STAGE_DATES[kind]
            qs = projects.filter(**{f"{date}__isnull": False})
        if by:
            qs = qs.filter(**{f"{by}__isnull": False})
        keys = {"y": ExtractYear(date), "m": ExtractMonth(date)}
        if by:
            keys["unit"] = F(by)
        sums = {
            "n": Count("pk"),
            "investment": Sum("total_investment_wan"),
        }
        if after:
            sums["next_n"] = Count("pk", filter=Q(**{f"{after}__isnull": False}))
        if kind == "produced":
            sums["planned"] = Sum("planned_output_wan")
            sums["actual"] = Sum("actual_output_wan")
        for row in qs.order_by().values(**keys).annotate(**sums):
            yield {
                "unit_id": row.get("unit", 0),
                "kind": kind,
                "year": row["y"],
                "month": row["m"],
                "n": row["n"],
                "investment_wan": exact_wan(row["investment"]),
                "next_n": row.get("next_n", 0),
                "planned_output_wan": exact_wan(row.get("planned")),
                "actual_output_wan": exact_wan(row.get("actual")),
            }
    yield from now_rows(projects, by=by)


NOW = "now"  # the kind prefix of the rows of the ledger as it stands


def now_kind(stage: str, health: str, provincial_key: bool, city_key: bool) -> str:
    """The kind of a "now" row: ``now:<stage>:<health>:<省重点 0/1><市重点 0/1>``."""
    return f"{NOW}:{stage}:{health}:{int(provincial_key)}{int(city_key)}"


def parse_now_kind(kind: str) -> tuple[str, str, bool, bool]:
    _, stage, health, keys = kind.split(":")
    return stage, health, keys[0] == "1", keys[1] == "1"


def now_rows(projects: QuerySet, *, by: str | None = None) -> Iterator[dict]:
    """The projects as they stand now, by stage, 推进状态 and key-project flags (kind
    `now_kind`, year and month 0): count and total investment. The home page's totals
    and the health lists' counts are sums of these rows."""
    qs = projects
    if by:
        qs = qs.filter(**{f"{by}__isnull": False})
    keys = {"unit": F(by)} if by else {}
    for row in (
        qs.order_by()
        .values("stage", "health", "is_provincial_key", "is_city_key", **keys)
        .annotate(n=Count("pk"), investment=Sum("total_investment_wan"))
    ):
        yield {
            "unit_id": row.get("unit", 0),
            "kind": now_kind(
                row["stage"], row["health"], row["is_provincial_key"], row["is_city_key"]
            ),
            "year": 0,
            "month": 0,
            "n": row["n"],
            "investment_wan": exact_wan(row["investment"]),
            "next_n": 0,
            "planned_output_wan": ZERO,
            "actual_output_wan": ZERO,
        }


def investment_rows(reports: QuerySet, *, by: str | None = None) -> Iterator[dict]:
    """The investment cells of these monthly reports (accepted ones count), by `by` of
    their project, industry and month."""
    qs = reports.filter(status=Status.ACCEPTED.value)
    keys = {"industry": F("project__industry")}
    if by:
        qs = qs.filter(**{f"project__{by}__isnull": False})
        keys["unit"] = F(f"project__{by}")
    for row in (
        qs.order_by()
        .values("year", "month", **keys)
        .annotate(
            reports=Count("pk"),
            investment=Sum("investment_wan"),
            output=Sum("output_wan"),
            tax=Sum("tax_wan"),
        )
    ):
        yield {
            "unit_id": row.get("unit", 0),
            "industry": row["industry"],
            "year": row["year"],
            "month": row["month"],
            "reports": row["reports"],
            "investment_wan": exact_wan(row["investment"]),
            "output_wan": exact_wan(row["output"]),
            "tax_wan": exact_wan(row["tax"]),
        }


def plan_rows(plans: QuerySet, *, by: str | None = None) -> Iterator[dict]:
    """The plan cells of these annual plans, by `by` of their project, industry, year."""
    qs = plans
    keys = {"industry": F("project__industry")}
    if by:
        qs = qs.filter(**{f"project__{by}__isnull": False})
        keys["unit"] = F(f"project__{by}")
    for row in (
        qs.order_by()
        .values("year", **keys)
        .annotate(projects=Count("pk"), planned=Sum("planned_investment_wan"))
    ):
        yield {
            "unit_id": row.get("unit", 0),
            "industry": row["industry"],
            "year": row["year"],
            "projects": row["projects"],
            "planned_investment_wan": exact_wan(row["planned"]),
        }


# --- the refresh ---------------------------------------------------------------------------


@dataclass
class Refreshed:
    stages: bool = False
    plans: bool = False
    months: int = 0
    rows: int = 0
    ms: int = 0

    def text(self) -> str:
        if not (self.stages or self.plans or self.months):
            return "没有需要更新的汇总"
        parts = []
        if self.stages:
            parts.append("项目阶段")
        if self.plans:
            parts.append("年度计划")
        if self.months:
            parts.append(f"{self.months}个月的月报")
        return f"已更新{'、'.join(parts)}汇总，共{self.rows}行，用时{self.ms}毫秒"


def _take_changes() -> list[tuple[str, int | None, int | None]]:
    """Delete and return the noted changes this transaction can see. A change committed
    meanwhile stays for the next refresh."""
    table = FactChange._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} RETURNING kind, year, month")  # noqa: S608
        return cursor.fetchall()


def _store(model, rows: Iterable[dict], level: str) -> int:
    objs = [model(level=level, **row) for row in rows]
    bulk_insert(model, objs, returning=False)
    return len(objs)


def _rebuild(model, source: QuerySet, rows_of, **narrow) -> int:
    model.objects.filter(**narrow).delete()
    count = 0
    for level, by in GROUPS.items():
        count += _store(model, rows_of(source, by=by), level)
    return count


def year_rows(cells: QuerySet) -> Iterator[dict]:
    """The yearly totals of these investment cells, by level and unit."""
    for row in (
        cells.order_by()
        .values("level", "unit_id", "year")
        .annotate(n=Sum("reports"), investment=Sum("investment_wan"))
    ):
        yield {
            "level": row["level"],
            "unit_id": row["unit_id"],
            "year": row["year"],
            "reports": row["n"],
            "investment_wan": exact_wan(row["investment"]),
        }


def _rebuild_year(year: int) -> int:
    """A year's totals, summed from its monthly cells (read once, in the database)."""
    InvestmentYear.objects.filter(year=year).delete()
    objs = [InvestmentYear(**row) for row in year_rows(InvestmentCell.objects.filter(year=year))]
    bulk_insert(InvestmentYear, objs, returning=False)
    return len(objs)


def pending() -> bool:
    """Whether the ledger changed since the summaries were built."""
    return FactChange.objects.exists()


def refresh() -> Refreshed:
    """Rebuild what the noted changes touch, in one transaction, one refresh at a time."""
    started = time.monotonic()
    FactsState.objects.get_or_create(name=RUN)
    done = Refreshed()
    with transaction.atomic():
        # One refresh at a time: the second waits here, then finds nothing left to do.
        FactsState.objects.select_for_update().get(name=RUN)
        changes = _take_changes()
        kinds = {kind for kind, _, _ in changes}
        months: dict[int, set[int]] = {}
        for kind, year, month in changes:
            if kind == "investment" and year is not None and month is not None:
                months.setdefault(year, set()).add(month)
        if "stages" in kinds:
            done.stages = True
            done.rows += _rebuild(StageCell, Project.objects.all(), stage_rows)
        if "plans" in kinds:
            done.plans = True
            done.rows += _rebuild(PlanCell, AnnualPlan.objects.all(), plan_rows)
        for year, in_year in sorted(months.items()):
            done.months += len(in_year)
            reports = MonthlyReport.objects.filter(year=year, month__in=sorted(in_year))
            done.rows += _rebuild(
                InvestmentCell, reports, investment_rows, year=year, month__in=sorted(in_year)
            )
            done.rows += _rebuild_year(year)
        done.ms = int((time.monotonic() - started) * 1000)
        FactsState.objects.filter(name=RUN).update(refreshed_at=timezone.now(), duration_ms=done.ms)
    return done


@dataclass(frozen=True)
class Freshness:
    as_of: dt.datetime | None  # the last refresh: the figures are the ledger's as of then
    pending: bool  # changed since

    def text(self) -> str:
        if self.as_of is None:
            return "汇总数据尚未生成"
        stamp = timezone.localtime(self.as_of).strftime("%Y-%m-%d %H:%M")
        if self.pending:
            return f"数据截至{stamp}，其后的变动将在下次汇总（每{REFRESH_MINUTES}分钟）时计入"
        return f"数据截至{stamp}，与台账一致"


def freshness() -> Freshness:
    state = FactsState.objects.filter(name=RUN).first()
    return Freshness(as_of=state.refreshed_at if state else None, pending=pending())


# --- the monthly rankings' trend ------------------------------------------------------------

RANKING_ACTOR = SystemActor(name="system:cockpit")
RANK_KINDS = ("county", "zone")


def ranked_months(today: dt.date) -> list[tuple[int, int]]:
    """The months whose rankings the trend shows: this year's before this month (in
    January, last year's twelve)."""
    if today.month == 1:
        return [(today.year - 1, m) for m in range(1, 13)]
    return [(today.year, m) for m in range(1, today.month)]


def refresh_rankings(today: dt.date | None = None) -> int:
    """Rank every county and every zone for each month of `ranked_months` with the
    ranking's own selector (`targets.selectors.ranking`, one definition) and store the
    places; a month's old places are replaced in the same transaction. Returns rows."""
    from sanpi.targets.selectors import ranking

    today = today or timezone.localdate()
    now = timezone.now()
    rows = []
    for year, month in ranked_months(today):
        for kind in RANK_KINDS:
            for unit in ranking(user=RANKING_ACTOR, year=year, month=month, kind=kind).units:
                rows.append(
                    RankCell(kind=kind, unit_id=unit.pk, year=year, month=month,
                             rank=unit.rank, score=unit.score, computed_at=now)
                )  # fmt: skip
    with transaction.atomic():
        for year, month in ranked_months(today):
            RankCell.objects.filter(year=year, month=month).delete()
        bulk_insert(RankCell, rows, returning=False)
    return len(rows)


# --- the early warning ----------------------------------------------------------------------


def refresh_start_risks(today: dt.date | None = None) -> int:
    """Score every signed, not yet started project (not withdrawn) by the early-warning
    rules (`cockpit.rules`) and store the scores with their reasons, replacing the last
    ones in one transaction. A few grouped queries whatever the number of projects (an
    approval item is overdue past its stored deadline). Returns the projects scored."""
    from sanpi.approvals.models import ProjectApproval
    from sanpi.problems.models import Problem
    from sanpi.problems.selectors import OPEN, overdue_q

    from . import rules
    from .models import StartRisk

    today = today or timezone.localdate()
    now = timezone.now()
    candidates = Project.objects.filter(stage=Stage.SIGNED.value, signed_date__isnull=False)
    candidates = candidates.exclude(health="withdrawn")
    ids = candidates.values("pk")

    # Open items and those past their stored deadline (approvals' due_on), grouped.
    approvals = {
        r["project_id"]: r
        for r in ProjectApproval.objects.filter(project__in=ids, decided_on__isnull=True)
        .order_by()
        .values("project_id")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(due_on__lt=today)))
    }
    approvals_open = {pid: r["n"] for pid, r in approvals.items()}
    approvals_overdue = {pid: r["late"] for pid, r in approvals.items()}
    problems = {
        r["project_id"]: r
        for r in Problem.objects.filter(project__in=ids, state__in=OPEN)
        .order_by()
        .values("project_id")
        .annotate(n=Count("pk"), late=Count("pk", filter=overdue_q(now)))
    }
    invested = set(
        MonthlyReport.objects.filter(
            project__in=ids, status=Status.ACCEPTED.value, investment_wan__gt=0
        ).values_list("project_id", flat=True)
    )
    county_rate = {}
    for row in (
        StageCell.objects.filter(level=Level.COUNTY, kind="signed")
        .values("unit_id")
        .annotate(n=Sum("n"), started=Sum("next_n"))
        .order_by()
    ):
        county_rate[row["unit_id"]] = (row["started"] or 0, row["n"] or 0)

    from .services import warning_rules

    active = warning_rules()  # the city office's points
    scored = []
    for pk, county_id, zone_id, signed, investment in candidates.values_list(
        "pk", "county_id", "zone_id", "signed_date", "total_investment_wan"
    ):
        started, total = county_rate.get(county_id, (0, 0))
        problem = problems.get(pk, {})
        signs = rules.Signs(
            months=rules.months_between(signed.year, signed.month, signed.day, today),
            approvals_open=approvals_open.get(pk, 0),
            approvals_overdue=approvals_overdue.get(pk, 0),
            problems_open=problem.get("n", 0),
            problems_overdue=problem.get("late", 0),
            no_investment=int(pk not in invested),
            county_below_50=int(bool(total) and started * 2 < total),
            county_below_30=int(bool(total) and started * 10 < total * 3),
        )
        risk = rules.start_risk(signs, active)
        scored.append(
            StartRisk(project_id=pk, county_id=county_id, zone_id=zone_id, score=risk.score,
                      investment_wan=investment, reasons=risk.reasons, computed_at=now)
        )  # fmt: skip
    with transaction.atomic():
        StartRisk.objects.all().delete()
        bulk_insert(StartRisk, scored, returning=False)
    return len(scored)
