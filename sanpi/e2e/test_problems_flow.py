"""A problem's closed loop in headless Chromium: the enterprise raises it on a phone, the
county analyses it and assigns it with the five 到位, the responsible department reports
progress (with a site photo) and says it is solved, the enterprise confirms it is
satisfied on its phone, and the problem is closed (销号)."""

from __future__ import annotations

import datetime as dt
import importlib
import io

from django.apps import apps
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from sanpi.accounts.tests.factories import TEST_PASSWORD, UserFactory
from sanpi.problems.models import Attachment, Problem
from sanpi.projects.tests.factories import ProjectFactory
from sanpi.regions.models import County, Department
from sanpi.regions.tests.factories import EnterpriseFactory

PHONE = {"width": 390, "height": 844}


def _log_in(page, username):
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _policies() -> None:
    """The default SLA policies, as migrated (put back after each transactional test's
    flush by core/tests/triggers.reseed_reference_data; made sure of here)."""
    importlib.import_module("sanpi.problems.migrations.0002_default_policies").seed(apps, None)


def test_a_problem_from_raised_to_closed(browser, live_server, transactional_db, page, tmp_path):
    _policies()
    county = County.objects.get(code="141102")
    enterprise = EnterpriseFactory(name="山西吕梁铝镁新材料有限公司", county=county)
    project = ProjectFactory(name="年产10万吨铝镁合金项目", enterprise=enterprise, county=county)
    department = Department.objects.create(
        name="离石区工业和信息化局", kind="industry", level="county", county=county
    )
    UserFactory(username="ent_mg", role="enterprise", enterprise=enterprise)
    UserFactory(username="lishi", role="county", county=county)
    worker = UserFactory(
        username="gxj", full_name="张科长", role="department", department=department
    )
    photo = tmp_path / "现场.png"
    buf = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 120, 200)).save(buf, "PNG")
    photo.write_bytes(buf.getvalue())

    # The enterprise raises it, on a phone, from its project.
    phone = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True
    ).new_page()
    phone.set_default_timeout(20_000)
    _log_in(phone, "ent_mg")
    phone.goto(f"/problems/new/?project={project.pk}")
    _fits(phone)
    expect(phone.locator("#id_project")).to_have_value(str(project.pk))
    phone.get_by_role("button", name="提出问题", exact=True).click()
    expect(phone.locator("#raise-form")).to_contain_text("请选择问题类别")
    phone.get_by_label("问题类别").select_option(label="水电气暖配套")
    phone.get_by_label("问题描述").fill("厂区施工用电迟迟未接入，影响设备安装调试")
    phone.get_by_role("button", name="提出问题", exact=True).click()
    expect(phone.locator("#problem-state")).to_have_text("已提出")
    _fits(phone)
    problem = Problem.objects.get()
    url = f"/problems/{problem.pk}/"
    assert phone.url.endswith(url)
    expect(phone.locator("#form-withdraw")).to_be_visible()  # its own: it may withdraw
    expect(phone.locator("#form-assign")).to_have_count(0)

    # The county sees it in its ledger, analyses it and assigns it with the five 到位.
    _log_in(page, "lishi")
    page.goto("/problems/?state=open")
    page.locator("#problem-table").get_by_role("link", name="厂区施工用电").click()
    expect(page.locator("#problem-state")).to_have_text("已提出")
    analyse = page.locator("#form-analyse")
    analyse.get_by_label("研判意见（解决措施）").fill("协调供电公司十日内完成接入")
    analyse.get_by_role("button", name="研判", exact=True).click()
    expect(page.locator("#problem-state")).to_have_text("已研判")
    assign = page.locator("#form-assign")
    assign.get_by_role("button", name="交办", exact=True).click()  # nothing filled in yet
    expect(page.locator("#form-assign")).to_contain_text("请选择责任单位")
    assign = page.locator("#form-assign")
    assign.get_by_label("责任单位").select_option(f"department:{department.pk}")
    assign.get_by_label("责任领导").fill("王副区长")
    assign.get_by_label("责任人").select_option(str(worker.pk))
    expect(assign.get_by_label("解决措施")).to_have_value("协调供电公司十日内完成接入")
    deadline = timezone.localdate() + dt.timedelta(days=10)
    assign.get_by_label("完成时限").fill(deadline.isoformat())
    assign.get_by_role("button", name="交办", exact=True).click()
    expect(page.locator("#problem-state")).to_have_text("已交办")
    expect(page.locator("#problem-five")).to_contain_text("离石区工业和信息化局")
    expect(page.locator("#problem-five")).to_contain_text("张科长")

    # The department reports progress with a photo, then says it is solved.
    _log_in(page, "gxj")
    page.goto(url)
    feedback = page.locator("#form-feedback")
    feedback.get_by_label("进展情况").fill("已与供电公司现场对接，线路施工中")
    feedback.locator("input[type=file]").set_input_files(str(photo))
    feedback.get_by_role("button", name="反馈进展", exact=True).click()
    expect(page.locator("#problem-state")).to_have_text("办理中")
    expect(page.locator("#problem-timeline")).to_contain_text("现场.jpg")
    assert Attachment.objects.get().content_type == "image/jpeg"
    solve = page.locator("#form-solve")
    solve.get_by_label("办理结果").fill("已完成线路架设并通电")
    solve.get_by_role("button", name="办结", exact=True).click()
    expect(page.locator("#problem-state")).to_have_text("已办结待确认")

    # The enterprise, on its phone, says it is satisfied: the problem is closed.
    phone.goto(url)
    expect(phone.locator("#form-confirm")).to_be_visible()
    _fits(phone)
    phone.get_by_role("button", name="确认满意", exact=True).click()
    expect(phone.locator("#problem-state")).to_have_text("已销号")
    expect(phone.locator("#no-moves")).to_be_visible()
    phone.context.close()

    problem.refresh_from_db()
    assert (problem.state, problem.satisfied, problem.confirmed_on_behalf) == (
        "closed",
        True,
        False,
    )
    assert list(problem.events.values_list("move", flat=True)) == [
        "raise", "analyse", "assign", "feedback", "solve", "confirm"
    ]  # fmt: skip
    page.goto("/problems/?state=closed")
    expect(page.locator("#problem-table")).to_contain_text("厂区施工用电")
