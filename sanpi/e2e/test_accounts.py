"""The new-account form in headless Chromium: each role shows only the unit it needs."""

from __future__ import annotations

from sanpi.accounts.models import User
from sanpi.accounts.tests.factories import UserFactory
from sanpi.regions.models import County, Department, DevelopmentZone

NEW_PASSWORD = "Xin#Mima2026"


def test_department_field_is_shown_for_department_accounts_only(page, log_in):
    """所属部门 is hidden for every role but 部门; a department picked before the role was
    changed to 县(市、区) is not sent, so the county account is created without it."""
    UserFactory(username="admin_e2e", role="admin")
    county = County.objects.get(code="141102")
    zone = DevelopmentZone.objects.create(
        name="吕梁经济技术开发区", level="national", county=county
    )
    Department.objects.create(name="吕梁经开区行政审批局", kind="approval", level="zone", zone=zone)
    log_in("admin_e2e")
    page.goto("/accounts/users/new/")
    department = page.locator("#id_department")
    county_field = page.locator("#id_county")

    page.select_option("#id_role", label="市项目办")
    assert not department.is_visible() and not county_field.is_visible()
    page.select_option("#id_role", label="部门")
    assert department.is_visible() and not county_field.is_visible()
    page.select_option("#id_department", label="吕梁经开区行政审批局")
    page.select_option("#id_role", label="县(市、区)")
    assert not department.is_visible() and county_field.is_visible()

    page.fill("#id_username", "lishi_e2e")
    page.select_option("#id_county", label=str(county))
    page.fill("#id_password", NEW_PASSWORD)
    page.fill("#id_password2", NEW_PASSWORD)
    page.get_by_role("button", name="创建").click()
    page.wait_for_url("**/accounts/users/")
    user = User.objects.get(username="lishi_e2e")
    assert (user.role, user.county, user.department) == ("county", county, None)
