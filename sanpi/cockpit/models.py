"""The cockpit's summary tables: figures kept ready, never a source of truth.

Every row here is derived from the ledger (projects, monthly reports, annual plans) by
`cockpit.facts.refresh`, which rebuilds what changed and nothing else; nobody edits them.
Database triggers (migration 0002) note every change to the source tables, whatever
wrote it (a service, an import's bulk COPY, a restore, a hand-run UPDATE), so a refresh
knows what to rebuild, and the figures equal a fresh computation from the ledger once it
has run (`tests/test_facts.py` checks it after streams of random changes). The screen
says when that was (`FactsState.refreshed_at`).

Rows exist at three levels: the whole ledger (``all``, unit 0), each county and each
development zone (unit = its id). A reader whose scope is one of those reads its rows;
any other scope (an enterprise, a county narrowed to a zone of another county) is
computed directly from the ledger with the same aggregate functions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

MONEY = {"max_digits": 18, "decimal_places": 2, "default": 0}


class Level(models.TextChoices):
    ALL = "all", "全部"
    COUNTY = "county", "县(市、区)"
    ZONE = "zone", "开发区"


class StageCell(models.Model):
    """The projects that reached a stage in a month, at one unit: how many, their total
    investment, how many of them have reached the next stage since (the cohort's
    numerator), and for 投产 their planned and actual annual output (达效率). ``reserve``
    counts the projects still in 储备, by the month they were recorded."""

    level = models.CharField("层级", max_length=6, choices=Level.choices)
    unit_id = models.PositiveIntegerField("单位")  # county or zone id; 0 for the whole ledger
    kind = models.CharField("阶段", max_length=32)  # a stage, or now:… (facts.now_kind)
    year = models.PositiveSmallIntegerField("年份")
    month = models.PositiveSmallIntegerField("月份")
    n = models.PositiveIntegerField("项目数", default=0)
    investment_wan = models.DecimalField("总投资(万元)", **MONEY)
    next_n = models.PositiveIntegerField("其中已进入下一阶段", default=0)
    planned_output_wan = models.DecimalField("预计年产值(万元)", **MONEY)
    actual_output_wan = models.DecimalField("实际年产值(万元)", **MONEY)

    class Meta:
        verbose_name = verbose_name_plural = "阶段汇总"
        indexes = [models.Index(fields=["level", "unit_id", "year", "month"])]

    def __str__(self) -> str:
        return f"{self.level}:{self.unit_id} {self.kind} {self.year}-{self.month:02d}"


class InvestmentCell(models.Model):
    """Accepted monthly reports of a month at one unit, by industry: completed investment,
    output and tax."""

    level = models.CharField("层级", max_length=6, choices=Level.choices)
    unit_id = models.PositiveIntegerField("单位")
    industry = models.CharField("产业类别", max_length=20)
    year = models.PositiveSmallIntegerField("年份")
    month = models.PositiveSmallIntegerField("月份")
    reports = models.PositiveIntegerField("月报数", default=0)
    investment_wan = models.DecimalField("完成投资(万元)", **MONEY)
    output_wan = models.DecimalField("产值(万元)", **MONEY)
    tax_wan = models.DecimalField("税收(万元)", **MONEY)

    class Meta:
        verbose_name = verbose_name_plural = "投资汇总"
        indexes = [models.Index(fields=["level", "unit_id", "year", "month"])]

    def __str__(self) -> str:
        return f"{self.level}:{self.unit_id} {self.industry} {self.year}-{self.month:02d}"


class InvestmentYear(models.Model):
    """The year's accepted monthly reports at one unit, all industries: what a ranking of
    units (the zones' panel) reads without summing months."""

    level = models.CharField("层级", max_length=6, choices=Level.choices)
    unit_id = models.PositiveIntegerField("单位")
    year = models.PositiveSmallIntegerField("年份")
    reports = models.PositiveIntegerField("月报数", default=0)
    investment_wan = models.DecimalField("完成投资(万元)", **MONEY)

    class Meta:
        verbose_name = verbose_name_plural = "年度投资汇总"
        indexes = [models.Index(fields=["level", "year", "investment_wan"])]

    def __str__(self) -> str:
        return f"{self.level}:{self.unit_id} {self.year}"


class PlanCell(models.Model):
    """The year's planned investment (年度计划投资) at one unit, by industry."""

    level = models.CharField("层级", max_length=6, choices=Level.choices)
    unit_id = models.PositiveIntegerField("单位")
    industry = models.CharField("产业类别", max_length=20)
    year = models.PositiveSmallIntegerField("年份")
    projects = models.PositiveIntegerField("项目数", default=0)
    planned_investment_wan = models.DecimalField("年度计划投资(万元)", **MONEY)

    class Meta:
        verbose_name = verbose_name_plural = "计划汇总"
        indexes = [models.Index(fields=["level", "unit_id", "year"])]

    def __str__(self) -> str:
        return f"{self.level}:{self.unit_id} {self.industry} {self.year}"


class FactsState(models.Model):
    """When the summaries were last refreshed, and how long that took (one row)."""

    name = models.CharField("汇总", max_length=20, primary_key=True)
    refreshed_at = models.DateTimeField("更新时间", null=True, blank=True)
    duration_ms = models.PositiveIntegerField("耗时(毫秒)", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "汇总状态"

    def __str__(self) -> str:
        return f"{self.name} {self.refreshed_at}"


class FactChange(models.Model):
    """A change to a source table, appended by a database trigger: which summary it
    touches and, for monthly reports, which month. Append-only, with no unique key, so
    that writers never wait on each other for it; a refresh takes (deletes) the rows it
    handles."""

    kind = models.CharField("汇总", max_length=20)
    year = models.PositiveSmallIntegerField("年份", null=True)
    month = models.PositiveSmallIntegerField("月份", null=True)

    class Meta:
        verbose_name = verbose_name_plural = "待汇总变动"

    def __str__(self) -> str:
        return f"{self.kind} {self.year}-{self.month}"


class RankCell(models.Model):
    """A unit's place in a month's ranking (月调度排名, `targets.selectors.ranking`), kept
    for the cockpit's trend lines: rebuilt each night for the months of the year
    (`facts.refresh_rankings`), so the screen never ranks a whole country per request."""

    kind = models.CharField("单位类别", max_length=6)  # county | zone
    unit_id = models.PositiveIntegerField("单位")
    year = models.PositiveSmallIntegerField("年份")
    month = models.PositiveSmallIntegerField("月份")
    rank = models.PositiveIntegerField("名次", null=True)
    score = models.DecimalField("得分", max_digits=9, decimal_places=4, null=True)
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = verbose_name_plural = "月度排名汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "year", "month", "unit_id"], name="rank_cell_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.unit_id} {self.year}-{self.month:02d} #{self.rank}"


class StartRisk(models.Model):
    """A signed, not yet started project's early-warning score and its reasons
    (cockpit.rules), computed each night (`facts.refresh_start_risks`)."""

    project = models.OneToOneField(
        "projects.Project", verbose_name="项目", on_delete=models.CASCADE, related_name="+"
    )
    county_id = models.PositiveIntegerField("县(市、区)")
    zone_id = models.PositiveIntegerField("开发区", null=True)
    score = models.PositiveIntegerField("预警分")
    # The project's total investment when scored: equal scores go to the larger project,
    # and the list is read from the index in that order.
    investment_wan = models.DecimalField("总投资(万元)", **MONEY)
    reasons = models.JSONField("原因", default=list)
    computed_at = models.DateTimeField("计算时间")

    class Meta:
        verbose_name = verbose_name_plural = "开工预警"
        indexes = [
            models.Index(fields=["-score", "-investment_wan", "project"], name="start_risk_order"),
            models.Index(
                fields=["county_id", "-score", "-investment_wan", "project"],
                name="start_risk_county_order",
            ),
            models.Index(
                fields=["zone_id", "-score", "-investment_wan", "project"],
                name="start_risk_zone_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.score}"


class WarningSettings(models.Model):
    """The early warning's points per sign (`rules.with_points`): one row, absent until
    the city office first changes them (then the defaults of `rules.START_RISK_RULES`)."""

    points = models.JSONField("各项分值", default=dict)
    version = models.PositiveIntegerField("版本", default=0)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # The rules are the same for everyone who reads the ledger.
    scope_public = True

    class Meta:
        verbose_name = verbose_name_plural = "开工预警规则分值"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="warning_settings_one_row")]

    def __str__(self) -> str:
        return "开工预警规则"
