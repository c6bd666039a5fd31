"""A month of dispatch in headless Chromium: the enterprise fills in its report on a
phone (a draft first, then submitted), the county sends it back with a reason, the
enterprise corrects it, the county accepts it, the city office closes the month and
the ranking shows the county's score."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from playwright.sync_api import expect

from sanpi.accounts.tests.factories import TEST_PASSWORD, UserFactory
from sanpi.dispatch.models import MonthlyReport
from sanpi.projects.tests.factories import ProjectFactory
from sanpi.regions.models import County
from sanpi.regions.tests.factories import EnterpriseFactory
from sanpi.targets.models import UnitTarget

PHONE = {"width": 390, "height": 844}
YEAR, MONTH = 2026, 10


def _log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def test_a_month_end_to_end(browser, live_server, transactional_db, page):
    county = County.objects.get(code="141102")
    enterprise = EnterpriseFactory(name="山西吕梁铝镁新材料有限公司", county=county)
    project = ProjectFactory(
        name="年产10万吨铝镁合金项目",
        enterprise=enterprise,
        county=county,
        stage="started",
        signed_date=dt.date(2026, 1, 5),
        started_date=dt.date(2026, 3, 1),
        total_investment_wan=Decimal("50000"),
    )
    UserFactory(username="ent_mg", role="enterprise", enterprise=enterprise)
    UserFactory(username="lishi", role="county", county=county)
    UserFactory(username="city", role="city_office")
    report_url = f"/dispatch/{YEAR}/{MONTH}/{project.pk}/"

    # The enterprise, on a phone.
    phone = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
    ).new_page()
    phone.set_default_timeout(20_000)
    _log_in(phone, "ent_mg")
    phone.goto(report_url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.get_by_label("本月完成投资(万元)").fill("3000")
    phone.get_by_label("形象进度(%)").fill("30")
    phone.get_by_label("形象进度说明").fill("主体结构施工")
    phone.get_by_role("button", name="保存草稿").click()
    expect(phone.locator("#report-status")).to_have_text("草稿")
    phone.get_by_role("button", name="报送").click()
    expect(phone.locator("#report-status")).to_have_text("已报送")

    # The county sends it back.
    _log_in(page, "lishi")
    page.goto(f"/dispatch/{YEAR}/{MONTH}/")
    expect(page.locator("#month-table")).to_contain_text("已报送")
    page.get_by_role("link", name="年产10万吨铝镁合金项目").click()
    page.get_by_role("button", name="退回（须写原因）").click()
    expect(page.locator("#review-form")).to_contain_text("退回时请写明原因")
    page.get_by_label("退回原因").fill("投资额与统计数据不一致")
    page.get_by_role("button", name="退回（须写原因）").click()
    expect(page.locator("#report-status")).to_have_text("已退回")

    # The enterprise sees why (its bell too), corrects, submits again.
    phone.goto("/")
    expect(phone.locator("#notification-count-narrow")).to_have_text("1")
    phone.goto(report_url)
    expect(phone.locator("#return-reason")).to_contain_text("投资额与统计数据不一致")
    phone.get_by_label("本月完成投资(万元)").fill("2800")
    phone.get_by_role("button", name="报送").click()
    expect(phone.locator("#report-status")).to_have_text("已报送")

    # The county accepts: the cumulative figure counts it.
    page.goto(report_url)
    page.get_by_role("button", name="审核通过").click()
    expect(page.locator("#report-status")).to_have_text("已审核")
    expect(page.locator("#cumulative")).to_have_text("2,800.00")

    # The city office closes the month; the report is locked.
    _log_in(page, "city")
    page.goto(f"/dispatch/{YEAR}/{MONTH}/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"{YEAR}年{MONTH}月关账").click()
    expect(page.locator("#month-state")).to_contain_text("已关账")
    phone.goto(report_url)
    expect(phone.locator("#report-form")).to_have_count(0)
    assert MonthlyReport.objects.get().status == "accepted"
    phone.context.close()

    # The ranking is published: 离石区's only target is investment (10,000 万元), so its
    # score is its completion 2,800 ÷ 10,000 = 28% × weight 30 ÷ 30 × 100 = 28.00.
    UnitTarget.objects.create(year=YEAR, county=county, investment_wan=Decimal("10000"))
    page.goto(f"/targets/?year={YEAR}&month={MONTH}&kind=county")
    row = page.locator("#ranking-county tr", has_text="离石区")
    expect(row).to_contain_text("28.00")
    expect(row.locator("td").first).to_have_text("1")
