"""The first uses: finished jobs, 承诺制 commitments about to lapse or lapsed, approval
items near or past their limit; each to the right people, once (a day)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from sanpi.accounts.tests.factories import UserFactory
from sanpi.approvals.models import CatalogueItem, Commitment, ProjectApproval
from sanpi.approvals.tests.factories import approvals_world, make_item
from sanpi.core.models import Job
from sanpi.notifications.kinds import (
    COMMITMENT_DUE,
    COMMITMENT_LAPSED,
    ITEM_DUE,
    ITEM_OVERDUE,
    JOB_FINISHED,
)
from sanpi.notifications.models import Delivery, Notification, Webhook
from sanpi.notifications.rules import notify_commitments, notify_import_finished, notify_items_due

pytestmark = pytest.mark.django_db
D = dt.date
MONDAY = D(2021, 12, 27)  # an ordinary working day; 2021-12-25/26 are a weekend


def _who(kind: str) -> list[str]:
    return sorted(
        Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True)
    )


# --- finished jobs ---------------------------------------------------------------------------


def test_a_refused_ledger_import_links_to_the_ledger_job_page(world):
    user = world.user("county")
    job = Job.objects.create(
        user=user,
        kind="ledger",
        filename="台账.xlsx",
        status=Job.Status.REJECTED,
        message="第3行：项目名称不能为空；共1处错误，未导入",
    )
    (n,) = notify_import_finished(job)
    assert n.recipient == user and n.kind == JOB_FINISHED and n.level == "warning"
    assert n.title == "台账导入有错误，未导入：台账.xlsx"
    assert n.text == "第3行：项目名称不能为空；共1处错误，未导入"
    assert n.link == reverse("ledger:job", args=[job.pk])
    assert notify_import_finished(job) == []  # once per job


def test_a_finished_export_and_a_failed_job_link_to_the_job_page(world):
    user = world.user("city_office")
    done = Job.objects.create(
        user=user, kind="ledger_export", status=Job.Status.DONE, message="已导出2个项目"
    )
    (n,) = notify_import_finished(done)
    assert (n.title, n.text, n.level) == ("台账导出已完成", "已导出2个项目", "info")
    assert n.link == reverse("core:job", args=[done.pk])
    failed = Job.objects.create(user=user, kind="ledger_export", status=Job.Status.FAILED)
    (n,) = notify_import_finished(failed)
    assert n.title == "台账导出失败" and n.level == "warning"
    assert n.text == "处理失败，请稍后重试或联系系统管理员。"


def test_no_notification_for_a_job_without_user_or_not_finished(world):
    running = Job.objects.create(user=world.user("county"), kind="ledger", status="running")
    scheduled = Job.objects.create(user=None, kind="ledger_export", status="done")
    assert notify_import_finished(running) == []
    assert notify_import_finished(scheduled) == []
    assert not Notification.objects.exists()


# --- commitments -----------------------------------------------------------------------------


@pytest.fixture
def commitments(world):
    a = approvals_world(world)  # its commitments are due 2021-12-31: 4 working days away
    UserFactory(username="county_b", role="county", county=world.county_b)
    UserFactory(username="ent_b", role="enterprise", enterprise=world.enterprise_b)
    make = Commitment.objects.create
    return {
        "due_a": make(item=a.item_a, content="补交施工图审查合格书", due_on=D(2021, 12, 30)),
        "due_b": make(item=a.item_b, content="补交环评批复", due_on=D(2021, 12, 27)),
        "lapsed_a": make(
            item=a.item_a, content="补交消防设计文件", due_on=D(2021, 12, 24), status="broken"
        ),
        "lapsed_long_ago": make(item=a.item_a, content="补交勘察报告", due_on=D(2021, 10, 8)),
        "fulfilled": make(
            item=a.item_a,
            content="已履行的",
            due_on=D(2021, 12, 28),
            status="fulfilled",
            fulfilled_on=D(2021, 12, 20),
        ),
    }


def test_commitments_about_to_lapse_and_lapsed_reach_the_right_people(world, commitments):
    made = notify_commitments(MONDAY)
    # About to lapse: the enterprise's users and the county users of the project's county.
    assert _who(COMMITMENT_DUE) == ["county_a", "county_b", "ent_a", "ent_b"]
    due_a = Notification.objects.get(kind=COMMITMENT_DUE, recipient__username="ent_a")
    assert due_a.title == "承诺即将到期：甲新材料项目"
    assert "补交施工图审查合格书" in due_a.text and "还剩3个工作日" in due_a.text
    assert due_a.level == "warning"
    assert due_a.link == reverse("approvals:item_detail", kwargs={"pk": world.approvals.item_a.pk})
    due_b = Notification.objects.get(kind=COMMITMENT_DUE, recipient__username="ent_b")
    assert "今天到期" in due_b.text and due_b.level == "urgent"
    # Lapsed: county users of its county and the city office, not the enterprise.
    assert _who(COMMITMENT_LAPSED) == ["city", "county_a"]
    lapsed = Notification.objects.filter(kind=COMMITMENT_LAPSED).first()
    assert "补交消防设计文件" in lapsed.text and lapsed.level == "urgent"
    assert len(made) == 6
    assert not Notification.objects.filter(text__contains="勘察报告").exists()  # too old
    assert not Notification.objects.filter(text__contains="已履行的").exists()


def test_commitment_rules_notify_once_a_day_and_a_lapse_once(world, commitments):
    notify_commitments(MONDAY)
    assert notify_commitments(MONDAY) == []  # the same day again: nothing
    tuesday = notify_commitments(MONDAY + dt.timedelta(days=1))
    # due_a reminded again (2 working days left); the world's two commitments due 12-31 come
    # within 3 working days; due_b lapsed on Monday evening; the earlier lapse not again.
    assert sorted((n.kind, n.recipient.username, n.title.split("：")[1]) for n in tuesday) == [
        (COMMITMENT_DUE, "county_a", "甲新材料项目"),
        (COMMITMENT_DUE, "county_a", "甲新材料项目"),
        (COMMITMENT_DUE, "county_b", "乙装备制造项目"),
        (COMMITMENT_DUE, "ent_a", "甲新材料项目"),
        (COMMITMENT_DUE, "ent_a", "甲新材料项目"),
        (COMMITMENT_DUE, "ent_b", "乙装备制造项目"),
        (COMMITMENT_LAPSED, "city", "乙装备制造项目"),
        (COMMITMENT_LAPSED, "county_b", "乙装备制造项目"),
    ]
    assert {
        c for n in tuesday for c in ("补交施工图审查合格书", "补交环评批复") if c in n.text
    } == {
        "补交施工图审查合格书",
        "补交环评批复",
    }


def test_no_reminders_on_a_day_off(world, commitments):
    assert notify_commitments(D(2021, 12, 25)) == []
    assert notify_items_due(D(2021, 12, 26)) == []
    assert not Notification.objects.exists()


def test_one_deliver_job_for_a_whole_run(world, commitments, robot):
    Webhook.objects.create(county=world.county_a, format="wecom", url=robot.url())
    notify_commitments(MONDAY)
    assert Job.objects.filter(kind="notifications.deliver").count() == 1
    # county_a got a due and a lapsed notification: one post per notification batch
    assert len(robot.posts) == 2
    assert Delivery.objects.filter(status="sent").count() == 2


# --- approval items ----------------------------------------------------------------------------


@pytest.fixture
def items(world):
    a = approvals_world(world)  # item_a: accepted 2021-09-24, overdue for months (too old)
    free = CatalogueItem.objects.filter(track=a.full).exclude(
        pk__in=ProjectApproval.objects.filter(project=world.project_a).values("catalogue_item")
    )
    ci = list(free[:4])
    UserFactory(username="dept_a2", role="department", department=world.department_a)

    def item(ci, department, accepted_on, days):
        it = make_item(
            world.project_a, ci, department, applied_on=accepted_on, accepted_on=accepted_on
        )
        ProjectApproval.objects.filter(pk=it.pk).update(committed_days=days, statutory_days=days)
        it.refresh_from_db()
        return it

    return {
        "due": item(ci[0], world.department_a, D(2021, 12, 20), 7),  # deadline 12-29: 2 left
        "overdue": item(ci[1], world.department_a, D(2021, 12, 1), 5),  # deadline 12-08
        "later": item(ci[2], world.department_a, D(2021, 12, 20), 10),  # 5 left
        "other_dept": item(ci[3], a.dept_nr_a, D(2021, 12, 20), 7),  # nobody in it
    }


def test_items_near_and_past_their_limit_reach_their_department(world, items):
    made = notify_items_due(MONDAY)
    assert _who(ITEM_DUE) == ["dept_a", "dept_a2"]
    assert _who(ITEM_OVERDUE) == ["dept_a", "dept_a2"]
    assert len(made) == 4
    due = Notification.objects.filter(kind=ITEM_DUE).first()
    assert due.title == f"审批事项即将到期：甲新材料项目 · {items['due'].catalogue_item.name}"
    assert "截止2021-12-29，还剩2个工作日" in due.text and due.level == "warning"
    assert due.link == reverse("approvals:item_detail", kwargs={"pk": items["due"].pk})
    overdue = Notification.objects.filter(kind=ITEM_OVERDUE).first()
    assert "已于2021-12-08届满，已超期13个工作日" in overdue.text and overdue.level == "urgent"
    assert overdue.link == reverse("approvals:item_detail", kwargs={"pk": items["overdue"].pk})


def test_item_rules_notify_an_item_once_per_deadline(world, items):
    notify_items_due(MONDAY)
    assert notify_items_due(MONDAY) == []
    assert notify_items_due(MONDAY + dt.timedelta(days=1)) == []  # 1 left, still overdue
    # A decided item is no longer reminded; a moved deadline is notified again.
    ProjectApproval.objects.filter(pk=items["later"].pk).update(committed_days=8)
    made = notify_items_due(D(2021, 12, 29))  # "later" now due 12-30: 1 working day left
    assert {n.kind for n in made} == {ITEM_DUE} and len(made) == 2
