"""The cockpit's background jobs (core.jobs): the activity bulletin as a Word document."""

from __future__ import annotations

from sanpi.core.jobs import FileOutcome, job_kind
from sanpi.projects.selectors import activity_get

from .io import activity_bulletin_docx

BULLETIN = "cockpit.bulletin"


# Reading and one audit row in the job's transaction: safe to run again.
@job_kind(BULLETIN, label="活动通报（Word）", idempotent=True)
def bulletin_job(job, progress):
    activity = activity_get(user=job.user, pk=job.params["activity"])
    progress(0, 0, "生成通报")
    document = activity_bulletin_docx(by=job.user, activity=activity)
    return FileOutcome(f"{activity}通报已生成", {}, document.data, document.filename)
