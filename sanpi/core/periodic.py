"""core's own periodic jobs (core.schedules): the nightly purge of old finished jobs, and
sealing new audit rows into the hash chain every 5 minutes."""

from __future__ import annotations

from django.conf import settings

from . import audit_chain, jobs
from .jobs import Done
from .schedules import periodic

PURGE_JOBS = "purge_jobs"
AUDIT_SEAL = "audit_seal"


# Deleting what is past keeping: run again after an interruption, it deletes the rest.
@periodic(PURGE_JOBS, label="清理已完成的后台任务", every="daily", at="03:00", idempotent=True)
def purge_jobs(job, progress):
    progress(0, 0, "清理")
    deleted = jobs.purge_finished()
    keep = settings.SANPI_JOBS_KEEP_DAYS
    return Done(
        f"已清理{deleted}条{keep}天前完成的任务记录", {"deleted": deleted, "keep_days": keep}
    )


@periodic(AUDIT_SEAL, label="封存审计记录（审计链）", every="minutes", minutes=5, idempotent=True)
def audit_seal(job, progress):
    progress(0, 0, "封存")
    sealed = audit_chain.seal_pending()
    chain_head = audit_chain.head()
    return Done(
        f"封存{sealed}条审计记录，链头 {chain_head.seq}", {"sealed": sealed, **chain_head.as_dict()}
    )
