"""Import jobs: run an import inline or in a background thread, with progress.

No domain knowledge: an app hands `job_start` a *work* function that takes a
progress callback ``progress(done, total, phase)`` and returns an outcome (with
``as_dict()`` and ``summary_text()``), or raises `ImportRejected` with every error
and the marked copy of the file.

While a job runs, its progress goes through Django's cache (file-based in settings,
so any web process can answer the progress poll); when it ends, the outcome is
stored on the `ImportJob` row. ``settings.SANPI_IMPORT_IN_THREAD`` chooses a
background thread (the web default: large files take seconds) or running inline
(tests, and anywhere threads are unwelcome).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import audit
from .errors import NotFound, ServiceError
from .models import ImportJob, ImportMapping
from .xlsx import CellError, marked_copy

logger = logging.getLogger(__name__)

ProgressFn = Callable[[int, int, str], None]
PROGRESS_TIMEOUT = 24 * 3600
STALE_AFTER = dt.timedelta(minutes=10)  # without any progress report
INTERNAL_ERROR = "导入时发生内部错误，未导入任何数据。请稍后重试或联系系统管理员。"
STALE_MESSAGE = "导入任务已中断（服务可能已重启），未导入任何数据，请重新上传文件。"


class ImportRejected(ServiceError):
    """Bad input: nothing was written. Carries every error and the marked workbook.

    Given the uploaded bytes as ``source``, the marked copy (slow for big files) is made
    only when someone asks for ``marked``: the web job does, the command line doesn't.
    """

    code = "import_rejected"

    def __init__(
        self,
        errors: Sequence[CellError],
        marked: bytes | None = None,
        *,
        source: bytes | None = None,
        details: dict | None = None,
        header_rows: dict[str, int] | None = None,
    ) -> None:
        ordered = sorted(errors, key=lambda e: e.sort_key)
        self.errors: list[CellError] = ordered
        self.lines: list[str] = [str(e) for e in ordered]
        self._marked = marked
        self._source = source
        self._header_rows = header_rows
        self.details = details or {}  # what was understood of the file, for the page
        super().__init__(f"文件有{len(ordered)}处错误，未导入任何数据，请改正后重新导入。")

    @property
    def marked(self) -> bytes | None:
        """The uploaded file with the bad cells marked (None if nothing can be marked)."""
        if self._marked is None and self._source is not None:
            self._marked = marked_copy(self._source, self.errors, header_rows=self._header_rows)
            self._source = None
        return self._marked

    def as_dict(self) -> dict:
        out = super().as_dict()
        out["error"]["rows"] = self.lines
        return out


class Outcome(Protocol):
    def as_dict(self) -> dict: ...
    def summary_text(self) -> str: ...


Work = Callable[[ProgressFn], Outcome]


# --- progress ----------------------------------------------------------------------------


def progress_key(job_id) -> str:
    return f"sanpi:import-job:{job_id}"


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


def job_progress(job: ImportJob) -> dict:
    """What the progress bar shows: phase, done, total and percent (0-100; None while
    the total is unknown)."""
    data = cache.get(progress_key(job.pk)) or {}
    done, total = int(data.get("done", 0)), int(data.get("total", 0))
    percent = min(100, int(done * 100 / total)) if total else None
    return {"phase": data.get("phase", ""), "done": done, "total": total, "percent": percent}


def job_is_stale(job: ImportJob) -> bool:
    """An unfinished job that has reported no progress for a long while: the process
    running it has died (a restart), and its transaction was rolled back with it."""
    if job.finished or timezone.now() - job.created_at < STALE_AFTER:
        return False
    data = cache.get(progress_key(job.pk)) or {}
    return time.time() - data.get("at", 0) > STALE_AFTER.total_seconds()


# --- running -----------------------------------------------------------------------------


def job_start(
    *, user, kind: str, filename: str, dry_run: bool, work: Work, source: bytes | None = None
) -> ImportJob:
    """Record a job and run it: in a background thread (after this transaction commits)
    or inline, as settings say. Returns the job (finished, when run inline). ``source``,
    the upload, is kept after a refusal so the file can be imported again (`job_source`)."""
    job = ImportJob.objects.create(
        user=user, kind=kind, filename=filename[:255], dry_run=dry_run, source_file=source
    )
    _report(progress_key(job.pk), "排队", 0, 0)
    if getattr(settings, "SANPI_IMPORT_IN_THREAD", True):
        context = audit.current()
        transaction.on_commit(lambda: start_thread(job.pk, work, context))
    else:
        run_job(job.pk, work)
        job.refresh_from_db()
    return job


def thread_name(job_id) -> str:
    return f"sanpi-import-{job_id}"


def start_thread(job_id, work: Work, context: audit.AuditContext) -> threading.Thread:
    thread = threading.Thread(
        target=_thread_main, args=(job_id, work, context), name=thread_name(job_id), daemon=True
    )
    thread.start()
    return thread


def _thread_main(job_id, work: Work, context: audit.AuditContext) -> None:
    try:
        # The request's audit context (source, IP, request id) carries over to the thread.
        with audit.audit_context(context.source, ip=context.ip, request_id=context.request_id):
            run_job(job_id, work)
    finally:
        close_thread_connections()


def close_thread_connections() -> None:
    connections.close_all()


def run_job(job_id, work: Work) -> None:
    """Run a job's work now and store its outcome. Never raises for bad input."""
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.RUNNING)
    progress = CacheProgress(job_id)
    fields: dict = {}
    try:
        outcome = work(progress)
    except ImportRejected as exc:
        progress(0, 0, "标注错误")
        fields = {
            "status": ImportJob.Status.REJECTED,
            "message": exc.message,
            "errors": exc.lines,
            "marked_file": exc.marked,
            "summary": exc.details,
        }
    except ServiceError as exc:
        fields = {"status": ImportJob.Status.FAILED, "message": exc.message[:500]}
    except Exception:
        logger.exception("import job %s failed", job_id)
        fields = {"status": ImportJob.Status.FAILED, "message": INTERNAL_ERROR}
    else:
        fields = {
            "status": ImportJob.Status.DONE,
            "message": outcome.summary_text()[:500],
            "summary": outcome.as_dict(),
            "source_file": None,
        }
    ImportJob.objects.filter(pk=job_id).update(finished_at=timezone.now(), **fields)
    cache.delete(progress_key(job_id))


# --- reading -----------------------------------------------------------------------------


def job_list(*, user, kind: str | None = None) -> QuerySet[ImportJob]:
    """The user's own jobs, newest first (without the marked files)."""
    qs = ImportJob.objects.filter(user_id=user.pk).defer("marked_file", "source_file")
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def job_get(*, user, pk) -> ImportJob:
    """A job of the user's own; anyone else's does not exist for them."""
    try:
        return ImportJob.objects.get(pk=pk, user_id=user.pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError, DjangoValidationError):
        raise NotFound("导入任务不存在") from None


# --- files imported again, and users' column assignments -----------------------------------------


def job_source(*, user, pk) -> bytes:
    """The upload of one of the user's refused jobs, to import again."""
    job = job_get(user=user, pk=pk)
    if job.status != ImportJob.Status.REJECTED or not job.source_file:
        raise NotFound("该导入任务没有可重新导入的文件，请重新上传")
    return bytes(job.source_file)


def mapping_get(*, user, kind: str) -> dict[str, str]:
    """The user's remembered column assignments for this kind of import ({} if none)."""
    row = ImportMapping.objects.filter(user_id=user.pk, kind=kind).first()
    return dict(row.mapping) if row else {}


def mapping_save(*, user, kind: str, mapping: dict[str, str]) -> None:
    """Remember the user's column assignments (merged into those remembered before)."""
    with transaction.atomic():
        row, _ = ImportMapping.objects.select_for_update().get_or_create(user_id=user.pk, kind=kind)
        before = dict(row.mapping)
        row.mapping = {**before, **mapping}
        if row.mapping == before:
            return
        row.save()
        audit.record(
            user=user,
            action="update",
            obj=row,
            before={"mapping": before},
            after={"mapping": row.mapping},
            message="指定导入文件的列对应",
        )
