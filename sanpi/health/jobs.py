"""The nightly evaluation of every project's health (core.schedules): the rules applied
with the thresholds in force on the slot's date, audited as ``system:health``."""

from __future__ import annotations

from sanpi.core.jobs import Done
from sanpi.core.schedules import periodic, scheduled_date

from . import services

HEALTH_EVALUATE = "health_evaluate"


# Idempotent: a second run on the same day finds nothing to change.
@periodic(HEALTH_EVALUATE, label="推进状态评估", every="daily", at="02:00", idempotent=True)
def evaluate_job(job, progress):
    on = scheduled_date(job)
    progress(0, 0, "评估")
    summary = services.evaluate_all(today=on, progress=progress)
    return Done(
        summary.text(on),
        {
            "date": on.isoformat(),
            "evaluated": summary.evaluated,
            "changed": summary.changed,
            "to": dict(summary.to),
            "overrides_ended": summary.overrides_ended,
        },
    )
