"""Problems (问题) a project meets, their closed loop and clocks; the SLA policies the
clocks follow; leaders' liaison of key projects (包联) and the enterprise service team's
visits (入企服务)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from .rules import LEVEL_LABELS, LIGHT_LABELS, MOVE_LABELS, OPEN_STATES, STATE_LABELS, Light, State


def _choices(name: str, labels: dict) -> type[models.TextChoices]:
    return models.TextChoices(name, [(str(k).upper(), (str(k), v)) for k, v in labels.items()])


StateChoices = _choices("StateChoices", STATE_LABELS)
LevelChoices = _choices("LevelChoices", LEVEL_LABELS)
LightChoices = _choices("LightChoices", LIGHT_LABELS)
MoveChoices = _choices("MoveChoices", {**MOVE_LABELS, "raise": "提出", "alert": "预警"})


class Category(models.TextChoices):
    PROCEDURES = "procedures", "手续办理"
    DEMOLITION = "demolition", "征地拆迁"
    LAND = "land", "用地"
    FINANCING = "financing", "融资"
    UTILITIES = "utilities", "水电气暖配套"
    ASSESSMENT = "assessment", "环评能评"
    PERMIT = "permit", "施工许可"
    LABOUR = "labour", "用工"
    OTHER = "other", "其他"


class Source(models.TextChoices):
    ENTERPRISE = "enterprise", "企业反映"
    ZONE = "zone", "开发区"
    COUNTY = "county", "县(市、区)"
    DEPARTMENT = "department", "部门"
    CITY = "city", "市项目办"
    LEADER_VISIT = "leader_visit", "领导走访"
    SERVICE_VISIT = "service_visit", "入企服务"
    MONTHLY_REPORT = "monthly_report", "月报"


class UnitKind(models.TextChoices):
    """The kind of organisation a problem is assigned to (责任单位)."""

    DEPARTMENT = "department", "部门"
    COUNTY = "county", "县(市、区)"
    ZONE = "zone", "开发区"
    CITY = "city", "市项目办"


class Policy(models.Model):
    """An SLA policy for the clocks (时限规则). Rows are never changed: editing one makes a
    new version with the same code, and a running problem keeps the version it was raised
    under."""

    class AppliesTo(models.TextChoices):
        KEY = "key", "省、市重点项目"
        OTHER = "other", "其他项目"

    code = models.SlugField("代号", max_length=30)
    version = models.PositiveSmallIntegerField("版本", default=1)
    current = models.BooleanField("现行", default=True)
    name = models.CharField("名称", max_length=50)
    applies_to = models.CharField("适用项目", max_length=10, choices=AppliesTo.choices)
    deploy_same_day = models.BooleanField(
        "当日部署", default=True, help_text="工作日提出的当日部署；非工作日提出的下一个工作日部署"
    )
    feedback_days = models.PositiveSmallIntegerField(
        "首次反馈时限(天)", validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    feedback_calendar = models.BooleanField("反馈按自然日计", default=False)
    solve_days = models.PositiveSmallIntegerField(
        "一般问题办结时限(天)", validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    solve_calendar = models.BooleanField("办结按自然日计", default=False)
    complex_months = models.PositiveSmallIntegerField(
        "复杂问题办结时限(月)", default=1, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    warn_days = models.PositiveSmallIntegerField(
        "临期预警(剩余工作日)", default=1, validators=[MaxValueValidator(30)]
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        "超期后自动提级(工作日，0为不自动提级)", default=2, validators=[MaxValueValidator(60)]
    )
    created_at = models.DateTimeField("生效时间", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="设定人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip

    scope_public = True  # the rules are public to everyone who may see problems

    class Meta:
        verbose_name = "时限规则"
        verbose_name_plural = "时限规则"
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="problem_policy_version"),
            models.UniqueConstraint(
                fields=["applies_to"], condition=Q(current=True),
                name="problem_policy_one_current", violation_error_message="该类项目已有现行规则",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.name}（第{self.version}版）"


class Problem(models.Model):
    """A problem a project meets, from raised to closed (清零销号)."""

    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="problems"
    )
    description = models.TextField("问题描述", max_length=2000)
    category = models.CharField("问题类别", max_length=20, choices=Category.choices)
    level = models.CharField("解决层级", max_length=10, choices=LevelChoices.choices)
    state = models.CharField(
        "状态", max_length=12, choices=StateChoices.choices, default=State.RAISED.value
    )
    source = models.CharField("来源", max_length=20, choices=Source.choices)
    raised_at = models.DateTimeField("提出时间")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="提出人", on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    report = models.ForeignKey(
        "dispatch.MonthlyReport", verbose_name="来自月报", null=True, blank=True,
        on_delete=models.PROTECT, related_name="problem_set",
    )  # fmt: skip
    is_complex = models.BooleanField("复杂问题", default=False)
    # The five 到位, filled in when assigned (交办).
    unit_kind = models.CharField(
        "责任单位类别", max_length=12, choices=UnitKind.choices, blank=True
    )
    unit_department = models.ForeignKey(
        "regions.Department", verbose_name="责任部门", null=True, blank=True,
        on_delete=models.PROTECT, related_name="problems",
    )  # fmt: skip
    unit_county = models.ForeignKey(
        "regions.County", verbose_name="责任县(市、区)", null=True, blank=True,
        on_delete=models.PROTECT, related_name="problems_assigned",
    )  # fmt: skip
    unit_zone = models.ForeignKey(
        "regions.DevelopmentZone", verbose_name="责任开发区", null=True, blank=True,
        on_delete=models.PROTECT, related_name="problems_assigned",
    )  # fmt: skip
    leader_name = models.CharField("责任领导", max_length=50, blank=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="责任领导账号", null=True, blank=True,
        on_delete=models.PROTECT, related_name="problems_led",
    )  # fmt: skip
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="责任人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="problems_responsible",
    )  # fmt: skip
    solution = models.TextField("解决措施", max_length=2000, blank=True)
    deadline = models.DateField("完成时限", null=True, blank=True)
    # The clocks: the policy raised under, each clock's due moment and when it was met.
    policy = models.ForeignKey(
        Policy, verbose_name="时限规则", on_delete=models.PROTECT, related_name="problems"
    )
    deploy_due = models.DateTimeField("部署时限")
    feedback_due = models.DateTimeField("首次反馈时限")
    solve_due = models.DateTimeField("办结时限")
    assigned_at = models.DateTimeField("交办时间", null=True, blank=True)
    first_feedback_at = models.DateTimeField("首次反馈时间", null=True, blank=True)
    solved_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间（销号或撤回）", null=True, blank=True)
    satisfied = models.BooleanField("企业满意", null=True, blank=True)
    confirmed_on_behalf = models.BooleanField("县级代企业确认", default=False)
    light = models.CharField(
        "预警", max_length=8, choices=LightChoices.choices, default=Light.GREEN.value
    )
    breached_at = models.DateTimeField("首次超期时间", null=True, blank=True)
    escalated_at = models.DateTimeField("提级时间", null=True, blank=True)
    version = models.PositiveIntegerField("版本", default=1)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    # The project's county, zone and enterprise see it; a responsible unit sees what is
    # assigned to it (so a department sees only its own problems of other units' projects).
    scope_paths = {
        "county": ("project__county", "unit_county"),
        "zone": ("project__zone", "unit_zone"),
        "enterprise": ("project__enterprise",),
        "department": ("unit_department",),
    }

    class Meta:
        verbose_name = "问题"
        verbose_name_plural = "问题"
        ordering = ["-raised_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "light"], name="problem_state_light"),
            models.Index(fields=["raised_at"], name="problem_raised_at"),
            models.Index(fields=["closed_at"], name="problem_closed_at"),
        ]
        constraints = [
            models.CheckConstraint(
                name="problem_unit_matches_kind",
                condition=(
                    Q(unit_kind="", unit_department__isnull=True, unit_county__isnull=True,
                      unit_zone__isnull=True)
                    | Q(unit_kind="department", unit_department__isnull=False,
                        unit_county__isnull=True, unit_zone__isnull=True)
                    | Q(unit_kind="county", unit_county__isnull=False,
                        unit_department__isnull=True, unit_zone__isnull=True)
                    | Q(unit_kind="zone", unit_zone__isnull=False,
                        unit_department__isnull=True, unit_county__isnull=True)
                    | Q(unit_kind="city", unit_department__isnull=True,
                        unit_county__isnull=True, unit_zone__isnull=True)
                ),
                violation_error_message="责任单位与其类别不符",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        text = self.description.replace("\n", " ")
        return text if len(text) <= 30 else text[:30] + "…"

    @property
    def unit(self):
        """The responsible unit (a Department, County or DevelopmentZone), or the city
        office's name; None before assignment."""
        return {
            "department": self.unit_department,
            "county": self.unit_county,
            "zone": self.unit_zone,
            "city": "市项目办",
        }.get(self.unit_kind)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ProblemEvent(models.Model):
    """One step on a problem's timeline: a move, a progress note, an automatic warning."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="events")
    move = models.CharField("动作", max_length=12, choices=MoveChoices.choices)
    from_state = models.CharField("原状态", max_length=12, blank=True)
    to_state = models.CharField("新状态", max_length=12, blank=True)
    text = models.TextField("说明", max_length=2000, blank=True)
    at = models.DateTimeField("时间")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    on_behalf = models.BooleanField("代企业确认", default=False)

    scope_paths = {k: tuple(f"problem__{p}" for p in v) for k, v in Problem.scope_paths.items()}

    class Meta:
        verbose_name = "问题进展"
        verbose_name_plural = "问题进展"
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.get_move_display()


class Attachment(models.Model):
    """A file on a progress note: a photo (re-encoded, as the monthly report's) or a PDF,
    size-limited, served only within the problem's scope."""

    event = models.ForeignKey(ProblemEvent, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField("文件", upload_to="problems/%Y/%m/")
    name = models.CharField("文件名", max_length=200)
    content_type = models.CharField("类型", max_length=100)
    size = models.PositiveIntegerField("字节数")

    scope_paths = {k: tuple(f"event__{p}" for p in v) for k, v in ProblemEvent.scope_paths.items()}

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"

    def __str__(self) -> str:
        return self.name


class Liaison(models.Model):
    """A leader liaises for a project (领导包联): who, which project, since and until when."""

    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="包联领导", on_delete=models.PROTECT,
        related_name="liaisons",
    )  # fmt: skip
    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="liaisons"
    )
    since = models.DateField("包联起始日期")
    until = models.DateField("包联截止日期", null=True, blank=True)

    scope_paths = {
        "county": ("project__county",),
        "zone": ("project__zone",),
        "enterprise": ("project__enterprise",),
    }

    class Meta:
        verbose_name = "领导包联"
        verbose_name_plural = "领导包联"
        ordering = ["leader", "project"]
        constraints = [
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="liaison_dates_ordered",
                violation_error_message="包联截止日期不能早于起始日期",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.leader} 包联 {self.project}"


class Visit(models.Model):
    """A visit of the enterprise service team (入企服务): what they found and promised; the
    problems raised during it point back to it."""

    project = models.ForeignKey(
        "projects.Project", verbose_name="项目", on_delete=models.PROTECT, related_name="visits"
    )
    date = models.DateField("走访日期")
    visitors = models.CharField("走访人员", max_length=200)
    findings = models.TextField("发现的情况", max_length=2000, blank=True)
    promises = models.TextField("作出的承诺", max_length=2000, blank=True)
    problems = models.ManyToManyField(
        Problem, verbose_name="提出的问题", blank=True, related_name="visits"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="记录人", on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    scope_paths = Liaison.scope_paths

    class Meta:
        verbose_name = "入企服务"
        verbose_name_plural = "入企服务"
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["project", "date"], name="visit_project_date")]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.project}"
