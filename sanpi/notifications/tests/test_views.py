"""The bell, the list (read, mark read, nobody else's), the preferences page, and the
group robots' page for the system administrator (audited, masked, refused to others)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sanpi.core.models import AuditLog
from sanpi.core.tests.api import EVERY_ROLE
from sanpi.notifications.kinds import COMMITMENT_DUE, JOB_FINISHED, KINDS
from sanpi.notifications.models import Notification, Preference, Webhook

pytestmark = pytest.mark.django_db

ROLES = EVERY_ROLE
KEY = "693a91f6-7aoc-4bc4-97a0-0ec2sifa5aaa"
URL = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"


def _note(user, title="通知", *, minutes_ago=0, read=False, link="/accounts/me/", **kw):
    at = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return Notification.objects.create(
        recipient=user,
        kind=kw.pop("kind", JOB_FINISHED),
        title=title,
        text=kw.pop("text", ""),
        link=link,
        created_at=at,
        read_at=at if read else None,
        **kw,
    )


# --- the bell ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_page_shows_the_bell_with_the_unread_count(world, login, role):
    user = world.user(role)
    _note(user, "一")
    _note(user, "二")
    _note(user, "已读", read=True)
    _note(world.user("leader" if role != "leader" else "county"), "别人的")
    client = login(user)
    for url in ("/", reverse("notifications:list"), reverse("accounts:me")):
        html = client.get(url).content.decode()
        assert 'id="notification-bell"' in html, url
        assert 'id="notification-count">2</span>' in html, url
        assert "通知（2条未读）" in html


def test_no_count_without_unread_notifications(world, login):
    _note(world.user("county"), read=True)
    html = login(world.user("county")).get("/").content.decode()
    assert 'id="notification-bell"' in html
    assert 'id="notification-count"' not in html


def test_a_large_count_is_shown_as_99_plus(world, login):
    user = world.user("county")
    Notification.objects.bulk_create(
        Notification(recipient=user, kind=JOB_FINISHED, title=str(i)) for i in range(120)
    )
    html = login(user).get("/").content.decode()
    assert 'id="notification-count">99+</span>' in html


def test_the_bell_costs_one_query(world, rf):
    user = world.user("county")
    _note(user)
    request = rf.get("/")
    request.user = user
    template = Template(
        "{% load notifications_tags %}{% unread_notifications as n %}"
        "{% notification_bell n %}{% notification_bell n %}"
    )
    with CaptureQueriesContext(connection) as queries:
        html = template.render(Context({"user": user, "request": request}))
    assert len(queries) == 1  # counted once, shown in two places
    assert "COUNT" in queries[0]["sql"].upper()
    assert html.count('id="notification-count">1</span>') == 2


def test_narrow_screens_show_the_count_beside_the_menu_button(world, login):
    user = world.user("county")
    _note(user)
    html = login(user).get("/").content.decode()
    assert 'id="notification-count-narrow"' in html and "通知（1条未读）" in html
    _note(world.user("zone"))  # someone else's: not counted
    assert (
        'id="notification-count-narrow" href="/notifications/" aria-label="通知（1条未读）">1</a>'
        in (login(user).get("/").content.decode())
    )


def test_the_login_page_has_no_bell(client, world):
    assert 'id="notification-bell"' not in client.get("/accounts/login/").content.decode()


# --- the list -------------------------------------------------------------------------------


def test_the_list_shows_ones_own_notifications_newest_first(world, login):
    user = world.user("county")
    _note(user, "较早的", minutes_ago=30, read=True)
    _note(user, "最新的", minutes_ago=1, text="第一行\n第二行", level="urgent")
    _note(world.user("zone"), "开发区的")
    html = login(user).get(reverse("notifications:list")).content.decode()
    assert html.index("最新的") < html.index("较早的")
    assert "开发区的" not in html
    assert "第一行<br>第二行" in html
    assert "紧急" in html and "全部标为已读" in html


def test_unread_and_read_tabs(world, login):
    user = world.user("county")
    _note(user, "未读的")
    _note(user, "已读的", read=True)
    client = login(user)
    unread = client.get(reverse("notifications:list"), {"show": "unread"}).content.decode()
    assert "未读的" in unread and "已读的" not in unread
    read = client.get(reverse("notifications:list"), {"show": "read"}).content.decode()
    assert "已读的" in read and "未读的" not in read
    everything = client.get(reverse("notifications:list"), {"show": "bogus"}).content.decode()
    assert "已读的" in everything and "未读的" in everything


def test_the_list_is_paginated(world, login):
    user = world.user("county")
    for i in range(25):
        _note(user, f"第{i:02d}条", minutes_ago=100 - i)
    client = login(user)
    first = client.get(reverse("notifications:list")).content.decode()
    assert "第24条" in first and "第05条" in first and "第04条" not in first
    second = client.get(reverse("notifications:list"), {"page": 2}).content.decode()
    assert "第04条" in second and "第00条" in second and "第24条" not in second


def test_opening_marks_read_and_goes_to_its_link(world, login):
    user = world.user("county")
    n = _note(user, link="/approvals/")
    client = login(user)
    response = client.post(reverse("notifications:open", args=[n.pk]))
    assert response.status_code == 302 and response.url == "/approvals/"
    n.refresh_from_db()
    assert n.read_at is not None
    first_read = n.read_at
    client.post(reverse("notifications:open", args=[n.pk]))  # opened again: stays as read
    n.refresh_from_db()
    assert n.read_at == first_read


@pytest.mark.parametrize("link", ["", "https://evil.example/", "//evil.example/", "javascript:x"])
def test_a_link_that_is_not_a_same_site_path_goes_back_to_the_list(world, login, link):
    user = world.user("county")
    n = _note(user, link=link)  # written around notify(), which would have dropped it
    response = login(user).post(reverse("notifications:open", args=[n.pk]))
    assert response.status_code == 302 and response.url == reverse("notifications:list")


def test_opening_needs_a_post(world, login):
    n = _note(world.user("county"))
    response = login(world.user("county")).get(reverse("notifications:open", args=[n.pk]))
    assert response.status_code == 405
    n.refresh_from_db()
    assert n.read_at is None


def test_other_users_notifications_do_not_exist_for_you(world, login):
    theirs = _note(world.user("zone"))
    client = login(world.user("county"))
    assert client.post(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("notifications:open", args=[999999])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_touches_only_ones_own(world, login):
    user = world.user("county")
    _note(user)
    _note(user)
    theirs = _note(world.user("zone"))
    client = login(user)
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "已将2条通知标为已读" in response.content.decode()
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert 'id="notification-count"' not in response.content.decode()


def test_pages_need_a_signed_in_user(client, world):
    for name in ("notifications:list", "notifications:preferences", "notifications:webhook_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response.url


# --- preferences -----------------------------------------------------------------------------


def test_preferences_show_the_defaults_and_save_the_choices(world, login):
    user = world.user("county")
    client = login(user)
    html = client.get(reverse("notifications:preferences")).content.decode()
    for kind in KINDS.values():
        assert kind.label in html
    assert (
        'name="commitment_due-email" class="form-check-input" id="id_commitment_due-email" checked'
        in html
    )
    assert "未登记电子邮箱" in html
    assert "尚未设置群机器人" in html
    response = client.post(
        reverse("notifications:preferences"),
        {"commitment_due-robot": "on", "job_finished-email": "on"},
    )
    assert response.status_code == 302
    due = Preference.objects.get(user=user, kind=COMMITMENT_DUE)
    assert (due.email, due.robot) == (False, True)
    done = Preference.objects.get(user=user, kind=JOB_FINISHED)
    assert (done.email, done.robot) == (True, False)
    assert Preference.objects.filter(user=user).count() == len(KINDS)


def test_preferences_name_the_users_robot_but_not_its_address(world, login):
    Webhook.objects.create(county=world.county_a, format="wecom", url=URL)
    html = login(world.user("county")).get(reverse("notifications:preferences")).content.decode()
    assert "离石区（企业微信群机器人）" in html
    assert KEY[:8] not in html


# --- group robots (system administrator) -------------------------------------------------


def _audit_text() -> str:
    return json.dumps(
        list(AuditLog.objects.values("before", "after", "message", "object_repr")),
        ensure_ascii=False,
    )


def test_the_administrator_adds_a_robot_audited_with_its_key_masked(world, login):
    client = login(world.user("admin"))
    response = client.post(
        reverse("notifications:webhook_create"),
        {"unit": f"county:{world.county_a.pk}", "format": "wecom", "url": URL, "enabled": "on"},
    )
    assert response.status_code == 302
    webhook = Webhook.objects.get()
    assert (webhook.county, webhook.format, webhook.url, webhook.enabled) == (
        world.county_a,
        "wecom",
        URL,
        True,
    )
    entry = AuditLog.objects.get(object_type="notifications.webhook")
    assert entry.action == "create" and entry.user == world.user("admin")
    assert entry.after["url"] == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a****"
    assert KEY not in _audit_text()
    html = client.get(reverse("notifications:webhook_list")).content.decode()
    assert "key=693a****" in html and KEY not in html
    edit = client.get(reverse("notifications:webhook_edit", args=[webhook.pk])).content.decode()
    assert "key=693a****" in edit and KEY not in edit


def test_editing_with_a_blank_address_keeps_it_and_is_audited(world, login):
    webhook = Webhook.objects.create(county=world.county_a, format="wecom", url=URL)
    client = login(world.user("admin"))
    response = client.post(
        reverse("notifications:webhook_edit", args=[webhook.pk]),
        {"unit": f"zone:{world.zone_a.pk}", "format": "dingtalk", "url": ""},
    )
    assert response.status_code == 302
    webhook.refresh_from_db()
    assert (webhook.county, webhook.zone, webhook.format, webhook.url, webhook.enabled) == (
        None,
        world.zone_a,
        "dingtalk",
        URL,
        False,
    )
    entry = AuditLog.objects.get(object_type="notifications.webhook", action="update")
    assert entry.before["county"] == world.county_a.pk and entry.after["zone"] == world.zone_a.pk
    new = "https://oapi.dingtalk.com/robot/send?access_token=abcdef0123456789"
    client.post(
        reverse("notifications:webhook_edit", args=[webhook.pk]),
        {"unit": f"zone:{world.zone_a.pk}", "format": "dingtalk", "url": new, "enabled": "on"},
    )
    webhook.refresh_from_db()
    assert webhook.url == new and webhook.enabled
    last = AuditLog.objects.filter(object_type="notifications.webhook").first()
    assert last.message == "更换了机器人地址"
    assert "abcdef0123456789" not in _audit_text() and KEY not in _audit_text()


def test_disabling_and_enabling_is_audited(world, login):
    webhook = Webhook.objects.create(county=world.county_a, format="wecom", url=URL)
    client = login(world.user("admin"))
    url = reverse("notifications:webhook_set_enabled", args=[webhook.pk])
    client.post(url, {"enabled": "0"})
    webhook.refresh_from_db()
    assert not webhook.enabled
    client.post(url, {"enabled": "1"})
    webhook.refresh_from_db()
    assert webhook.enabled
    messages = list(
        AuditLog.objects.filter(object_type="notifications.webhook")
        .order_by("at", "id")
        .values_list("message", flat=True)
    )
    assert messages == ["停用群机器人", "启用群机器人"]


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
        "javascript:alert(1)",
        "qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
        "https://",
        "https://qyapi.weixin.qq.com/send?key=a b",
    ],
)
def test_a_bad_address_is_refused_in_chinese(world, login, bad):
    client = login(world.user("admin"))
    response = client.post(
        reverse("notifications:webhook_create"),
        {"unit": f"county:{world.county_a.pk}", "format": "wecom", "url": bad, "enabled": "on"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "http:// 或 https://" in html or "不能包含空格" in html
    assert not Webhook.objects.exists()
    assert not AuditLog.objects.filter(object_type="notifications.webhook").exists()


def test_one_robot_per_organisation_and_a_unit_is_required(world, login):
    Webhook.objects.create(county=world.county_a, format="wecom", url=URL)
    client = login(world.user("admin"))
    data = {"unit": f"county:{world.county_a.pk}", "format": "dingtalk", "url": URL}
    html = client.post(reverse("notifications:webhook_create"), data).content.decode()
    assert "该县(市、区)已设置群机器人" in html
    html = client.post(
        reverse("notifications:webhook_create"), {**data, "unit": "county:999999"}
    ).content.decode()
    assert "有效的选项" in html  # not one of the organisations offered
    assert Webhook.objects.count() == 1


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_robots_are_the_administrators_alone(world, login, role):
    webhook = Webhook.objects.create(county=world.county_a, format="wecom", url=URL)
    client = login(world.user(role))
    assert client.get(reverse("notifications:webhook_list")).status_code == 403
    assert client.get(reverse("notifications:webhook_create")).status_code == 403
    assert client.get(reverse("notifications:webhook_edit", args=[webhook.pk])).status_code == 403
    data = {"unit": f"county:{world.county_b.pk}", "format": "wecom", "url": URL, "enabled": "on"}
    assert client.post(reverse("notifications:webhook_create"), data).status_code == 403
    assert (
        client.post(reverse("notifications:webhook_edit", args=[webhook.pk]), data).status_code
        == 403
    )
    assert (
        client.post(
            reverse("notifications:webhook_set_enabled", args=[webhook.pk]), {"enabled": "0"}
        ).status_code
        == 403
    )
    webhook.refresh_from_db()
    assert webhook.county == world.county_a and webhook.enabled
    assert Webhook.objects.count() == 1
    assert not AuditLog.objects.filter(object_type="notifications.webhook").exists()
    assert "群机器人设置" not in client.get(reverse("notifications:list")).content.decode()


def test_the_robot_list_shows_the_last_delivery(world, login):
    from sanpi.notifications.models import Delivery

    webhook = Webhook.objects.create(county=world.county_a, format="wecom", url=URL)
    n = _note(world.user("county"), kind=COMMITMENT_DUE)
    Delivery.objects.create(
        notification=n,
        channel="wecom",
        target=str(webhook.pk),
        webhook=webhook,
        attempts=1,
        last_error="机器人接口返回 HTTP 500",
    )
    html = login(world.user("admin")).get(reverse("notifications:webhook_list")).content.decode()
    assert "离石区" in html and "待发送" in html and "机器人接口返回 HTTP 500" in html
