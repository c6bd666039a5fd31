"""A year's assessment: the scheme it is scored with and each unit's inputs.

The scheme is kept with the year (`SchemeYear.definition`, the engine's scheme as data):
it is copied from sanpi's default (`schemes.SCHEMES`) when the year is first used, and a
past year keeps the scheme it was scored with whatever later years change. Inputs are
stored exactly as entered or imported (Decimal as text in JSON); derived values, points
and ranks are computed from them on every read (`selectors.scores`), never stored.
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

    # The schemes and their results are read by everyone who reads the ledger.
    scope_public = True

    class Meta:
        verbose_name = verbose_name_plural = "年度考核方案"
        constraints = [
            models.UniqueConstraint(fields=["scheme", "year"], name="scheme_year_unique")
        ]

    def __str__(self) -> str:
        return f"{self.year}年度{self.name}"


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
    """A unit's place in a locked year: stored when the city office locks the results
    (the published record: the class on an enterprise's page), removed if it reopens."""

    scheme_year = models.ForeignKey(
        SchemeYear, verbose_name="年度考核", on_delete=models.CASCADE, related_name="results"
    )
    unit = models.CharField("被考核单位", max_length=100)
    rank = models.PositiveIntegerField("名次")
    total = models.DecimalField("总分", max_digits=9, decimal_places=2)
    vetoed = models.BooleanField("一票否决", default=False)
    labels = models.JSONField("结果运用", default=list)  # the class first for 亩均

    scope_public = True

    class Meta:
        verbose_name = verbose_name_plural = "考核结果"
        constraints = [
            models.UniqueConstraint(fields=["scheme_year", "unit"], name="unit_result_unique")
        ]
        indexes = [models.Index(fields=["unit"])]

    def __str__(self) -> str:
        return f"{self.scheme_year} · {self.unit} #{self.rank}"
