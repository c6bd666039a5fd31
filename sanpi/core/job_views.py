"""Background jobs on the web: a job's page (progress, result, retry) for the user who
started it, and the operator's list of every job with the workers' health."""

from __future__ import annotations

import io

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from . import jobs, tasks
from .middleware import passive
from .models import Job
from .web import BootstrapFormMixin, paginate, web_view
from .word import DOCX_CONTENT_TYPE
from .xlsx import XLSX_CONTENT_TYPE

CONTENT_TYPES = {"xlsx": XLSX_CONTENT_TYPE, "docx": DOCX_CONTENT_TYPE}


def _context(job: Job) -> dict:
    running = not job.finished
    return {
        "job": job,
        "label": jobs.kind_label(job.kind),
        "running": running,
        "progress": jobs.job_progress(job) if running else None,
        "no_worker": jobs.no_worker_running() if running else False,
    }


@require_GET
@web_view
def job_page(request, pk):
    job = jobs.job_get(user=request.user, pk=pk)
    return render(request, "core/job.html", _context(job))


@require_GET
@web_view
@passive
def job_status(request, pk):
    """The fragment the job page polls (htmx) until the job has finished."""
    job = jobs.job_get(user=request.user, pk=pk)
    return render(request, "core/_job_status.html", _context(job))


@require_GET
@web_view
def job_download(request, pk):
    job = jobs.job_get(user=request.user, pk=pk)
    if job.status != Job.Status.DONE or not job.result_file:
        raise Http404("该任务没有可下载的文件")
    kind = CONTENT_TYPES.get(job.result_name.rpartition(".")[2], "application/octet-stream")
    return FileResponse(
        io.BytesIO(bytes(job.result_file)),
        as_attachment=True,
        filename=job.result_name,
        content_type=kind,
    )


@require_GET
@web_view
def job_marked(request, pk):
    """A refused import's file with the bad cells marked."""
    job = jobs.job_get(user=request.user, pk=pk)
    if job.status != Job.Status.REJECTED or not job.marked_file:
        raise Http404("没有标注错误的文件")
    stem = (job.filename or "文件").rsplit(".", 1)[0]
    return FileResponse(
        io.BytesIO(bytes(job.marked_file)),
        as_attachment=True,
        filename=f"{stem}-错误标注.xlsx",
        content_type=XLSX_CONTENT_TYPE,
    )


@require_POST
@web_view
def job_retry(request, pk):
    job = jobs.job_get(user=request.user, pk=pk)
    retry = jobs.job_retry(by=request.user, job=job)
    messages.success(request, "已重新提交任务")
    if job.kind == "ledger":
        return redirect("ledger:job", pk=retry.pk)
    return redirect("core:job", pk=retry.pk)


class JobFilterForm(BootstrapFormMixin, forms.Form):
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部状态"), *Job.Status.choices]
    )
    kind = forms.ChoiceField(label="类型", required=False)
    q = forms.CharField(label="文件名或用户", required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = sorted((k.name, k.label) for k in jobs.KINDS.values())
        self.fields["kind"].choices = [("", "全部类型"), *kinds]


@require_GET
@web_view
def job_admin(request):
    """Every job, newest first, with the workers' heartbeats: is the queue healthy?"""
    form = JobFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = jobs.all_jobs(user=request.user, **{k: v for k, v in filters.items() if v})
    return render(
        request,
        "core/job_admin.html",
        {
            "form": form,
            "page": paginate(request, rows),
            "workers": jobs.live_workers(),
            "queue": tasks.queue_counts(),
            "pending": Job.objects.filter(status=Job.Status.PENDING).count(),
            "running": Job.objects.filter(status=Job.Status.RUNNING).count(),
            "no_worker": jobs.no_worker_running(),
            "now": timezone.now(),
            "labels": {k.name: k.label for k in jobs.KINDS.values()},
        },
    )
