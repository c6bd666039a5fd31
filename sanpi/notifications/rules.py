"""The first uses of notifications: a finished background job, 承诺制 commitments about
to lapse or lapsed, approval items near or past their limit.

Each is a plain function; schedules (core.schedules) and the job runner call them. The
rules count in official working days (``core.calendar.official_calendar``) and act on
working days only: on a day off they notify nothing (the next working day catches up).
Each notifies an object at most once a day, and a lapsed commitment or an overdue item
once (per due date or deadline: a calendar change that moves a deadline notifies again):
the ``subject`` recorded on the notifications says what was notified. Objects that
lapsed or fell overdue more than ``LOOKBACK`` ago are left out, so the first run after
installation does not flood people with history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from django.urls import reverse
from django.utils import timezone

from sanpi.accounts.models import User
from sanpi.accounts.roles import Role
from sanpi.approvals.models import Commitment, ProjectApproval
from sanpi.approvals.rules import ClockState, Outcome
from sanpi.approvals.selectors import item_clock
from sanpi.core.calendar import official_calendar
from sanpi.core.jobs import kind_label
from sanpi.core.models import Job

from .jobs import start_delivery_if_due
from .kinds import COMMITMENT_DUE, COMMITMENT_LAPSED, ITEM_DUE, ITEM_OVERDUE, JOB_FINISHED
from .models import Level, Notification
from .services import notify, recipients

COMMITMENT_WINDOW = 3  # working days before the due date: "about to lapse"
ITEM_WINDOW = 2  # working days before the limit
LOOKBACK = dt.timedelta(days=30)

Wanted = tuple[str, str, object]  # (kind, subject, what the message is about)


def _notified(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (kind, subject) pairs already notified, in one query."""
    pairs = set(pairs)
    if not pairs:
        return set()
    rows = Notification.objects.filter(
        kind__in={k for k, _ in pairs}, subject__in={s for _, s in pairs}
    ).values_list("kind", "subject")
    return set(rows) & pairs


def _notify_new(wanted: list[Wanted], message: Callable[[str, object], dict]) -> list[Notification]:
    """Notify each wanted (kind, subject, obj) not notified before, with the ``notify``
    arguments ``message(kind, obj)`` gives; one deliver job for them all."""
    done = _notified((kind, subject) for kind, subject, _ in wanted)
    created: list[Notification] = []
    for kind, subject, obj in wanted:
        if (kind, subject) not in done:
            created += notify(kind=kind, subject=subject, deliver=False, **message(kind, obj))
    if created:
        start_delivery_if_due()
    return created


class _People:
    """``recipients`` once per (role, scope) for a whole run, not once per object."""

    def __init__(self) -> None:
        self._known: dict[tuple, list[User]] = {}

    def __call__(self, role: str, scope=None) -> list[User]:
        key = (role, type(scope), getattr(scope, "pk", None))
        if key not in self._known:
            self._known[key] = list(recipients(role=role, scope=scope))
        return self._known[key]


def _note(answer) -> str:
    note = answer.note() if hasattr(answer, "note") else ""
    return f"（{note}）" if note else ""


# --- background jobs -------------------------------------------------------------------------


def notify_import_finished(job: Job) -> list[Notification]:
    """Tell whoever started an import or export job how it ended (done, refused because
    of errors in the file, failed), with a link to the job's page. Once per job; nothing
    for a job without a user or not finished yet."""
    if job.user_id is None or job.status not in Job.FINISHED:
        return []
    subject = f"core.job:{job.pk}"
    if _notified([(JOB_FINISHED, subject)]):
        return []
    label = kind_label(job.kind)
    title = f"{label}{job.get_status_display()}"
    if job.filename:
        title += f"：{job.filename}"
    default = {
        Job.Status.DONE: "处理完成。",
        Job.Status.REJECTED: "文件有错误，未导入任何数据，请查看标注错误的文件。",
        Job.Status.FAILED: "处理失败，请稍后重试或联系系统管理员。",
    }[job.status]
    level = Level.INFO if job.status == Job.Status.DONE else Level.WARNING
    if job.kind == "ledger":
        link = reverse("ledger:job", args=[job.pk])
    else:
        link = reverse("core:job", args=[job.pk])
    return notify(
        kind=JOB_FINISHED,
        title=title,
        text=job.message or default,
        level=level,
        link=link,
        users=[job.user],
        subject=subject,
    )


# --- 承诺制 commitments ------------------------------------------------------------------------


def _commitments(qs):
    return qs.select_related(
        "item__catalogue_item", "item__project__county", "item__project__enterprise"
    ).order_by("due_on", "pk")


def notify_commitments(today: dt.date | None = None) -> list[Notification]:
    """Commitments (承诺制) not yet fulfilled:

    * due within 3 working days (today included) → the enterprise's users and the county
      users of the project's county, every working day until the due date;
    * lapsed (due before today, not fulfilled) → the county users of the project's county
      and the city office (市项目办), once.
    """
    today = today or timezone.localdate()
    calendar = official_calendar()
    if not calendar.is_working_day(today):
        return []
    horizon = calendar.add(today, COMMITMENT_WINDOW).value
    due = _commitments(
        Commitment.objects.filter(
            status=Commitment.Status.PENDING, due_on__gte=today, due_on__lte=horizon
        )
    )
    lapsed = _commitments(
        Commitment.objects.exclude(status=Commitment.Status.FULFILLED).filter(
            due_on__lt=today, due_on__gte=today - LOOKBACK
        )
    )
    wanted: list[Wanted] = [
        (COMMITMENT_DUE, f"approvals.commitment:{c.pk}:due:{today.isoformat()}", c) for c in due
    ] + [
        (COMMITMENT_LAPSED, f"approvals.commitment:{c.pk}:lapsed:{c.due_on.isoformat()}", c)
        for c in lapsed
    ]
    people = _People()

    def message(kind: str, c: Commitment) -> dict:
        project, item = c.item.project, c.item
        about = f"“{project}”的“{item.catalogue_item.name}”按承诺制办理，承诺“{c.content}”"
        link = reverse("approvals:item_detail", kwargs={"pk": item.pk})
        county_users = people(Role.COUNTY, project.county)
        if kind == COMMITMENT_DUE:
            left = calendar.between(today, c.due_on)
            when = "今天到期" if left.value == 0 else f"还剩{left.value}个工作日"
            enterprise_users = (
                people(Role.ENTERPRISE, project.enterprise) if project.enterprise_id else []
            )
            return {
                "title": f"承诺即将到期：{project}",
                "text": (
                    f"{about}期限为{c.due_on.isoformat()}，{when}{_note(left)}，请按期履行并登记。"
                ),
                "level": Level.URGENT if left.value == 0 else Level.WARNING,
                "link": link,
                "users": county_users + enterprise_users,
            }
        return {
            "title": f"承诺逾期未履行：{project}",
            "text": (
                f"{about}期限为{c.due_on.isoformat()}，已逾期未履行，按规定记入企业信用记录。"
            ),
            "level": Level.URGENT,
            "link": link,
            "users": county_users + people(Role.CITY_OFFICE),
        }

    return _notify_new(wanted, message)


# --- approval items ----------------------------------------------------------------------------


def notify_items_due(today: dt.date | None = None) -> list[Notification]:
    """Open approval items (accepted, not decided) of a department:

    * two working days or fewer from their limit (承诺时限) → the department's users, once
      per deadline;
    * past their limit → the department's users, once per deadline.
    """
    today = today or timezone.localdate()
    calendar = official_calendar()
    if not calendar.is_working_day(today):
        return []
    items = (
        ProjectApproval.objects.filter(
            accepted_on__isnull=False, decided_on__isnull=True, department__isnull=False
        )
        .exclude(outcome=Outcome.WITHDRAWN.value)
        .select_related("project", "catalogue_item", "department")
        .order_by("accepted_on", "pk")
    )
    wanted: list[Wanted] = []
    for item in items:
        clock = item_clock(item, today=today, calendar=calendar)
        if clock.state == ClockState.RUNNING and clock.left is not None:
            if clock.left <= ITEM_WINDOW:
                subject = f"approvals.projectapproval:{item.pk}:due:{clock.deadline.isoformat()}"
                wanted.append((ITEM_DUE, subject, (item, clock)))
        elif clock.state == ClockState.OVERDUE and clock.deadline >= today - LOOKBACK:
            subject = f"approvals.projectapproval:{item.pk}:overdue:{clock.deadline.isoformat()}"
            wanted.append((ITEM_OVERDUE, subject, (item, clock)))
    people = _People()

    def message(kind: str, about) -> dict:
        item, clock = about
        name = f"{item.project} · {item.catalogue_item.name}"
        note = f"（{clock.note()}）" if clock.provisional else ""
        accepted = (
            f"“{name}”于{item.accepted_on.isoformat()}受理，承诺时限{item.committed_days}个工作日，"
        )
        if kind == ITEM_DUE:
            when = "今天到期" if clock.left == 0 else f"还剩{clock.left}个工作日"
            title = f"审批事项即将到期：{name}"
            text = f"{accepted}截止{clock.deadline.isoformat()}，{when}{note}，请抓紧办结。"
            level = Level.WARNING
        else:
            title = f"审批事项已超期：{name}"
            text = (
                f"{accepted}已于{clock.deadline.isoformat()}届满，"
                f"已超期{clock.overdue_days}个工作日{note}，请尽快办结。"
            )
            level = Level.URGENT
        return {
            "title": title,
            "text": text,
            "level": level,
            "link": reverse("approvals:item_detail", kwargs={"pk": item.pk}),
            "users": people(Role.DEPARTMENT, item.department),
        }

    return _notify_new(wanted, message)
