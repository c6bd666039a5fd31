"""The `sanpi` console command: `--database-url` is taken from anywhere on the line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sanpi.cli import _take_database_url


@pytest.fixture(autouse=True)
def env(monkeypatch):
    """DATABASE_URL restored after each test (setenv first, so that monkeypatch records
    it even when it was unset, and removes what `_take_database_url` writes)."""
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.delenv("DATABASE_URL")
    return os.environ


@pytest.mark.parametrize(
    ("argv", "rest"),
    [
        (["--database-url", "sqlite:///a.db", "migrate"], ["migrate"]),
        (["migrate", "--database-url", "sqlite:///a.db"], ["migrate"]),
        (
            ["import", "ledger", "--database-url=sqlite:///a.db", "x.xlsx"],
            ["import", "ledger", "x.xlsx"],
        ),
        (
            ["report", "rates", "--year", "2021", "--database-url", "sqlite:///a.db", "--json"],
            ["report", "rates", "--year", "2021", "--json"],
        ),
    ],
)
def test_database_url_anywhere(env, argv, rest):
    assert _take_database_url(argv) == rest
    assert env["DATABASE_URL"] == "sqlite:///a.db"


def test_value_may_contain_equals_signs(env):
    url = "postgres://u:p@h:5432/db?sslmode=require&options=-c%20x=y"
    assert _take_database_url([f"--database-url={url}", "check"]) == ["check"]
    assert env["DATABASE_URL"] == url


def test_without_the_option_the_environment_is_kept(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-env.db")
    assert _take_database_url(["migrate", "--plan"]) == ["migrate", "--plan"]
    assert os.environ["DATABASE_URL"] == "sqlite:///from-env.db"


def test_the_option_beats_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-env.db")
    _take_database_url(["check", "--database-url", "sqlite:///from-flag.db"])
    assert os.environ["DATABASE_URL"] == "sqlite:///from-flag.db"


def test_missing_value_exits_2(env, capsys):
    with pytest.raises(SystemExit) as exc:
        _take_database_url(["migrate", "--database-url"])
    assert exc.value.code == 2
    assert "--database-url" in capsys.readouterr().err
    assert "DATABASE_URL" not in env


def test_the_console_command_uses_it(tmp_path):
    """End to end: the real `sanpi` entry point connects where the option says."""
    db = tmp_path / "chosen.sqlite3"
    code = "from django.db import connection; print(connection.settings_dict['NAME'])"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sanpi.cli",
            "shell",
            "--no-imports",
            "-c",
            code,
            "--database-url",
            f"sqlite:///{db}",
        ],
        env={
            **os.environ,
            "DATABASE_URL": "sqlite:////nonexistent/other.sqlite3",
            "SANPI_DATA_DIR": str(tmp_path / "data"),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(db)
