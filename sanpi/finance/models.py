"""政银企对接: the quarterly meetings where banks and enterprises meet, a project's loan
needs, a bank's signing of intent with a project at a meeting, credit granted (授信) and
loans disbursed. The city's figure "59个项目获得贷款63.3亿元" is a report of these
(`selectors.loan_report`), never typed.

Money is exact (万元, two decimals). Every record belongs to a project, and so to the
project's county, zone and enterprise scope.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from sanpi.projects.models import Project
from sanpi.regions.models import Enterprise

_PROJECT_PATHS = {
    "county": ("project__county",),
    "zone": ("project__zone",),
    "enterprise": ("project__enterprise",),
}
# A bank's officer reaches the projects their bank signed with (and nothing else of them).
_SIGNED = "finance_signings__bank"


class FinanceProject(Project):
    """A project as the 政银企 pages see it: banks reach the projects they signed with."""

    scope_paths = {**Project.scope_paths, "bank": (_SIGNED,)}

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "融资对接项目"


def _money(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=16, decimal_places=2)


_POSITIVE = "金额须大于0"


class Bank(models.Model):
    """A bank (银行业金融机构) in the city: attends meetings, signs, grants and lends."""

    name = models.CharField(
        "机构名称", max_length=100, unique=True, error_messages={"unique": "已有同名机构"}
    )
    short_name = models.CharField("简称", max_length=30, blank=True)

    scope_public = True  # which banks there are is no secret

    class Meta:
        verbose_name = verbose_name_plural = "银行业金融机构"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Meeting(models.Model):
    """A 政银企对接 meeting (quarterly), with the banks and enterprises that attended."""

    date = models.DateField("会议日期")
    title = models.CharField("会议名称", max_length=100)
    place = models.CharField("地点", max_length=100, blank=True)
    banks = models.ManyToManyField(Bank, verbose_name="参会银行", related_name="meetings")
    enterprises = models.ManyToManyField(
        Enterprise, verbose_name="参会企业", related_name="finance_meetings", blank=True
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    scope_public = True  # the meetings are public; what was signed follows the project

    class Meta:
        verbose_name = verbose_name_plural = "政银企对接会"
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return f"{self.title}（{self.date:%Y-%m-%d}）"


class LoanNeed(models.Model):
    """What a project needs to borrow: amount, purpose, term."""

    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.CASCADE, related_name="loan_needs"
    )
    amount_wan = _money("融资需求(万元)")
    purpose = models.CharField("用途", max_length=200)
    term_months = models.PositiveSmallIntegerField("期限(月)")
    recorded_on = models.DateField("提出日期")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope_paths = {**_PROJECT_PATHS, "bank": (f"project__{_SIGNED}",)}

    class Meta:
        verbose_name = verbose_name_plural = "融资需求"
        ordering = ["-recorded_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_wan__gt=0), name="loan_need_positive",
                violation_error_message=_POSITIVE,
            ),
            models.CheckConstraint(
                condition=Q(term_months__gt=0), name="loan_need_term_positive",
                violation_error_message="期限须大于0个月",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.project} 融资需求{self.amount_wan}万元"


class Signing(models.Model):
    """A bank's signing of intent with a project at a meeting (政银企签约)."""

    meeting = models.ForeignKey(
        Meeting, verbose_name="对接会", on_delete=models.PROTECT, related_name="signings"
    )
    bank = models.ForeignKey(
        Bank, verbose_name="银行", on_delete=models.PROTECT, related_name="signings"
    )
    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.CASCADE, related_name="finance_signings"
    )
    amount_wan = _money("意向金额(万元)")

    scope_paths = {**_PROJECT_PATHS, "bank": ("bank",)}

    class Meta:
        verbose_name = verbose_name_plural = "政银企签约"
        ordering = ["meeting", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "bank", "project"], name="signing_unique",
                violation_error_message="该银行已在本次对接会上与该项目签约",
            ),
            models.CheckConstraint(
                condition=Q(amount_wan__gt=0), name="signing_positive",
                violation_error_message=_POSITIVE,
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.bank} · {self.project}"


class _BankMoney(models.Model):
    """What a bank gives a project: credit granted, a loan disbursed (amount and date in
    the subclass, named for what they are)."""

    bank = models.ForeignKey(
        Bank, verbose_name="银行", on_delete=models.PROTECT, related_name="%(class)ss"
    )
    project = models.ForeignKey(
        Project, verbose_name="项目", on_delete=models.CASCADE, related_name="finance_%(class)ss"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    scope_paths = {**_PROJECT_PATHS, "bank": ("bank",)}

    class Meta:
        abstract = True


def _positive(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(amount_wan__gt=0), name=name, violation_error_message=_POSITIVE
    )


class Credit(_BankMoney):
    """Credit granted (授信) to a project by a bank."""

    amount_wan = _money("授信金额(万元)")
    granted_on = models.DateField("授信日期")

    class Meta:
        verbose_name = verbose_name_plural = "授信"
        ordering = ["-granted_on", "-pk"]
        constraints = [_positive("credit_positive")]

    def __str__(self) -> str:
        return f"{self.bank} 授信 {self.project} {self.amount_wan}万元"


class Loan(_BankMoney):
    """A loan disbursed (放贷) to a project by a bank."""

    amount_wan = _money("放贷金额(万元)")
    disbursed_on = models.DateField("放贷日期")

    class Meta:
        verbose_name = verbose_name_plural = "贷款发放"
        ordering = ["-disbursed_on", "-pk"]
        indexes = [models.Index(fields=["disbursed_on"])]
        constraints = [_positive("loan_positive")]

    def __str__(self) -> str:
        return f"{self.bank} 放贷 {self.project} {self.amount_wan}万元"
