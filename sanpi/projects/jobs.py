"""The projects app's background jobs (core.jobs): the ledger import and export."""

from __future__ import annotations

from sanpi.core.jobs import FileOutcome, job_kind

from .io import ledger_import
from .ledger_export import ledger_export
from .selectors import ProjectFilter

LEDGER_IMPORT = "ledger"
LEDGER_EXPORT = "ledger_export"


@job_kind(LEDGER_IMPORT, label="台账导入")
def ledger_import_job(job, progress):
    return ledger_import(
        by=job.user,
        data=bytes(job.source_file),
        dry_run=job.dry_run,
        progress=progress,
        filename=job.filename,
        mapping=job.params.get("mapping") or {},
    )


# Reading and one audit row in the job's transaction: run again after an interruption,
# it writes that row once.
@job_kind(LEDGER_EXPORT, label="台账导出", idempotent=True)
def ledger_export_job(job, progress):
    filters = ProjectFilter(**job.params.get("filters", {}))
    progress(0, 0, "导出")
    export = ledger_export(by=job.user, filters=filters)
    return FileOutcome(
        f"已导出{export.count}个项目", {"count": export.count}, export.data, export.filename
    )
