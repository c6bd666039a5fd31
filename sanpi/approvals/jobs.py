"""The approvals app's background jobs: the items ledger export (core.jobs) and the
nightly 承诺制 scan (core.schedules).

The same service as ``sanpi approvals scan`` (which stays, for a given date or one
account's scope): every commitment due before the slot's date and not fulfilled becomes a
broken-commitment credit record. It acts city-wide, audited as ``system:schedule`` with
source "system".
"""

from __future__ import annotations

from sanpi.accounts.actors import SystemActor
from sanpi.core.jobs import Done, FileOutcome, job_kind
from sanpi.core.schedules import periodic, scheduled_date

from . import io, services
from .selectors import ItemFilter

LEDGER_EXPORT = "approvals.ledger_export"


# Reading and one audit row in the job's transaction: safe to run again.
@job_kind(LEDGER_EXPORT, label="审批事项台账导出", idempotent=True)
def ledger_export_job(job, progress):
    progress(0, 0, "导出")
    export = io.ledger_export(by=job.user, filters=ItemFilter.from_params(job.params["filters"]))
    return FileOutcome(
        f"已导出审批事项{export.count:,}项", {"count": export.count}, export.data, export.filename
    )


COMMITMENTS_SCAN = "approvals_scan"
SCHEDULE_ACTOR = SystemActor(name="system:schedule")


# Idempotent: a commitment is turned once, so a run repeated after an interruption (or
# caught up after an outage) writes nothing twice.
@periodic(COMMITMENTS_SCAN, label="承诺到期扫描", every="daily", at="01:00", idempotent=True)
def commitments_scan_job(job, progress):
    on = scheduled_date(job)
    progress(0, 0, "扫描")
    records = services.commitments_scan(by=SCHEDULE_ACTOR, on=on)
    return Done(
        f"按{on.isoformat()}扫描：新记入信用记录{len(records)}条",
        {"date": on.isoformat(), "records": len(records)},
    )
