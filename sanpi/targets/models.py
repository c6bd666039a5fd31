"""Annual targets of counties and zones, and the weights the monthly ranking uses."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from .rules import CAP_MAX, CAP_MIN

MONEY = {"max_digits": 16, "decimal_places": 2, "null": True, "blank": True}
COUNT = {"null": True, "blank": True}


class UnitTarget(models.Model):
    """One unit's (a county's or a zone's) targets for a year, set by the city office.
    An empty target is no target: that indicator is left out of the unit's score."""

    year = models.PositiveSmallIntegerField("年度")
    county = models.ForeignKey(
        "regions.County",
        verbose_name="县(市、区)",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="targets",
    )
    zone = models.ForeignKey(
        "regions.DevelopmentZone",
        verbose_name="开发区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="targets",
    )
    investment_wan = models.DecimalField("固定资产投资目标(万元)", **MONEY)
    signed_count = models.PositiveIntegerField("签约项目目标(个)", **COUNT)
    signed_investment_wan = models.DecimalField("签约项目总投资目标(万元)", **MONEY)
    started_count = models.PositiveIntegerField("开工项目目标(个)", **COUNT)
    produced_count = models.PositiveIntegerField("投产项目目标(个)", **COUNT)
    reserve_wan = models.DecimalField("储备项目总投资目标(万元)", **MONEY)
    above_size_count = models.PositiveIntegerField("新增上规企业目标(家)", **COUNT)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    # Targets are published with the ranking: every ledger reader sees every unit's.
    scope_public = True

    class Meta:
        verbose_name = "年度目标"
        verbose_name_plural = "年度目标"
        ordering = ["-year", "county__code", "zone__name"]
        constraints = [
            models.CheckConstraint(
                name="unit_target_one_unit",
                condition=Q(county__isnull=False, zone__isnull=True)
                | Q(county__isnull=True, zone__isnull=False),
                violation_error_message="目标须属于一个县(市、区)或一个开发区",
            ),
            models.UniqueConstraint(
                fields=["year", "county"],
                condition=Q(county__isnull=False),
                name="unit_target_unique_county",
                violation_error_message="该县(市、区)该年度已有目标",
            ),
            models.UniqueConstraint(
                fields=["year", "zone"],
                condition=Q(zone__isnull=False),
                name="unit_target_unique_zone",
                violation_error_message="该开发区该年度已有目标",
            ),
            models.CheckConstraint(
                name="unit_target_not_negative",
                condition=(Q(investment_wan__gte=0) | Q(investment_wan__isnull=True))
                & (Q(signed_investment_wan__gte=0) | Q(signed_investment_wan__isnull=True))
                & (Q(reserve_wan__gte=0) | Q(reserve_wan__isnull=True)),
                violation_error_message="目标金额不能为负数",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit}{self.year}年度目标"

    @property
    def unit(self):
        return self.county if self.county_id else self.zone


class ScoringScheme(models.Model):
    """The ranking's weights and cap, in force from a month on (until the next one).
    A month is ranked with the scheme in force then; schemes are set for this month or
    later only, so a past month keeps the weights it was ranked with."""

    year = models.PositiveSmallIntegerField("生效年份")
    month = models.PositiveSmallIntegerField(
        "生效月份", validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    weights = models.JSONField("权重")  # {indicator key: whole-number weight}
    cap = models.DecimalField(
        "封顶系数",
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(CAP_MIN), MaxValueValidator(CAP_MAX)],
    )
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="设置人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    # The weights are published with the ranking.
    scope_public = True

    class Meta:
        verbose_name = "排名权重"
        verbose_name_plural = "排名权重"
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "month"],
                name="scoring_scheme_unique_month",
                violation_error_message="该月份已有权重设置",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="scoring_scheme_month_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.month}月起的排名权重"
