"""Sending: the job kind "notifications.deliver" (core.jobs) and what it runs.

A run sends the deliveries that are pending and due (``next_attempt_at`` ≤ now), at most
``BATCH`` of them, oldest first; whatever ``notify`` call queued the job, it sends every
due delivery, so a run also retries earlier failures whose time has come. Each delivery:

* sent → status "sent", ``sent_at``; it is never sent again;
* refused (robot not answering 200 + errcode 0, a timeout, the mail server failing) →
  attempts + 1, ``last_error``, and ``next_attempt_at`` = now + 1, 5, 30, 120 minutes;
  after ``MAX_ATTEMPTS`` it is "failed" for good. When a whole channel is down (a robot
  or the mail server), its other deliveries of the run are put off to the same time
  without counting an attempt, so a dead robot costs one timeout per run, not one per
  message.

Errors are recorded on the deliveries and logged, never raised: the job itself succeeds.

No transaction spans the run (the job kind is not atomic): each delivery is claimed by a
conditional update that moves its ``next_attempt_at`` a ``LEASE`` ahead (so a second run
at the same moment skips it), sent, and its result written at once. A process that dies
after sending and before writing leaves the lease to run out and the message is sent
again then: at least once, never lost, never held back by other rows' slow channels.

``core.jobs.job_start`` cannot start a job later, so a failed delivery is retried by the
next run after its time: the next ``notify`` that sends anything, or a periodic run of
``start_delivery`` / ``deliver_due`` (to be scheduled every minute or so; see
docs/operations.md, "Notifications").
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.utils import timezone

from sanpi.core.jobs import Done, job_kind, job_start
from sanpi.core.schedules import periodic, scheduled_date

from . import channels
from .models import Channel, Delivery, Level

logger = logging.getLogger(__name__)

DELIVER = "notifications.deliver"
BATCH = 50
MAX_ATTEMPTS = 5
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(minutes=120),
)
LEVEL_LABELS = dict(Level.choices)


LEASE = dt.timedelta(minutes=10)  # a claimed delivery's time to be sent and recorded


@dataclass
class DeliveryOutcome:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    more: bool = False  # due deliveries left beyond this run's batch
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"sent": self.sent, "retry": self.retry, "failed": self.failed}

    def summary_text(self) -> str:
        return f"已发送{self.sent}条，待重试{self.retry}条，发送失败{self.failed}条"


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`-th failed attempt."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def start_delivery():
    """Queue one deliver job (in the caller's transaction). Returns the job."""
    return job_start(user=None, kind=DELIVER, params={})


def start_delivery_if_due(now: dt.datetime | None = None):
    """Queue a deliver job when some delivery is due (for a periodic schedule); None if
    there is nothing to send."""
    now = now or timezone.now()
    if not Delivery.objects.filter(
        status=Delivery.Status.PENDING, next_attempt_at__lte=now
    ).exists():
        return None
    return start_delivery()


# Not one transaction: it waits on mail servers and robots, and each delivery records its
# own result as it goes (sent ones are never sent again), so a rerun is harmless.
@job_kind(DELIVER, label="发送通知", idempotent=True, atomic=False)
def deliver_job(job, progress):
    progress(0, 0, "发送")
    outcome = deliver_due()
    if outcome.more:
        start_delivery()  # the rest in a run of its own
    return outcome


def _route(delivery: Delivery) -> str:
    return "email" if delivery.channel == Channel.EMAIL else f"robot:{delivery.target}"


def _send(delivery: Delivery) -> None:
    n = delivery.notification
    level_label = LEVEL_LABELS.get(n.level, n.level)
    if delivery.channel == Channel.EMAIL:
        channels.send_email(
            address=delivery.target,
            subject=channels.email_subject(n.title),
            body=channels.email_body(
                name=str(n.recipient),
                title=n.title,
                text=n.text,
                level_label=level_label,
                link=n.link,
            ),
        )
        return
    webhook = delivery.webhook
    if webhook is None:
        raise channels.ChannelError("群机器人已删除")
    if not webhook.enabled:
        raise channels.ChannelError("群机器人已停用")
    content = channels.robot_content(
        webhook.format, title=n.title, text=n.text, level_label=level_label, link=n.link
    )
    channels.post_robot(webhook.format, webhook.url, content)


def deliver_due(now: dt.datetime | None = None, *, limit: int = BATCH) -> DeliveryOutcome:
    """Send the pending deliveries due at `now` (default: now). See the module's rules."""
    now = now or timezone.now()
    due = (
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .select_related("notification", "notification__recipient", "webhook")
        .order_by("next_attempt_at", "pk")
    )
    rows = list(due[: limit + 1])
    outcome = DeliveryOutcome(more=len(rows) > limit)
    down: dict[str, dt.datetime] = {}  # route → when its deliveries are tried next
    for delivery in rows[:limit]:
        lease = max(now, timezone.now()) + LEASE
        claimed = Delivery.objects.filter(
            pk=delivery.pk,
            status=Delivery.Status.PENDING,
            next_attempt_at=delivery.next_attempt_at,
        ).update(next_attempt_at=lease)
        if not claimed:
            continue  # another run took it meanwhile
        mine = Delivery.objects.filter(
            pk=delivery.pk, status=Delivery.Status.PENDING, next_attempt_at=lease
        )
        route = _route(delivery)
        if route in down:
            mine.update(next_attempt_at=down[route])
            outcome.retry += 1
            continue
        try:
            _send(delivery)
        except channels.ChannelError as exc:
            error, whole = exc.message, exc.whole_channel
        except Exception:
            logger.exception("notification delivery %s failed", delivery.pk)
            error, whole = "发送时发生内部错误", False
        else:
            if mine.update(status=Delivery.Status.SENT, sent_at=timezone.now(), last_error=""):
                outcome.sent += 1
            continue
        attempts = delivery.attempts + 1
        logger.warning(
            "notification delivery %s (%s) failed, attempt %s: %s",
            delivery.pk,
            delivery.get_channel_display(),
            attempts,
            error,
        )
        if attempts >= MAX_ATTEMPTS:
            mine.update(status=Delivery.Status.FAILED, attempts=attempts, last_error=error[:500])
            outcome.failed += 1
            later = now + backoff(1)
        else:
            later = now + backoff(attempts)
            mine.update(attempts=attempts, last_error=error[:500], next_attempt_at=later)
            outcome.retry += 1
        if whole:
            down[route] = later
        outcome.errors.append(error)
    return outcome


# --- schedules -------------------------------------------------------------------------------


@periodic("notifications_retry", label="重试未送达的通知", every="minutes", minutes=5)
def retry_deliveries(job, progress):
    """Deliveries waiting for their next attempt (a robot or mail server was down)."""
    started = start_delivery_if_due()
    return Done("已安排发送" if started else "没有待发送的通知")


@periodic(
    "notify_due",
    label="到期提醒（承诺、审批时限）",
    every="daily",
    at="09:00",
    working_days_only=True,
)
def remind_due(job, progress):
    """承诺制 commitments about to lapse or lapsed; approval items near or past their
    working-day limit: each told once to whoever must act."""
    from .rules import notify_commitments, notify_items_due

    today = scheduled_date(job)
    commitments, items = notify_commitments(today), notify_items_due(today)
    return Done(
        f"承诺提醒{len(commitments)}条，审批时限提醒{len(items)}条",
        {"commitments": len(commitments), "items": len(items)},
    )
