"""core's own periodic jobs (core.schedules): the nightly purge of old finished jobs."""

from __future__ import annotations

from django.conf import settings

from . import jobs
from .jobs import Done
from .schedules import periodic

PURGE_JOBS = "purge_jobs"


# Deleting what is past keeping: run again after an interruption, it deletes the rest.
@periodic(PURGE_JOBS, label="清理已完成的后台任务", every="daily", at="03:00", idempotent=True)
def purge_jobs(job, progress):
    progress(0, 0, "清理")
    deleted = jobs.purge_finished()
    keep = settings.SANPI_JOBS_KEEP_DAYS
    return Done(
        f"已清理{deleted}条{keep}天前完成的任务记录", {"deleted": deleted, "keep_days": keep}
    )
