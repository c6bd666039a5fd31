from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .rules import ACTION_LABELS, STAGE_LABELS, Action, Stage, activity_key, activity_name


class Industry(models.TextChoices):
    NEW_INFRA = "new_infra", "新基建"
    NEW_TECH = "new_tech", "新技术"
    NEW_MATERIAL = "new_material", "新材料"
    NEW_EQUIPMENT = "new_equipment", "新装备"
    NEW_PRODUCT = "new_product", "新产品"
    NEW_BUSINESS = "new_business", "新业态"
    STRATEGIC = "strategic", "战略性新兴产业"
    TRADITIONAL = "traditional", "传统产业"


class ConstructionKind(models.TextChoices):
    NEW = "new", "新建"
    EXPANSION = "expansion", "扩建"
    RECONSTRUCTION = "reconstruction", "改建"
    RENOVATION = "renovation", "技术改造"


class InvestmentSource(models.TextChoices):
    NONE = "", "非招商引资"
    DOMESTIC = "domestic", "国内招商引资"
    FOREIGN = "foreign", "外资"


class Health(models.TextChoices):
    NORMAL = "normal", "正常推进"
    LAGGING = "lagging", "进度滞后"
    STALLED = "stalled", "停缓建"
    # Stalled for a long time (sanpi.health: 12 more months without investment): 僵尸项目.
    ZOMBIE = "zombie", "长期停滞（僵尸）"
    WITHDRAWN = "withdrawn", "清理退出"


class StageChoices(models.TextChoices):
    RESERVE = Stage.RESERVE.value, STAGE_LABELS[Stage.RESERVE]
    SIGNED = Stage.SIGNED.value, STAGE_LABELS[Stage.SIGNED]
    STARTED = Stage.STARTED.value, STAGE_LABELS[Stage.STARTED]
    PRODUCED = Stage.PRODUCED.value, STAGE_LABELS[Stage.PRODUCED]
    REACHED = Stage.REACHED.value, STAGE_LABELS[Stage.REACHED]


class SignMode(models.TextChoices):
    ONSITE = "onsite", "现场签约"
    SYNC = "sync", "同步签约"


def _money(label: str, **kw) -> models.DecimalField:
    return models.DecimalField(label, max_digits=16, decimal_places=2, **kw)


_STAGES_FROM = {
    "signed_date": ["signed", "started", "produced", "reached"],
    "started_date": ["started", "produced", "reached"],
    "produced_date": ["produced", "reached"],
    "reached_date": ["reached"],
}


class Project(models.Model):
    code = models.CharField(
        "项目代码",
        max_length=24,
        null=True,
        blank=True,
        unique=True,
        error_messages={"unique": "已有项目使用此项目代码"},
    )
    name = models.CharField("项目名称", max_length=200)
    enterprise = models.ForeignKey(
        "regions.Enterprise",
        verbose_name="项目单位",
        on_delete=models.PROTECT,
        related_name="projects",
    )
    county = models.ForeignKey(
        "regions.County",
        verbose_name="所属县(市、区)",
        on_delete=models.PROTECT,
        related_name="projects",
    )
    zone = models.ForeignKey(
        "regions.DevelopmentZone",
        verbose_name="所属开发区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    industry = models.CharField("产业类别", max_length=20, choices=Industry.choices)
    construction_kind = models.CharField(
        "建设性质", max_length=20, choices=ConstructionKind.choices
    )
    total_investment_wan = _money("总投资(万元)")
    planned_output_wan = _money("预计年产值(万元)", null=True, blank=True)
    planned_tax_wan = _money("预计年税收(万元)", null=True, blank=True)
    actual_output_wan = _money("实际年产值(万元)", null=True, blank=True)
    land_mu = models.DecimalField(
        "用地面积(亩)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    is_standard_land = models.BooleanField("是否标准地", default=False)
    energy_tce = models.DecimalField(
        "综合能耗(吨标准煤)", max_digits=14, decimal_places=2, null=True, blank=True
    )
    investment_source = models.CharField(
        "招商引资", max_length=10, choices=InvestmentSource.choices, blank=True, default=""
    )
    is_provincial_key = models.BooleanField("是否省重点", default=False)
    is_city_key = models.BooleanField("是否市重点", default=False)
    in_statistics = models.BooleanField("是否入库", default=False)
    above_size = models.BooleanField("是否上规", default=False)

    stage = models.CharField(
        "项目阶段", max_length=10, choices=StageChoices.choices, default=Stage.RESERVE.value
    )
    signed_date = models.DateField("签约日期", null=True, blank=True)
    started_date = models.DateField("开工日期", null=True, blank=True)
    produced_date = models.DateField("投产日期", null=True, blank=True)
    reached_date = models.DateField("达效日期", null=True, blank=True)
    # When construction should be complete: the end of the straight line the health rules
    # read the cumulative investment against (sanpi.health.rules).
    planned_completion_date = models.DateField("计划竣工日期", null=True, blank=True)
    health = models.CharField(
        "推进状态", max_length=10, choices=Health.choices, default=Health.NORMAL
    )

    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    # Raised by every change through the services: a form or an API call made on an older
    # version is refused (409) instead of overwriting what someone else saved meanwhile.
    version = models.PositiveIntegerField("版本", default=1, editable=False)

    scope_paths = {"county": ("county",), "zone": ("zone",), "enterprise": ("enterprise",)}

    class Meta:
        verbose_name = "项目"
        verbose_name_plural = "项目"
        ordering = ["county__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "enterprise"],
                name="project_name_unique_per_enterprise",
                violation_error_message="该企业已有同名项目",
            ),
            models.CheckConstraint(
                name="project_amounts_not_negative",
                condition=Q(total_investment_wan__gte=0)
                & (Q(planned_output_wan__gte=0) | Q(planned_output_wan__isnull=True))
                & (Q(planned_tax_wan__gte=0) | Q(planned_tax_wan__isnull=True))
                & (Q(actual_output_wan__gte=0) | Q(actual_output_wan__isnull=True))
                & (Q(land_mu__gte=0) | Q(land_mu__isnull=True))
                & (Q(energy_tce__gte=0) | Q(energy_tce__isnull=True)),
                violation_error_message="金额、面积和能耗不能为负数",
            ),
            models.CheckConstraint(
                name="project_stage_dates_in_order",
                condition=(Q(started_date__isnull=True) | Q(started_date__gte=F("signed_date")))
                & (Q(produced_date__isnull=True) | Q(produced_date__gte=F("started_date")))
                & (Q(reached_date__isnull=True) | Q(reached_date__gte=F("produced_date"))),
                violation_error_message="阶段日期须按 签约≤开工≤投产≤达效 的顺序",
            ),
            *[
                models.CheckConstraint(
                    name=f"project_{field}_iff_stage",
                    condition=Q(**{f"{field}__isnull": False, "stage__in": stages})
                    | (Q(**{f"{field}__isnull": True}) & ~Q(stage__in=stages)),
                    violation_error_message="项目阶段与阶段日期不一致",
                )
                for field, stages in _STAGES_FROM.items()
            ],
        ]
        indexes = [
            models.Index(fields=["stage"]),
            models.Index(fields=["health"]),
            models.Index(fields=["signed_date"]),
            models.Index(fields=["started_date"]),
            models.Index(fields=["produced_date"]),
            # The ledger's order inside a county: its deep pages read this range
            # (core.paging.GroupedRows) instead of sorting the whole table.
            models.Index(fields=["county", "name", "id"], name="project_county_name_id"),
            # The cockpit's largest key projects: read from the top, not sorted per request.
            models.Index(
                fields=["-total_investment_wan", "id"],
                name="project_key_by_investment",
                condition=Q(is_provincial_key=True) | Q(is_city_key=True),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def stage_enum(self) -> Stage:
        return Stage(self.stage)


class ProjectEvent(models.Model):
    """A project's life, as people recorded it: stage moves and health changes."""

    class Kind(models.TextChoices):
        STAGE = "stage", "阶段"
        HEALTH = "health", "推进状态"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    value = models.CharField("变为", max_length=20)
    date = models.DateField("日期")
    evidence = models.CharField("依据", max_length=500, blank=True)
    activity = models.ForeignKey(
        "Activity",
        verbose_name="活动",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "项目事件"
        verbose_name_plural = "项目事件"
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.project} {self.value_label} {self.date}"

    @property
    def value_label(self) -> str:
        if self.kind == self.Kind.STAGE:
            return STAGE_LABELS[Stage(self.value)]
        return Health(self.value).label


class Activity(models.Model):
    """A "三个一批" activity: one moment at which batches sign, start and go into production."""

    class Level(models.TextChoices):
        PROVINCE = "province", "省级"
        CITY = "city", "市级"

    year = models.PositiveIntegerField("年度")
    sequence = models.PositiveIntegerField("批次")
    date = models.DateField("日期")
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    venue = models.CharField("会场", max_length=200, blank=True)
    # The province's totals for the same activity, as the province announced them and the
    # city office entered them (e.g. 2022年第三次: 287 signed, 274 started, 210 produced):
    # the bulletin states the city's share of each. Empty until entered.
    province_signed = models.PositiveIntegerField("全省签约项目数", null=True, blank=True)
    province_started = models.PositiveIntegerField("全省开工项目数", null=True, blank=True)
    province_produced = models.PositiveIntegerField("全省投产项目数", null=True, blank=True)

    # Activities are city-wide events, visible to every ledger reader; their entries
    # (and so the figures computed from them) are scoped through their projects.
    scope_public = True

    class Meta:
        verbose_name = "三个一批活动"
        verbose_name_plural = "三个一批活动"
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "sequence"],
                name="activity_unique_year_sequence",
                violation_error_message="该年度已有此批次的活动",
            ),
            models.CheckConstraint(
                name="activity_sequence_positive",
                condition=Q(sequence__gte=1),
                violation_error_message="批次须为正整数",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}“三个一批”活动"

    @property
    def name(self) -> str:
        """The activity as the city numbers it: 2021年第4次 or 2021年第四期, by the setting
        SANPI_ACTIVITY_NAMING. The one place that decides (rules.activity_name)."""
        return activity_name(self.year, self.sequence, settings.SANPI_ACTIVITY_NAMING)

    @property
    def key(self) -> str:
        return activity_key(self.year, self.sequence)


def sign_mode_only_for_signing(name: str) -> models.CheckConstraint:
    """Signing names its mode (on site, synchronous); starting and producing don't."""
    return models.CheckConstraint(
        name=name,
        condition=(Q(action="sign") & ~Q(sign_mode="")) | (~Q(action="sign") & Q(sign_mode="")),
        violation_error_message="签约须注明签约方式，开工和投产不填签约方式",
    )


class ActivityEntry(models.Model):
    """A project in an activity with its action. Attribution of a stage to an activity (批次)."""

    ActionChoices = models.TextChoices(
        "ActionChoices", [(a.value.upper(), (a.value, ACTION_LABELS[a])) for a in Action]
    )

    activity = models.ForeignKey(
        Activity, verbose_name="活动", on_delete=models.PROTECT, related_name="entries"
    )
    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.CASCADE, related_name="activity_entries"
    )
    action = models.CharField("行动", max_length=10, choices=ActionChoices.choices)
    sign_mode = models.CharField("签约方式", max_length=10, choices=SignMode.choices, blank=True)
    investment_wan = _money("当时总投资(万元)")

    scope_paths = {
        "county": ("project__county",),
        "zone": ("project__zone",),
        "enterprise": ("project__enterprise",),
    }

    class Meta:
        verbose_name = "活动项目"
        verbose_name_plural = "活动项目"
        ordering = ["activity", "action", "project__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "action"],
                name="entry_one_action_per_project",
                violation_error_message="项目的每个阶段只能归属一个活动批次",
            ),
            sign_mode_only_for_signing("entry_sign_mode_only_for_signing"),
        ]

    def __str__(self) -> str:
        return f"{self.activity} {self.get_action_display()} {self.project}"

    @property
    def action_enum(self) -> Action:
        return Action(self.action)


class PlannedEntry(models.Model):
    """A project on the list of a coming activity (拟签约/拟开工/拟投产清单).

    Counted nowhere (rates and bulletins read `ActivityEntry` only) and moving no stage:
    on or after the activity's day it is confirmed, which makes it an `ActivityEntry` and
    moves the project's stage on the activity's date; until then it can be withdrawn.
    """

    activity = models.ForeignKey(
        Activity, verbose_name="活动", on_delete=models.PROTECT, related_name="planned"
    )
    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.CASCADE, related_name="planned_entries"
    )
    action = models.CharField("行动", max_length=10, choices=ActivityEntry.ActionChoices.choices)
    sign_mode = models.CharField("签约方式", max_length=10, choices=SignMode.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="列入人",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField("列入时间", auto_now_add=True)

    scope_paths = ActivityEntry.scope_paths

    class Meta:
        verbose_name = "拟办项目"
        verbose_name_plural = "拟办项目"
        ordering = ["activity", "action", "project__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "action"],
                name="planned_one_action_per_project",
                violation_error_message="项目的每个阶段只能列入一个活动的拟办清单",
            ),
            sign_mode_only_for_signing("planned_sign_mode_only_for_signing"),
        ]

    def __str__(self) -> str:
        return f"{self.activity} 拟{self.get_action_display()} {self.project}"
