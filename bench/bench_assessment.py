"""The assessment at a city's and a province's size: score a 亩均 year of many enterprises,
store its results, and time the ranking page next to the bare SQL that reads one page.

    .venv/bin/python bench/bench_assessment.py [--units 2000,30000] [--repeat 20]
        [--database-url postgres://…]

For each size:

1. A fresh database (a SQLite file in a temporary directory, or a database
   ``sanpi_bench_assessment`` on the PostgreSQL server of --database-url, dropped
   afterwards), migrated, then *fixture data* written in bulk: one 亩均 year with --units
   enterprises' inputs (two industry groups, land typed, so the ledger is not read).
2. Scoring (`assessment.services.rescore`, what the job does for a year too large to score
   inside a page save): the engine alone (`selectors.scores`) and the whole (score,
   replace the stored rows, in one transaction).
3. A page save of one enterprise's inputs on that year (`io.entry_set`): above
   `services.SYNC_UNITS` units it leaves the year stale for the job instead of scoring it.
4. The ranking page as a leader (`/assessment/mujun/<year>/`): the first page, a page in
   the middle and a search by name; p50/p95 over --repeat, next to the bare SQL that reads
   the same stored rows the same way (a range of positions; the search's LIKE, which
   PostgreSQL serves from the trigram index) (ratio = page ÷ bare SQL).

Everything is printed and written to var/bench/assessment-<vendor>.txt.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_import import bench_frame  # noqa: E402

BENCH_DB = "sanpi_bench_assessment"
YEAR = 2025


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered) * 1000, p95 * 1000


def _analyze() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def one_size(units: int, repeat: int, say) -> None:
    from django.db import connection, transaction
    from django.test import Client

    from sanpi.accounts.actors import cli_actor
    from sanpi.accounts.models import User
    from sanpi.assessment import io, services
    from sanpi.assessment.demo import mujun_values
    from sanpi.assessment.models import SchemeYear, UnitEntry
    from sanpi.assessment.schemes import GROUPS
    from sanpi.assessment.selectors import scores
    from sanpi.core.audit import audit_context

    rng = random.Random(units)
    t = time.perf_counter()
    with transaction.atomic(), audit_context("cli"):
        row = services.scheme_year_open(by=cli_actor(), key="mujun", year=YEAR)
        UnitEntry.objects.bulk_create(
            (
                UnitEntry(scheme_year=row, unit=f"企业{n:07d}", group=GROUPS[n % 3 == 0],
                          values=mujun_values(rng))
                for n in range(1, units + 1)
            ),
            batch_size=2000,
        )  # fmt: skip
    _analyze()
    say(f"\n== {units:,} enterprises (generated in {time.perf_counter() - t:.1f} s)")

    t = time.perf_counter()
    scores("mujun", YEAR)
    engine_s = time.perf_counter() - t
    t = time.perf_counter()
    scored = services.rescore(row)
    whole_s = time.perf_counter() - t
    say(f"scoring:   engine {engine_s:.2f} s; score and store {scored:,} rows {whole_s:.2f} s "
        f"({whole_s / scored * 1e6:.0f} µs a unit)")  # fmt: skip

    actor = cli_actor()
    saves = []
    for k in range(min(repeat, 10)):
        entry = UnitEntry.objects.get(scheme_year=row, unit="企业0000001")
        t = time.perf_counter()
        with audit_context("cli"):
            io.entry_set(by=actor, key="mujun", year=YEAR, unit=entry.unit,
                         raw={"tax": str(1000 + k)}, group=entry.group, version=entry.version)  # fmt: skip
        saves.append(time.perf_counter() - t)
    row.refresh_from_db()
    p50, p95 = _stats(saves)
    how = "left stale for the job" if row.stale else "scored in the save"
    say(
        f"page save: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({how}; SYNC_UNITS {services.SYNC_UNITS:,})"
    )
    services.rescore(row)
    _analyze()  # as a database in service would have it after the job's write

    leader, _ = User.objects.get_or_create(username="bench_leader", defaults={"role": "leader"})
    client = Client()
    client.force_login(leader)
    url = f"/assessment/mujun/{YEAR}/"
    middle = max(1, units // 50 // 2)
    cases = [("first page", {}, 0), (f"page {middle}", {"page": middle}, (middle - 1) * 50),
             ("search by name", {"q": f"企业{units // 3:07d}"}, None)]  # fmt: skip
    # The same rows the page reads: a range of positions (selectors.RankedRows).
    sql = ("SELECT unit, rank, total, labels, items FROM assessment_unitresult "
           "WHERE scheme_year_id = %s AND position > %s AND position <= %s "
           "ORDER BY position")  # fmt: skip
    for label, params, offset in cases:
        response = client.get(url, params)
        assert response.status_code == 200, response.status_code
        page_t = []
        for _ in range(repeat):
            t = time.perf_counter()
            client.get(url, params)
            page_t.append(time.perf_counter() - t)
        bare_t = []
        with connection.cursor() as cursor:
            for _ in range(repeat):
                t = time.perf_counter()
                if offset is None:
                    cursor.execute(
                        "SELECT unit, rank, total, labels, items FROM assessment_unitresult "
                        "WHERE scheme_year_id = %s AND UPPER(unit::text) LIKE UPPER(%s) "
                        "ORDER BY position LIMIT 50"
                        if connection.vendor == "postgresql"
                        else "SELECT unit, rank, total, labels, items FROM assessment_unitresult "
                        "WHERE scheme_year_id = %s AND unit LIKE %s ORDER BY position LIMIT 50",
                        [row.pk, f"%{params['q']}%"],
                    )
                else:
                    cursor.execute(sql, [row.pk, offset, offset + 50])
                cursor.fetchall()
                bare_t.append(time.perf_counter() - t)
        p50, p95 = _stats(page_t)
        b50, _ = _stats(bare_t)
        say(f"{label:15} page p50 {p50:7.1f} ms, p95 {p95:7.1f} ms; bare SQL p50 {b50:6.2f} ms "
            f"(ratio {p50 / b50:.0f}×)")  # fmt: skip
    SchemeYear.objects.filter(pk=row.pk).delete()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", default="2000,30000", help="sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", ""),
        help="PostgreSQL server (the benchmark creates its own database on it); default SQLite",
    )
    args = parser.parse_args(argv)
    with bench_frame(args, db=BENCH_DB, report="assessment") as frame:
        frame.say(f"database:  {frame.vendor}; {os.cpu_count()} CPUs, "
                  f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        for units in (int(x) for x in args.units.split(",")):
            one_size(units, args.repeat, frame.say)


if __name__ == "__main__":
    main()
