"""The audit log page and its export, for the audit administrator; the error pages."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from sanpi.accounts.roles import Cap

from . import audit, audit_archive, audit_chain, jobs
from .audit_export import audit_log_export_check, export_params
from .errors import ValidationFailed
from .models import AuditLog
from .selectors import audit_log_list
from .uploads import size_text
from .web import (
    BootstrapFormMixin,
    DateInput,
    describe_audit,
    object_type_choices,
    paginate,
    require_cap,
    web_view,
)


class AuditFilterForm(BootstrapFormMixin, forms.Form):
    username = forms.CharField(label="用户", required=False, max_length=150)
    action = forms.ChoiceField(
        label="操作", required=False, choices=[("", "全部操作"), *AuditLog.Action.choices]
    )
    object_type = forms.ChoiceField(label="对象类型", required=False)
    object_id = forms.CharField(label="对象编号", required=False, max_length=40)
    date_from = forms.DateField(label="起始日期", required=False, widget=DateInput())
    date_to = forms.DateField(label="截止日期", required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", "全部对象"), *object_type_choices()]

    def filters(self) -> dict:
        """The valid filters that are set (none when the form is unbound or invalid)."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class ArchiveForm(BootstrapFormMixin, forms.Form):
    before = forms.DateField(label="归档此日期以前的记录", required=False, widget=DateInput())


@web_view
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.filters()
    rows = audit_log_list(user=request.user, **filters)
    page = paginate(request, rows)
    # The export link carries the filters the page applied (as typed), not the page number.
    export_query = urlencode({k: request.GET[k] for k in form.fields if k in filters})
    context = {
        "form": form,
        "page": page,
        "rows": describe_audit(page.object_list),
        "export_query": export_query,
    }
    if request.user.can(Cap.AUDIT_ARCHIVE):
        retention = audit_archive.retention_state(user=request.user)
        context |= {
            "archives": audit_archive.archive_list(user=request.user),
            "retention": retention,
            "archive_form": ArchiveForm(initial={"before": retention.latest_before}),
            "archive_max_rows": audit_archive.WEB_MAX_ROWS,
        }
    return render(request, "core/audit_log.html", context)


@require_POST
@web_view
def audit_archive_start(request):
    """Archive the rows past retention to a signed file, as a background job whose page
    offers the file (at most WEB_MAX_ROWS rows at a time). Purging is the operator's
    `sanpi audit purge`, on the server."""
    require_cap(request.user, Cap.AUDIT_ARCHIVE)
    form = ArchiveForm(request.POST)
    back = reverse("core:audit_log") + "#audit-archives"
    if not form.is_valid():
        messages.error(request, "归档截止日期有误（应为 YYYY-MM-DD），未归档")
        return redirect(back)
    before = form.cleaned_data["before"]
    try:
        plan = audit_archive.archive_plan(
            by=request.user, before=before, max_rows=audit_archive.WEB_MAX_ROWS, seal=False
        )
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect(back)
    job = jobs.job_start(
        user=request.user, kind="core.audit_archive", params={"before": plan.before.isoformat()}
    )
    return redirect("core:job", pk=job.pk)


@require_GET
@web_view
def audit_export(request):
    """The filtered audit log as .xlsx (the filters of the page, in the query string)."""
    require_cap(request.user, Cap.EXPORT_AUDIT)
    form = AuditFilterForm(request.GET or None)
    back = reverse("core:audit_log") + (f"?{request.GET.urlencode()}" if request.GET else "")
    if form.is_bound and not form.is_valid():
        messages.error(request, "筛选条件有误，未导出：请改正后再导出")
        return redirect(back)
    filters = form.filters()
    try:
        audit_log_export_check(by=request.user, filters=filters)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect(back)
    # Up to 100,000 rows: written by a background job, its page offers the file.
    job = jobs.job_start(
        user=request.user, kind="core.audit_export", params={"filters": export_params(filters)}
    )
    return redirect("core:job", pk=job.pk)


@require_GET
@web_view
def audit_head(request):
    """The audit chain's head as a small JSON file for the audit administrator to keep
    outside the system: a later rewrite of the whole chain shows against it
    (`sanpi audit verify --head FILE`). The export itself is audited. The head is the last
    seal made (the 封存审计记录 schedule seals new rows every few minutes): sealing is
    not done in the request, where it would wait for the sealer's lock."""
    require_cap(request.user, Cap.EXPORT_AUDIT)
    head = audit_chain.head()
    now = timezone.localtime()
    body = {**head.as_dict(), "algorithm": audit_chain.head_algorithm(), "at": now.isoformat()}
    audit.record(
        user=request.user,
        action="export",
        object_type="core.auditchain",
        object_repr="审计链头",
        after=head.as_dict(),
        message=f"导出审计链头 {head.seq}:{head.hash}",
    )
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    name = f"审计链头-{now:%Y%m%d-%H%M}.json"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


# --- error pages ---------------------------------------------------------------------------


def bad_request(request, exception=None):
    """400, and 413 for a request too large to read (Django refuses to parse it): a page
    in Chinese that says what to do, never a 500."""
    context = {"heading": "请求有误（400）", "message": "请返回上一页重试。"}
    status = 400
    if isinstance(exception, RequestDataTooBig):
        status = 413
        form_limit = size_text(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        file_limit = size_text(settings.SANPI_UPLOAD_MAX_BYTES)
        context = {
            "heading": "提交的内容太大（413）",
            "message": (
                f"表单提交的内容不能超过{form_limit}，本次提交未处理。"
                "请返回上一页，删减过长的文字后再提交；"
                f"导入台账请在“Excel导入”页上传文件（不超过{file_limit}）。"
            ),
        }
    elif isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        status = 413
        context = {
            "heading": "提交的项目太多（413）",
            "message": "一次提交的字段或文件太多，本次提交未处理。请返回上一页，分几次提交。",
        }
    return render(request, "400.html", context, status=status)
