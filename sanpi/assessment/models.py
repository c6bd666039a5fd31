"""A year's assessment: the scheme it is scored with and each unit's inputs.

The scheme is kept with the year (`SchemeYear.definition`, the engine's scheme as data):
it is copied from sanpi's default (`schemes.SCHEMES`) when the year is first used, and a
past year keeps the scheme it was scored with whatever later years change. Inputs are
stored exactly as entered or imported (Decimal as text in JSON); derived values, points
and ranks are computed from them (`selectors.scores`), never typed.

The results are stored (`UnitResult`, one row per unit with its breakdown) so that a page
reads one page of them, whatever the number of units: every change of the inputs or the
points bumps `SchemeYear.revision`; scoring (`services.rescore`) replaces the rows and
records the revision it scored. A small year is scored in the change's own transaction,
a large one by the job that scores stale years every two minutes; the page says which revision
it shows. Closing the year scores it one last time; a closed or locked year is never
scored again, so its published results do not move with the ledger.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SchemeYear(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "填报中"
        CLOSED = "closed", "已截止"
        LOCKED = "locked", "已锁定"

    scheme = models.CharField("考核方案", max_length=20)
    year = models.PositiveSmallIntegerField("年度")
    name = models.CharField("名称", max_length=100)
    definition = models.JSONField("方案内容")
    state = models.CharField("状态", max_length=10, choices=State.choices, default=State.OPEN)
    version = models.PositiveIntegerField("版本", default=1)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    revision = models.PositiveIntegerField("数据修订号", default=0)  # inputs or points changed
    scored_revision = models.PositiveIntegerField("已计算的修订号", null=True, blank=True)
    scored_at = models.DateTimeField("计算时间", null=True, blank=True)
    scored_units = models.PositiveIntegerField("已计算的单位数", default=0)

    # The schemes and their results are read by everyone who reads the ledger.
    scope_public = True

    class Meta:
        verbose_name = verbose_name_plural = "年度考核方案"
        constraints = [
            models.UniqueConstraint(fields=["scheme", "year"], name="scheme_year_unique")
        ]

    def __str__(self) -> str:
        return f"{self.year}年度{self.name}"

    @property
    def stale(self) -> bool:
        """Its stored results are not those of its current inputs and points."""
        return self.scored_revision != self.revision


class UnitEntry(models.Model):
    """One assessed unit's inputs for a year (a bank, a zone, an enterprise)."""

    scheme_year = models.ForeignKey(
        SchemeYear, verbose_name="年度考核", on_delete=models.CASCADE, related_name="entries"
    )
    unit = models.CharField("被考核单位", max_length=100)
    group = models.CharField("组别", max_length=30, blank=True)
    values = models.JSONField(
        "填报数据", default=dict
    )  # input key → text of a Decimal, or a reason
    notes = models.JSONField("评定说明", default=dict)  # entered indicator key → reason
    version = models.PositiveIntegerField("版本", default=1)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    scope_public = True

    class Meta:
        verbose_name = verbose_name_plural = "被考核单位数据"
        ordering = ["scheme_year", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["scheme_year", "unit"], name="unit_entry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scheme_year} · {self.unit}"


class UnitResult(models.Model):
    """A unit's scored result in a year: its place, total, breakdown and consequences, as
    of the year's `scored_revision` (replaced whenever the year is scored). A locked
    year's rows are its published results (the class on an enterprise's page)."""

    scheme_year = models.ForeignKey(
        SchemeYear, verbose_name="年度考核", on_delete=models.CASCADE, related_name="results"
    )
    unit = models.CharField("被考核单位", max_length=100)
    group = models.CharField("组别", max_length=30, blank=True)
    position = models.PositiveIntegerField("排序", default=0)  # 1, 2, …: the ranking's order
    rank = models.PositiveIntegerField("名次")
    regular = models.DecimalField("基本分", max_digits=9, decimal_places=2, default=0)
    bonus = models.DecimalField("加分", max_digits=9, decimal_places=2, default=0)
    total = models.DecimalField("总分", max_digits=9, decimal_places=2)
    vetoed = models.BooleanField("一票否决", default=False)
    veto = models.CharField("否决原因", max_length=200, blank=True)
    labels = models.JSONField("结果运用", default=list)  # the class first for 亩均
    items = models.JSONField("得分明细", default=list)  # engine.Item as JSON, numbers as text

    scope_public = True

    class Meta:
        verbose_name = verbose_name_plural = "考核结果"
        constraints = [
            models.UniqueConstraint(fields=["scheme_year", "unit"], name="unit_result_unique")
        ]
        indexes = [
            models.Index(fields=["unit"]),
            models.Index(fields=["scheme_year", "position"], name="unit_result_order"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme_year} · {self.unit} #{self.rank}"
