"""The cockpit's background jobs (core.jobs): the activity bulletin as a Word document, the
refresh of the summary tables every few minutes (facts.refresh), and each night the
places of the year's monthly rankings and the early warning's scores
(facts.refresh_rankings, facts.refresh_start_risks)."""

from __future__ import annotations

from dataclasses import asdict

from sanpi.core.jobs import Done, FileOutcome, job_kind
from sanpi.core.schedules import periodic
from sanpi.projects.selectors import activity_get

from . import facts
from .io import activity_bulletin_docx

BULLETIN = "cockpit.bulletin"
FACTS_REFRESH = "cockpit_facts"
RANKINGS_REFRESH = "cockpit_rankings"
START_RISKS = "cockpit.start_risks"


# Reading and one audit row in the job's transaction: safe to run again.
@job_kind(BULLETIN, label="活动通报（Word）", idempotent=True)
def bulletin_job(job, progress):
    activity = activity_get(user=job.user, pk=job.params["activity"])
    progress(0, 0, "生成通报")
    document = activity_bulletin_docx(by=job.user, activity=activity)
    return FileOutcome(f"{activity}通报已生成", {}, document.data, document.filename)


# Rebuilding derived rows from the ledger: run again, it rebuilds what is still noted.
@periodic(
    FACTS_REFRESH,
    label="驾驶舱数据汇总",
    every="minutes",
    minutes=facts.REFRESH_MINUTES,
    idempotent=True,
)
def facts_job(job, progress):
    progress(0, 0, "汇总")
    done = facts.refresh()
    return Done(done.text(), asdict(done))


# Replaces the months' stored places in one transaction: safe to run again.
@periodic(
    RANKINGS_REFRESH, label="驾驶舱排名走势与开工预警", every="daily", at="02:30", idempotent=True
)
def rankings_job(job, progress):
    progress(0, 0, "排名")
    rows = facts.refresh_rankings()
    progress(0, 0, "开工预警")
    scored = facts.refresh_start_risks()
    return Done(
        f"已汇总各月排名，共{rows}条；开工预警评分{scored}个项目", {"rows": rows, "scored": scored}
    )


# Replaces the scores in one transaction: safe to run again. Queued when the city office
# changes the rules' points, so the list follows at once instead of the next night.
@job_kind(START_RISKS, label="开工预警重新评分", idempotent=True)
def start_risks_job(job, progress):
    progress(0, 0, "开工预警")
    scored = facts.refresh_start_risks()
    return Done(f"已按新的分值为{scored}个签约未开工项目重新评分", {"scored": scored})
