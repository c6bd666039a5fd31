"""End-to-end tests: the real UI in headless Chromium, driven by Playwright.

Debian's /usr/bin/chromium (installed by scripts/install-system-deps.sh), never a
browser that Playwright downloads. Each test module gets one browser; each test a fresh
browser context (cookies, storage) and page against pytest-django's ``live_server``,
which runs the app in a thread on a transactional test database, so data a test
creates is visible to the server and is flushed afterwards.

Every test in this package is marked ``e2e``: ``pytest -m "not e2e"`` skips them.

Playwright's sync API keeps an asyncio event loop running in the test's thread, and
Django refuses database access from a thread with a running loop. The e2e tests set
DJANGO_ALLOW_ASYNC_UNSAFE while their browser is up, and only then.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sanpi.accounts.tests.factories import TEST_PASSWORD

CHROMIUM = os.environ.get("SANPI_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def _async_unsafe_allowed() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="module")
def browser(_async_unsafe_allowed):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: run `bash scripts/install-system-deps.sh`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, transactional_db):
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    # Every page every test opens is also a Content-Security-Policy check: Chromium reports
    # a refused inline script or style attribute on the console, and the test fails on it.
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    context.close()
    assert not refused, "Content-Security-Policy violations:\n" + "\n".join(refused)


@pytest.fixture
def log_in(page) -> Callable:
    """Sign in through the real login form; returns the page, wherever it landed."""

    def _log_in(username: str, password: str = TEST_PASSWORD):
        from sanpi.accounts.models import User
        from sanpi.accounts.tests.factories import needs_second_factor, totp_code

        user = User.objects.filter(username=username).first()
        code = totp_code(user) if user is not None and needs_second_factor(user) else None
        page.goto("/accounts/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        if code is not None and "/accounts/login/otp/" in page.url:
            page.get_by_label("验证码").fill(code)
            page.get_by_role("button", name="验证并登录").click()
            page.wait_for_load_state()
        return page

    return _log_in


@pytest.fixture
def worker(settings, transactional_db, tmp_path) -> Iterator[None]:
    """Background jobs go to the database queue and a real `sanpi worker` runs them."""
    import signal

    from sanpi.core.tests.processes import start_worker

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    proc = start_worker(tmp_path / "worker-data")
    try:
        yield
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
