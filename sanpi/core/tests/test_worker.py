"""The real worker (`sanpi worker`, separate processes) on the real queue: queued work
survives a restart, a worker killed with SIGKILL mid-job leaves nothing half-written and
its job is retried (idempotent kinds) or failed with a retry button, and two workers
never run the same job twice. On SQLite and PostgreSQL alike (the suite runs on both)."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest
from django.core.cache.backends.filebased import FileBasedCache

from sanpi.core import jobs
from sanpi.core.models import AuditLog, Job
from sanpi.core.tests.processes import start_worker
from sanpi.projects.models import Project
from sanpi.projects.tests.ledger_files import row, workbook
from sanpi.regions.models import County
from sanpi.regions.rules import COUNTIES

pytestmark = pytest.mark.django_db(transaction=True)

DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def queue(settings, transactional_db):
    """Jobs go to the database queue (not run at once), and the reference counties are
    there (an earlier transactional test's flush may have emptied them)."""
    settings.TASKS = DB_QUEUE
    for code, name in COUNTIES:
        County.objects.get_or_create(code=code, defaults={"name": name})


def _worker(tmp_path, *args: str) -> subprocess.Popen:
    return start_worker(tmp_path / "worker-data", *args)


def _finish(proc: subprocess.Popen, timeout: float = 120) -> str:
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out
    return out


def _wait_for(predicate, what: str, timeout: float = 180):
    # A safety net for a loaded machine (the worker is a process of its own beside the
    # suite's), not a measure of speed.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"waited {timeout} s for {what}")


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)


def test_queued_work_waits_for_a_worker_and_is_done_once(queue, tmp_path):
    # Queued while no worker runs (a web restart loses nothing: the queue is a table).
    started = [jobs.job_start(user=None, kind="core.ping") for _ in range(3)]
    assert {j.status for j in started} == {"pending"}
    assert jobs.no_worker_running()
    out = _finish(_worker(tmp_path, "--batch"))
    assert "后台处理进程已启动" in out and "后台处理进程已停止" in out
    done = Job.objects.filter(pk__in=[j.pk for j in started])
    assert {(j.status, j.attempts) for j in done} == {("done", 1)}
    assert all(j.worker and j.duration is not None for j in done)


def test_a_killed_import_writes_nothing_and_fails_with_a_retry(queue, world, tmp_path):
    """The ledger import is not idempotent: killed in its writing phase, the job is
    failed (not run again behind the user's back); the projects are not there."""
    before = Project.objects.count()
    data = workbook([row(n) for n in range(1, 3001)])
    job = jobs.job_start(
        user=world.user("city_office"), kind="ledger", filename="大台账.xlsx", source=data
    )
    worker = _worker(tmp_path)
    progress = FileBasedCache(str(tmp_path / "worker-data" / "cache"), {})
    try:
        _wait_for(
            lambda: (progress.get(jobs.progress_key(job.pk)) or {}).get("phase") == "写入",
            "the import to start writing",
        )
    finally:
        _kill(worker)
    job.refresh_from_db()
    assert job.status == "running"  # as the killed worker left it
    assert [j.pk for j in jobs.settle_interrupted()] == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.message) == ("failed", jobs.INTERRUPTED)
    assert Project.objects.count() == before
    assert not AuditLog.objects.filter(action="import").exists()
    # The user's retry imports the kept upload, once.
    retry = jobs.job_retry(by=world.user("city_office"), job=job)
    _finish(_worker(tmp_path, "--batch"))
    retry.refresh_from_db()
    assert retry.status == "done", retry.message
    assert Project.objects.count() == before + 3000


def test_a_killed_idempotent_job_runs_again_once(queue, tmp_path):
    job = jobs.job_start(user=None, kind="core.ping", params={"seconds": 60, "audit": True})
    worker = _worker(tmp_path)
    try:
        _wait_for(lambda: Job.objects.filter(pk=job.pk, status="running").exists(), "the job")
        time.sleep(0.3)  # inside its transaction: the audit row written, not committed
    finally:
        _kill(worker)
    Job.objects.filter(pk=job.pk).update(params={"audit": True})  # no 60 s this time
    out = _finish(_worker(tmp_path, "--batch"))
    assert f"已处理中断的任务 {job.pk}" in out
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)
    # The first run's row died with it; the second run's is the only one.
    assert AuditLog.objects.filter(message="队列自检", object_id=str(job.pk)).count() == 1


def test_two_workers_never_run_the_same_job(queue, tmp_path):
    started = [
        jobs.job_start(user=None, kind="core.ping", params={"seconds": 0.05}) for _ in range(24)
    ]
    first, second = _worker(tmp_path / "a", "--batch"), _worker(tmp_path / "b", "--batch")
    _finish(first)
    _finish(second)
    done = list(Job.objects.filter(pk__in=[j.pk for j in started]))
    assert len(done) == 24
    assert {(j.status, j.attempts) for j in done} == {("done", 1)}
    from django_tasks_db.models import DBTaskResult

    results = DBTaskResult.objects.filter(pk__in=[j.task_id for j in done])
    assert {(r.status, len(r.worker_ids)) for r in results} == {("SUCCESSFUL", 1)}
