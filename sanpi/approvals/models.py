"""Approval catalogue, per-project approval items, the 全代办 service, 承诺制 commitments.

Rules live in `rules.py`; writes in `services.py`; reads in `selectors.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from sanpi.projects.models import Project
from sanpi.regions.models import Department

from .rules import (
    AGENCY_STATUS_LABELS,
    AGENCY_STEP_LABELS,
    BUILDING_USE_LABELS,
    OUTCOME_LABELS,
    STAGE_LABELS,
    AgencyStatus,
    AgencyStep,
    ApprovalStage,
    BuildingUse,
    Outcome,
    due_date,
)

StageChoices = models.TextChoices(
    "StageChoices", [(s.name, (s.value, STAGE_LABELS[s])) for s in ApprovalStage]
)
OutcomeChoices = models.TextChoices(
    "OutcomeChoices", [(o.name, (o.value, OUTCOME_LABELS[o])) for o in Outcome]
)
AgencyStatusChoices = models.TextChoices(
    "AgencyStatusChoices", [(s.name, (s.value, AGENCY_STATUS_LABELS[s])) for s in AgencyStatus]
)
AgencyStepChoices = models.TextChoices(
    "AgencyStepChoices", [(s.name, (s.value, AGENCY_STEP_LABELS[s])) for s in AgencyStep]
)
BuildingUseChoices = models.TextChoices(
    "BuildingUseChoices", [(u.name, (u.value, BUILDING_USE_LABELS[u])) for u in BuildingUse]
)


def _limit(label: str) -> models.IntegerField:
    return models.IntegerField(label, help_text="工作日，不含受理当日")


_LIMITS_POSITIVE = Q(statutory_days__gt=0) & Q(committed_days__gt=0)
_LIMITS_POSITIVE_MESSAGE = "法定时限和承诺时限须为大于0的工作日数"


# --- the catalogue ---------------------------------------------------------------------------


class Track(models.Model):
    """A list of approval items (事项清单): the 全代办 list, the low-risk fast track…"""

    code = models.SlugField("代号", max_length=30, unique=True)
    name = models.CharField(
        "清单名称", max_length=100, unique=True, error_messages={"unique": "已有同名清单"}
    )
    basis = models.CharField("依据", max_length=200, blank=True)
    description = models.TextField("说明", blank=True)
    total_limit_days = models.PositiveIntegerField(
        "全流程时限(工作日)", null=True, blank=True, help_text="从申请到最后一项办结的累计上限"
    )
    low_risk = models.BooleanField("须符合简易低风险条件", default=False)

    scope_public = True  # the catalogue is published to every reader of approvals

    class Meta:
        verbose_name = "事项清单"
        verbose_name_plural = "事项清单"
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class CatalogueItem(models.Model):
    """An approval item of a list: who handles it, its stage, its time limits."""

    track = models.ForeignKey(
        Track, verbose_name="事项清单", on_delete=models.PROTECT, related_name="items"
    )
    sequence = models.PositiveSmallIntegerField("序号")
    name = models.CharField("事项名称", max_length=100)
    stage = models.CharField("所属阶段", max_length=20, choices=StageChoices.choices)
    department_kind = models.CharField("办理部门", max_length=20, choices=Department.Kind.choices)
    statutory_days = _limit("法定时限(工作日)")
    committed_days = _limit("承诺时限(工作日)")
    basis = models.CharField("依据和说明", max_length=300, blank=True)

    scope_public = True

    class Meta:
        verbose_name = "审批事项"
        verbose_name_plural = "审批事项"
        ordering = ["track", "sequence", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["track", "name"],
                name="catalogue_item_unique_name",
                violation_error_message="该清单已有同名事项",
            ),
            models.CheckConstraint(
                name="catalogue_item_limits_positive",
                condition=_LIMITS_POSITIVE,
                violation_error_message=_LIMITS_POSITIVE_MESSAGE,
            ),
            models.CheckConstraint(
                name="catalogue_item_committed_within_statutory",
                condition=Q(committed_days__lte=F("statutory_days")),
                violation_error_message="承诺时限不能超过法定时限",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CatalogueMaterial(models.Model):
    """A material an item asks for."""

    class Form(models.TextChoices):
        ORIGINAL = "original", "原件"
        COPY = "copy", "复印件"

    item = models.ForeignKey(
        CatalogueItem, verbose_name="审批事项", on_delete=models.CASCADE, related_name="materials"
    )
    name = models.CharField("材料名称", max_length=100)
    copies = models.PositiveSmallIntegerField("份数", default=1)
    form = models.CharField("原件/复印件", max_length=10, choices=Form.choices, default=Form.COPY)
    notes = models.CharField("备注", max_length=200, blank=True)

    scope_public = True

    class Meta:
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"
        ordering = ["item", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "name"],
                name="catalogue_material_unique_name",
                violation_error_message="该事项已有同名材料",
            ),
            models.CheckConstraint(
                name="catalogue_material_copies_positive",
                condition=Q(copies__gte=1),
                violation_error_message="份数至少为1",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# --- per project -----------------------------------------------------------------------------

_PROJECT_PATHS = {
    "county": ("project__county",),
    "zone": ("project__zone",),
    "enterprise": ("project__enterprise",),
}


class ApprovalProject(Project):
    """A project as the approval module sees it: department officers reach the projects
    with items of their department, agents the projects that commissioned them."""

    scope_paths = {
        **Project.scope_paths,
        "department": ("approval_items__department",),
        "agent": ("agency__agent",),
    }

    class Meta:
        proxy = True
        verbose_name = "项目"
        verbose_name_plural = "项目"


class LowRiskProfile(models.Model):
    """The building facts that make a project eligible for the low-risk fast track."""

    project = models.OneToOneField(
        Project, verbose_name="项目", on_delete=models.CASCADE, related_name="low_risk_profile"
    )
    above_ground_m2 = models.DecimalField("地上建筑面积(平方米)", max_digits=10, decimal_places=2)
    height_m = models.DecimalField("建筑高度(米)", max_digits=6, decimal_places=2)
    underground_floors = models.PositiveSmallIntegerField("地下层数", default=0)
    underground_m2 = models.DecimalField(
        "地下建筑面积(平方米)", max_digits=10, decimal_places=2, default=0
    )
    use = models.CharField("建筑用途", max_length=20, choices=BuildingUseChoices.choices)
    single_use = models.BooleanField("功能单一", default=True)
    public_funds = models.BooleanField("直接使用公共财政投资", default=False)

    scope_paths = {**_PROJECT_PATHS, "agent": ("project__agency__agent",)}

    class Meta:
        verbose_name = "简易低风险认定"
        verbose_name_plural = "简易低风险认定"
        constraints = [
            models.CheckConstraint(
                name="low_risk_profile_not_negative",
                condition=Q(above_ground_m2__gte=0) & Q(height_m__gte=0) & Q(underground_m2__gte=0),
                violation_error_message="面积和高度不能为负数",
            )
        ]

    def __str__(self) -> str:
        return f"{self.project} 简易低风险认定"


class ProjectApproval(models.Model):
    """One approval item of one project, on the clock from its acceptance."""

    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.CASCADE, related_name="approval_items"
    )
    catalogue_item = models.ForeignKey(
        CatalogueItem,
        verbose_name="审批事项",
        on_delete=models.PROTECT,
        related_name="project_items",
    )
    # Limits as they were when the item was put on the project: a later catalogue edit
    # doesn't move the deadline of an item already running.
    statutory_days = _limit("法定时限(工作日)")
    committed_days = _limit("承诺时限(工作日)")
    department = models.ForeignKey(
        Department,
        verbose_name="办理部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approval_items",
    )
    handler = models.CharField("经办人", max_length=30, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="代办员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agent_items",
    )
    applied_on = models.DateField("申请日期", null=True, blank=True)
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    decided_on = models.DateField("办结日期", null=True, blank=True)
    outcome = models.CharField(
        "办理结果", max_length=10, choices=OutcomeChoices.choices, default=Outcome.PENDING.value
    )
    notes = models.CharField("备注", max_length=300, blank=True)
    # The committed deadline on the official calendar, kept so that "past its limit" is a
    # query on an index, not a clock computed for every open item (the cockpit counts them
    # nationally). Derived, never entered: set on every save from accepted_on and
    # committed_days (`save`), and recomputed for the open items when the calendar changes
    # (`selectors.refresh_due_dates`). The clock (`rules.clock`) stays the definition; a
    # test checks the two agree.
    due_on = models.DateField("承诺办结期限", null=True, blank=True, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    scope_paths = {
        **_PROJECT_PATHS,
        "department": ("department",),
        "agent": ("project__agency__agent",),
    }

    class Meta:
        verbose_name = "项目审批事项"
        verbose_name_plural = "项目审批事项"
        ordering = ["project", "catalogue_item__track", "catalogue_item__sequence", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "catalogue_item"],
                name="project_approval_unique_item",
                violation_error_message="该项目已有此审批事项",
            ),
            models.CheckConstraint(
                name="project_approval_limits_positive",
                condition=_LIMITS_POSITIVE,
                violation_error_message=_LIMITS_POSITIVE_MESSAGE,
            ),
            models.CheckConstraint(
                name="project_approval_dates_in_order",
                condition=(Q(accepted_on__isnull=True) | Q(applied_on__lte=F("accepted_on")))
                & (Q(decided_on__isnull=True) | Q(accepted_on__lte=F("decided_on"))),
                violation_error_message="日期须按 申请 ≤ 受理 ≤ 办结 的顺序",
            ),
            models.CheckConstraint(
                name="project_approval_outcome_iff_decided",
                condition=(Q(decided_on__isnull=True) & Q(outcome="pending"))
                | (Q(decided_on__isnull=False) & ~Q(outcome="pending")),
                violation_error_message="已办结的事项须有办理结果，未办结的不能有",
            ),
        ]
        indexes = [
            models.Index(fields=["decided_on"]),
            models.Index(fields=["accepted_on"]),
            # The open items by deadline: the overdue ones are a range of it.
            models.Index(
                fields=["due_on"],
                name="approval_open_due",
                condition=Q(decided_on__isnull=True, due_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} · {self.catalogue_item.name}"

    def save(self, *args, **kwargs) -> None:
        from sanpi.core.calendar import official_calendar

        self.due_on = due_date(official_calendar(), self.accepted_on, self.committed_days)
        fields = kwargs.get("update_fields")
        if fields is not None and {"accepted_on", "committed_days"} & set(fields):
            kwargs["update_fields"] = {*fields, "due_on"}
        super().save(*args, **kwargs)

    @property
    def name(self) -> str:
        return self.catalogue_item.name

    @property
    def stage(self) -> str:
        return self.catalogue_item.stage


class AgencyService(models.Model):
    """The 全代办 service of one project (seeds/000…): consultation → commission →
    lead/agent handling → end (or continuation) → the company's evaluation."""

    class Extent(models.TextChoices):
        FULL = "full", "全部代办"
        PARTIAL = "partial", "部分代办"

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", "满意"
        FAIRLY = "fairly", "基本满意"
        UNSATISFIED = "unsatisfied", "不满意"

    project = models.OneToOneField(
        Project, verbose_name="项目", on_delete=models.CASCADE, related_name="agency"
    )
    status = models.CharField("服务状态", max_length=15, choices=AgencyStatusChoices.choices)
    extent = models.CharField("代办范围", max_length=10, choices=Extent.choices, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="代办员",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agency_services",
    )
    zone_lead = models.CharField(
        "开发区领办人", max_length=50, blank=True, help_text="开发区审批中心办理的事项由其领办"
    )
    county_lead = models.CharField(
        "县级领办人", max_length=50, blank=True, help_text="省市县层面审批的事项由其领办"
    )
    consulted_on = models.DateField("接待咨询日期", null=True, blank=True)
    commissioned_on = models.DateField("受理委托日期", null=True, blank=True)
    handling_on = models.DateField("开始领办代办日期", null=True, blank=True)
    ended_on = models.DateField("服务终止日期", null=True, blank=True)
    continued_times = models.PositiveSmallIntegerField("续办次数", default=0)
    evaluated_on = models.DateField("评价日期", null=True, blank=True)
    satisfaction = models.CharField(
        "满意度", max_length=15, choices=Satisfaction.choices, blank=True
    )
    comment = models.CharField("评价意见", max_length=500, blank=True)

    scope_paths = {
        "county": ("project__county",),
        "zone": ("project__zone",),
        "enterprise": ("project__enterprise",),
        "agent": ("agent",),
        # A department sees who runs the service of a project whose items it handles.
        "department": ("project__approval_items__department",),
    }

    class Meta:
        verbose_name = "全代办服务"
        verbose_name_plural = "全代办服务"

    def __str__(self) -> str:
        return f"{self.project} 全代办服务"


class AgencyEvent(models.Model):
    """One dated step of a 全代办 service."""

    service = models.ForeignKey(
        AgencyService, verbose_name="全代办服务", on_delete=models.CASCADE, related_name="events"
    )
    step = models.CharField("环节", max_length=15, choices=AgencyStepChoices.choices)
    date = models.DateField("日期")
    note = models.CharField("说明", max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="记录人",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "全代办记录"
        verbose_name_plural = "全代办记录"
        ordering = ["date", "pk"]

    def __str__(self) -> str:
        return f"{self.get_step_display()} {self.date}"


class Commitment(models.Model):
    """承诺制: what the company promised to deliver after an approval, and by when."""

    class Status(models.TextChoices):
        PENDING = "pending", "待履行"
        FULFILLED = "fulfilled", "已履行"
        BROKEN = "broken", "逾期未履行"

    item = models.ForeignKey(
        ProjectApproval,
        verbose_name="审批事项",
        on_delete=models.CASCADE,
        related_name="commitments",
    )
    content = models.CharField("承诺内容", max_length=300)
    due_on = models.DateField("承诺期限")
    status = models.CharField(
        "履行情况", max_length=10, choices=Status.choices, default=Status.PENDING
    )
    fulfilled_on = models.DateField("履行日期", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    scope_paths = {
        "county": ("item__project__county",),
        "zone": ("item__project__zone",),
        "enterprise": ("item__project__enterprise",),
        "department": ("item__department",),
        "agent": ("item__project__agency__agent",),
    }

    class Meta:
        verbose_name = "承诺事项"
        verbose_name_plural = "承诺事项"
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="commitment_fulfilled_iff_dated",
                condition=(Q(status="fulfilled") & Q(fulfilled_on__isnull=False))
                | (~Q(status="fulfilled") & Q(fulfilled_on__isnull=True)),
                violation_error_message="已履行的承诺须有履行日期",
            )
        ]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return self.content


class CreditRecord(models.Model):
    """A broken commitment on the enterprise's record (失信记录)."""

    class Kind(models.TextChoices):
        BROKEN_COMMITMENT = "broken_commitment", "承诺逾期未履行"

    enterprise = models.ForeignKey(
        "regions.Enterprise",
        verbose_name="企业",
        on_delete=models.PROTECT,
        related_name="credit_records",
    )
    commitment = models.OneToOneField(
        Commitment,
        verbose_name="承诺事项",
        on_delete=models.PROTECT,
        related_name="credit_record",
    )
    kind = models.CharField(
        "类型", max_length=20, choices=Kind.choices, default=Kind.BROKEN_COMMITMENT
    )
    recorded_on = models.DateField("记录日期")
    description = models.CharField("情况", max_length=500)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)

    scope_paths = {
        "county": ("commitment__item__project__county",),
        "zone": ("commitment__item__project__zone",),
        "enterprise": ("enterprise",),
        "department": ("commitment__item__department",),
        "agent": ("commitment__item__project__agency__agent",),
    }

    class Meta:
        verbose_name = "信用记录"
        verbose_name_plural = "信用记录"
        ordering = ["-recorded_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.get_kind_display()}"
