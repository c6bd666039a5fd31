"""Monthly dispatch services: file, submit, review, close and reopen monthly reports;
annual planned investment; each reporting month's deadline.

Every write decides on rows locked inside its transaction (``select_for_update``) and,
where a form carries one, checks the version it was read at: two people acting on the
same report get one success and one conflict. Every write is audited; a report sent back
tells whoever filed it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Count
from django.dispatch import Signal
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit
from sanpi.core.calendar import official_calendar
from sanpi.core.errors import Conflict, PermissionDenied, ValidationFailed
from sanpi.core.scope import in_scope
from sanpi.core.services import require
from sanpi.notifications.kinds import register_kind
from sanpi.notifications.services import notify
from sanpi.projects.models import Project

from . import rules
from .models import AnnualPlan, MonthlyReport, ReportMonth
from .rules import Move, Status
from .selectors import accepted_investment

REPORT_RETURNED = register_kind("report_returned", "月报被退回", email=True).key

FIELDS = (
    "investment_wan",
    "progress_percent",
    "progress_text",
    "output_wan",
    "tax_wan",
    "jobs",
    "problems",
)
STALE = "该月报已被他人修改，请刷新后重试"


# --- months ---------------------------------------------------------------------------------


def month_get(year: int, month: int) -> ReportMonth:
    """The reporting month, created with its default deadline when first needed. A month
    that has not begun (or is no month) is refused here, for the web, API and jobs alike."""
    problem = rules.check_month(year, month, timezone.localdate())
    if problem:
        raise ValidationFailed.of("month", problem)
    row = ReportMonth.objects.filter(year=year, month=month).first()
    if row is not None:
        return row
    deadline = rules.default_deadline(year, month, official_calendar())
    row, _ = ReportMonth.objects.get_or_create(
        year=year, month=month, defaults={"deadline": deadline}
    )
    return row


def _open_month(year: int, month: int, *, lock: bool = True) -> ReportMonth:
    """The month, locked, refused if the city office has closed it."""
    qs = ReportMonth.objects.select_for_update() if lock else ReportMonth.objects
    row = qs.filter(year=year, month=month).first()
    if row is None:  # its first report: created with its deadline, then locked
        month_get(year, month)
        row = qs.get(year=year, month=month)
    if row.closed:
        raise ValidationFailed(f"{row}已关账，月报已锁定；如需修改，请市项目办重新打开该月报")
    return row


@transaction.atomic
def month_set_deadline(*, by, year: int, month: int, deadline: dt.date) -> ReportMonth:
    require(by, Cap.CLOSE_MONTHS)
    row = _open_month(year, month)
    if deadline <= rules.month_end(year, month):
        raise ValidationFailed.of(
            "deadline", f"截止日期应在{year}年{month}月结束之后（月报在月末之后才能填完）"
        )
    if deadline == row.deadline:
        return row
    before = row.deadline
    row.deadline = deadline
    row.save(update_fields=["deadline"])
    audit.record(
        user=by,
        action="update",
        obj=row,
        before={"deadline": before.isoformat()},
        after={"deadline": deadline.isoformat()},
        message=f"修改{row}月报截止日期",
    )
    return row


@transaction.atomic
def month_close(*, by, year: int, month: int) -> ReportMonth:
    """Close the month: its reports are locked; only the city office reopens one."""
    require(by, Cap.CLOSE_MONTHS)
    row = _open_month(year, month)
    if (year, month) >= (timezone.localdate().year, timezone.localdate().month):
        raise ValidationFailed(f"{row}尚未结束，不能关账")
    row.closed_at = timezone.now()
    row.closed_by = by
    row.save(update_fields=["closed_at", "closed_by"])
    counts = dict(
        MonthlyReport.objects.filter(year=year, month=month)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    audit.record(user=by, action="update", obj=row, after=counts, message=f"{row}关账")
    return row


# --- reports -------------------------------------------------------------------------------


def accepted_before(project: Project, *, year: int, month: int) -> Decimal:
    """The project's accepted investment of every month other than this one."""
    return accepted_investment(project, excluding=(year, month))


def _locked_report(project: Project, year: int, month: int) -> MonthlyReport | None:
    # No ordering: the model's default (by project name) would join and lock the project.
    return (
        MonthlyReport.objects.select_for_update()
        .filter(project=project, year=year, month=month)
        .order_by()
        .first()
    )


def _check_version(report: MonthlyReport | None, version: int | None) -> None:
    """A form read at another version of the report (or before it existed) is stale."""
    if version is None:
        return
    current = report.version if report is not None else 0
    if version != current:
        raise Conflict(STALE)


def _check_values(project: Project, data: dict, *, year: int, month: int) -> dict:
    values = {k: data.get(k) for k in FIELDS}
    for key in ("progress_text", "problems"):
        values[key] = (values[key] or "").strip()
    errors: dict[str, list[str]] = {}
    if values["investment_wan"] is None:
        errors["investment_wan"] = ["请填写本月完成投资（没有投资填0）"]
    percent = values["progress_percent"]
    if percent is None:
        errors["progress_percent"] = ["请填写形象进度（0至100）"]
    elif not 0 <= percent <= 100:
        errors["progress_percent"] = ["形象进度应为0至100"]
    if project.stage != "produced":
        for key, label in (("output_wan", "本月产值"), ("tax_wan", "本月税收")):
            if values[key] is not None:
                errors[key] = [f"项目尚未投产，不填{label}"]
    else:
        for key, label in (("output_wan", "本月产值"), ("tax_wan", "本月税收")):
            if values[key] is not None and values[key] < 0:
                errors[key] = [f"{label}不能为负数"]
    if values["jobs"] is not None and values["jobs"] < 0:
        errors["jobs"] = ["用工人数不能为负数"]
    if not errors:
        problem = rules.check_cumulative(
            before=accepted_before(project, year=year, month=month),
            this_month=values["investment_wan"],
            total_investment=project.total_investment_wan,
        )
        if problem:
            errors["investment_wan"] = [problem]
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, fields=errors)
    return values


def _may_file(by, project: Project) -> None:
    require(by, Cap.FILE_REPORTS)
    if not in_scope(by, project):
        raise PermissionDenied("只能填报权限范围内项目的月报")


@transaction.atomic
def report_save(
    *,
    by,
    project: Project,
    year: int,
    month: int,
    data: dict,
    submit: bool = False,
    version: int | None = None,
) -> MonthlyReport:
    """Keep a draft of the month's report, or submit it to the county. Refused: a month
    that has not begun, a project that owes no report, a closed month, a report already
    submitted or accepted, a stale form, and values that can't be true."""
    _may_file(by, project)
    problem = rules.check_month(year, month, timezone.localdate())
    if problem:
        raise ValidationFailed.of("month", problem)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if not rules.owes_report(project.stage, project.health):
        raise ValidationFailed(
            f"项目处于“{project.get_stage_display()}”阶段"
            + ("且已清理退出" if project.health == rules.WITHDRAWN else "")
            + "，不需要填报月报"
        )
    _open_month(year, month)
    report = _locked_report(project, year, month)
    _check_version(report, version)
    move = Move.SUBMIT if submit else Move.SAVE
    target = rules.move_to(move, report.status if report else "")
    if target is None:
        raise ValidationFailed(rules.MOVE_REFUSALS[move])
    values = _check_values(project, data, year=year, month=month)
    before = audit.snapshot(report, [*FIELDS, "status"]) if report else None
    if report is None:
        report = MonthlyReport(project=project, year=year, month=month, version=0)
    for key, value in values.items():
        setattr(report, key, value)
    report.status = target.value
    report.filed_by = by
    report.return_reason = "" if submit else report.return_reason
    if submit:
        report.submitted_at = timezone.now()
    report.version += 1
    report.save()
    audit.record(
        user=by,
        action="create" if before is None else "update",
        obj=report,
        before=before,
        after=audit.snapshot(report, [*FIELDS, "status"]),
        message=f"{'报送' if submit else '保存'}{year}年{month}月月报",
    )
    return report


@transaction.atomic
def report_review(
    *, by, report: MonthlyReport, accept: bool, reason: str = "", version: int | None = None
) -> MonthlyReport:
    """The county accepts a submitted report, or sends it back with a reason (which
    tells whoever filed it)."""
    require(by, Cap.REVIEW_REPORTS)
    if not in_scope(by, report.project):
        raise PermissionDenied("只能审核权限范围内项目的月报")
    _open_month(report.year, report.month)
    locked = _locked_report(report.project, report.year, report.month)
    _check_version(locked, version)
    move = Move.ACCEPT if accept else Move.RETURN
    target = rules.move_to(move, locked.status)
    if target is None:
        raise ValidationFailed(rules.MOVE_REFUSALS[move])
    reason = (reason or "").strip()
    if not accept and not reason:
        raise ValidationFailed.of("reason", "退回时请写明原因，填报人会看到")
    if accept:
        problem = rules.check_cumulative(
            before=accepted_before(locked.project, year=locked.year, month=locked.month),
            this_month=locked.investment_wan,
            total_investment=locked.project.total_investment_wan,
        )
        if problem:
            raise ValidationFailed(f"不能审核通过：{problem}")
    locked.status = target.value
    locked.reviewed_by = by
    locked.reviewed_at = timezone.now()
    locked.return_reason = "" if accept else reason[:500]
    locked.version += 1
    locked.save()
    audit.record(
        user=by,
        action="update",
        obj=locked,
        before={"status": Status.SUBMITTED.value},
        after={"status": locked.status, **({} if accept else {"reason": locked.return_reason})},
        message=f"{'审核通过' if accept else '退回'}{locked.year}年{locked.month}月月报",
    )
    if accept:
        _reevaluate(locked.project)
    elif locked.filed_by_id:
        _tell_filer(locked)
    return locked


# Sent inside the transaction when a project's accepted months change (accepted, or an
# accepted one reopened): sender MonthlyReport, project. The health rules listen.
accepted_months_changed = Signal()


def _reevaluate(project: Project) -> None:
    accepted_months_changed.send(sender=MonthlyReport, project=project)


def _tell_filer(report: MonthlyReport) -> None:
    from django.urls import reverse

    notify(
        kind=REPORT_RETURNED,
        title=f"月报被退回：{report.project.name}{report.year}年{report.month}月",
        text=f"退回原因：{report.return_reason}。请修改后重新报送。",
        level="warning",
        link=reverse(
            "dispatch:report",
            kwargs={"project": report.project_id, "year": report.year, "month": report.month},
        ),
        users=[report.filed_by],
    )


@transaction.atomic
def report_reopen(*, by, report: MonthlyReport, reason: str) -> MonthlyReport:
    """The city office reopens an accepted report (also in a closed month, which stays
    closed for every other report): it goes back to the filer as returned."""
    require(by, Cap.CLOSE_MONTHS)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.of("reason", "重新打开月报时请写明原因")
    locked = _locked_report(report.project, report.year, report.month)
    target = rules.move_to(Move.REOPEN, locked.status)
    if target is None:
        raise ValidationFailed(rules.MOVE_REFUSALS[Move.REOPEN])
    month = month_get(locked.year, locked.month)
    if month.closed:
        # One report out of a closed month: the month stays closed for the others.
        ReportMonth.objects.filter(pk=month.pk).update(closed_at=None, closed_by=None)
    locked.status = target.value
    locked.return_reason = reason[:500]
    locked.version += 1
    locked.save()
    audit.record(
        user=by,
        action="update",
        obj=locked,
        before={"status": Status.ACCEPTED.value},
        after={"status": locked.status, "reason": locked.return_reason},
        message=f"重新打开{locked.year}年{locked.month}月月报",
    )
    _reevaluate(locked.project)
    if locked.filed_by_id:
        _tell_filer(locked)
    return locked


# --- annual plans ----------------------------------------------------------------------------


@transaction.atomic
def plan_set(*, by, project: Project, year: int, amount: Decimal) -> AnnualPlan:
    """A project's planned investment for the year (年度计划投资), set by its county."""
    require(by, Cap.REVIEW_REPORTS)
    if not in_scope(by, project):
        raise PermissionDenied("只能设置权限范围内项目的年度计划投资")
    today = timezone.localdate()
    if not 2000 <= year <= today.year + 1:
        raise ValidationFailed.of("year", f"年份应在2000至{today.year + 1}之间")
    if amount < 0:
        raise ValidationFailed.of("planned_investment_wan", "年度计划投资不能为负数")
    if project.total_investment_wan is not None and amount > project.total_investment_wan:
        raise ValidationFailed.of(
            "planned_investment_wan",
            f"年度计划投资{amount:,.2f}万元超过项目总投资{project.total_investment_wan:,.2f}万元",
        )
    plan = AnnualPlan.objects.select_for_update().filter(project=project, year=year).first()
    before = None if plan is None else {"planned_investment_wan": str(plan.planned_investment_wan)}
    if plan is None:
        plan = AnnualPlan(project=project, year=year)
    elif plan.planned_investment_wan == amount:
        return plan
    plan.planned_investment_wan = amount
    plan.save()
    audit.record(
        user=by,
        action="create" if before is None else "update",
        obj=plan,
        before=before,
        after={"planned_investment_wan": str(amount)},
        message=f"设置{year}年计划投资",
    )
    return plan
