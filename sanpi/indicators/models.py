"""The city's main indicators (专栏 1-2 of the 14th five-year plan) and their yearly actuals.

City-level public data: every ledger reader sees all of it, whatever their scope
(`scope_public`). The 34 indicators are seeded by a migration from `seed.py`; the city
office enters each year's actual values.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from . import rules
from .rules import ATTRIBUTE_LABELS, DIRECTION_LABELS, PATH_LABELS

VALUE = {"max_digits": 16, "decimal_places": 4}


class Indicator(models.Model):
    """One indicator as the plan states it: the 2020 baseline and the 2025 target, each
    as a number where the plan gives one and as the plan's text (shown), the annual growth,
    the attribute, and how progress is read (direction and path, `rules`)."""

    order = models.PositiveSmallIntegerField("序号", unique=True)
    group = models.CharField("类别", max_length=40)
    name = models.CharField("指标", max_length=200)
    unit = models.CharField("单位", max_length=20)
    baseline_2020 = models.DecimalField("2020年基数", null=True, blank=True, **VALUE)
    baseline_text = models.CharField("2020年实际/预计（原文）", max_length=200)
    target_2025 = models.DecimalField("2025年目标值", null=True, blank=True, **VALUE)
    target_text = models.CharField("2025年目标（原文）", max_length=200)
    annual_growth = models.DecimalField(
        "年均增长(%)", max_digits=8, decimal_places=4, null=True, blank=True
    )
    annual_growth_text = models.CharField("年均增长（原文）", max_length=200)
    attribute = models.CharField(
        "属性", max_length=10, choices=[(k.value, v) for k, v in ATTRIBUTE_LABELS.items()]
    )
    direction = models.CharField(
        "方向", max_length=10, choices=[(k.value, v) for k, v in DIRECTION_LABELS.items()]
    )
    path_kind = models.CharField(
        "进度口径", max_length=10, choices=[(k.value, v) for k, v in PATH_LABELS.items()]
    )

    scope_public = True  # city-level figures, published: every ledger reader sees them

    class Meta:
        verbose_name = "主要指标"
        verbose_name_plural = "主要指标"
        ordering = ["order"]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"

    def spec(self) -> rules.Spec:
        return rules.Spec(
            name=self.name,
            unit=self.unit,
            baseline=self.baseline_2020,
            target=self.target_2025,
            rate=self.annual_growth,
            direction=rules.Direction(self.direction),
            path=rules.PathKind(self.path_kind),
            baseline_text=self.baseline_text,
            target_text=self.target_text,
            growth_text=self.annual_growth_text,
        )


class IndicatorValue(models.Model):
    """An indicator's actual value for a year, entered by the city office. `version`
    rises with every change, so a form read before someone else's change is refused."""

    indicator = models.ForeignKey(
        Indicator, verbose_name="指标", on_delete=models.PROTECT, related_name="values"
    )
    year = models.PositiveSmallIntegerField("年份")
    actual = models.DecimalField("实际值", **VALUE)
    note = models.CharField("说明", max_length=500, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="录入人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField("录入时间")
    version = models.PositiveIntegerField("版本", default=1)

    scope_public = True

    class Meta:
        verbose_name = "指标实际值"
        verbose_name_plural = "指标实际值"
        ordering = ["indicator__order", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "year"],
                name="indicator_value_unique_year",
                violation_error_message="该指标该年份已有实际值",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=rules.FIRST_YEAR),
                name="indicator_value_year_in_plan",
                violation_error_message=f"年份应在{rules.FIRST_YEAR}年及以后",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.name}{self.year}年实际值"

    @property
    def actual_text(self) -> str:
        """The value as entered, without the zeros its four places add."""
        return rules.text(self.actual)
