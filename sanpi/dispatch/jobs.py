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

from django.db.models import Q
from django.urls import reverse

from sanpi.accounts.models import User
from sanpi.accounts.roles import Role
from sanpi.core.calendar import official_calendar
from sanpi.core.jobs import Done
from sanpi.core.schedules import periodic, scheduled_date
from sanpi.notifications.jobs import start_delivery_if_due
from sanpi.notifications.kinds import register_kind
from sanpi.notifications.models import Notification
from sanpi.notifications.services import notify, recipients
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


def _told(kind: str, subjects: list[str]) -> set[str]:
    """Which of these reminders went out already (one query)."""
    return set(
        Notification.objects.filter(kind=kind, subject__in=subjects).values_list(
            "subject", flat=True
        )
    )


def _filers(projects: list[Project]) -> dict[int, list]:
    """Who files each project's report: its enterprise's users and its zone's (one query
    for all the projects; ``recipients`` for each would be one per project)."""
    users = User.objects.filter(is_active=True).filter(
        Q(role=Role.ENTERPRISE, enterprise_id__in={p.enterprise_id for p in projects})
        | Q(role=Role.ZONE, zone_id__in={p.zone_id for p in projects if p.zone_id})
    )
    by_enterprise, by_zone = defaultdict(list), defaultdict(list)
    for user in users.order_by("pk"):
        if user.role == Role.ENTERPRISE:
            by_enterprise[user.enterprise_id].append(user)
        else:
            by_zone[user.zone_id].append(user)
    return {
        p.pk: by_enterprise[p.enterprise_id] + (by_zone[p.zone_id] if p.zone_id else [])
        for p in projects
    }


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
        subjects = {p.pk: f"dispatch:{year}-{month}:{p.pk}:{today.isoformat()}" for p in projects}
        told = _told(REPORT_DUE, list(subjects.values()))
        filers = _filers(projects)
        for project in projects:
            subject = subjects[project.pk]
            people = filers[project.pk]
            if subject in told or not people:
                continue
            created += notify(
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
        subjects = {
            c.pk: f"dispatch:{year}-{month}:county:{c.pk}:{today.isoformat()}" for c in by_county
        }
        told = _told(REPORT_MISSING, list(subjects.values()))
        for county, missing in by_county.items():
            subject = subjects[county.pk]
            if subject in told:
                continue
            names = "、".join(p.name for p in missing[:5]) + ("等" if len(missing) > 5 else "")
            created += notify(
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
