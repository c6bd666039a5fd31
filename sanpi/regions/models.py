from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from .rules import credit_code_error


class County(models.Model):
    """A county-level division of the city (GB/T 2260). Reference data."""

    code = models.CharField("行政区划代码", max_length=6, unique=True)
    name = models.CharField("名称", max_length=20, unique=True)

    # Reference data (GB/T 2260): every ledger reader may see the 13 counties; what is
    # *in* them (projects, figures) stays scoped.
    scope_public = True

    class Meta:
        verbose_name = "县(市、区)"
        verbose_name_plural = "县(市、区)"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class DevelopmentZone(models.Model):
    class Level(models.TextChoices):
        NATIONAL = "national", "国家级"
        PROVINCIAL = "provincial", "省级"

    name = models.CharField(
        "名称", max_length=50, unique=True, error_messages={"unique": "已有同名开发区"}
    )
    short_name = models.CharField("简称", max_length=20, blank=True)
    level = models.CharField("级别", max_length=12, choices=Level.choices)
    county = models.ForeignKey(
        County, verbose_name="所在县(市、区)", on_delete=models.PROTECT, related_name="zones"
    )
    area_km2 = models.DecimalField(
        "规划面积(平方公里)", max_digits=10, decimal_places=2, null=True, blank=True
    )

    scope_paths = {
        "county": ("county",),
        "zone": ("pk",),
        "enterprise": ("projects__enterprise",),
    }

    class Meta:
        verbose_name = "开发区"
        verbose_name_plural = "开发区"
        ordering = ["county__code", "name"]
        constraints = [
            models.CheckConstraint(
                name="zone_area_not_negative",
                condition=models.Q(area_km2__gte=0) | models.Q(area_km2__isnull=True),
                violation_error_message="规划面积不能为负数",
            )
        ]

    def __str__(self) -> str:
        return self.name


def validate_credit_code(value: str) -> None:
    error = credit_code_error(value)
    if error:
        raise ValidationError(f"统一社会信用代码{error}", code="credit_code")


class Enterprise(models.Model):
    name = models.CharField(
        "企业名称", max_length=100, unique=True, error_messages={"unique": "已有同名企业"}
    )
    credit_code = models.CharField(
        "统一社会信用代码",
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
        error_messages={"unique": "已有企业使用此统一社会信用代码"},
    )
    county = models.ForeignKey(
        County,
        verbose_name="注册地县(市、区)",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    contact = models.CharField("联系人", max_length=30, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)
    # When it became 规模以上 (上规): counted by the monthly ranking (sanpi.targets).
    above_size_since = models.DateField("上规日期", null=True, blank=True)

    # A county sees the enterprises registered with it or owning a project in it; a zone
    # those owning a project in it or registered in its county (so a zone officer can
    # register an enterprise and then give it a project).
    scope_paths = {
        "county": ("county", "projects__county"),
        "zone": ("projects__zone", "county__zones"),
        "enterprise": ("pk",),
    }

    class Meta:
        verbose_name = "企业"
        verbose_name_plural = "企业"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A government unit that handles approval items: 行政审批局, 自然资源局, 生态环境局…

    At city, county or zone level (a zone's 审批中心 is a 行政审批局 of the zone). Which
    approval items a department may handle follows from its kind (sanpi.approvals).
    """

    class Kind(models.TextChoices):
        APPROVAL = "approval", "行政审批局"
        DEVELOPMENT = "development", "发改局"
        NATURAL_RESOURCES = "natural_resources", "自然资源局"
        ECOLOGY = "ecology", "生态环境局"
        HOUSING = "housing", "住建局"
        EMERGENCY = "emergency", "应急管理局"
        WATER = "water", "水利局"
        CIVIL_AIR_DEFENSE = "civil_air_defense", "人防办"
        METEOROLOGY = "meteorology", "气象局"
        INDUSTRY = "industry", "工信局"
        FINANCE = "finance", "金融管理部门"  # 人行, 银保监, 金融办: assessors of the banks

    class Level(models.TextChoices):
        CITY = "city", "市级"
        COUNTY = "county", "县级"
        ZONE = "zone", "开发区"

    name = models.CharField(
        "部门名称", max_length=50, unique=True, error_messages={"unique": "已有同名部门"}
    )
    kind = models.CharField("部门类别", max_length=20, choices=Kind.choices)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    county = models.ForeignKey(
        County,
        verbose_name="所在县(市、区)",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="departments",
    )
    zone = models.ForeignKey(
        DevelopmentZone,
        verbose_name="所在开发区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="departments",
    )

    # Government units are reference data: every reader of approvals may see the list;
    # what a department officer sees of the items is scoped (sanpi.approvals).
    scope_public = True

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["level", "name"]
        constraints = [
            models.CheckConstraint(
                name="department_unit_matches_level",
                condition=(
                    models.Q(level="city", county__isnull=True, zone__isnull=True)
                    | models.Q(level="county", county__isnull=False, zone__isnull=True)
                    | models.Q(level="zone", zone__isnull=False, county__isnull=True)
                ),
                violation_error_message="市级部门不填县和开发区；县级部门须选县(市、区)；开发区部门须选开发区",
            )
        ]

    def __str__(self) -> str:
        return self.name
