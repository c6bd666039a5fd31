"""Monthly dispatch (月调度): a project's monthly progress report, its annual planned
investment, and the reporting month with its deadline and closing."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from .rules import STATUS_LABELS, Status

MONEY = {"max_digits": 14, "decimal_places": 2}


class ReportMonth(models.Model):
    """A reporting month: its deadline (by default the 5th working day of the next month)
    and, once the city office closes it, when and by whom. Created when first needed."""

    year = models.PositiveSmallIntegerField("年份")
    month = models.PositiveSmallIntegerField(
        "月份", validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    deadline = models.DateField("报送截止日期")
    closed_at = models.DateTimeField("关账时间", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="关账人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = "调度月份"
        verbose_name_plural = "调度月份"
        ordering = ["-year", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "month"],
                name="report_month_unique",
                violation_error_message="该月份已存在",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="report_month_month_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


class MonthlyReport(models.Model):
    """One project's report for one month. Cumulative figures are never stored: they are
    the sum of the accepted months (dispatch.selectors)."""

    StatusChoices = models.TextChoices(
        "StatusChoices", [(s.value.upper(), (s.value, STATUS_LABELS[s])) for s in Status]
    )

    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="reports"
    )
    year = models.PositiveSmallIntegerField("年份")
    month = models.PositiveSmallIntegerField("月份")
    status = models.CharField(
        "状态", max_length=10, choices=StatusChoices.choices, default=Status.DRAFT.value
    )
    investment_wan = models.DecimalField("本月完成投资(万元)", **MONEY)
    progress_percent = models.PositiveSmallIntegerField(
        "形象进度(%)", validators=[MaxValueValidator(100)]
    )
    progress_text = models.CharField("形象进度说明", max_length=200, blank=True)
    output_wan = models.DecimalField("本月产值(万元)", null=True, blank=True, **MONEY)
    tax_wan = models.DecimalField("本月税收(万元)", null=True, blank=True, **MONEY)
    jobs = models.PositiveIntegerField("用工人数", null=True, blank=True)
    problems = models.TextField("遇到的问题", max_length=1000, blank=True)
    return_reason = models.CharField("退回原因", max_length=500, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="填报人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    # Optimistic lock: a form carries the version it was read at; a stale one is refused.
    version = models.PositiveIntegerField("版本", default=1)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_paths = {
        "county": ("project__county",),
        "zone": ("project__zone",),
        "enterprise": ("project__enterprise",),
    }

    class Meta:
        verbose_name = "月报"
        verbose_name_plural = "月报"
        ordering = ["-year", "-month", "project__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "year", "month"],
                name="monthly_report_unique",
                violation_error_message="该项目本月已有月报",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="monthly_report_month_valid"
            ),
            models.CheckConstraint(
                condition=Q(progress_percent__lte=100), name="monthly_report_percent_valid"
            ),
        ]
        indexes = [models.Index(fields=["year", "month", "status"])]

    def __str__(self) -> str:
        return f"{self.project}{self.year}年{self.month}月月报"


class AnnualPlan(models.Model):
    """A project's planned investment for a year (年度计划投资), set by its county."""

    project = models.ForeignKey(
        "projects.Project",
        verbose_name="项目",
        on_delete=models.PROTECT,
        related_name="annual_plans",
    )
    year = models.PositiveSmallIntegerField("年份")
    planned_investment_wan = models.DecimalField("年度计划投资(万元)", **MONEY)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_paths = MonthlyReport.scope_paths

    class Meta:
        verbose_name = "年度计划投资"
        verbose_name_plural = "年度计划投资"
        ordering = ["-year", "project__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "year"],
                name="annual_plan_unique",
                violation_error_message="该项目该年度已有计划投资",
            ),
            models.CheckConstraint(
                condition=Q(planned_investment_wan__gte=0), name="annual_plan_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project}{self.year}年计划投资"


class ReportPhoto(models.Model):
    """A photo of the site attached to a monthly report (形象进度). Stored re-encoded as
    JPEG, without the camera's metadata (location), at most 2,000 px on a side."""

    report = models.ForeignKey(
        MonthlyReport, verbose_name="月报", on_delete=models.CASCADE, related_name="photos"
    )
    file = models.FileField("照片", upload_to="dispatch/photos/%Y/%m/")
    width = models.PositiveIntegerField("宽")
    height = models.PositiveIntegerField("高")
    size = models.PositiveIntegerField("字节数")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)

    scope_paths = {
        "county": ("report__project__county",),
        "zone": ("report__project__zone",),
        "enterprise": ("report__project__enterprise",),
    }

    class Meta:
        verbose_name = "月报照片"
        verbose_name_plural = "月报照片"
        ordering = ["report", "pk"]

    def __str__(self) -> str:
        return f"{self.report}照片{self.pk}"
