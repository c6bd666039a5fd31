"""Test-only: child processes (sanpi serve, sanpi worker) on the test's own database."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

from django.db import connection


def database_url() -> str:
    """A DATABASE_URL for the test database, so a child process sees the test's data."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(s['NAME']).resolve()}"
    quote = urllib.parse.quote
    return (
        f"postgres://{quote(s['USER'])}:{quote(s['PASSWORD'] or '')}@{s['HOST']}:{s['PORT']}/"
        f"{quote(s['NAME'])}"
    )


def start_worker(data_dir: Path, *args: str) -> subprocess.Popen:
    """``sanpi worker ARGS`` on the test database, output piped."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SANPI_DATA_DIR": str(data_dir),
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "sanpi.cli", "worker", "--interval", "0.1", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
