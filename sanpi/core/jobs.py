"""Background jobs: start, run, follow, retry, settle and purge.

No domain knowledge. An app declares a *kind* of job with ``@job_kind``: a function
``run(job, progress)`` that reads what it needs from the ``Job`` row (its user, params,
uploaded file) and returns an outcome (``as_dict()``, ``summary_text()``, and for an
export ``data``/``filename``), or raises ``ServiceError`` (``ImportRejected`` for a
refused file) with a message for people.

``job_start`` writes the row and queues its task in one transaction (``core.tasks``); a
worker runs it. The rules that make it safe:

* a job runs at most once at a time: the worker claims it with a conditional update
  (pending → running), so a task delivered twice finds nothing to do;
* a job's writes are the kind's own transaction, so a worker killed mid-job leaves
  nothing half-written; the next worker to look (every loop) finds the job "running"
  under a dead worker and either queues it again (kinds declared ``idempotent``, up to
  ``max_attempts``) or marks it failed with ``INTERRUPTED``, and the user can retry;
* progress goes through the cache (any process can answer the progress poll), the
  outcome onto the row.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.dispatch import Signal
from django.utils import timezone

from sanpi.accounts.roles import Cap

from . import audit, tasks
from .errors import NotFound, ServiceError
from .models import Job, WorkerProcess
from .services import require

logger = logging.getLogger(__name__)

ProgressFn = Callable[[int, int, str], None]
PROGRESS_TIMEOUT = 24 * 3600
INTERNAL_ERROR = "处理时发生内部错误，未写入任何数据。请稍后重试或联系系统管理员。"
INTERRUPTED = "任务执行中断（后台处理进程意外退出），未写入任何数据。请点击“重试”。"
UNKNOWN_KIND = "系统不认识这类任务（可能是旧版本留下的），未执行。"


class Outcome(Protocol):
    def as_dict(self) -> dict: ...
    def summary_text(self) -> str: ...


@dataclass
class Done:
    """A job's result: a sentence for people and details for the page."""

    text: str
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return self.details

    def summary_text(self) -> str:
        return self.text


@dataclass
class FileOutcome(Done):
    """A job's result as a file to download (an export, a bulletin)."""

    data: bytes = b""
    filename: str = ""


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # what pages call it: 台账导入, 台账导出 …
    run: Callable[[Job, ProgressFn], Outcome]
    idempotent: bool
    max_attempts: int
    atomic: bool = True  # False: the kind commits as it goes (network I/O, no writes to undo)


# Sent once a job's outcome is stored (sender: the Job class, job: the finished row): how
# other apps hear of it (the notifications app tells whoever started it).
job_finished = Signal()


KINDS: dict[str, Kind] = {}


def job_kind(
    name: str,
    *,
    label: str,
    idempotent: bool = False,
    max_attempts: int = 3,
    atomic: bool = True,
):
    """Declare a kind of job. ``idempotent``: running it again after an interruption is
    harmless, so a job whose worker died is queued again automatically. ``atomic=False``:
    the kind is not wrapped in one transaction with its outcome (a kind that waits on the
    network, e.g. sending notifications, and keeps its own record of what it did); it must
    then be idempotent."""
    if not atomic and not idempotent:
        raise ValueError(f"job kind {name!r}: a non-atomic kind must be idempotent")

    def register(run: Callable[[Job, ProgressFn], Outcome]):
        KINDS[name] = Kind(name, label, run, idempotent, max_attempts, atomic)
        return run

    return register


def kind_label(name: str) -> str:
    kind = KINDS.get(name)
    return kind.label if kind else name


# --- progress ----------------------------------------------------------------------------


def progress_key(job_id) -> str:
    return f"sanpi:job:{job_id}"


class CacheProgress:
    """A progress callback that writes to the cache, at most every ``interval`` seconds
    (and always when a phase starts or ends)."""

    def __init__(self, job_id, *, interval: float = 0.2) -> None:
        self.key = progress_key(job_id)
        self.interval = interval
        self._last = 0.0
        self._phase = ""

    def __call__(self, done: int, total: int, phase: str = "") -> None:
        now = time.monotonic()
        if phase == self._phase and 0 < done < total and now - self._last < self.interval:
            return
        self._last = now
        self._phase = phase
        _report(self.key, phase, done, total)


def _report(key: str, phase: str, done: int, total: int) -> None:
    cache.set(
        key,
        {"phase": phase, "done": done, "total": total, "at": time.time()},
        timeout=PROGRESS_TIMEOUT,
    )


def job_progress(job: Job) -> dict:
    """What the progress bar shows: phase, done, total and percent (0-100; None while
    the total is unknown)."""
    data = cache.get(progress_key(job.pk)) or {}
    done, total = int(data.get("done", 0)), int(data.get("total", 0))
    percent = min(100, int(done * 100 / total)) if total else None
    return {"phase": data.get("phase", ""), "done": done, "total": total, "percent": percent}


# --- starting -------------------------------------------------------------------------------


def job_start(
    *,
    user,
    kind: str,
    filename: str = "",
    dry_run: bool = False,
    params: dict[str, Any] | None = None,
    source: bytes | None = None,
    retry_of: Job | None = None,
) -> Job:
    """Record a job and queue it, in one transaction. Returns the job (already finished
    where tasks run immediately). ``source``, an upload, is kept after a refusal so the
    file can be imported again."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    ctx = audit.current()
    with transaction.atomic():
        job = Job.objects.create(
            user=user,
            kind=kind,
            filename=filename[:255],
            dry_run=dry_run,
            params=params or {},
            source_file=source,
            retry_of=retry_of,
            origin={"source": ctx.source, "ip": ctx.ip, "request_id": ctx.request_id},
        )
        _report(progress_key(job.pk), "排队", 0, 0)
        task_id = tasks.enqueue_job(job.pk)
        Job.objects.filter(pk=job.pk, task_id="").update(task_id=task_id)
    job.refresh_from_db()
    return job


def job_retry(*, by, job: Job) -> Job:
    """Start a failed job again, as a new job (the failed one stays in the list)."""
    if job.status != Job.Status.FAILED:
        raise ServiceError("只有失败的任务可以重试")
    source = bytes(job.source_file) if job.source_file is not None else None
    retry = job_start(
        user=job.user,
        kind=job.kind,
        filename=job.filename,
        dry_run=job.dry_run,
        params=job.params,
        source=source,
        retry_of=job,
    )
    audit.record(
        user=by, action="create", obj=retry, message=f"重试后台任务：{kind_label(job.kind)}"
    )
    return retry


# --- running -------------------------------------------------------------------------------


def run_job(job_id, *, worker: str = "") -> None:
    """Run a queued job now and store its outcome. Never raises for bad input; a job
    that is not pending (already run, or being run) is left alone."""
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.PENDING).update(
        status=Job.Status.RUNNING,
        started_at=timezone.now(),
        worker=worker[:100],
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return
    job = Job.objects.get(pk=job_id)
    kind = KINDS.get(job.kind)
    progress = CacheProgress(job_id)
    origin = job.origin or {}
    # The kind's writes and the job's outcome commit together: a worker killed at any
    # point leaves either both or neither, never data written under a "running" job.
    atomic = kind is None or kind.atomic
    with (
        audit.audit_context(
            origin.get("source") or "system",
            ip=origin.get("ip"),
            request_id=origin.get("request_id"),
        ),
        transaction.atomic() if atomic else contextlib.nullcontext(),
    ):
        fields = _outcome_fields(job, kind, progress, atomic=atomic)
        Job.objects.filter(pk=job_id).update(finished_at=timezone.now(), **fields)
        _audit_refused(job, fields)
    cache.delete(progress_key(job_id))
    job_finished.send(sender=Job, job=Job.objects.defer(*HEAVY).get(pk=job_id))


def _audit_refused(job: Job, fields: dict) -> None:
    """A refused or failed upload leaves an audit row: who sent which file, and why it
    was not taken (a successful import is audited by the rows it writes)."""
    if not job.filename or fields["status"] not in (Job.Status.REJECTED, Job.Status.FAILED):
        return
    verdict = "被拒绝" if fields["status"] == Job.Status.REJECTED else "失败"
    audit.record(
        user=job.user,
        action="import",
        obj=job,
        object_repr=job.filename,
        after={"status": fields["status"], "kind": job.kind, "dry_run": job.dry_run},
        message=f"{kind_label(job.kind)}{verdict}：{job.filename}：{fields['message']}"
        + (f"首个错误：{fields['errors'][0]}" if fields.get("errors") else ""),
    )


OUT_OF_MEMORY = (
    "文件过大或过于复杂，处理时超出了后台进程的内存上限，未写入任何数据："
    "请拆分文件后分别处理，或联系系统管理员"
)


def _outcome_fields(job: Job, kind: Kind | None, progress: ProgressFn, *, atomic: bool) -> dict:
    from .imports import ImportRejected

    if kind is None:
        return {"status": Job.Status.FAILED, "message": UNKNOWN_KIND}
    try:
        # A failure rolls the kind's writes back, not the job's.
        with transaction.atomic() if atomic else contextlib.nullcontext():
            outcome = kind.run(job, progress)
    except ImportRejected as exc:
        progress(0, 0, "标注错误")
        try:
            marked = exc.marked  # a copy of the whole file: under the memory cap too
        except MemoryError:
            logger.warning("job %s (%s): no marked copy, out of memory", job.pk, job.kind)
            marked = None
        return {
            "status": Job.Status.REJECTED,
            "message": exc.message,
            "errors": exc.lines,
            "marked_file": marked,
            "summary": exc.details,
        }
    except ServiceError as exc:
        return {"status": Job.Status.FAILED, "message": exc.message[:500]}
    except MemoryError:
        logger.warning("job %s (%s) ran out of memory", job.pk, job.kind)
        return {"status": Job.Status.FAILED, "message": OUT_OF_MEMORY}
    except Exception:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        return {"status": Job.Status.FAILED, "message": INTERNAL_ERROR}
    fields = {
        "status": Job.Status.DONE,
        "message": outcome.summary_text()[:500],
        "summary": outcome.as_dict(),
        "source_file": None,
    }
    if isinstance(outcome, FileOutcome):
        fields.update(result_file=outcome.data, result_name=outcome.filename[:255])
    return fields


# --- settling jobs of dead workers, purging old ones ----------------------------------------


def settle_interrupted(now: dt.datetime | None = None) -> list[Job]:
    """Jobs left running by a worker that is gone: queued again if their kind is
    idempotent and attempts remain, otherwise failed with ``INTERRUPTED``. Their writes
    were one transaction that died with the worker, so nothing of them was kept."""
    now = now or timezone.now()
    seen = dict(WorkerProcess.objects.values_list("pk", "seen_at"))
    settled = []
    for job in Job.objects.filter(status=Job.Status.RUNNING).defer(
        "source_file", "marked_file", "result_file"
    ):
        if tasks.is_alive(job.worker, seen_at=seen.get(job.worker), now=now):
            continue
        kind = KINDS.get(job.kind)
        again = kind is not None and kind.idempotent and job.attempts < kind.max_attempts
        with transaction.atomic():
            changed = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, worker=job.worker)
            if again:
                if changed.update(status=Job.Status.PENDING, worker="", started_at=None):
                    tasks.task_failed(job.task_id)
                    Job.objects.filter(pk=job.pk).update(task_id=tasks.enqueue_job(job.pk))
            elif changed.update(status=Job.Status.FAILED, message=INTERRUPTED, finished_at=now):
                tasks.task_failed(job.task_id)
                job_finished.send(sender=Job, job=Job.objects.defer(*HEAVY).get(pk=job.pk))
        cache.delete(progress_key(job.pk))
        settled.append(job)
    WorkerProcess.objects.filter(seen_at__lt=now - tasks.DEAD_AFTER * 10).delete()
    return settled


def purge_finished(now: dt.datetime | None = None) -> int:
    """Delete finished jobs (and their files) older than SANPI_JOBS_KEEP_DAYS."""
    now = now or timezone.now()
    before = now - dt.timedelta(days=settings.SANPI_JOBS_KEEP_DAYS)
    deleted, _ = Job.objects.filter(status__in=Job.FINISHED, finished_at__lt=before).delete()
    tasks.purge_tasks(before)
    return deleted


# --- the queue's own check ------------------------------------------------------------------


@job_kind("core.ping", label="队列自检", idempotent=True)
def ping(job: Job, progress: ProgressFn) -> Done:
    """Proves a worker takes and finishes work; says which worker. With ``seconds`` it
    takes that long (at most 10 minutes), with ``audit`` it writes an audit row first:
    the fault tests kill a worker in the middle of one. With ``megabytes`` it takes that
    much memory: above the worker's limit (SANPI_WORKER_MEMORY_MB) it fails as a too-big
    file would, and the worker carries on."""
    if job.params.get("megabytes"):
        ballast = bytearray(int(job.params["megabytes"]) * 1024 * 1024)
        del ballast
    if job.params.get("audit"):
        audit.record(user=None, action="create", obj=job, message="队列自检")
    tasks.sleep(min(float(job.params.get("seconds", 0)), 600))
    return Done(f"后台处理进程 {job.worker or '（当前进程）'} 已完成自检", {"worker": job.worker})


# --- reading -----------------------------------------------------------------------------


def live_workers(now: dt.datetime | None = None) -> QuerySet[WorkerProcess]:
    """Workers heard from within the last minute."""
    now = now or timezone.now()
    return WorkerProcess.objects.filter(seen_at__gte=now - tasks.DEAD_AFTER)


def no_worker_running() -> bool:
    """Queued work will wait: no worker has been heard from (pages say so)."""
    return not tasks.runs_immediately() and not live_workers().exists()


HEAVY = ("marked_file", "source_file", "result_file")


def job_list(*, user, kind: str | None = None) -> QuerySet[Job]:
    """The user's own jobs, newest first (without their files)."""
    qs = Job.objects.filter(user_id=user.pk).defer(*HEAVY)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def job_get(*, user, pk) -> Job:
    """A job of the user's own; anyone else's does not exist for them."""
    try:
        return Job.objects.get(pk=pk, user_id=user.pk)
    except (Job.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        raise NotFound("任务不存在") from None


def all_jobs(*, user, status: str = "", kind: str = "", q: str = "") -> QuerySet[Job]:
    """Every job, for the operator page (newest first, without files)."""
    require(user, Cap.MANAGE_JOBS)
    qs = Job.objects.select_related("user").defer(*HEAVY)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(filename__icontains=q) | Q(user__username__icontains=q))
    return qs
