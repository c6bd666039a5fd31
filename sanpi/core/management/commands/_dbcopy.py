"""Whole-database backup and restore, for `sanpi backup` and `sanpi restore`.

SQLite: the sqlite3 online backup API, a consistent copy taken while the site runs,
restored the same way into the live database file.
PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --single-transaction``
with the connection parameters of DATABASE_URL (the password goes through the
environment, never the command line).

A backup is written to a temporary file beside the target, checked, made readable by
its owner only (mode 600) and renamed only then, so a failed backup never leaves a half
file under the requested name.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
SUFFIX = {"sqlite": ".sqlite3", "postgresql": ".dump"}


class BackupError(Exception):
    """A backup or restore that cannot be done; the message is for the operator (Chinese)."""


def vendor_of(connection) -> str:
    if connection.vendor not in SUFFIX:
        raise BackupError(f"不支持的数据库类型：{connection.vendor}（仅支持 SQLite 与 PostgreSQL）")
    return connection.vendor


def file_vendor(path: Path) -> str | None:
    """Which database a backup file comes from, by its first bytes; None if neither."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    return None


# --- backup ---------------------------------------------------------------------------


def backup(connection, target: Path) -> int:
    """Write a consistent copy of the database to `target`; returns its size in bytes."""
    vendor = vendor_of(connection)
    target = target.resolve()
    if not target.parent.is_dir():
        raise BackupError(f"目录不存在：{target.parent}")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if vendor == "sqlite":
            _sqlite_backup(connection, partial)
        else:
            _pg_dump(connection, partial)
        check_file(connection, partial)
        # Password hashes and the whole ledger: readable by the operator only.
        partial.chmod(0o600)
        os.replace(partial, target)
    finally:
        for leftover in (partial, *(partial.with_name(partial.name + x) for x in ("-wal", "-shm"))):
            leftover.unlink(missing_ok=True)
    return target.stat().st_size


def _sqlite_backup(connection, target: Path) -> None:
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        # pages=-1: the whole database in one step, under one read lock: a consistent copy
        # even while the site keeps writing.
        connection.connection.backup(destination, pages=-1)
        # The copy inherits the live database's WAL mode; a backup is one self-contained
        # file, so switch it back to a rollback journal.
        destination.execute("PRAGMA journal_mode=DELETE")
    finally:
        destination.close()


def _pg_dump(connection, target: Path) -> None:
    _run(
        [_pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={target}"],
        connection,
        "pg_dump",
    )


# --- checks ---------------------------------------------------------------------------


def check_file(connection, path: Path) -> None:
    """Refuse a file that is not a readable backup of this database vendor."""
    vendor = vendor_of(connection)
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    found = file_vendor(path)
    if found is None:
        raise BackupError(f"不是 sanpi 的数据库备份文件：{path}")
    if found != vendor:
        names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
        raise BackupError(
            f"备份文件来自 {names[found]}，当前数据库是 {names[vendor]}，不能恢复到这里"
        )
    if vendor == "sqlite":
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            status = db.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"备份文件已损坏：{exc}") from None
        finally:
            db.close()
        if status != "ok":
            raise BackupError(f"备份文件完整性检查未通过：{status}")
        if not {"django_migrations", "core_auditlog"} <= tables:
            raise BackupError("备份文件不是 sanpi 的数据库")
    else:
        listing = subprocess.run(
            [_pg_tool("pg_restore"), "--list", str(path)], capture_output=True, text=True
        )
        if listing.returncode != 0:
            raise BackupError(f"备份文件无法读取：{listing.stderr.strip()}")
        if "core_auditlog" not in listing.stdout:
            raise BackupError("备份文件不是 sanpi 的数据库")


# --- restore --------------------------------------------------------------------------


def restore(connection, source: Path) -> None:
    """Replace the database's contents with the backup in `source` (checked first)."""
    vendor = vendor_of(connection)
    source = source.resolve()
    check_file(connection, source)
    if vendor == "sqlite":
        _sqlite_restore(connection, source)
    else:
        _pg_restore(connection, source)


def _sqlite_restore(connection, source: Path) -> None:
    connection.close()
    connection.ensure_connection()
    origin = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
    try:
        origin.backup(connection.connection, pages=-1)
    finally:
        origin.close()
        connection.close()


def _pg_restore(connection, source: Path) -> None:
    # Our own idle connection would hold nothing, but close it so that the restore's
    # DROP TABLEs never wait on it.
    connection.close()
    _run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={connection.settings_dict['NAME']}",
            str(source),
        ],
        connection,
        "pg_restore",
    )


# --- PostgreSQL client tools ----------------------------------------------------------


def _pg_tool(name: str) -> str:
    """The named client tool: from PATH, else the newest one Debian's packages installed."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    raise BackupError(f"找不到 {name}：请安装 PostgreSQL 客户端（Debian: postgresql-client）")


_ENV = {"HOST": "PGHOST", "PORT": "PGPORT", "USER": "PGUSER", "PASSWORD": "PGPASSWORD"}
_OPTION_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
}


def pg_env(settings_dict: dict) -> dict[str, str]:
    """The environment that points libpq's tools at the database Django uses."""
    env = os.environ.copy()
    for key, var in _ENV.items():
        value = settings_dict.get(key)
        if value not in (None, ""):
            env[var] = str(value)
    for key, var in _OPTION_ENV.items():
        value = (settings_dict.get("OPTIONS") or {}).get(key)
        if value not in (None, ""):
            env[var] = str(value)
    env["PGDATABASE"] = str(settings_dict["NAME"])
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return env


def _run(argv: list[str], connection, tool: str) -> None:
    result = subprocess.run(
        argv, env=pg_env(connection.settings_dict), capture_output=True, text=True
    )
    if result.returncode != 0:
        raise BackupError(f"{tool} 失败（退出码 {result.returncode}）：{result.stderr.strip()}")
