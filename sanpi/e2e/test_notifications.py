"""The notification bell in headless Chromium: the unread count on every page, the list,
opening a notification (it is read, its page opens) and the count dropping."""

from __future__ import annotations

from sanpi.accounts.tests.factories import UserFactory
from sanpi.notifications.kinds import JOB_FINISHED
from sanpi.notifications.services import notify


def test_opening_a_notification_from_the_bell_drops_the_count(page, log_in):
    user = UserFactory(username="city_e2e", role="city_office")
    other = UserFactory(username="leader_e2e", role="leader")
    notify(
        kind=JOB_FINISHED,
        title="台账导入有错误，未导入：台账.xlsx",
        text="第3行：项目名称不能为空",
        level="warning",
        link="/accounts/me/",
        users=[user],
    )
    notify(kind=JOB_FINISHED, title="台账导出已完成", text="已导出2个项目", users=[user, other])

    log_in("city_e2e")
    bell = page.locator("#notification-bell")
    assert page.locator("#notification-count").inner_text() == "2"
    assert bell.get_attribute("aria-label") == "通知（2条未读）"

    bell.click()
    page.wait_for_url("**/notifications/")
    items = page.locator("#notification-list .list-group-item")
    assert items.count() == 2
    assert "台账导出已完成" in items.nth(0).inner_text()  # newest first
    assert "未读" in items.nth(1).inner_text()

    page.get_by_role("button", name="台账导入有错误，未导入：台账.xlsx").click()
    page.wait_for_url("**/accounts/me/")  # the notification's own page
    assert page.locator("#notification-count").inner_text() == "1"
    assert page.locator("#notification-bell").get_attribute("aria-label") == "通知（1条未读）"

    page.locator("#notification-bell").click()
    page.wait_for_url("**/notifications/")
    page.get_by_role("button", name="全部标为已读").click()
    page.wait_for_load_state()
    assert "已将1条通知标为已读" in page.get_by_role("alert").inner_text()
    assert page.locator("#notification-count").count() == 0
    assert page.locator("#notification-bell").get_attribute("aria-label") == "通知"
