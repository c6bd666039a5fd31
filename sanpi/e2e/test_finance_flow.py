"""The 政银企 flow in headless Chromium: the city office registers a bank, holds a
meeting, a bank signs with a project there; the bank's own officer, signed in, finds the
project, grants credit and disburses a loan; the report states the city's figure and the
project leaves the list for the next meeting."""

from __future__ import annotations

from playwright.sync_api import expect

from sanpi.accounts.tests.factories import UserFactory
from sanpi.finance.models import Credit, Loan, LoanNeed, Signing
from sanpi.projects.tests.factories import ProjectFactory
from sanpi.regions.models import County
from sanpi.regions.tests.factories import EnterpriseFactory


def test_a_meeting_a_signing_credit_a_loan_and_the_report(page, log_in):
    county = County.objects.get(code="141102")
    enterprise = EnterpriseFactory(name="山西吕梁铝镁新材料有限公司", county=county)
    project = ProjectFactory(name="年产10万吨铝镁合金项目", enterprise=enterprise, county=county,
                             stage="signed", signed_date="2026-01-10")  # fmt: skip
    UserFactory(username="city", role="city_office")
    log_in("city")

    page.goto("/finance/banks/")
    page.get_by_label("机构名称").fill("中国工商银行吕梁分行")
    page.get_by_role("button", name="登记").click()
    expect(page.locator("#bank-list")).to_contain_text("中国工商银行吕梁分行")

    # The project's need, on its finance page (reached from the project).
    page.goto(f"/projects/{project.pk}/")
    page.get_by_role("link", name="融资对接").click()
    form = page.locator("#form-need")
    form.get_by_label("融资需求(万元)").fill("30000")
    form.get_by_label("用途").fill("设备购置")
    form.get_by_label("期限(月)").fill("36")
    form.get_by_label("提出日期").fill("2026-03-01")
    form.get_by_role("button", name="保存").click()
    expect(page.locator("#finance-needs")).to_contain_text("30,000.00万元")

    page.goto("/finance/meetings/new/")
    page.get_by_label("会议日期").fill("2026-03-20")
    page.get_by_label("会议名称").fill("2026年第一季度政银企对接会")
    page.get_by_label("中国工商银行吕梁分行").check()
    page.get_by_label("参会企业").fill("山西吕梁铝镁新材料有限公司")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#meeting-unfunded")).to_contain_text("年产10万吨铝镁合金项目")

    page.get_by_label("银行").select_option(label="中国工商银行吕梁分行")
    page.get_by_label("项目").select_option(label="年产10万吨铝镁合金项目")
    page.get_by_label("意向金额(万元)").fill("abc")
    page.get_by_role("button", name="登记").click()
    expect(page.locator("main form")).to_contain_text("输入一个数字")  # refused, nothing written
    assert not Signing.objects.exists()
    page.get_by_label("意向金额(万元)").fill("30000")
    page.get_by_role("button", name="登记").click()
    expect(page.locator("#meeting-signings")).to_contain_text("30,000.00")

    # The bank's officer: sees the project their bank signed with, records its own figures.
    from sanpi.finance.models import Bank

    UserFactory(username="icbc", role="bank", bank=Bank.objects.get(name="中国工商银行吕梁分行"))
    page.context.clear_cookies()
    log_in("icbc")
    page.get_by_role("link", name="政银企对接").first.click()
    page.locator("#finance-unfunded").get_by_role("link", name="年产10万吨铝镁合金项目").click()
    credit = page.locator("#form-credit")
    expect(credit.get_by_label("银行")).to_have_value(str(Bank.objects.get().pk))  # its own
    credit.get_by_label("授信金额(万元)").fill("30000")
    credit.get_by_label("授信日期").fill("2026-04-01")
    credit.get_by_role("button", name="保存").click()
    loan = page.locator("#form-loan")
    loan.get_by_label("放贷金额(万元)").fill("12500.5")
    loan.get_by_label("放贷日期").fill("2026-04-15")
    loan.get_by_role("button", name="保存").click()
    expect(page.locator("#project-finance-totals")).to_contain_text("放贷合计 12,500.50 万元")
    assert Loan.objects.get().created_by.username == "icbc"
    page.goto("/finance/report/?date_from=2026-01-01&date_to=2026-06-30")
    expect(page.locator("#report-sentence")).to_contain_text(
        "中国工商银行吕梁分行1个项目获得贷款1.25亿元。"
    )

    page.context.clear_cookies()
    log_in("city")
    page.goto("/finance/report/?date_from=2026-01-01&date_to=2026-06-30")
    expect(page.locator("#report-sentence")).to_have_text(
        "2026年1月1日至2026年6月30日，全市1个项目获得贷款1.25亿元。"
    )
    page.goto("/finance/")
    expect(page.locator("#finance-unfunded")).to_contain_text("没有待对接的项目")
    assert (LoanNeed.objects.count(), Signing.objects.count(), Credit.objects.count(),
            Loan.objects.count()) == (1, 1, 1, 1)  # fmt: skip
