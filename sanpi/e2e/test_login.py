"""Signing in through the real login page in headless Chromium."""

from __future__ import annotations

import re
import subprocess

from sanpi.accounts.tests.factories import UserFactory
from sanpi.core.models import AuditLog


def test_city_office_logs_in_and_sees_the_home_page_in_chinese(page, log_in, tmp_path):
    UserFactory(username="city_e2e", full_name="李项目", role="city_office")
    static = []
    page.on("response", lambda r: static.append(r) if "/static/" in r.url else None)

    log_in("city_e2e")

    assert re.fullmatch(r"http://[^/]+/", page.url), page.url
    assert page.locator("html").get_attribute("lang").lower().startswith("zh")
    assert "三批" in page.title()
    nav = page.locator("nav")
    assert "李项目" in nav.inner_text()
    assert "市项目办" in nav.inner_text()
    # The vendor assets came from node_modules through the app's static files.
    assert any("/static/vendor/bootstrap/" in r.url for r in static)
    assert [r.url for r in static if r.status >= 400] == []
    shot = tmp_path / "home.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert AuditLog.objects.filter(action="login", username="city_e2e", source="web").exists()


def test_cjk_font_is_installed():
    """Without it Chinese renders as boxes in Chromium's screenshots."""
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=True)
    assert "Noto Sans CJK" in fonts.stdout


def test_wrong_password_is_refused_on_the_page(page, log_in):
    UserFactory(username="city_e2e", role="city_office")

    log_in("city_e2e", "Wrong#Password1")

    assert "/accounts/login/" in page.url
    assert "用户名或密码错误" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("用户名").input_value() == "city_e2e"
    assert AuditLog.objects.filter(action="login_failed", username="city_e2e").exists()
