"""Monthly dispatch pages: the month's list (who has reported, who hasn't, who is sent
back), one project's report (fill in on a phone, review, reopen), closing the month."""

from __future__ import annotations

from pathlib import PurePath
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from sanpi.accounts.roles import Cap
from sanpi.core import jobs
from sanpi.core.errors import ServiceError
from sanpi.core.scope import restrict
from sanpi.core.web import add_service_error, errors_text, paginate, require_cap, submit, web_view
from sanpi.regions.forms import county_choices
from sanpi.regions.selectors import zone_list

from . import photos, rules, selectors, services, sheets
from .forms import (
    DeadlineForm,
    PhotoForm,
    PlanForm,
    ReopenForm,
    ReportForm,
    ReviewForm,
    SheetUploadForm,
)
from .models import ReportPhoto


def _month(year: int, month: int) -> tuple[int, int]:
    problem = rules.check_month(year, month, timezone.localdate())
    if problem:
        raise Http404(problem)
    return year, month


def _last_month() -> tuple[int, int]:
    today = timezone.localdate()
    return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)


@web_view
def month_default(request):
    year, month = _last_month()
    return redirect("dispatch:month", year=year, month=month)


@web_view
def month_page(request, year: int, month: int):
    user = request.user
    year, month = _month(year, month)
    filters = selectors.MonthFilter.from_params(request.GET)
    rows = selectors.month_rows(user=user, year=year, month=month, filters=filters)
    row = services.month_get(year, month)
    previous = (year - 1, 12) if month == 1 else (year, month - 1)
    following = rules.next_month(year, month)
    today = timezone.localdate()
    return render(
        request,
        "dispatch/month.html",
        {
            "year": year,
            "month": month,
            "month_row": row,
            "page": paginate(request, rows),
            "counts": selectors.month_counts(user=user, year=year, month=month),
            "statuses": selectors.STATUS_FILTERS,
            "filters": filters,
            "query": urlencode(filters.as_params()),
            "counties": county_choices(user=user) if user.sees_all else None,
            "zones": zone_list(user=user) if user.scope_dimension in (None, "county") else None,
            "previous": previous,
            "following": following if following <= (today.year, today.month) else None,
            "overdue": today > row.deadline,
            "deadline_form": DeadlineForm(initial={"deadline": row.deadline}),
            "can_close": user.can(Cap.CLOSE_MONTHS) and not row.closed,
            "can_file": user.can(Cap.FILE_REPORTS) and not row.closed,
            "upload_form": SheetUploadForm(),
        },
    )


def _report_context(request, project, year, month, *, form=None, review_form=None, plan_form=None):
    user = request.user
    report = selectors.report_get(user=user, project_id=project.pk, year=year, month=month)
    produced = project.stage == "produced"
    if form is None:
        form = ReportForm(
            instance=report,
            produced=produced,
            initial={"version": report.version if report else 0},
        )
    month_row = services.month_get(year, month)
    status = report.status if report else ""
    may_file = (
        user.can(Cap.FILE_REPORTS)
        and not month_row.closed
        and rules.owes_report(project.stage, project.health)
        and rules.move_to(rules.Move.SAVE, status) is not None
    )
    return {
        "project": project,
        "year": year,
        "month": month,
        "report": report,
        "month_row": month_row,
        "form": form,
        "may_file": may_file,
        "may_review": user.can(Cap.REVIEW_REPORTS)
        and not month_row.closed
        and status == rules.Status.SUBMITTED,
        "may_reopen": user.can(Cap.CLOSE_MONTHS) and status == rules.Status.ACCEPTED,
        "review_form": review_form
        or ReviewForm(initial={"version": report.version if report else 0}),
        "reopen_form": ReopenForm(),
        "plan_form": plan_form or PlanForm(initial={"year": year}),
        "may_plan": user.can(Cap.REVIEW_REPORTS),
        "photos": list(report.photos.all()) if report else [],
        "photo_form": PhotoForm(),
        "cumulative": selectors.cumulative_investment(project, year=year, month=month),
        "history": selectors.project_reports(user=user, project=project)[:24],
    }


@web_view
def report_page(request, year: int, month: int, project: int):
    user = request.user
    year, month = _month(year, month)
    project = selectors.project_for_report(user=user, project_id=project)
    if request.method == "POST":
        require_cap(user, Cap.FILE_REPORTS)
        form = ReportForm(request.POST, produced=project.stage == "produced")
        submitting = "submit" in request.POST

        def save(data):
            return services.report_save(
                by=user,
                project=project,
                year=year,
                month=month,
                data=data,
                submit=submitting,
                version=data.get("version"),
            )

        if submit(request, form, save):
            messages.success(request, "月报已报送，等待县级审核" if submitting else "草稿已保存")
            return redirect("dispatch:report", year=year, month=month, project=project.pk)
        _say_refusal(request, form)
        context = _report_context(request, project, year, month, form=form)
        return render(request, "dispatch/report.html", context, status=200)
    return render(request, "dispatch/report.html", _report_context(request, project, year, month))


def _say_refusal(request, form) -> None:
    """A refusal not about one field (someone else changed the report meanwhile, the
    month was closed) at the top of the page: the form it concerns may no longer show."""
    for message in form.non_field_errors():
        messages.error(request, message)


def _report_or_404(request, year, month, project_id):
    project = selectors.project_for_report(user=request.user, project_id=project_id)
    report = selectors.report_get(user=request.user, project_id=project.pk, year=year, month=month)
    if report is None:
        raise Http404("该月报还没有填报")
    return project, report


@require_POST
@web_view
def report_review(request, year: int, month: int, project: int):
    user = request.user
    require_cap(user, Cap.REVIEW_REPORTS)
    project, report = _report_or_404(request, year, month, project)
    form = ReviewForm(request.POST)
    accept = "accept" in request.POST
    done = submit(
        request,
        form,
        lambda data: services.report_review(
            by=user,
            report=report,
            accept=accept,
            reason=data["reason"],
            version=data.get("version"),
        ),
    )
    if done:
        messages.success(request, "已审核通过" if accept else "已退回，填报人会收到通知")
        return redirect("dispatch:report", year=year, month=month, project=project.pk)
    _say_refusal(request, form)
    context = _report_context(request, project, year, month, review_form=form)
    return render(request, "dispatch/report.html", context)


@require_POST
@web_view
def report_reopen(request, year: int, month: int, project: int):
    user = request.user
    require_cap(user, Cap.CLOSE_MONTHS)
    project, report = _report_or_404(request, year, month, project)
    form = ReopenForm(request.POST)
    if submit(
        request,
        form,
        lambda data: services.report_reopen(by=user, report=report, reason=data["reason"]),
    ):
        messages.success(request, "已重新打开，退回填报人修改")
    else:
        messages.error(request, errors_text(form))
    return redirect("dispatch:report", year=year, month=month, project=project.pk)


@require_POST
@web_view
def plan_set(request, year: int, month: int, project: int):
    user = request.user
    require_cap(user, Cap.REVIEW_REPORTS)
    project = selectors.project_for_report(user=user, project_id=project)
    form = PlanForm(request.POST)
    done = submit(
        request,
        form,
        lambda data: services.plan_set(
            by=user, project=project, year=data["year"], amount=data["planned_investment_wan"]
        ),
    )
    if done:
        messages.success(request, f"已设置{done.year}年计划投资")
        return redirect("dispatch:report", year=year, month=month, project=project.pk)
    context = _report_context(request, project, year, month, plan_form=form)
    return render(request, "dispatch/report.html", context)


@require_POST
@web_view
def month_close(request, year: int, month: int):
    user = request.user
    require_cap(user, Cap.CLOSE_MONTHS)
    year, month = _month(year, month)
    try:
        services.month_close(by=user, year=year, month=month)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{year}年{month}月已关账，月报已锁定")
    return redirect("dispatch:month", year=year, month=month)


@require_POST
@web_view
def month_deadline(request, year: int, month: int):
    user = request.user
    require_cap(user, Cap.CLOSE_MONTHS)
    year, month = _month(year, month)
    form = DeadlineForm(request.POST)
    if form.is_valid():
        try:
            services.month_set_deadline(
                by=user, year=year, month=month, deadline=form.cleaned_data["deadline"]
            )
        except ServiceError as exc:
            add_service_error(form, exc)
    if form.errors:
        messages.error(request, errors_text(form))
    else:
        messages.success(request, "截止日期已修改")
    return redirect("dispatch:month", year=year, month=month)


@web_view
def sheet_download(request, year: int, month: int):
    """The month's sheet, pre-filled for every project the user files for (a job)."""
    require_cap(request.user, Cap.FILE_REPORTS)
    year, month = _month(year, month)
    job = jobs.job_start(
        user=request.user, kind=sheets.EXPORT_KIND, params={"year": year, "month": month}
    )
    return redirect("core:job", pk=job.pk)


@require_POST
@web_view
def sheet_upload(request, year: int, month: int):
    """A filled-in month sheet: every row's report submitted, or none (a job)."""
    require_cap(request.user, Cap.FILE_REPORTS)
    year, month = _month(year, month)
    form = SheetUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, errors_text(form))
        return redirect("dispatch:month", year=year, month=month)
    upload = form.cleaned_data["file"]
    job = jobs.job_start(
        user=request.user,
        kind=sheets.KIND,
        filename=PurePath(upload.name or "月报.xlsx").name,
        source=upload.read(),
        params={"year": year, "month": month},
    )
    return redirect("core:job", pk=job.pk)


# --- photos ---------------------------------------------------------------------------------


@require_POST
@web_view
def photo_add(request, year: int, month: int, project: int):
    project, report = _report_or_404(request, year, month, project)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            photos.photo_add(by=request.user, report=report, upload=form.cleaned_data["photo"])
        except ServiceError as exc:
            add_service_error(form, exc)
    if form.errors:
        messages.error(request, errors_text(form))
    else:
        messages.success(request, "照片已上传")
    return redirect("dispatch:report", year=year, month=month, project=project.pk)


def _photo(request, pk: int) -> ReportPhoto:
    require_cap(request.user, Cap.VIEW_LEDGER)
    photo = (
        restrict(ReportPhoto.objects.select_related("report", "report__project"), request.user)
        .filter(pk=pk)
        .first()
    )
    if photo is None:
        raise Http404("照片不存在")
    return photo


@require_GET
@web_view
def photo_file(request, pk: int):
    photo = _photo(request, pk)
    return FileResponse(photo.file.open("rb"), content_type="image/jpeg")


@require_POST
@web_view
def photo_remove(request, pk: int):
    photo = _photo(request, pk)
    report = photo.report
    try:
        photos.photo_remove(by=request.user, photo=photo)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "照片已删除")
    return redirect(
        "dispatch:report", year=report.year, month=report.month, project=report.project_id
    )
