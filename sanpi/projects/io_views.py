"""Ledger import/export pages: upload a workbook, follow its import job, download the
marked file, the template and the export. Views only parse, check the capability and
call the services in `sanpi.projects.io` and `sanpi.core.imports`."""

from __future__ import annotations

from pathlib import PurePath

from django import forms
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sanpi.accounts.roles import Cap
from sanpi.core import imports, jobs, uploads
from sanpi.core.middleware import passive
from sanpi.core.models import Job
from sanpi.core.web import attachment, require_cap, web_view

from .io import LEDGER
from .jobs import LEDGER_EXPORT, LEDGER_IMPORT
from .ledger_export import ledger_template
from .selectors import ProjectFilter

JOB_KIND = LEDGER_IMPORT
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
        label="台账文件（.xlsx、.xls 或 .csv）",
        error_messages={"required": "请选择要上传的文件", "empty": "上传的文件是空的"},
    )
    dry_run = forms.BooleanField(label="仅校验，不写入", required=False)
    use_mapping = forms.BooleanField(label="使用我上次指定的列对应", required=False, initial=True)

    def clean_file(self):
        # SANPI_UPLOAD_MAX_BYTES, checked before anything reads the file (core.uploads).
        return uploads.check_upload_size(self.cleaned_data["file"])


def _start(request, *, data: bytes, filename: str, dry_run: bool, mapping: dict[str, str]):
    job = jobs.job_start(
        user=request.user, kind=JOB_KIND, filename=filename, dry_run=dry_run, source=data,
        params={"mapping": mapping},
    )  # fmt: skip
    return redirect("ledger:job", pk=job.pk)


@require_http_methods(["GET", "POST"])
@web_view
def ledger_import_page(request):
    require_cap(request.user, Cap.IMPORT_LEDGER)
    bound = request.method == "POST"
    form = LedgerUploadForm(request.POST, request.FILES) if bound else LedgerUploadForm()
    remembered = imports.mapping_get(user=request.user, kind=JOB_KIND)
    if bound and form.is_valid():
        upload = form.cleaned_data["file"]
        return _start(
            request,
            data=upload.read(),
            filename=PurePath(upload.name or "台账.xlsx").name,
            dry_run=form.cleaned_data["dry_run"],
            mapping=remembered if form.cleaned_data["use_mapping"] else {},
        )
    recent = jobs.job_list(user=request.user, kind=JOB_KIND)[:10]
    context = {"form": form, "jobs": recent, "remembered": sorted(remembered.items())}
    return render(request, "ledger/import.html", context)


@require_POST
@web_view
def remap(request, pk):
    """Import a refused file again with the columns the user assigned by hand; the
    assignment is remembered for their next files."""
    job = _job(request, pk)
    data = imports.job_source(user=request.user, pk=job.pk)
    targets = {c.header for c in LEDGER.columns}
    understood = {c["header"]: c["current"] for c in _mapping_rows(job)}
    mapping: dict[str, str] = {}
    for key, value in request.POST.items():
        if not key.startswith("map:"):
            continue
        header = key.removeprefix("map:").strip()[:100]
        # Only what the user changed is theirs to remember; the rest the reader knows.
        if header in understood and (value in targets or not value) and understood[header] != value:
            mapping[header] = value
    imports.mapping_save(user=request.user, kind=JOB_KIND, mapping=mapping)
    return _start(
        request, data=data, filename=job.filename, dry_run=job.dry_run,
        mapping=imports.mapping_get(user=request.user, kind=JOB_KIND),
    )  # fmt: skip


def _job(request, pk) -> Job:
    """The user's own job (anyone else's: 404), if they may still import."""
    job = jobs.job_get(user=request.user, pk=pk)
    require_cap(request.user, Cap.IMPORT_LEDGER)
    return job


def _mapping_rows(job: Job) -> list[dict]:
    """The refused file's columns, each with the template column it was taken for, for
    the form where the user assigns them by hand (only when a column was not found)."""
    ledger = (job.summary or {}).get("understood", {}).get("ledger") or {}
    if job.status != Job.Status.REJECTED or not any("找不到此列" in e for e in job.errors):
        return []
    rows = [{**c, "current": c["target"]} for c in ledger.get("columns", [])]
    rows += [{**c, "current": ""} for c in ledger.get("ignored", [])]
    return sorted(rows, key=lambda c: (len(c["letter"]), c["letter"]))


def _status_context(job: Job) -> dict:
    summary = job.summary or {}
    return {
        "job": job,
        "running": not job.finished,
        "progress": jobs.job_progress(job) if not job.finished else None,
        "no_worker": jobs.no_worker_running() if not job.finished else False,
        "summary_rows": [(label, summary[key]) for key, label in SUMMARY_LABELS if key in summary],
        "summary": summary,
        "has_marked": bool(job.marked_file),
        "mapping_rows": _mapping_rows(job),
        "templates": [c.header for c in LEDGER.columns],
    }


@require_GET
@web_view
def job_page(request, pk):
    job = _job(request, pk)
    return render(request, "ledger/job.html", _status_context(job))


@require_GET
@web_view
@passive
def job_progress(request, pk):
    """The status fragment the job page polls (htmx) until the job has finished."""
    job = _job(request, pk)
    return render(request, "ledger/_job_status.html", _status_context(job))


@require_GET
@web_view
def marked_file(request, pk):
    job = _job(request, pk)
    if not job.marked_file:
        raise Http404("没有标注错误的文件")
    stem = PurePath(job.filename).stem or "台账"
    return attachment(bytes(job.marked_file), f"{stem}-错误标注.xlsx")


@require_GET
@web_view
def template_file(request):
    require_cap(request.user, Cap.IMPORT_LEDGER)
    return attachment(ledger_template(), "项目台账导入模板.xlsx")


@require_GET
@web_view
def export_file(request):
    """The ledger export as a background job (a province's ledger takes a while): the
    job page shows its progress and then the file to download."""
    require_cap(request.user, Cap.EXPORT_LEDGER)
    filters = ProjectFilter.from_params(request.GET)
    job = jobs.job_start(
        user=request.user, kind=LEDGER_EXPORT, params={"filters": filters.as_params()}
    )
    return redirect("core:job", pk=job.pk)
