"""Ledger import/export pages: upload a workbook, follow its import job, download the
marked file, the template and the export. Views only parse, check the capability and
call the services in `sanpi.projects.io` and `sanpi.core.imports`."""

from __future__ import annotations

import io
from pathlib import PurePath

from django import forms
from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from sanpi.accounts.roles import Cap
from sanpi.core import imports
from sanpi.core.models import ImportJob
from sanpi.core.web import require_cap, web_view
from sanpi.core.xlsx import XLSX_CONTENT_TYPE

from .io import ledger_import
from .ledger_export import ledger_export, ledger_template
from .selectors import ProjectFilter

JOB_KIND = "ledger"
SUMMARY_LABELS = (
    ("rows", "数据行"),
    ("created", "新增项目"),
    ("updated", "更新项目"),
    ("unchanged", "未变化项目"),
    ("enterprises_created", "新增企业"),
    ("activities_created", "新增活动"),
    ("activities_updated", "修改活动"),
    ("entries_created", "新增活动归属"),
    ("events_created", "新增阶段记录"),
)


class LedgerUploadForm(forms.Form):
    file = forms.FileField(
        label="台账文件（.xlsx）",
        error_messages={"required": "请选择要上传的文件", "empty": "上传的文件是空的"},
    )
    dry_run = forms.BooleanField(label="仅校验，不写入", required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.SANPI_IMPORT_MAX_BYTES
        if upload.size > limit:
            size = f"{limit / 2**20:g}MB" if limit >= 2**20 else f"{limit}字节"
            raise forms.ValidationError(f"文件太大：不能超过{size}")
        return upload


@require_http_methods(["GET", "POST"])
@web_view
def ledger_import_page(request):
    require_cap(request.user, Cap.IMPORT_LEDGER)
    bound = request.method == "POST"
    form = LedgerUploadForm(request.POST, request.FILES) if bound else LedgerUploadForm()
    if bound and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        dry_run = form.cleaned_data["dry_run"]
        filename = PurePath(upload.name or "台账.xlsx").name
        user = request.user

        def work(progress):
            return ledger_import(
                by=user, data=data, dry_run=dry_run, progress=progress, filename=filename
            )

        job = imports.job_start(
            user=user, kind=JOB_KIND, filename=filename, dry_run=dry_run, work=work
        )
        return redirect("ledger:job", pk=job.pk)
    jobs = imports.job_list(user=request.user, kind=JOB_KIND)[:10]
    return render(request, "ledger/import.html", {"form": form, "jobs": jobs})


def _job(request, pk) -> ImportJob:
    """The user's own job (anyone else's: 404), if they may still import."""
    job = imports.job_get(user=request.user, pk=pk)
    require_cap(request.user, Cap.IMPORT_LEDGER)
    return job


def _status_context(job: ImportJob) -> dict:
    stale = imports.job_is_stale(job)
    running = not job.finished and not stale
    summary = job.summary or {}
    return {
        "job": job,
        "running": running,
        "stale": stale,
        "stale_message": imports.STALE_MESSAGE,
        "progress": imports.job_progress(job) if running else None,
        "summary_rows": [(label, summary[key]) for key, label in SUMMARY_LABELS if key in summary],
        "has_marked": bool(job.marked_file),
    }


@require_GET
@web_view
def job_page(request, pk):
    job = _job(request, pk)
    return render(request, "ledger/job.html", _status_context(job))


@require_GET
@web_view
def job_progress(request, pk):
    """The status fragment the job page polls (htmx) until the job has finished."""
    job = _job(request, pk)
    return render(request, "ledger/_job_status.html", _status_context(job))


def _xlsx_response(data: bytes, filename: str) -> FileResponse:
    return FileResponse(
        io.BytesIO(data), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )


@require_GET
@web_view
def marked_file(request, pk):
    job = _job(request, pk)
    if not job.marked_file:
        raise Http404("没有标注错误的文件")
    stem = PurePath(job.filename).stem or "台账"
    return _xlsx_response(bytes(job.marked_file), f"{stem}-错误标注.xlsx")


@require_GET
@web_view
def template_file(request):
    require_cap(request.user, Cap.IMPORT_LEDGER)
    return _xlsx_response(ledger_template(), "项目台账导入模板.xlsx")


@require_GET
@web_view
def export_file(request):
    require_cap(request.user, Cap.EXPORT_LEDGER)
    export = ledger_export(by=request.user, filters=ProjectFilter.from_params(request.GET))
    return _xlsx_response(export.data, export.filename)
