"""The pages people open on a phone: nothing scrolls sideways at 390×844 (an iPhone 12–15),
wide tables scroll inside their own box, cards wrap, the navigation collapses."""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from sanpi.accounts.actors import SystemActor
from sanpi.accounts.tests.factories import TEST_PASSWORD, UserFactory
from sanpi.projects.models import Activity
from sanpi.projects.services import activity_add_project, project_set_health
from sanpi.projects.tests.factories import ActivityFactory, ProjectFactory
from sanpi.regions.models import County
from sanpi.regions.tests.factories import EnterpriseFactory, ZoneFactory

PHONE = {"width": 390, "height": 844}
CITY = SystemActor(name="test")
# Screenshots go here when set (to look at them), else to the test's tmp_path.
SHOTS = os.environ.get("SANPI_E2E_SHOTS", "")


@pytest.fixture
def phone(browser, live_server, transactional_db):
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    context.close()


def _city_with_long_names():
    """Projects and activities with the longest names and largest amounts a city has."""
    county = County.objects.get(code="141102")
    zone = ZoneFactory(
        name="山西吕梁经济技术开发区新材料产业园区", short_name="吕梁经开区", county=county
    )
    enterprise = EnterpriseFactory(
        name="山西吕梁离石区新能源新材料科技集团股份有限公司", county=county
    )
    activity = ActivityFactory(year=2021, sequence=4, venue="兴县经济技术开发区（全市分会场）")
    for i in range(12):
        p = ProjectFactory(
            name=f"年产{i + 1}0万吨高性能铝镁合金新材料及深加工一体化建设项目（一期工程）",
            code=f"2104-141100-89-01-1234{i:02d}",
            enterprise=enterprise,
            county=county,
            zone=zone,
            total_investment_wan=Decimal("12345678.90"),
            planned_output_wan=Decimal("2566620.69"),
            actual_output_wan=Decimal("2089821.21"),
            stage="started",
            signed_date=dt.date(2020, 5, 1),
            started_date=dt.date(2020, 9, 1),
            is_provincial_key=True,
            is_city_key=True,
        )
        if i < 6:
            project_set_health(by=CITY, project=p, health="lagging", date=dt.date(2021, 1, 4))
        else:
            activity_add_project(by=CITY, activity=activity, project=p, action="produce")
    UserFactory(
        username="city_phone", full_name="吕梁市重点工程建设服务中心 李项目", role="city_office"
    )


def _shot(page, tmp_path: Path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _no_sideways_scroll(page) -> None:
    # A phone shows a page too wide for it zoomed out: its layout viewport (innerWidth)
    # grows to the content's width. So the viewport must also still be the phone's.
    scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert inner == PHONE["width"] and scroll <= inner, (
        f"{page.url}: scrollWidth {scroll}, innerWidth {inner}, phone {PHONE['width']}"
    )


def _log_in(page, username: str):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    return page


def test_home_and_ledger_fit_a_phone(phone, tmp_path):
    _city_with_long_names()
    page = _log_in(phone, "city_phone")
    assert page.viewport_size == PHONE

    page.goto("/")
    _shot(page, tmp_path, "home")
    _no_sideways_scroll(page)
    # The navigation is collapsed behind its button; opened, it wraps the user's long name.
    nav = page.locator("#sanpi-nav")
    assert not nav.is_visible()
    page.get_by_role("button", name="展开导航").click()
    nav.get_by_role("link", name="项目台账").wait_for()
    _shot(page, tmp_path, "home-nav")
    _no_sideways_scroll(page)

    # Wide tables scroll inside their own box, not the page.
    page.goto("/projects/")
    _shot(page, tmp_path, "ledger")
    _no_sideways_scroll(page)
    box = page.locator("#project-table .table-responsive")
    assert box.evaluate("e => e.scrollWidth > e.clientWidth")

    for path in ("/rates/", f"/projects/activities/{Activity.objects.get().pk}/"):
        page.goto(path)
        _shot(page, tmp_path, path.strip("/").replace("/", "-"))
        _no_sideways_scroll(page)


def test_ledger_sorts_by_clicking_a_header_and_keeps_the_sort_when_filtering(page, log_in):
    county = County.objects.get(code="141102")
    for name, investment, stage in (
        ("小项目", "100.00", "reserve"),
        ("大项目", "90000.00", "reserve"),
        ("中项目", "5000.00", "reserve"),
        ("已签约大项目", "99000.00", "signed"),
    ):
        ProjectFactory(
            name=name,
            county=county,
            total_investment_wan=Decimal(investment),
            stage=stage,
            **({"signed_date": dt.date(2021, 3, 1)} if stage == "signed" else {}),
        )
    UserFactory(username="city_sort", role="city_office")
    log_in("city_sort")
    page.goto("/projects/")

    rows = page.locator("#project-table tbody tr td.sanpi-name > a")
    investment = page.locator("#project-table th", has_text="总投资(万元)")

    investment.get_by_role("link").click()
    page.wait_for_url("**/projects/?sort=-investment")
    expect(investment).to_have_attribute("aria-sort", "descending")
    expect(investment).to_contain_text("↓")
    expect(rows).to_have_text(["已签约大项目", "大项目", "中项目", "小项目"])

    # Filtering keeps the sort (and starts again at page one).
    page.get_by_label("阶段").select_option("reserve")
    page.wait_for_url("**/projects/?stage=reserve&sort=-investment")
    expect(rows).to_have_text(["大项目", "中项目", "小项目"])

    # Clicking the active header again turns the order round, keeping the filter.
    investment.get_by_role("link").click()
    page.wait_for_url("**/projects/?stage=reserve&sort=investment")
    expect(investment).to_have_attribute("aria-sort", "ascending")
    expect(investment).to_contain_text("↑")
    expect(rows).to_have_text(["小项目", "中项目", "大项目"])
    expect(page.locator("#export-link")).to_have_attribute("href", re.compile("sort=investment"))
