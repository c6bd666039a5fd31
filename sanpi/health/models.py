"""Health (推进状态) derived by rules: the thresholds the city office tunes, each project's
last evaluation (which rule fired, and why), and people's overrides."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from sanpi.projects.models import Health

from .rules import LIMITS, Thresholds

_DEFAULTS = Thresholds()
_PROJECT_SCOPE = {
    "county": ("project__county",),
    "zone": ("project__zone",),
    "enterprise": ("project__enterprise",),
}


def _bounded(name: str, help_text: str) -> models.PositiveSmallIntegerField:
    low, high, label = LIMITS[name]
    return models.PositiveSmallIntegerField(
        label,
        default=getattr(_DEFAULTS, name),
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        help_text=help_text,
    )


class HealthSettings(models.Model):
    """The rules' thresholds: one row, absent until the city office first changes them
    (then the defaults of `rules.Thresholds` apply)."""

    signed_days = _bounded("signed_days", "签约超过这么多天仍未开工，判为进度滞后（默认180）")
    stall_months = _bounded("stall_months", "开工后连续这么多个月未报完成投资，判为停缓建（默认3）")
    behind_percent = _bounded(
        "behind_percent",
        "累计完成投资比开工至计划竣工的直线进度落后超过这个百分比，判为进度滞后（默认20）",
    )
    long_stall_months = _bounded(
        "long_stall_months", "判为停缓建后又满这么多个月仍无投资，判为长期停滞（僵尸）（默认12）"
    )
    counting_from = models.DateField(
        "起算月份",
        null=True,
        blank=True,
        help_text="全市开始按月报送的月份：此前的月份不算“无投资”，此前开工的项目不按直线进度判断",
    )
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
        verbose_name = "预警规则阈值"
        verbose_name_plural = "预警规则阈值"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="health_settings_one_row"),
        ]

    def __str__(self) -> str:
        return "推进状态预警规则"

    def thresholds(self) -> Thresholds:
        return Thresholds(
            signed_days=self.signed_days,
            stall_months=self.stall_months,
            behind_percent=self.behind_percent,
            long_stall_months=self.long_stall_months,
            counting_from=self.counting_from,
        )


class HealthOverride(models.Model):
    """A person's decision on a project's health against (or confirming) the rules. It
    holds while the facts it was made on stay the same (`fingerprint`); when they change
    (a new accepted report, a stage move, a corrected date or total) it ends and the
    rules apply again. Ended overrides stay, as the project's history."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name="项目",
        on_delete=models.CASCADE,
        related_name="health_overrides",
    )
    health = models.CharField("推进状态", max_length=12, choices=Health.choices)
    reason = models.CharField("理由", max_length=300)
    fingerprint = models.CharField("认定时的项目情况", max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="认定人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField("认定时间", auto_now_add=True)
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    ended_reason = models.CharField("结束原因", max_length=200, blank=True)

    scope_paths = _PROJECT_SCOPE

    class Meta:
        verbose_name = "推进状态人工认定"
        verbose_name_plural = "推进状态人工认定"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(ended_at__isnull=True),
                name="health_override_one_active",
                violation_error_message="该项目已有生效的人工认定",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project}：人工认定为{self.get_health_display()}"

    @property
    def active(self) -> bool:
        return self.ended_at is None


class HealthState(models.Model):
    """A project's last evaluation: the health it gave, the rule that fired (or the
    override that holds) and why, in words. What the lights show on hover."""

    project = models.OneToOneField(
        "projects.Project",
        verbose_name="项目",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="health_state",
    )
    health = models.CharField("推进状态", max_length=12, choices=Health.choices)
    rule = models.CharField("触发规则", max_length=20, blank=True)
    reason = models.CharField("原因", max_length=300)
    since = models.DateField("判定日期")  # when it last changed

    scope_paths = _PROJECT_SCOPE

    class Meta:
        verbose_name = "推进状态评估"
        verbose_name_plural = "推进状态评估"

    def __str__(self) -> str:
        return f"{self.project}：{self.get_health_display()}"
