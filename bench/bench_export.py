"""Time and peak memory of the ledger export against openpyxl alone writing the same rows.

    .venv/bin/python bench/bench_export.py [--rows 50000] [--database-url postgres://…]
                                           [--repeat 1] [--no-check]

A fresh database (a new SQLite file in a temporary directory, or a new database
``sanpi_bench_export`` on the PostgreSQL server of --database-url, dropped afterwards),
migrated, with the development zones of `gen_ledger.ZONES`, filled by importing the
generated ledger of --rows projects (`gen_ledger.generate`, seed 2021: every stage,
~35% of the signed, started and produced projects attributed to 8 activities). Then,
each in a fresh interpreter (bench/peak.py) so that its peak RSS is its own:

* python: the interpreter alone;
* django: `django.setup()` and a database connection, nothing else;
* bare: openpyxl alone doing the export's work: one raw SQL query fetched into a list of
  tuples (the same columns, joined to enterprise, county, zone and the three activity
  attributions), turned into the same cell values, written to a write-only workbook with
  the same two sheets and number formats, saved to bytes;
* export: `sanpi.projects.ledger_export.ledger_export` as the operator (`cli_actor()`,
  audit context "cli"): the scoped selector, the rows, the workbook, the audit row.

Prints wall and CPU time, peak RSS and the ratios export / bare (targets at 50,000 rows:
time ≤ 3×, peak RSS < 250 MB). Unless --no-check, the two workbooks of the first round
are read back and must hold the same values.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from peak import Timer, child_report, mb, median, run_child  # noqa: E402

BENCH_DB = "sanpi_bench_export"
SCRIPT = Path(__file__).resolve()


# --- the children: one measured piece of work each ---------------------------------------


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanpi.settings")
    import django

    django.setup()


def child_django() -> None:
    _setup()
    from django.db import connection

    connection.ensure_connection()
    child_report()


def child_export(out: str) -> None:
    _setup()
    from django.db import connection

    from sanpi.accounts.actors import cli_actor
    from sanpi.core.audit import audit_context
    from sanpi.projects.ledger_export import ledger_export

    connection.ensure_connection()
    with audit_context("cli"), Timer() as timer:
        export = ledger_export(by=cli_actor())
    if out:
        Path(out).write_bytes(export.data)
    child_report(wall=timer.wall, cpu=timer.cpu, rows=export.count, bytes=len(export.data))


def bare_query() -> tuple[str, str]:
    """The ledger rows in one query, and the activities they reference in another."""
    from sanpi.projects.models import Activity, ActivityEntry, Project
    from sanpi.regions.models import County, DevelopmentZone, Enterprise

    p, e, c, z = (
        m._meta.db_table for m in (Project, Enterprise, County, DevelopmentZone)
    )  # fmt: skip
    entry, activity = ActivityEntry._meta.db_table, Activity._meta.db_table
    joins = "".join(
        f" LEFT JOIN {entry} {x}e ON {x}e.project_id = p.id AND {x}e.action = '{action}'"
        f" LEFT JOIN {activity} {x}a ON {x}a.id = {x}e.activity_id"
        for x, action in (("s", "sign"), ("t", "start"), ("r", "produce"))
    )
    ledger = (
        "SELECT p.code, p.name, e.name, e.credit_code, c.name, z.name, p.industry,"
        " p.construction_kind, p.total_investment_wan, p.planned_output_wan,"
        " p.planned_tax_wan, p.land_mu, p.is_standard_land, p.stage, p.signed_date,"
        " sa.year, sa.sequence, se.sign_mode, p.started_date, ta.year, ta.sequence,"
        " p.produced_date, ra.year, ra.sequence, p.reached_date, p.actual_output_wan,"
        " p.is_provincial_key, p.is_city_key"
        f" FROM {p} p JOIN {e} e ON e.id = p.enterprise_id JOIN {c} c ON c.id = p.county_id"
        f" LEFT JOIN {z} z ON z.id = p.zone_id{joins}"
        " ORDER BY c.code, p.name"
    )
    activities = (
        f"SELECT year, sequence, date, level, venue FROM {activity}"
        f" WHERE id IN (SELECT activity_id FROM {entry}) ORDER BY year, sequence"
    )
    return ledger, activities


def child_bare(out: str) -> None:
    """openpyxl alone: rows fetched by raw SQL into a list, written in write-only mode."""
    _setup()
    from django.db import connection
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from sanpi.core import cells
    from sanpi.projects.ledger_columns import (
        ACTIVITIES,
        INDUSTRY_LABELS,
        KIND_LABELS,
        LEDGER,
        LEVEL_LABELS,
        SIGN_MODE_LABELS,
    )
    from sanpi.projects.rules import STAGE_LABELS

    connection.ensure_connection()
    ledger_sql, activities_sql = bare_query()

    def day(value):  # as text where the driver has no date converter
        return dt.date.fromisoformat(value) if isinstance(value, str) else value

    def yes(value) -> str:
        return cells.YES if value else cells.NO

    def formats(spec) -> list[str | None]:
        return [c.number_format for c in spec.columns]

    def sheet(wb, spec, rows) -> None:
        ws = wb.create_sheet(spec.name)
        ws.freeze_panes = "A2"
        ws.append(spec.headers)
        fmts = formats(spec)
        formatted = [i for i, f in enumerate(fmts) if f]
        for values in rows:
            values = list(values)
            for i in formatted:
                if values[i] is not None:
                    cell = WriteOnlyCell(ws, value=values[i])
                    cell.number_format = fmts[i]
                    values[i] = cell
            ws.append(values)

    with Timer() as timer:
        with Timer() as fetch, connection.cursor() as cursor:
            cursor.execute(ledger_sql)
            fetched = cursor.fetchall()
            cursor.execute(activities_sql)
            activities = cursor.fetchall()
        with Timer() as write:
            rows = [
                (
                    r[0] or None, r[1], r[2], r[3], r[4], r[5],
                    INDUSTRY_LABELS.get(r[6], r[6]), KIND_LABELS.get(r[7], r[7]),
                    r[8], r[9], r[10], r[11], yes(r[12]), STAGE_LABELS[r[13]],
                    day(r[14]), f"{r[15]}-{r[16]}" if r[15] else None,
                    SIGN_MODE_LABELS.get(r[17]) if r[17] else None,
                    day(r[18]), f"{r[19]}-{r[20]}" if r[19] else None,
                    day(r[21]), f"{r[22]}-{r[23]}" if r[22] else None,
                    day(r[24]), r[25], yes(r[26]), yes(r[27]),
                )
                for r in fetched
            ]  # fmt: skip
            wb = Workbook(write_only=True)
            sheet(wb, LEDGER, rows)
            sheet(
                wb,
                ACTIVITIES,
                [(a[0], a[1], day(a[2]), LEVEL_LABELS.get(a[3], a[3]), a[4] or None) for a in activities],
            )  # fmt: skip
            buffer = io.BytesIO()
            wb.save(buffer)
            data = buffer.getvalue()
    if out:
        Path(out).write_bytes(data)
    child_report(
        wall=timer.wall, cpu=timer.cpu, fetch=fetch.wall, write=write.wall,
        rows=len(rows), bytes=len(data),
    )  # fmt: skip


def run_as_child(what: str, out: str) -> None:
    if what == "python":
        child_report()
    elif what == "django":
        child_django()
    elif what == "export":
        child_export(out)
    elif what == "bare":
        child_bare(out)
    else:
        raise SystemExit(f"unknown child {what!r}")


# --- the parent: fill the database, run the children, print the table --------------------


def fill(rows: int) -> int:
    from bench_import import prepare_database, timed_import
    from gen_ledger import generate

    prepare_database()
    timer, result = timed_import(generate(rows, 2021))
    print(
        f"filled:   {result.created:,} projects, {result.entries_created:,} activity entries "
        f"(import: {timer.wall:.1f} s)",
        flush=True,
    )
    return result.created


def same_values(a: Path, b: Path) -> str:
    """ "" when the two workbooks hold the same values sheet by sheet, else the first
    difference."""
    from openpyxl import load_workbook

    books = [load_workbook(p, read_only=True, data_only=True) for p in (a, b)]
    try:
        if books[0].sheetnames != books[1].sheetnames:
            return f"sheets {books[0].sheetnames} ≠ {books[1].sheetnames}"
        for name in books[0].sheetnames:
            left, right = (iter(wb[name].iter_rows(values_only=True)) for wb in books)
            for number, (x, y) in enumerate(zip(left, right, strict=False), start=1):
                if x != y:
                    return f"{name} row {number}: {x} ≠ {y}"
            if next(left, None) is not None or next(right, None) is not None:
                return f"{name}: row counts differ"
    finally:
        for wb in books:
            wb.close()
    return ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", ""),
        help=f"PostgreSQL server to use (a database {BENCH_DB} is created on it); default SQLite",
    )
    parser.add_argument("--repeat", type=int, default=1, help="fresh processes per measurement")
    parser.add_argument("--no-check", action="store_true", help="don't compare the workbooks")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_as_child(args.child[0], args.child[1] if len(args.child) > 1 else "")
        return

    from bench_import import _vendor, bench_url, drop_database, recreate_database, setup_django

    workdir = Path(tempfile.mkdtemp(prefix="sanpi-bench-export-"))
    # Before Django reads its settings (here and in every child): our data directory and
    # database.
    os.environ["SANPI_DATA_DIR"] = str(workdir)
    os.environ["DATABASE_URL"] = bench_url(args.database_url, workdir, BENCH_DB)
    recreate_database(args.database_url, workdir, BENCH_DB)
    try:
        setup_django()
        from django.db import connection, connections

        vendor = _vendor(connection)
        projects = fill(args.rows)
        connections.close_all()

        runs: dict[str, list[dict]] = {k: [] for k in ("python", "django", "bare", "export")}
        for i in range(args.repeat):
            for what in runs:
                out = str(workdir / f"{what}.xlsx") if i == 0 and what in ("bare", "export") else ""
                runs[what].append(run_child(SCRIPT, what, *([out] if out else [])))
        problem = (
            "" if args.no_check else same_values(workdir / "bare.xlsx", workdir / "export.xlsx")
        )
    finally:
        drop_database(args.database_url, BENCH_DB)
        shutil.rmtree(workdir, ignore_errors=True)  # the SQLite file and both workbooks

    bare, export = runs["bare"], runs["export"]
    assert export[0]["rows"] == bare[0]["rows"] == projects, (export[0], bare[0], projects)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"database: {vendor}; {args.repeat} run(s) each in a fresh process, medians; "
          f"load average {load:.1f}")  # fmt: skip
    print(f"export:   {projects:,} projects, {median(export, 'bytes') / 1024:,.0f} KiB")
    print()
    print("| measured | wall | CPU | peak RSS | time / bare | peak RSS / bare |")
    print("|---|---|---|---|---|---|")
    for what in ("python", "django"):
        print(f"| {what} (baseline) | | | {mb(median(runs[what], 'peak_kib'))} | | |")
    bare_wall, bare_peak = median(bare, "wall"), median(bare, "peak_kib")
    for what, label in (
        ("bare", "bare openpyxl (raw SQL → list → write-only)"),
        ("export", "ledger_export"),
    ):
        wall, peak = median(runs[what], "wall"), median(runs[what], "peak_kib")
        print(
            f"| {label} | {wall:.2f} s | {median(runs[what], 'cpu'):.2f} s | {mb(peak)} | "
            f"{wall / bare_wall:.2f}× | {peak / bare_peak:.2f}× |"
        )
    print()
    print(
        f"bare: fetch {median(bare, 'fetch'):.2f} s, rows and write {median(bare, 'write'):.2f} s. "
        f"Targets: time ≤ 3× the bare, peak RSS < 250 MB "
        f"(export: {mb(median(export, 'peak_kib'))})."
    )
    if args.no_check:
        return
    if problem:
        raise SystemExit(f"the workbooks differ: {problem}")
    print("check:    the export and the bare workbook hold the same values")


if __name__ == "__main__":
    main()
