"""notify(): who receives, which channels, and the deliver job against a real HTTP robot
(exact JSON, a 500 then success, a timeout) and Django's mail outbox."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone

from sanpi.accounts.tests.factories import UserFactory
from sanpi.core.models import Job
from sanpi.notifications import services
from sanpi.notifications.jobs import DELIVER, MAX_ATTEMPTS, deliver_due, start_delivery_if_due
from sanpi.notifications.kinds import COMMITMENT_DUE, JOB_FINISHED
from sanpi.notifications.models import Delivery, Notification, Preference, Webhook
from sanpi.notifications.services import notify, recipients
from sanpi.regions.models import Department

from .conftest import Answer

pytestmark = pytest.mark.django_db

SITE = "https://sanpi.example.gov.cn"
TITLE = "承诺即将到期：甲新材料项目"
TEXT = "承诺“开工前补交施工图审查合格书”期限为2021-12-30，还剩3个工作日。"
LINK = "/approvals/items/5/"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SANPI_SITE_URL = SITE
    settings.SANPI_ROBOT_TIMEOUT = 5


def _jobs() -> int:
    return Job.objects.filter(kind=DELIVER).count()


def _notify_county_a(world, **over):
    args = {
        "kind": COMMITMENT_DUE,
        "title": TITLE,
        "text": TEXT,
        "level": "warning",
        "link": LINK,
        "role": "county",
        "scope": world.county_a,
    }
    return notify(**{**args, **over})


# --- recipients ----------------------------------------------------------------------------


def test_role_within_a_scope_picks_those_users_and_no_others(world):
    county_b_user = UserFactory(username="county_b", role="county", county=world.county_b)
    UserFactory(username="county_a_gone", role="county", county=world.county_a, is_active=False)
    dept_b = Department.objects.create(
        name="孝义市行政审批服务管理局", kind="approval", level="county", county=world.county_b
    )
    dept_b_user = UserFactory(username="dept_b", role="department", department=dept_b)
    ent_b_user = UserFactory(username="ent_b", role="enterprise", enterprise=world.enterprise_b)

    def names(role, scope=None):
        return [u.username for u in recipients(role=role, scope=scope)]

    assert names("county", world.county_a) == ["county_a"]  # not B's, not the inactive one
    assert names("county", world.county_b) == ["county_b"]
    assert names("zone", world.county_a) == ["zone_a"]  # zone A lies in county A
    assert names("zone", world.county_b) == []
    assert names("department", world.county_a) == ["dept_a"]  # zone A's department
    assert names("department", world.zone_a) == ["dept_a"]
    assert names("department", world.department_a) == ["dept_a"]
    assert names("department", dept_b) == ["dept_b"]
    assert names("enterprise", world.county_a) == ["ent_a"]  # registered in county A
    assert names("enterprise", world.enterprise_b) == ["ent_b"]
    assert names("city_office") == ["city"]
    assert names("city_office", world.county_a) == []  # bound to no unit: in no scope
    assert names("county") == ["county_a", "county_b"]

    made = _notify_county_a(world)
    assert [n.recipient.username for n in made] == ["county_a"]
    assert not Notification.objects.filter(
        recipient__in=[county_b_user, dept_b_user, ent_b_user]
    ).exists()


def test_explicit_users_and_a_role_together_are_notified_once_each(world):
    county = world.user("county")
    made = notify(
        kind=JOB_FINISHED,
        title="测试",
        text="",
        users=[county, world.user("leader")],
        role="county",
        scope=world.county_a,
    )
    assert sorted(n.recipient.username for n in made) == ["county_a", "leader"]
    assert len({n.batch for n in made}) == 1


def test_arguments_that_cannot_be_right_raise(world):
    with pytest.raises(ValueError):
        notify(kind=JOB_FINISHED, title="x", text="")  # nobody asked for
    with pytest.raises(ValueError):
        notify(kind=JOB_FINISHED, title="x", text="", users=[], level="loud")
    with pytest.raises(ValueError):
        notify(kind=JOB_FINISHED, title="x", text="", role="chief")
    with pytest.raises(ValueError):
        notify(kind=JOB_FINISHED, title="x", text="", role="county", scope=world.project_a)


# --- in-app, links, the caller's transaction --------------------------------------------------


def test_in_app_only_kinds_start_no_job(world):
    made = notify(
        kind=JOB_FINISHED,
        title="台账导出已完成",
        text="已导出2个项目",
        users=[world.user("county")],
    )
    assert len(made) == 1 and made[0].unread and made[0].level == "info"
    assert not Delivery.objects.exists()
    assert _jobs() == 0


def test_only_same_site_paths_are_kept_as_links(world):
    user = world.user("county")
    for bad in ("https://evil.example/x", "//evil.example/x", "javascript:alert(1)", "/\\evil"):
        (n,) = notify(kind=JOB_FINISHED, title="t", text="", link=bad, users=[user])
        assert n.link == ""
    (n,) = notify(kind=JOB_FINISHED, title="t", text="", link="/jobs/x/?a=1", users=[user])
    assert n.link == "/jobs/x/?a=1"


def test_rows_commit_with_the_callers_write_or_not_at_all(world):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(kind=JOB_FINISHED, title="t", text="", users=[world.user("county")])
        raise RuntimeError("the caller's write failed")
    assert not Notification.objects.exists()


def test_a_failure_inside_notify_never_fails_the_callers_write(world, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise DatabaseError("disk full")

    Webhook.objects.create(county=world.county_a, format="wecom", url="http://127.0.0.1:9/x")
    monkeypatch.setattr(Delivery.objects, "bulk_create", broken)
    with transaction.atomic():
        made = _notify_county_a(world)
        world.project_a.name = "甲新材料项目（改）"
        world.project_a.save()  # the caller goes on writing in the same transaction
    assert made == []
    assert not Notification.objects.exists()  # notify's own rows rolled back, whole
    world.project_a.refresh_from_db()
    assert world.project_a.name == "甲新材料项目（改）"
    assert "nothing was notified" in caplog.text


# --- email ------------------------------------------------------------------------------------


def test_email_goes_to_users_with_an_address_who_want_it(world, mailoutbox):
    county = world.user("county")
    county.email = "county_a@example.gov.cn"
    county.save()
    zone = world.user("zone")  # no address
    Preference.objects.create(user=zone, kind=COMMITMENT_DUE, email=True, robot=False)
    notify(kind=COMMITMENT_DUE, title=TITLE, text=TEXT, link=LINK, users=[county, zone])
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["county_a@example.gov.cn"]
    assert mail.subject == f"【三批平台】{TITLE}"
    assert TEXT in mail.body and f"查看：{SITE}{LINK}" in mail.body
    delivery = Delivery.objects.get()
    assert (delivery.channel, delivery.target, delivery.status) == (
        "email",
        "county_a@example.gov.cn",
        "sent",
    )
    assert delivery.sent_at is not None and delivery.attempts == 0
    assert _jobs() == 1
    deliver_due(timezone.now() + dt.timedelta(days=1))  # already sent: never again
    assert len(mailoutbox) == 1


def test_each_result_is_written_as_it_goes_and_a_claimed_delivery_is_skipped(
    world, settings, monkeypatch
):
    """A run stopped midway (the worker killed while waiting on a server) keeps what it
    already sent; a delivery another run has claimed is not sent twice."""
    from sanpi.notifications import channels

    users = []
    for i in range(3):
        u = UserFactory(role="county", county=world.county_a, email=f"c{i}@example.gov.cn")
        Preference.objects.create(user=u, kind=COMMITMENT_DUE, email=True, robot=False)
        users.append(u)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    notify(kind=COMMITMENT_DUE, title=TITLE, text=TEXT, link=LINK, users=users)
    first, second, third = Delivery.objects.order_by("pk")
    # Another run has just claimed the third one: its lease lies ahead.
    Delivery.objects.filter(pk=third.pk).update(
        next_attempt_at=timezone.now() + dt.timedelta(minutes=10)
    )
    sent = []

    def send_email(*, address, **kwargs):
        if address == second.target:
            raise KeyboardInterrupt  # the process stops here
        sent.append(address)

    monkeypatch.setattr(channels, "send_email", send_email)
    with pytest.raises(KeyboardInterrupt):
        deliver_due(timezone.now() + dt.timedelta(seconds=1))
    assert sent == [first.target]
    statuses = dict(Delivery.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "sent", second.pk: "pending", third.pk: "pending"}


def test_preferences_are_respected(world, mailoutbox, robot):
    Webhook.objects.create(county=world.county_a, format="wecom", url=robot.url())
    county = world.user("county")
    county.email = "county_a@example.gov.cn"
    county.save()
    pref = Preference.objects.create(user=county, kind=COMMITMENT_DUE, email=False, robot=False)
    _notify_county_a(world)
    assert mailoutbox == [] and robot.posts == [] and not Delivery.objects.exists()
    assert Notification.objects.count() == 1  # in-app is always on
    assert _jobs() == 0

    pref.email, pref.robot = True, False
    pref.save()
    _notify_county_a(world)
    assert len(mailoutbox) == 1 and robot.posts == []

    pref.email, pref.robot = False, True
    pref.save()
    _notify_county_a(world)
    assert len(mailoutbox) == 1 and len(robot.posts) == 1


# --- group robots -----------------------------------------------------------------------------


def test_wecom_gets_one_markdown_post_per_robot_with_the_exact_body(world, robot):
    Webhook.objects.create(county=world.county_a, format="wecom", url=robot.url())
    UserFactory(username="county_a2", role="county", county=world.county_a)
    made = _notify_county_a(world)
    assert len(made) == 2  # two county users, one group: one post
    assert len(robot.posts) == 1
    post = robot.posts[0]
    assert post.path == "/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    assert post.content_type == "application/json; charset=utf-8"
    assert post.body == {
        "msgtype": "markdown",
        "markdown": {
            "content": (
                "**【三批平台】承诺即将到期：甲新材料项目**\n"
                '> 级别：<font color="warning">警告</font>\n'
                "承诺“开工前补交施工图审查合格书”期限为2021-12-30，还剩3个工作日。\n"
                "[查看详情](https://sanpi.example.gov.cn/approvals/items/5/)"
            )
        },
    }
    delivery = Delivery.objects.get()
    assert delivery.status == "sent" and delivery.channel == "wecom"
    assert _jobs() == 1


def test_dingtalk_gets_a_text_post_with_the_exact_body(world, robot):
    Webhook.objects.create(
        department=world.department_a, format="dingtalk", url=robot.url("dingtoken0123456789")
    )
    notify(
        kind=COMMITMENT_DUE,
        title="审批事项已超期：甲新材料项目 · 施工许可",
        text="已超期3个工作日，请尽快办结。",
        level="urgent",
        link="/approvals/items/7/",
        role="department",
        scope=world.zone_a,
    )
    assert [p.body for p in robot.posts] == [
        {
            "msgtype": "text",
            "text": {
                "content": (
                    "【三批平台】审批事项已超期：甲新材料项目 · 施工许可\n"
                    "级别：紧急\n"
                    "已超期3个工作日，请尽快办结。\n"
                    "查看：https://sanpi.example.gov.cn/approvals/items/7/"
                )
            },
        }
    ]


def test_each_organisation_robot_posts_once_and_disabled_robots_never(world, robot):
    Webhook.objects.create(county=world.county_a, format="wecom", url=robot.url("countykey"))
    Webhook.objects.create(zone=world.zone_a, format="dingtalk", url=robot.url("zonekey"))
    Webhook.objects.create(
        department=world.department_a, format="wecom", url=robot.url("deptkey"), enabled=False
    )
    notify(
        kind=COMMITMENT_DUE,
        title=TITLE,
        text=TEXT,
        users=[world.user("county"), world.user("zone"), world.user("department")],
    )
    assert sorted(p.path.rsplit("=", 1)[1] for p in robot.posts) == ["countykey", "zonekey"]


def test_a_500_is_retried_later_and_the_message_is_sent_once(world, robot):
    Webhook.objects.create(county=world.county_a, format="wecom", url=robot.url())
    robot.answer(Answer(status=500, body="oops"))
    before = timezone.now()
    _notify_county_a(world)
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error == "机器人接口返回 HTTP 500"
    assert key_not_in(delivery.last_error)
    wait = delivery.next_attempt_at - before
    assert dt.timedelta(seconds=55) < wait < dt.timedelta(seconds=65)  # 1 minute

    assert deliver_due().sent == 0  # not due yet: nothing posted
    assert start_delivery_if_due() is None
    assert len(robot.posts) == 1

    later = delivery.next_attempt_at + dt.timedelta(seconds=1)
    assert deliver_due(later).sent == 1
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 1 and delivery.last_error == ""
    deliver_due(later + dt.timedelta(hours=3))
    assert len(robot.posts) == 2  # the failed post and the one that got through, no more
    assert robot.posts[0].body == robot.posts[1].body


def key_not_in(text: str) -> bool:
    return "693a91f6" not in text and "127.0.0.1" not in text


def test_errcode_other_than_zero_is_a_failure(world, robot):
    Webhook.objects.create(county=world.county_a, format="wecom", url=robot.url())
    robot.answer(Answer(body={"errcode": 93000, "errmsg": "invalid webhook url"}))
    _notify_county_a(world)
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error == "机器人接口返回错误（errcode 93000）：invalid webhook url"


def test_a_robot_that_does_not_answer_in_time_is_a_failure(world, robot, settings):
    settings.SANPI_ROBOT_TIMEOUT = 0.3
    Webhook.objects.create(county=world.county_a, format="wecom", url=robot.url())
    robot.answer(Answer(delay=2.0))
    started = time.monotonic()
    _notify_county_a(world)
    assert time.monotonic() - started < 1.5  # the caller waited for the timeout, no longer
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.last_error == "机器人接口0.3秒内无应答（超时）"


def test_backoff_then_failed_for_good_after_five_attempts(world, robot):
    Webhook.objects.create(county=world.county_a, format="wecom", url=robot.url())
    robot.answer(*[Answer(status=502) for _ in range(MAX_ATTEMPTS)])
    _notify_county_a(world)
    waits = []
    now = timezone.now()
    for _ in range(MAX_ATTEMPTS - 1):
        delivery = Delivery.objects.get()
        waits.append(round((delivery.next_attempt_at - now).total_seconds() / 60))
        now = delivery.next_attempt_at
        deliver_due(now)
    delivery = Delivery.objects.get()
    assert waits == [1, 5, 30, 120]
    assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS
    deliver_due(now + dt.timedelta(days=1))
    assert len(robot.posts) == MAX_ATTEMPTS


def test_a_robot_that_is_down_costs_one_attempt_per_run(world, robot, settings):
    settings.SANPI_ROBOT_TIMEOUT = 0.3
    Webhook.objects.create(county=world.county_a, format="wecom", url=robot.url())
    robot.answer(Answer(delay=1.0))
    for title in ("一", "二", "三"):
        services.notify(
            kind=COMMITMENT_DUE,
            title=title,
            text="",
            role="county",
            scope=world.county_a,
            deliver=False,
        )
    outcome = deliver_due()
    assert (outcome.sent, outcome.retry) == (0, 3)
    assert len(robot.posts) == 1
    rows = list(Delivery.objects.order_by("pk"))
    assert [d.attempts for d in rows] == [1, 0, 0]
    assert len({d.next_attempt_at for d in rows}) == 1  # all tried again together
    outcome = deliver_due(rows[0].next_attempt_at)
    assert outcome.sent == 3 and len(robot.posts) == 4


def test_robot_content_is_the_json_the_robot_parses(world, robot):
    """Chinese text travels as UTF-8 JSON, unescaped."""
    Webhook.objects.create(county=world.county_a, format="dingtalk", url=robot.url())
    _notify_county_a(world, text="引号“”与换行\n第二行")
    assert "引号“”与换行\n第二行" in robot.posts[0].body["text"]["content"]
    assert "引号“”与换行\\n第二行".encode() in robot.posts[0].raw  # not \\u5f15…
