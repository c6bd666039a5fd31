"""Approvals in a real browser: a department officer decides an item on time; the city
office reads the overdue list, per department, county and zone."""

from __future__ import annotations

import datetime as dt

from sanpi.accounts.tests.factories import UserFactory
from sanpi.approvals.models import ProjectApproval
from sanpi.approvals.tests.factories import catalogue_item, ensure_presets, make_item
from sanpi.projects.tests.factories import ProjectFactory
from sanpi.regions.models import County, Department
from sanpi.regions.tests.factories import EnterpriseFactory, ZoneFactory

D = dt.date


def _city():
    ensure_presets()
    lishi = County.objects.get(code="141102")
    xiaoyi = County.objects.get(code="141181")
    zone = ZoneFactory(name="吕梁经济技术开发区", county=lishi)
    bureau = Department.objects.create(
        name="吕梁经开区行政审批局", kind="approval", level="zone", zone=zone
    )
    xiaoyi_bureau = Department.objects.create(
        name="孝义市行政审批服务管理局", kind="approval", level="county", county=xiaoyi
    )
    a = ProjectFactory(name="甲新材料项目", enterprise=EnterpriseFactory(), county=lishi, zone=zone)
    b = ProjectFactory(name="乙装备制造项目", enterprise=EnterpriseFactory(), county=xiaoyi)
    permit = catalogue_item("建筑工程施工许可证核发")  # 2 working days
    plan = catalogue_item("建设工程规划许可证")  # 5 working days
    # Accepted Wednesday 2021-11-10, 2 working days: due Friday 11-12 (an ordinary week;
    # the holiday and 调休 rules are tested in approvals/tests/test_rules.py).
    item_a = make_item(a, permit, bureau, applied_on=D(2021, 11, 8), accepted_on=D(2021, 11, 10))
    make_item(a, plan, bureau, applied_on=D(2021, 11, 8), accepted_on=D(2021, 11, 10))
    make_item(b, permit, xiaoyi_bureau, applied_on=D(2021, 11, 8), accepted_on=D(2021, 11, 11))
    return bureau, item_a


def test_a_department_officer_decides_an_item(page, log_in):
    bureau, item = _city()
    UserFactory(username="dept_e2e", full_name="王审批", role="department", department=bureau)

    log_in("dept_e2e")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="审批事项").click()
    page.wait_for_load_state()
    table = page.locator("table.approval-items")
    assert "乙装备制造项目" not in table.inner_text()  # another county's department
    page.get_by_role("link", name="建筑工程施工许可证核发").click()
    page.wait_for_load_state()
    assert "2021-11-12" in page.locator("#deadline").inner_text()
    assert "已超期" in page.locator("h1").inner_text()

    page.get_by_label("办结日期").fill("2021-11-05")
    page.get_by_label("办理结果").select_option(label="准予许可")
    page.get_by_role("button", name="办结", exact=True).click()
    page.wait_for_load_state()
    assert (
        "办结日期（2021-11-05）早于申请日期（2021-11-08）" in page.locator("#decide").inner_text()
    )
    assert ProjectApproval.objects.get(pk=item.pk).decided_on is None

    page.get_by_label("办结日期").fill("2021-11-12")
    page.get_by_label("办理结果").select_option(label="准予许可")
    page.get_by_label("经办人").fill("王审批")
    page.get_by_role("button", name="办结", exact=True).click()
    page.wait_for_load_state()
    assert "已办结（准予许可），按时办结" in page.get_by_role("alert").first.inner_text()
    assert "按时办结" in page.locator("h1").inner_text()
    assert page.locator("#outcome").inner_text() == "准予许可"
    item.refresh_from_db()
    assert (item.decided_on, item.outcome, item.handler) == (D(2021, 11, 12), "approved", "王审批")


def test_the_city_office_reads_the_overdue_list(page, log_in):
    _city()
    UserFactory(username="city_e2e", full_name="李项目", role="city_office")

    log_in("city_e2e")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="审批事项").click()
    page.get_by_role("link", name="超期事项").click()
    page.wait_for_load_state()
    assert page.locator("#overdue-count").inner_text() == "3"
    by_department = page.locator("#by-department").inner_text()
    assert "吕梁经开区行政审批局\t2" in by_department
    assert "孝义市行政审批服务管理局\t1" in by_department
    by_county = page.locator("#by-county").inner_text()
    assert "离石区\t2" in by_county and "孝义市\t1" in by_county
    assert "吕梁经济技术开发区\t2" in page.locator("#by-zone").inner_text()
    rows = page.locator("table.approval-items tbody tr")
    assert rows.count() == 3
    # The longest overdue first: item A's deadline (11-12) is the earliest.
    assert "建筑工程施工许可证核发" in rows.first.inner_text()

    page.get_by_label("县(市、区)").select_option(label="孝义市")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state()
    assert page.locator("#overdue-count").inner_text() == "1"
    assert "乙装备制造项目" in page.locator("table.approval-items").inner_text()
