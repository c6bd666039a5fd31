"""Operator commands: serve, createadmin, backup and restore."""

from __future__ import annotations

import contextlib
import http.cookiejar
import io
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from sanpi.accounts.actors import cli_actor
from sanpi.accounts.models import User
from sanpi.accounts.tests.factories import UserFactory
from sanpi.core.management.commands._dbcopy import file_vendor
from sanpi.core.models import AuditLog
from sanpi.core.tests import processes

# --- serve ----------------------------------------------------------------------------


@contextlib.contextmanager
def _served(
    tmp_path: Path, *args: str, database_url: str = "", stop: int = signal.SIGINT
) -> Iterator[str]:
    """Run `sanpi serve --port 0 ARGS` (on the test database by default), started with
    SIGINT ignored as a shell's background job is; yield its URL; stop it with `stop`."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url or processes.database_url(),
        "SANPI_DATA_DIR": str(tmp_path / "serve-data"),
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "sanpi.cli", "serve", "--port", "0", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # noqa: PLW1509
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    seen = []
    try:
        while True:
            try:
                line = lines.get(timeout=60)
            except queue.Empty:
                pytest.fail("sanpi serve printed no URL within 60 s:\n" + "".join(seen))
            seen.append(line)
            match = re.search(r"http://127\.0\.0\.1:\d+/", line)
            if match:
                break
        yield match.group(0)
    finally:
        proc.send_signal(stop)
        try:
            # Longer than serve gives its worker to finish a job (60 s): killed sooner,
            # serve would leave its worker running on the test database.
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _get(url: str) -> tuple[int, dict, bytes]:
    with urllib.request.urlopen(url, timeout=20) as response:
        return response.status, dict(response.headers), response.read()


def _post_login(base: str, *, headers: dict[str, str]) -> tuple[int, str]:
    """GET the login form for its CSRF token, then POST a wrong login with `headers`."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(
        urllib.request.Request(base + "accounts/login/", headers=headers), timeout=20
    ).read()
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1).decode()
    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": "nobody", "password": "wrong-Password1"}
    ).encode()
    request = urllib.request.Request(base + "accounts/login/", data=body, headers=headers)
    try:
        with opener.open(request, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_with_worker_runs_queued_jobs_and_stops_it(tmp_path, settings, stop):
    """The demo's `serve --with-worker`: a worker beside the web server takes the queued
    jobs, and stops with the server, on Ctrl+C or a service manager's SIGTERM, even when
    started where SIGINT was ignored."""
    import time

    from sanpi.core import jobs
    from sanpi.core.models import Job, WorkerProcess

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = jobs.job_start(user=None, kind="core.ping")
    with _served(tmp_path, "--with-worker", stop=stop):
        deadline = time.monotonic() + 60
        while Job.objects.get(pk=job.pk).status != "done":
            assert time.monotonic() < deadline, "the worker beside the server ran nothing"
            time.sleep(0.1)
        assert WorkerProcess.objects.count() == 1
    assert not WorkerProcess.objects.exists()  # stopped cleanly, its heartbeat row gone


@pytest.mark.django_db(transaction=True)
def test_serve_runs_waitress_with_static_assets(tmp_path):
    with _served(tmp_path) as base:
        status, headers, body = _get(base + "accounts/login/")
        assert status == 200
        assert headers["Server"] == "sanpi"  # waitress's ident, not runserver
        assert "登录" in body.decode()
        for asset, kind in [
            ("static/vendor/bootstrap/css/bootstrap.min.css", "text/css"),
            ("static/vendor/htmx/htmx.min.js", "javascript"),
            ("static/sanpi/sanpi.css", "text/css"),
        ]:
            status, headers, body = _get(base + asset)
            assert status == 200, asset
            assert kind in headers["Content-Type"], asset
            assert body, asset
        # A client cannot claim https or another address: without --trusted-proxy the
        # forwarded headers are ignored, so an https Origin fails the CSRF check …
        port = urllib.parse.urlsplit(base).port
        status, _ = _post_login(
            base, headers={"Origin": f"https://127.0.0.1:{port}", "X-Forwarded-Proto": "https"}
        )
        assert status == 403
        # … and a plain login attempt is audited with the real peer address.
        status, page = _post_login(
            base, headers={"Origin": base.rstrip("/"), "X-Forwarded-For": "203.0.113.9"}
        )
    assert status == 401
    assert "用户名或密码错误" in page
    row = AuditLog.objects.get(action="login_failed", username="nobody")
    assert (row.source, row.ip) == ("web", "127.0.0.1")


@pytest.mark.django_db(transaction=True)
def test_serve_behind_a_trusted_proxy(tmp_path):
    """--trusted-proxy: waitress takes the scheme and the client address from the proxy."""
    with _served(tmp_path, "--trusted-proxy", "127.0.0.1") as base:
        port = urllib.parse.urlsplit(base).port
        status, page = _post_login(
            base,
            headers={
                "Origin": f"https://127.0.0.1:{port}",
                "X-Forwarded-Proto": "https",
                "X-Forwarded-For": "203.0.113.9",
            },
        )
    assert status == 401, page[:500]
    assert AuditLog.objects.get(action="login_failed", username="nobody").ip == "203.0.113.9"


def test_serve_refuses_a_busy_port(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = subprocess.run(
            [sys.executable, "-m", "sanpi.cli", "serve", "--port", str(busy.getsockname()[1])],
            env={
                **os.environ,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
                "SANPI_DATA_DIR": str(tmp_path / "data"),
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert "无法监听" in result.stderr


# --- createadmin ----------------------------------------------------------------------

STRONG = "Guanli#2026admin"


def _createadmin(*args: str, stdin: str = STRONG + "\n") -> str:
    out = io.StringIO()
    call_command("createadmin", *args, stdin=io.StringIO(stdin), stdout=out)
    return out.getvalue()


@pytest.mark.django_db
class TestCreateAdmin:
    def test_creates_the_first_admin(self):
        out = _createadmin("admin", "--password-stdin", "--full-name", "王管理")
        assert "已创建系统管理员 admin" in out
        admin = User.objects.get(username="admin")
        assert (admin.role, admin.full_name) == ("admin", "王管理")
        assert admin.check_password(STRONG)
        row = AuditLog.objects.get(action="create", object_id=str(admin.pk))
        assert row.source == "cli"
        assert row.after["role"] == "admin"

    def test_created_admin_can_log_in(self, client):
        _createadmin("admin", "--password-stdin")
        response = client.post("/accounts/login/", {"username": "admin", "password": STRONG})
        assert response.status_code == 302

    def test_only_the_first(self):
        _createadmin("admin", "--password-stdin")
        with pytest.raises(CommandError, match="已有系统管理员"):
            _createadmin("admin2", "--password-stdin")
        assert not User.objects.filter(username="admin2").exists()

    def test_allowed_beside_other_accounts_while_no_admin_exists(self):
        UserFactory(username="city", role="city_office")
        _createadmin("admin", "--password-stdin")
        assert User.objects.filter(role="admin").count() == 1

    def test_weak_password_refused_in_chinese(self):
        with pytest.raises(CommandError) as exc:
            _createadmin("admin", "--password-stdin", stdin="password\n")
        assert exc.value.returncode == 1
        assert re.search(r"[\u4e00-\u9fff]", str(exc.value))
        assert not User.objects.exists()

    def test_needs_a_terminal_or_password_stdin(self):
        with pytest.raises(CommandError, match="--password-stdin"):
            _createadmin("admin")

    def test_empty_password_refused(self):
        with pytest.raises(CommandError, match="密码不能为空"):
            _createadmin("admin", "--password-stdin", stdin="\n")


# --- backup and restore ---------------------------------------------------------------


@pytest.fixture
def data_dir(settings, tmp_path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("vendor", ["sqlite", "postgresql"])
@pytest.mark.django_db(transaction=True)
def test_backup_restores(vendor, data_dir, tmp_path):
    """Write data, back up, change data, restore: the data is back (run once per database)."""
    if connection.vendor != vendor:
        pytest.skip(f"the suite's {vendor} run covers this (DATABASE_URL is {connection.vendor})")
    kept = UserFactory(username="kept", full_name="原来的名字")
    target = tmp_path / "sanpi.backup"
    from sanpi.core import audit
    from sanpi.core.audit import audit_context

    with audit_context("cli"):
        audit.record(user=None, username="tester", action="security", message="备份前的记录")

    out = _run("backup", str(target))
    assert "已备份" in out
    assert file_vendor(target) == vendor
    assert target.stat().st_mode & 0o777 == 0o600
    # The audit chain's head is written beside the backup (and printed), to check a later
    # rewrite of the whole chain against.
    head_file = tmp_path / "sanpi.backup.audit-head.json"
    head = json.loads(head_file.read_text("utf-8"))
    assert head["seq"] >= 1 and f"审计链头：{head['seq']}:{head['hash']}" in out
    backed_up = AuditLog.objects.get(action="export", object_type="database")
    assert (backed_up.source, backed_up.username) == ("cli", cli_actor().name)
    assert str(target) in backed_up.message

    User.objects.filter(pk=kept.pk).update(full_name="改过的名字")
    UserFactory(username="added_later")

    with pytest.raises(CommandError, match="--yes"):
        _run("restore", str(target))
    assert User.objects.get(pk=kept.pk).full_name == "改过的名字"  # refused: nothing changed

    out = _run("restore", str(target), "--yes")
    assert f"已从 {target} 恢复" in out

    assert User.objects.get(pk=kept.pk).full_name == "原来的名字"
    assert not User.objects.filter(username="added_later").exists()
    restored = AuditLog.objects.get(action="import", object_type="database")
    assert (restored.source, restored.username) == ("cli", cli_actor().name)
    # The restore first saved the database as it was, the later changes included.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "data", "sanpi.backup", "sanpi.backup.audit-head.json",
    ]  # fmt: skip
    safety = list((data_dir / "backups").iterdir())
    assert len(safety) == 1 and str(safety[0]) in restored.message
    assert file_vendor(safety[0]) == vendor
    # The append-only triggers came back with the data, and the chain still holds the
    # head written at the backup.
    assert "已安装并生效" in _run("audit", "verify", "--head", str(head_file))


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_foreign_or_broken_files(data_dir, tmp_path):
    other = tmp_path / "other.backup"
    other.write_bytes(
        (b"PGDMP" if connection.vendor == "sqlite" else b"SQLite format 3\x00") + b"\0" * 64
    )
    with pytest.raises(CommandError, match="不能恢复到这里"):
        _run("restore", str(other), "--yes")
    junk = tmp_path / "junk.backup"
    junk.write_text("not a backup")
    with pytest.raises(CommandError, match="不是 sanpi 的数据库备份文件"):
        _run("restore", str(junk), "--yes")
    with pytest.raises(CommandError, match="不存在"):
        _run("restore", str(tmp_path / "missing.backup"), "--yes")
    assert not AuditLog.objects.filter(object_type="database").exists()


@pytest.mark.django_db(transaction=True)
def test_backup_into_a_missing_directory_fails_cleanly(tmp_path):
    with pytest.raises(CommandError, match="目录不存在"):
        _run("backup", str(tmp_path / "no-such-dir" / "x.backup"))
    assert not AuditLog.objects.filter(object_type="database").exists()
