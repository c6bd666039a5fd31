"""The assessment's background job: a year's inputs imported from a workbook (parsed in
the worker, never in a web process: an upload may be hostile)."""

from __future__ import annotations

from dataclasses import asdict

from sanpi.core.jobs import Done, job_kind

from .io import import_xlsx

IMPORT = "assessment.import"


# All or nothing in the job's transaction; not run again by itself after a crash.
@job_kind(IMPORT, label="考核数据导入")
def import_job(job, progress):
    progress(0, 0, "读取")
    summary = import_xlsx(
        by=job.user,
        key=job.params["scheme"],
        year=int(job.params["year"]),
        data=bytes(job.source_file),
        filename=job.filename,
    )
    return Done(summary.text(), asdict(summary))
