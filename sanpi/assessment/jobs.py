"""The assessment's background jobs: a year's inputs imported from a workbook (parsed in
the worker, never in a web process: an upload may be hostile), and every two minutes the
scoring of the years whose stored results are stale (a year too large to score inside
the change that made it stale: services.SYNC_UNITS)."""

from __future__ import annotations

from dataclasses import asdict

from sanpi.core.jobs import Done, job_kind
from sanpi.core.schedules import periodic

from .io import import_xlsx
from .services import rescore_due

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


RESCORE = "assessment_rescore"
RESCORE_MINUTES = 2


# Replaces each stale year's stored results in its own transaction: safe to run again.
@periodic(RESCORE, label="考核结果计算", every="minutes", minutes=RESCORE_MINUTES, idempotent=True)
def rescore_job(job, progress):
    progress(0, 0, "计算")
    done = rescore_due()
    text = f"已计算{len(done)}个年度考核的结果" + (f"：{'、'.join(done)}" if done else "")
    return Done(text, {"years": done})
