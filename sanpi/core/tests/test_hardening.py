"""Small hardening: private data files, refusals logged without tracebacks, polling that
keeps no session alive, HSTS over HTTPS only."""

from __future__ import annotations

import io
import logging
import os
import stat
import subprocess
import sys

import pytest

from sanpi.core.logs import NoClientErrorTracebacks


def test_the_data_directory_and_what_sanpi_writes_in_it_are_private(tmp_path):
    data = tmp_path / "fresh"
    script = (
        "import django, os; django.setup(); "
        "from django.conf import settings; from django.db import connection; "
        "connection.ensure_connection(); "
        "open(settings.DATA_DIR / 'export.xlsx', 'wb').write(b'x')"
    )
    env = {**os.environ, "SANPI_DATA_DIR": str(data), "DJANGO_SETTINGS_MODULE": "sanpi.settings"}
    env.pop("DATABASE_URL", None)  # the SQLite default: its file is created in the data dir
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "export.xlsx").stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "sanpi.sqlite3").stat().st_mode) == 0o600


def _console_handler() -> logging.Handler:
    for handler in logging.getLogger().handlers:
        if any(isinstance(f, NoClientErrorTracebacks) for f in handler.filters):
            return handler
    raise AssertionError("the console handler has no NoClientErrorTracebacks filter")


@pytest.mark.django_db
def test_a_refused_request_is_one_log_line_and_a_fault_keeps_its_traceback(world, login):
    handler = _console_handler()
    out = io.StringIO()
    old = handler.setStream(out)
    try:
        client = login(world.user("enterprise"))
        assert client.get("/accounts/users/").status_code == 403
        logged = out.getvalue()
        assert "Forbidden" in logged and "Traceback" not in logged
        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "boom", None, None)
        try:
            raise RuntimeError("a real fault")
        except RuntimeError:
            record.exc_info = sys.exc_info()
        record.status_code = 500
        handler.handle(record)
        assert "Traceback" in out.getvalue() and "a real fault" in out.getvalue()
    finally:
        handler.setStream(old)


@pytest.mark.django_db
def test_polling_a_jobs_progress_does_not_keep_an_idle_session_alive(world, login):
    """A page left open polls its job every few seconds; only the user's own requests
    renew the session (SESSION_COOKIE_AGE of idleness still logs them out)."""
    import datetime as dt

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from sanpi.core.models import Job

    user = world.user("county")
    job = Job.objects.create(kind="ledger_export", user=user, status="running")
    client = login(user)
    key = client.cookies["sessionid"].value
    soon = timezone.now() + dt.timedelta(minutes=1)
    Session.objects.filter(pk=key).update(expire_date=soon)
    for url in (f"/jobs/{job.pk}/status/", f"/ledger/jobs/{job.pk}/progress/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert Session.objects.get(pk=key).expire_date == soon, url
        assert "Cookie" in response["Vary"], url  # still one user's answer to caches
    assert client.get("/").status_code == 200  # the user's own request renews it
    assert Session.objects.get(pk=key).expire_date > soon + dt.timedelta(minutes=20)


@pytest.mark.django_db
def test_hsts_is_sent_on_requests_seen_as_https_only(client, settings):
    """As docs/operations.md §7 says: the proxy must pass X-Forwarded-Proto."""
    settings.SECURE_HSTS_SECONDS = 31536000
    secure = client.get("/accounts/login/", secure=True)
    assert secure["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/accounts/login/")


def test_no_template_carries_inline_script_or_style():
    """The Content-Security-Policy allows no inline script, event handler or style
    attribute: templates the Chromium tests do not open are checked here, by reading them."""
    import re
    from pathlib import Path

    import sanpi

    inline = re.compile(r"<script(?![^>]*\bsrc=)|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.I)
    found = [
        f"{path.relative_to(Path(sanpi.__file__).parent)}:{n}: {line.strip()[:80]}"
        for path in Path(sanpi.__file__).parent.rglob("templates/**/*.html")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if inline.search(line)
    ]
    assert found == []


def test_every_page_sends_the_content_security_policy(client):
    policy = client.get("/accounts/login/").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
