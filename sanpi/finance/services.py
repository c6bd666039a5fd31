"""Recording the 政银企 flow: meetings, loan needs, signings, credit and loans. Each write
checks its input (Chinese messages by field), the project's scope, and is audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core.errors import NotFound, ValidationFailed
from sanpi.core.scope import in_scope, restrict
from sanpi.core.services import account_of, require, save_create
from sanpi.projects.models import Project
from sanpi.projects.rules import future_error

from .models import Bank, Credit, FinanceProject, Loan, LoanNeed, Meeting, Signing

# Who records: the city office organises the meetings and their signings; credit and loans
# are recorded by the banks' own officers (their bank's only) or by the city office from
# what the banks report.
RECORD = Cap.MANAGE_ACTIVITIES
LENDING = Cap.RECORD_LENDING


def _ensure_project(by, project: Project) -> None:
    """The project is one the user's 政银企 pages reach (a bank: one it signed with)."""
    if not restrict(FinanceProject.objects.filter(pk=project.pk), by).exists():
        raise NotFound()


def _ensure_own_bank(by, record: Credit | Loan) -> None:
    """A bank's officer records their own bank's credit and loans, no other bank's."""
    if not in_scope(by, record):
        raise ValidationFailed.of("bank", f"只能登记本行的授信和放贷，不能代{record.bank}登记")


def _not_future(day: dt.date | None, field: str, label: str) -> None:
    """Recorded when it has happened: the ledger's own rule and words (projects.rules)."""
    if day is None:
        raise ValidationFailed.of(field, f"请填写{label}")
    problem = future_error(label, day, timezone.localdate())
    if problem:
        raise ValidationFailed.of(field, problem)


def _positive(amount: Decimal | None, field: str, label: str) -> None:
    if amount is None or amount <= 0:
        raise ValidationFailed.of(field, f"{label}须大于0")


@transaction.atomic
def meeting_create(
    *, by, date: dt.date, title: str, place: str = "", banks, enterprises=()
) -> Meeting:
    require(by, RECORD)
    _not_future(date, "date", "会议日期")
    banks = list(banks)
    if not banks:
        raise ValidationFailed.of("banks", "请选择参会银行")
    meeting = Meeting(date=date, title=(title or "").strip(), place=place.strip())
    meeting = save_create(by=by, instance=meeting, message=f"创建政银企对接会：{title}")
    meeting.banks.set(banks)
    meeting.enterprises.set(list(enterprises))
    return meeting


@transaction.atomic
def need_add(*, by, project: Project, amount_wan: Decimal, purpose: str, term_months: int,
             recorded_on: dt.date) -> LoanNeed:  # fmt: skip
    require(by, Cap.CHANGE_LEDGER)
    _ensure_project(by, project)
    _positive(amount_wan, "amount_wan", "融资需求")
    _not_future(recorded_on, "recorded_on", "提出日期")
    need = LoanNeed(project=project, amount_wan=amount_wan, purpose=(purpose or "").strip(),
                    term_months=term_months, recorded_on=recorded_on, created_by=account_of(by))  # fmt: skip
    return save_create(by=by, instance=need, message=f"登记融资需求{amount_wan}万元")


@transaction.atomic
def signing_add(
    *, by, meeting: Meeting, bank: Bank, project: Project, amount_wan: Decimal
) -> Signing:
    require(by, RECORD)
    _ensure_project(by, project)
    _positive(amount_wan, "amount_wan", "意向金额")
    if not meeting.banks.filter(pk=bank.pk).exists():
        raise ValidationFailed.of("bank", f"{bank}未参加{meeting}，不能在该会上签约")
    if not meeting.enterprises.filter(pk=project.enterprise_id).exists():
        raise ValidationFailed.of(
            "project", f"{project.enterprise}未参加{meeting}，其项目不能在该会上签约"
        )
    if Signing.objects.filter(meeting=meeting, bank=bank, project=project).exists():
        raise ValidationFailed.of("project", "该银行已在本次对接会上与该项目签约")
    signing = Signing(meeting=meeting, bank=bank, project=project, amount_wan=amount_wan)
    return save_create(
        by=by, instance=signing, message=f"{meeting}：{bank}与{project}签约{amount_wan}万元"
    )


def credit_add(
    *, by, project: Project, bank: Bank, amount_wan: Decimal, granted_on: dt.date
) -> Credit:
    return _lend(by, Credit(project=project, bank=bank, amount_wan=amount_wan,
                            granted_on=granted_on), "granted_on", "授信")  # fmt: skip


def loan_add(
    *, by, project: Project, bank: Bank, amount_wan: Decimal, disbursed_on: dt.date
) -> Loan:
    return _lend(by, Loan(project=project, bank=bank, amount_wan=amount_wan,
                          disbursed_on=disbursed_on), "disbursed_on", "放贷")  # fmt: skip


@transaction.atomic
def _lend(by, record: Credit | Loan, day_field: str, what: str):
    """Credit granted or a loan disbursed (one shape, `models._BankMoney`): by a lender
    (the city office, or the bank's own officer for its own bank) on a project in reach,
    positive, not dated ahead; audited."""
    require(by, LENDING)
    _ensure_project(by, record.project)
    _positive(record.amount_wan, "amount_wan", f"{what}金额")
    _not_future(getattr(record, day_field), day_field, f"{what}日期")
    record.created_by = account_of(by)
    _ensure_own_bank(by, record)
    return save_create(
        by=by, instance=record, message=f"{record.bank}{what}{record.amount_wan}万元"
    )


@transaction.atomic
def bank_create(*, by, name: str, short_name: str = "") -> Bank:
    require(by, RECORD)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.of("name", "请填写机构名称")
    return save_create(
        by=by,
        instance=Bank(name=name, short_name=(short_name or "").strip()),
        message=f"登记银行：{name}",
    )
