"""The ranking bulletin (月调度排名通报) as a background job (core.jobs): Word or Excel."""

from __future__ import annotations

from sanpi.core.errors import ValidationFailed
from sanpi.core.jobs import FileOutcome, job_kind

from .io import BUILDERS
from .selectors import bulletin

BULLETIN = "targets.bulletin"


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
