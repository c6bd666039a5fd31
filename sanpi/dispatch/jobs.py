"""The monthly dispatch's scheduled job: reminders for the month's reports (催报).

Every working day at 09:00, for the last month not yet closed:
* three working days before its deadline, and on the day, whoever files each missing,
  draft or sent-back report (the enterprise's users, and the zone's on its behalf);
* every working day after the deadline, each county's officers: how many of their
  projects have not reported.
Each recipient is told once per day and kind (the notification's subject).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.urls import reverse

from sanpi.accounts.roles import Role
from sanpi.core.calendar import official_calendar
from sanpi.core.jobs import Done
from sanpi.core.schedules import periodic, scheduled_date
from sanpi.notifications.jobs import start_delivery_if_due
from sanpi.notifications.kinds import register_kind
from sanpi.notifications.models import Notification
from sanpi.notifications.services import notify_batch, recipients
from sanpi.projects.models import Project

from . import rules, services
from .models import MonthlyReport

REPORT_DUE = register_kind("report_due", "月报即将截止", email=True).key
REPORT_MISSING = register_kind("report_missing", "月报逾期未报（县级）", email=True, robot=True).key
REMIND_BEFORE = 3  # working days before the deadline
UNFINISHED = ("", rules.Status.DRAFT, rules.Status.RETURNED)


def _unfinished(year: int, month: int) -> list[Project]:
    """Projects owing the month's report that have not submitted it (none, a draft, or
    sent back)."""
    from .selectors import owing

    done = MonthlyReport.objects.filter(
        year=year, month=month, status__in=[rules.Status.SUBMITTED, rules.Status.ACCEPTED]
    ).values("project_id")
    return list(
        owing(Project.objects.all(), year, month)
        .exclude(pk__in=done)
        .select_related("county", "zone", "enterprise")
        .order_by("county__code", "name")
    )


def _told(kind: str, subject: str) -> bool:
    return Notification.objects.filter(kind=kind, subject=subject).exists()


def remind(today: dt.date) -> list[Notification]:
    """The reminders due on ``today`` (see the module's docstring)."""
    calendar = official_calendar()
    if not calendar.is_working_day(today):
        return []
    year, month = (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)
    row = services.month_get(year, month)
    if row.closed:
        return []
    projects = _unfinished(year, month)
    created: list[Notification] = []
    if today <= row.deadline:
        left = calendar.between(today, row.deadline).value
        if left not in (0, REMIND_BEFORE):
            return []
        when = "今天截止" if left == 0 else f"还剩{left}个工作日截止（{row.deadline:%m月%d日}）"
        for project in projects:
            subject = f"dispatch:{year}-{month}:{project.pk}:{today.isoformat()}"
            if _told(REPORT_DUE, subject):
                continue
            people = list(recipients(role=Role.ENTERPRISE, scope=project.enterprise))
            if project.zone_id:
                people += list(recipients(role=Role.ZONE, scope=project.zone))
            created += notify_batch(
                kind=REPORT_DUE,
                title=f"请报送{year}年{month}月月报：{project.name}",
                text=f"“{project.name}”{year}年{month}月月报尚未报送，{when}。",
                level="urgent" if left == 0 else "warning",
                link=reverse(
                    "dispatch:report", kwargs={"year": year, "month": month, "project": project.pk}
                ),
                users=people,
                subject=subject,
                deliver=False,
            )
    else:
        by_county: dict = defaultdict(list)
        for project in projects:
            by_county[project.county].append(project)
        for county, missing in by_county.items():
            subject = f"dispatch:{year}-{month}:county:{county.pk}:{today.isoformat()}"
            if _told(REPORT_MISSING, subject):
                continue
            names = "、".join(p.name for p in missing[:5]) + ("等" if len(missing) > 5 else "")
            created += notify_batch(
                kind=REPORT_MISSING,
                title=f"{county.name}有{len(missing)}个项目{year}年{month}月月报逾期未报",
                text=(
                    f"截止日期{row.deadline:%Y-%m-%d}已过，{names}仍未报送{year}年{month}月月报，"
                    "请督促填报。"
                ),
                level="urgent",
                link=reverse("dispatch:month", kwargs={"year": year, "month": month})
                + f"?county={county.code}&status=missing",
                users=list(recipients(role=Role.COUNTY, scope=county)),
                subject=subject,
                deliver=False,
            )
    if created:
        start_delivery_if_due()
    return created


@periodic("report_reminders", label="月报催报", every="daily", at="09:00", working_days_only=True)
def reminders_job(job, progress):
    today = scheduled_date(job)
    created = remind(today)
    return Done(f"按{today.isoformat()}催报：发出提醒{len(created)}条", {"sent": len(created)})
