"""The targets' background jobs (core.jobs): the ranking bulletin (月调度排名通报) in Word
or Excel, and the import of a year's targets (parsed in the worker, never in a web
process: an upload may be hostile)."""

from __future__ import annotations

from dataclasses import asdict

from sanpi.core.errors import ValidationFailed
from sanpi.core.jobs import Done, FileOutcome, job_kind

from .io import BUILDERS, targets_import
from .selectors import bulletin

BULLETIN = "targets.bulletin"
IMPORT = "targets.import"


# Reading and one audit row in the job's transaction: safe to run again.
@job_kind(BULLETIN, label="月调度排名通报", idempotent=True)
def bulletin_job(job, progress):
    params = job.params
    build = BUILDERS.get(params.get("fmt", ""))
    if build is None:
        raise ValidationFailed("通报格式应为 docx 或 xlsx")
    progress(0, 0, "生成通报")
    b = bulletin(user=job.user, year=int(params["year"]), month=int(params["month"]))
    document = build(by=job.user, b=b)
    return FileOutcome(f"{b.title}已生成", {}, document.data, document.filename)


# All or nothing in the job's transaction; not run again by itself after a crash.
@job_kind(IMPORT, label="年度目标导入")
def import_job(job, progress):
    progress(0, 0, "读取")
    summary = targets_import(
        by=job.user,
        year=int(job.params["year"]),
        data=bytes(job.source_file),
        filename=job.filename,
    )
    return Done(summary.text(), asdict(summary))
