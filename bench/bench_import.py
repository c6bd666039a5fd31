"""Time the ledger import against openpyxl's bare read of the same file.

    .venv/bin/python bench/bench_import.py [--rows 10000] [--file F.xlsx]
                                           [--database-url postgres://…] [--repeat 3]

For each run: a fresh database (a new SQLite file in a temporary directory, or a new
database ``sanpi_bench`` on the PostgreSQL server of --database-url, dropped
afterwards), migrated, with the development zones the generated ledger uses. Then

* bare read: openpyxl alone reading every row of every sheet of the file
  (``load_workbook(read_only=True, data_only=True)``, ``iter_rows(values_only=True)``),
  best of 3;
* import: `sanpi.projects.io.ledger_import` of the same bytes as the operator (all rows
  are new projects), audit rows, stage events and activity entries included;
* re-import: the same file again (every row matched, nothing changed);
* update: the same projects with every row changed (`gen_ledger --revised`): 10,000
  projects updated, with their audit rows.

Prints rows/second, the bare read time and the ratio import / bare read (target ≤ 4).

Then, unless --no-memory, peak memory, each measured in a fresh interpreter
(bench/peak.py) so that it is its own: the interpreter alone, `django.setup()` with a
database connection, the bare read (openpyxl only, no Django), and the import into a
fresh database (migrated and given its zones by this process beforehand).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from peak import Timer, child_report, mb, run_child  # noqa: E402

BENCH_DB = "sanpi_bench"
SCRIPT = Path(__file__).resolve()


def bare_read(data: bytes) -> Timer:
    from openpyxl import load_workbook

    with Timer() as timer:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        for ws in wb.worksheets:
            for _ in ws.iter_rows(values_only=True):
                pass
        wb.close()
    return timer


def _pg_admin(url: str, sql: str) -> None:
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql)


def is_pg(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def add_database_args(parser) -> None:
    """--database-url, --keep and --reuse, as every province-sized benchmark takes them."""
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", ""),
        help="PostgreSQL server (the benchmark creates its own database on it); default SQLite",
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    parser.add_argument(
        "--reuse", action="store_true", help="use the database kept by --keep if it is there"
    )


def kept_database(args, *, name: str, sqlite_path: Path) -> tuple[str, bool]:
    """The benchmark's database URL, and whether it is one kept by --keep (--reuse):
    ``name`` on the PostgreSQL server of --database-url, else the SQLite file
    ``sqlite_path``; made new and empty unless reused."""
    if is_pg(args.database_url):
        url = urlunsplit(urlsplit(args.database_url)._replace(path=f"/{name}"))
        admin = urlunsplit(urlsplit(args.database_url)._replace(path="/postgres"))
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            there = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        reuse = bool(args.reuse and there)
        if not reuse:
            _pg_admin(args.database_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            _pg_admin(args.database_url, f"CREATE DATABASE {name}")
        return url, reuse
    reuse = bool(args.reuse and sqlite_path.exists())
    if not reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{sqlite_path}", reuse


def bench_url(database_url: str, workdir: Path, name: str = BENCH_DB) -> str:
    """The benchmark's own database: ``name`` on the PostgreSQL server, or a SQLite
    file in the temporary directory."""
    if database_url.startswith(("postgres://", "postgresql://")):
        return urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))
    return f"sqlite:///{workdir / 'bench.sqlite3'}"


def recreate_database(database_url: str, workdir: Path, name: str = BENCH_DB) -> None:
    """Make the benchmark's database new and empty."""
    if database_url.startswith(("postgres://", "postgresql://")):
        drop_database(database_url, name)
        _pg_admin(database_url, f"CREATE DATABASE {name}")
        return
    for suffix in ("", "-wal", "-shm"):
        Path(f"{workdir / 'bench.sqlite3'}{suffix}").unlink(missing_ok=True)


def drop_database(database_url: str, name: str = BENCH_DB) -> None:
    """Drop the benchmark's database. FORCE ends its sessions, but not an autovacuum
    worker the benchmark's user may not signal (after a large load): wait and try again."""
    import time

    import psycopg

    if not database_url.startswith(("postgres://", "postgresql://")):
        return
    for attempt in range(10):
        try:
            _pg_admin(database_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            return
        except psycopg.errors.InsufficientPrivilege:
            if attempt == 9:
                raise
            time.sleep(3)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanpi.settings")
    import django

    django.setup()


def prepare_database() -> None:
    from django.core.management import call_command
    from gen_ledger import ZONES

    from sanpi.accounts.actors import cli_actor
    from sanpi.core.audit import audit_context
    from sanpi.regions.models import County
    from sanpi.regions.services import zone_create

    call_command("migrate", verbosity=0, interactive=False)
    actor = cli_actor()
    counties = {c.code: c for c in County.objects.all()}
    with audit_context("cli"):
        for name, short, code in ZONES:
            zone_create(
                by=actor, name=name, short_name=short, level="provincial", county=counties[code]
            )


def timed_import(data: bytes):
    from sanpi.accounts.actors import cli_actor
    from sanpi.core.audit import audit_context
    from sanpi.projects.io import ledger_import

    with audit_context("cli"), Timer() as timer:
        result = ledger_import(by=cli_actor(), data=data, filename="bench.xlsx")
    return timer, result


def run_as_child(what: str, path: str) -> None:
    """One measured piece of work in this fresh process (see bench/peak.py)."""
    if what == "python":
        child_report()
    elif what == "read":  # openpyxl alone: no Django
        timer = bare_read(Path(path).read_bytes())
        child_report(wall=timer.wall, cpu=timer.cpu)
    elif what == "django":
        setup_django()
        from django.db import connection

        connection.ensure_connection()
        child_report()
    elif what == "import":
        setup_django()
        timer, result = timed_import(Path(path).read_bytes())
        child_report(wall=timer.wall, cpu=timer.cpu, rows=result.rows, created=result.created)
    else:
        raise SystemExit(f"unknown child {what!r}")


def memory(path: Path, database_url: str, workdir: Path) -> None:
    """Peak RSS of the import and of the bare read, each in a fresh process."""
    from django.db import connections

    connections.close_all()
    recreate_database(database_url, workdir)
    prepare_database()
    connections.close_all()
    runs = {what: run_child(SCRIPT, what, str(path)) for what in ("python", "django", "read")}
    runs["import"] = run_child(SCRIPT, "import", str(path))
    assert runs["import"]["created"] == runs["import"]["rows"], runs["import"]
    read, imported = runs["read"], runs["import"]
    print("memory:    peak RSS, each in a fresh process:")
    print(f"  python (interpreter, baseline):  {mb(runs['python']['peak_kib'])}")
    print(f"  django (setup + connection):     {mb(runs['django']['peak_kib'])}")
    print(f"  bare read (openpyxl, no Django): {mb(read['peak_kib'])} ({read['wall']:.2f} s)")
    print(
        f"  import:                          {mb(imported['peak_kib'])} ({imported['wall']:.2f} s); "
        f"{imported['peak_kib'] / read['peak_kib']:.2f}× the bare read's peak"
    )


@dataclass
class Frame:
    """What a benchmark's body gets from `bench_frame`."""

    url: str  # its database
    reuse: bool  # a database kept by --keep, reused (--reuse): nothing to generate
    vendor: str  # "SQLite 3.40.1", "PostgreSQL 15.18 …"
    lines: list[str] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        """Print a line and keep it for the report file."""
        print(text, flush=True)
        self.lines.append(text)


@contextlib.contextmanager
def bench_frame(args, *, db: str, report: str, kept_sqlite: Path | None = None):
    """The frame every database benchmark runs in. Before: a temporary data directory, the
    benchmark's own database (`kept_database`: ``db`` on the PostgreSQL server of
    --database-url, else a SQLite file, ``kept_sqlite`` when --keep or --reuse), Django set
    up and migrated, error logs off (a failing request shows as its status, not a
    traceback). After, whatever happened: the connections closed, the PostgreSQL database
    dropped unless --keep, the directory removed; after a run that finished, the load
    average said and the lines said written to var/bench/<report>-<postgresql|sqlite>.txt
    (``report`` may hold ``{vendor}`` to place it)."""
    import logging

    workdir = Path(tempfile.mkdtemp(prefix=f"sanpi-{db.replace('_', '-')}-"))
    os.environ["SANPI_DATA_DIR"] = str(workdir)
    os.environ.setdefault("SANPI_SECRET_KEY", f"{db}-not-a-secret")
    pg = is_pg(args.database_url)
    out_dir = REPO / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    args.keep, args.reuse = getattr(args, "keep", False), getattr(args, "reuse", False)
    keep = args.keep or args.reuse
    sqlite = kept_sqlite if kept_sqlite is not None and keep else workdir / "bench.sqlite3"
    url, reuse = kept_database(args, name=db, sqlite_path=sqlite)
    os.environ["DATABASE_URL"] = url
    setup_django()
    logging.disable(logging.ERROR)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections

    settings.ALLOWED_HOSTS = ["*"]  # the test Client's host
    frame = Frame(url, reuse, "")
    try:
        call_command("migrate", verbosity=0, interactive=False)
        frame.vendor = _vendor(connection)
        yield frame
        frame.say(f"load average at end: {os.getloadavg()[0]:.1f}")
    finally:
        connections.close_all()
        if pg and not args.keep:
            drop_database(args.database_url, db)
        shutil.rmtree(workdir, ignore_errors=True)
    vendor = "postgresql" if pg else "sqlite"
    name = report.format(vendor=vendor) if "{vendor}" in report else f"{report}-{vendor}"
    path = out_dir / f"{name}.txt"
    path.write_text("\n".join(frame.lines) + "\n", encoding="utf-8")
    print(f"written:   {path.relative_to(REPO)}")


def _vendor(connection) -> str:
    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--file", default="", help="ledger to import (default: generate one)")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", ""),
        help="PostgreSQL server to use (a database sanpi_bench is created on it); default SQLite",
    )
    parser.add_argument("--repeat", type=int, default=1, help="imports, each into a fresh database")
    parser.add_argument(
        "--update",
        action="store_true",
        help="also time importing the revised ledger (every row changed; generated ledger only)",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-RSS runs")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_as_child(args.child[0], args.child[1] if len(args.child) > 1 else "")
        return

    workdir = Path(tempfile.mkdtemp(prefix="sanpi-bench-"))
    # Before Django reads its settings: the data directory and the database are ours.
    os.environ["SANPI_DATA_DIR"] = str(workdir)
    os.environ["DATABASE_URL"] = bench_url(args.database_url, workdir)
    recreate_database(args.database_url, workdir)
    setup_django()
    from django.db import connection, connections
    from gen_ledger import generate

    if args.file:
        data = Path(args.file).read_bytes()
        source = args.file
    else:
        data = generate(args.rows, 2021)
        source = f"generated ({args.rows} rows, seed 2021)"
    revised = generate(args.rows, 2021, revised=True) if args.update else None

    reads, imports, reimports, updates, result = [], [], [], [], None
    vendor = ""
    for run in range(args.repeat):
        connections.close_all()
        if run:
            recreate_database(args.database_url, workdir)
        prepare_database()
        vendor = _vendor(connection)
        reads.append(bare_read(data))
        timer, result = timed_import(data)
        imports.append(timer)
        reads.append(bare_read(data))
        timer, unchanged = timed_import(data)
        reimports.append(timer)
        assert unchanged.unchanged == result.rows, unchanged
        if revised is not None:
            timer, changed = timed_import(revised)
            updates.append(timer)
            assert changed.updated == result.rows, changed
    connections.close_all()
    drop_database(args.database_url)

    def summary(timers: list[Timer]) -> tuple[float, float]:
        return (
            statistics.median(t.wall for t in timers),
            statistics.median(t.cpu for t in timers),
        )

    read, read_cpu = summary(reads)
    imported, imported_cpu = summary(imports)
    reimported, reimported_cpu = summary(reimports)
    rows = result.rows
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"file:      {source}, {len(data) / 1024:.0f} KiB, {rows} ledger rows")
    print(f"database:  {vendor}; {args.repeat} run(s), medians; load average {load:.1f}")
    print(
        f"result:    {result.created} created, {result.enterprises_created} enterprises, "
        f"{result.activities_created} activities, {result.entries_created} activity entries, "
        f"{result.events_created} stage events"
    )
    print(f"bare read: {read:.2f} s wall ({read_cpu:.2f} s CPU): openpyxl read_only, values_only")
    print(
        f"import:    {imported:.2f} s wall = {rows / imported:,.0f} rows/s; "
        f"ratio {imported / read:.2f}× the bare read (CPU {imported_cpu:.2f} s, "
        f"{imported_cpu / read_cpu:.2f}×); target ≤ 4×"
    )
    print(
        f"re-import: {reimported:.2f} s wall = {rows / reimported:,.0f} rows/s; "
        f"ratio {reimported / read:.2f}× (all rows unchanged)"
    )
    if updates:
        updated, _ = summary(updates)
        print(
            f"update:    {updated:.2f} s wall = {rows / updated:,.0f} rows/s; "
            f"ratio {updated / read:.2f}× (all rows changed)"
        )
    try:
        if not args.no_memory:
            path = Path(args.file) if args.file else workdir / "ledger.xlsx"
            if not args.file:
                path.write_bytes(data)
            del data, revised
            memory(path, args.database_url, workdir)
    finally:
        connections.close_all()
        drop_database(args.database_url)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
