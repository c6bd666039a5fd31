"""Reading the 政银企 flow: meetings, a project's finance, the loans report (the city's
"59个项目获得贷款63.3亿元") and the projects still unfunded."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Subquery, Sum

from sanpi.accounts.roles import Cap
from sanpi.core.amounts import yi
from sanpi.core.errors import NotFound, ValidationFailed
from sanpi.core.money import exact_wan
from sanpi.core.scope import restrict
from sanpi.core.services import require

from .models import Bank, Credit, FinanceProject, Loan, LoanNeed, Meeting, Signing


def project_list(*, user):
    """The projects the user's 政银企 pages reach: the ledger's scope, and for a bank's
    officer the projects their bank signed with."""
    require(user, Cap.VIEW_FINANCE)
    qs = FinanceProject.objects.select_related("enterprise", "county", "zone")
    return restrict(qs, user)


def project_get(*, user, pk) -> FinanceProject:
    try:
        return project_list(user=user).get(pk=pk)
    except (FinanceProject.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def meeting_list(*, user):
    require(user, Cap.VIEW_FINANCE)
    return Meeting.objects.all()


def meeting_get(*, user, pk: int) -> Meeting:
    require(user, Cap.VIEW_FINANCE)
    try:
        return Meeting.objects.get(pk=pk)
    except (Meeting.DoesNotExist, ValueError):
        raise NotFound("没有这次对接会") from None


def bank_list():
    return Bank.objects.all()


def lending_banks(*, user):
    """The banks whose credit and loans the user may record: a bank's officer their own,
    the city office every bank."""
    if user.scope_dimension == "bank":
        return Bank.objects.filter(pk=user.scope_value)
    return bank_list()


def signings(*, user, meeting: Meeting | None = None):
    require(user, Cap.VIEW_FINANCE)
    qs = restrict(Signing.objects.select_related("bank", "project", "meeting"), user)
    return qs.filter(meeting=meeting) if meeting is not None else qs


@dataclass(frozen=True)
class ProjectFinance:
    needs: list[LoanNeed]
    signings: list[Signing]
    credits: list[Credit]
    loans: list[Loan]

    @property
    def credited_wan(self) -> Decimal:
        return exact_wan(sum((c.amount_wan for c in self.credits), Decimal(0)))

    @property
    def loaned_wan(self) -> Decimal:
        return exact_wan(sum((x.amount_wan for x in self.loans), Decimal(0)))


def project_finance(*, user, project) -> ProjectFinance:
    """A project's needs, signings, credit and loans (the project is already in scope)."""
    return ProjectFinance(
        needs=list(restrict(LoanNeed.objects.filter(project=project), user)),
        signings=list(restrict(Signing.objects.filter(project=project).select_related("bank", "meeting"), user)),
        credits=list(restrict(Credit.objects.filter(project=project).select_related("bank"), user)),
        loans=list(restrict(Loan.objects.filter(project=project).select_related("bank"), user)),
    )  # fmt: skip


@dataclass(frozen=True)
class LoanReport:
    date_from: dt.date
    date_to: dt.date
    projects: int  # with at least one loan disbursed in the period
    amount_wan: Decimal
    by_bank: list[tuple[str, int, Decimal]]  # bank, projects, amount

    def sentence(self, place: str = "全市") -> str:
        return (
            f"{self.date_from.year}年{self.date_from.month}月{self.date_from.day}日至"
            f"{self.date_to.year}年{self.date_to.month}月{self.date_to.day}日，{place}"
            f"{self.projects}个项目获得贷款{yi(self.amount_wan)}亿元。"
        )


def loan_report(*, user, date_from: dt.date, date_to: dt.date) -> LoanReport:
    """The projects with a loan disbursed in [date_from, date_to] (each counted once,
    however many loans) and the loans' total, in the user's scope (a bank: its own loans);
    by bank."""
    require(user, Cap.VIEW_FINANCE)
    if date_from > date_to:
        raise ValidationFailed.of("date_to", "结束日期早于开始日期，请检查时段")
    loans = restrict(Loan.objects.filter(disbursed_on__range=(date_from, date_to)), user).order_by()
    total = loans.aggregate(n=Count("project", distinct=True), s=Sum("amount_wan"))
    rows = (
        loans.values("bank__name")
        .annotate(n=Count("project", distinct=True), s=Sum("amount_wan"))
        .order_by("-s", "bank__name")
    )
    return LoanReport(
        date_from=date_from,
        date_to=date_to,
        projects=total["n"] or 0,
        amount_wan=exact_wan(total["s"]),
        by_bank=[(r["bank__name"], r["n"], exact_wan(r["s"])) for r in rows],
    )


def unfunded(*, user, on: dt.date | None = None):
    """The projects with a loan need (recorded by `on`) and no loan disbursed since that
    need was recorded: the list for the next meeting, with the amount of those open needs
    (`need_wan`). Largest first."""
    needs = LoanNeed.objects.filter(project=OuterRef("pk"))
    if on is not None:
        needs = needs.filter(recorded_on__lte=on)
    open_needs = needs.filter(
        ~Exists(
            Loan.objects.filter(
                project=OuterRef("project"), disbursed_on__gte=OuterRef("recorded_on")
            )
        )
    )
    # The amount still wanted: the open needs only (a need a later loan met is not).
    open_wan = open_needs.order_by().values("project").annotate(s=Sum("amount_wan")).values("s")
    return (
        project_list(user=user)
        .filter(Exists(open_needs))
        .annotate(need_wan=Subquery(open_wan))
        .order_by("-need_wan", "pk")
    )


def bank_matching(year: int) -> dict[str, dict[str, int]]:
    """Each bank's 政银企 figures of a year, for the banks' evaluation: the projects it
    signed with at the year's meetings (政银企签约项目户数) and, of those, the projects it
    granted credit to in the year (授信项目户数). By bank name."""
    out: dict[str, dict[str, int]] = {}
    signed = (
        Signing.objects.filter(meeting__date__year=year)
        .order_by()
        .values("bank__name")
        .annotate(n=Count("project", distinct=True))
    )
    for row in signed:
        out[row["bank__name"]] = {"signed_projects": row["n"], "credited_projects": 0}
    credited = (
        Credit.objects.filter(
            granted_on__year=year,
            project__finance_signings__meeting__date__year=year,
            project__finance_signings__bank=F("bank"),
        )
        .order_by()
        .values("bank__name")
        .annotate(n=Count("project", distinct=True))
    )
    for row in credited:
        out.setdefault(row["bank__name"], {"signed_projects": 0, "credited_projects": 0})
        out[row["bank__name"]]["credited_projects"] = row["n"]
    return out
