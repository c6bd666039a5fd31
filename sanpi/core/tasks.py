"""sanpi's one door to the task framework: django-tasks with its database backend.

django-tasks is the backport of Django 6's ``django.tasks``; django-tasks-db keeps the
queue in our own database (the SQLite demo needs nothing more, PostgreSQL production no
broker) and brings the worker loop, which claims a task with ``SELECT … FOR UPDATE SKIP
LOCKED`` so two workers never take the same one. No other module imports either
package: sanpi code defines background work as *job kinds* (``core.jobs``), and this
module turns a job into one framework task, ``run_job_task(job_id)``. Moving to Django
6's built-in ``django.tasks`` changes the imports here and nothing else.

The parts the framework leaves to us, also here: which worker is alive (a heartbeat
row per process, and on the same host the process itself), so that a task whose worker
died is settled instead of showing "running" for ever.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import close_old_connections, connections
from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task, task_backends
from django_tasks.backends.immediate import ImmediateBackend

from .models import WorkerProcess

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10
DEAD_AFTER = timedelta(seconds=60)  # a worker on another host unheard of this long is dead


# --- enqueueing ---------------------------------------------------------------------------


@task()
def run_job_task(job_id: str) -> None:
    from . import jobs  # jobs imports this module

    jobs.run_job(job_id, worker=worker_id())


def enqueue_job(job_id) -> str:
    """Queue the job's task (in the caller's transaction: both commit, or neither).
    Returns the task's id. With the immediate backend the job has run when this returns."""
    return run_job_task.enqueue(str(job_id)).id


def runs_immediately() -> bool:
    return isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], ImmediateBackend)


def task_failed(task_id: str) -> None:
    """Mark a task whose worker died as failed in the framework's own table too."""
    if not task_id or runs_immediately():
        return
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(pk=task_id, status="RUNNING").update(
        status="FAILED", finished_at=timezone.now()
    )


def queue_counts() -> dict[str, int]:
    """Tasks in the framework's queue by status (for the operator page)."""
    if runs_immediately():
        return {}
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.values_list("status").annotate(n=Count("pk")).order_by()
    return dict(rows)


def purge_tasks(before) -> int:
    """Delete the framework's rows of tasks finished before ``before``."""
    if runs_immediately():
        return 0
    from django_tasks_db.models import DBTaskResult

    deleted, _ = DBTaskResult.objects.filter(
        status__in=("SUCCESSFUL", "FAILED"), finished_at__lt=before
    ).delete()
    return deleted


# --- which worker is alive ----------------------------------------------------------------


def _start_ticks(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), so that a reused pid
    is not taken for the worker that had it; "" where /proc is not there."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


_worker_id = ""


def worker_id() -> str:
    """This process's worker id: host:pid:start."""
    global _worker_id
    if not _worker_id:
        pid = os.getpid()
        _worker_id = f"{socket.gethostname()}:{pid}:{_start_ticks(pid)}"[:100]
    return _worker_id


def is_alive(worker: str, *, seen_at=None, now=None) -> bool:
    """Whether the worker that claimed a job still runs: on this host, by its process
    (pid and start time); elsewhere, by its heartbeat."""
    host, _, rest = worker.partition(":")
    pid_text, _, ticks = rest.partition(":")
    if host == socket.gethostname() and pid_text.isdigit():
        pid = int(pid_text)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return not ticks or _start_ticks(pid) == ticks
    if seen_at is None:
        return False
    return (now or timezone.now()) - seen_at < DEAD_AFTER


def heartbeat() -> None:
    wid = worker_id()
    host, pid = wid.split(":")[:2]
    WorkerProcess.objects.update_or_create(
        pk=wid, defaults={"host": host, "pid": int(pid), "seen_at": timezone.now()}
    )


def _heartbeat_loop(stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_SECONDS):
        try:
            heartbeat()
        except Exception:  # a busy SQLite file: the next beat will do
            logger.warning("worker heartbeat failed", exc_info=True)
        finally:
            connections.close_all()


# --- the worker loop ------------------------------------------------------------------------


def run_worker(
    *, interval: float, batch: bool, between: Callable[[], None], log: Callable[[str], None]
) -> None:
    """Run queued tasks until stopped (SIGTERM, SIGINT: the running task finishes first)
    or, with ``batch``, until the queue is empty. ``between`` runs before each look at the
    queue: settle jobs of dead workers, fire due schedules."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,  # one pass over what is ready, then back to us
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id(),
        excluded_queue_names=[],
    )
    stopping = threading.Event()

    def stop(signum, frame):
        stopping.set()
        worker.running = False  # the framework's loop finishes its task and returns

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    heartbeat()
    beat = threading.Thread(target=_heartbeat_loop, args=(stopping,), daemon=True)
    beat.start()
    log(f"后台处理进程已启动：{worker_id()}")
    try:
        while not stopping.is_set():
            close_old_connections()
            between()
            worker.running = True
            worker.run()
            if batch:
                between()
                if not _has_ready():
                    break
                continue
            stopping.wait(interval)
    finally:
        stopping.set()
        WorkerProcess.objects.filter(pk=worker_id()).delete()
        log("后台处理进程已停止")


def _has_ready() -> bool:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().exists()


def sleep(seconds: float) -> None:  # for the self-test job kind
    time.sleep(seconds)
