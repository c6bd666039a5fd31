"""An administrator enrols an authenticator and signs in with it, in headless Chromium:
the code is computed from the key the page shows, as a phone app would."""

from __future__ import annotations

import re
import time
from base64 import b32decode

from django_otp.oath import TOTP

from sanpi.accounts.tests.factories import TEST_PASSWORD, UserFactory


def _code(secret: str, *, later: int = 0) -> str:
    key = b32decode(secret.replace(" ", ""))
    totp = TOTP(key)
    totp.time = time.time() + later
    return f"{totp.token():06d}"


def test_an_administrator_enrols_and_signs_in_with_the_authenticator(page):
    UserFactory(username="admin_2fa", role="admin")
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("admin_2fa")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    # The role requires two factors: every page leads to the enrolment page.
    page.goto("/accounts/users/")
    assert page.url.endswith("/accounts/me/2fa/")
    assert page.locator("#totp-qr svg").count() == 1
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("验证码").fill(_code(secret))
    page.get_by_role("button", name="启用两步验证").click()
    codes = page.locator("#recovery-codes li")
    assert codes.count() == 10
    page.get_by_role("link", name="已保存，继续").click()
    page.goto("/accounts/users/")
    assert "用户管理" in page.locator("h1").inner_text()
    assert "已启用" in page.locator("table").inner_text()

    # Sign out, then in again: password, then the authenticator's next code.
    page.locator("form[action='/accounts/logout/'] button").first.click()
    page.goto("/accounts/login/")
    page.get_by_label("用户名").fill("admin_2fa")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    assert page.url.endswith("/accounts/login/otp/")
    page.get_by_label("验证码").fill(_code(secret, later=30))  # not the one used to enrol
    page.get_by_role("button", name="验证并登录").click()
    page.wait_for_load_state()
    assert re.fullmatch(r"http://[^/]+/", page.url), page.url
    assert "上次登录" in page.content()
