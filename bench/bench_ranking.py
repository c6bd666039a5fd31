"""The monthly ranking at scale: generate the units, projects and three years of monthly
reports, time one month's ranking of every unit and the bulletin, next to the bare SQL.

    .venv/bin/python bench/bench_ranking.py [--counties 100] [--zones 300]
        [--projects 30000] [--years 3] [--repeat 10]
        [--database-url postgres://…] [--keep] [--reuse]

1. A fresh database (a SQLite file in a temporary directory, or a database
   ``sanpi_bench_ranking`` on the PostgreSQL server of --database-url, dropped afterwards),
   migrated (the 13 counties of 吕梁市 come with the migrations), then *fixture data*
   written in bulk (core.bulk), not through the services: counties up to --counties,
   --zones development zones spread over them, projects ÷ 5 enterprises (10% 上规 within
   the years), --projects projects over every stage, date and health (85% in a zone),
   one monthly report per month for every project past reserve from its signing (or the
   first month of the years) to last month (90% accepted), and the ranked year's targets
   for every county and zone. ``ANALYZE`` afterwards, as a database in service would
   have it.
2. The ranking of last month (`targets.selectors.ranking`), counties and zones, and the
   whole bulletin (`selectors.bulletin`: both rankings and the lagging lists) with its
   page, its Word and its Excel file, as the city office: medians over --repeat, with
   their query counts.
3. The bare SQL the ranking needs (the same grouped aggregates, hand-written, both kinds
   of unit) with the figures compared, and the ratio of the ranking to it.

Everything is printed and written to var/bench/ranking-<vendor>.txt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_import import add_database_args, bench_frame  # noqa: E402
from gen_ledger import WORDS, credit_code  # noqa: E402

BENCH_DB = "sanpi_bench_ranking"
TODAY = dt.date.today()
RANKED = (TODAY.year - 1, 12) if TODAY.month == 1 else (TODAY.year, TODAY.month - 1)
CENT = Decimal("0.01")


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


def _months(first: tuple[int, int], last: tuple[int, int]):
    y, m = first
    while (y, m) <= last:
        yield y, m
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


# --- the data --------------------------------------------------------------------------------


def generate(args) -> dict:
    """Write the units, projects, reports and targets. Returns counts and seconds."""
    from django.db import connection, transaction
    from django.utils import timezone

    from sanpi.core.bulk import bulk_insert
    from sanpi.dispatch.models import MonthlyReport
    from sanpi.projects.models import ConstructionKind, Industry, Project
    from sanpi.regions.models import County, DevelopmentZone, Enterprise
    from sanpi.targets.models import UnitTarget

    rng = random.Random(2021)
    started = time.perf_counter()
    first_year = RANKED[0] - args.years + 1
    span_start = dt.date(first_year, 1, 1)
    with transaction.atomic():
        have = County.objects.count()
        bulk_insert(
            County,
            [
                County(code=f"99{k // 100:02d}{k % 100:02d}", name=f"基准第{k}县")
                for k in range(1, args.counties - have + 1)
            ],
            returning=False,
        )
        counties = list(County.objects.order_by("code").values_list("pk", "code"))
        zones = [
            DevelopmentZone(
                name=f"基准第{k}经济开发区",
                short_name=f"基准{k}区",
                level="provincial",
                county_id=counties[k % len(counties)][0],
            )
            for k in range(1, args.zones + 1)
        ]
        bulk_insert(DevelopmentZone, zones)
        zones_of: dict[int, list[int]] = {}
        for z in zones:
            zones_of.setdefault(z.county_id, []).append(z.pk)

        n_enterprises = max(100, args.projects // 5)
        enterprises = []
        for i in range(n_enterprises):
            cid, code = counties[i % len(counties)]
            above = None
            if rng.random() < 0.1:
                above = span_start + dt.timedelta(days=rng.randrange((TODAY - span_start).days))
            enterprises.append(
                Enterprise(
                    name=f"山西{WORDS[i % len(WORDS)]}{i + 1:06d}实业有限公司",
                    credit_code=credit_code(104729 * (i + 7), code),
                    county_id=cid,
                    above_size_since=above,
                )
            )
        bulk_insert(Enterprise, enterprises)

        industries, kinds = Industry.values, ConstructionKind.values
        stages = ("reserve", "signed", "started", "produced", "reached")
        ranked_first = dt.date(*RANKED, 1)
        n_reports = 0
        reporting: list[tuple[int, dt.date]] = []
        chunk = 5000
        for start in range(0, args.projects, chunk):
            projects = []
            for i in range(start, min(start + chunk, args.projects)):
                e = enterprises[i % len(enterprises)]
                cid = e.county_id
                level = rng.choices(range(5), weights=(5, 20, 35, 30, 10))[0]
                dates: list[dt.date | None] = [None] * 4
                if level:
                    # Signed within the years (20%) or in the three years before them.
                    if rng.random() < 0.2:
                        days = rng.randrange((ranked_first - span_start).days)
                    else:
                        days = -rng.randrange(1, 3 * 365)
                    day = span_start + dt.timedelta(days=days)
                    for step in range(level):
                        dates[step] = min(TODAY, day)
                        day = day + dt.timedelta(days=rng.randrange(20, 300))
                    for step in range(1, 4):  # keep the order after capping at today
                        if dates[step] and dates[step] < dates[step - 1]:
                            dates[step] = dates[step - 1]
                own_zones = zones_of.get(cid)
                health = "normal" if rng.random() < 0.85 else rng.choice(("lagging", "stalled"))
                projects.append(
                    Project(
                        name=f"基准项目{i + 1:06d}",
                        enterprise_id=e.pk,
                        county_id=cid,
                        zone_id=rng.choice(own_zones)
                        if own_zones and rng.random() < 0.85
                        else None,
                        industry=rng.choice(industries),
                        construction_kind=rng.choice(kinds),
                        total_investment_wan=_money(rng, 500, 200_000),
                        stage=stages[level],
                        signed_date=dates[0],
                        started_date=dates[1],
                        produced_date=dates[2],
                        reached_date=dates[3],
                        health=health,
                    )
                )
            bulk_insert(Project, projects)
            reporting += [(p.pk, p.signed_date) for p in projects if p.signed_date]
        Project.objects.update(created_at=timezone.make_aware(dt.datetime(first_year - 2, 1, 1, 9)))
        t_projects = time.perf_counter() - started

        statuses = ("accepted",) * 18 + ("submitted", "returned")
        batch: list[MonthlyReport] = []
        for pk, signed in reporting:
            first = max((signed.year, signed.month), (first_year, 1))
            for year, month in _months(first, RANKED):
                batch.append(
                    MonthlyReport(
                        project_id=pk,
                        year=year,
                        month=month,
                        status=rng.choice(statuses),
                        investment_wan=_money(rng, 0, 2_000),
                        progress_percent=rng.randrange(0, 101),
                    )
                )
                if len(batch) >= 20_000:
                    bulk_insert(MonthlyReport, batch, returning=False)
                    n_reports += len(batch)
                    batch = []
        bulk_insert(MonthlyReport, batch, returning=False)
        n_reports += len(batch)

        year = RANKED[0]
        units = [("county_id", c) for c, _ in counties] + [("zone_id", z.pk) for z in zones]
        goals = [
            UnitTarget(
                year=year,
                **{column: pk},
                investment_wan=_money(rng, 50_000, 2_000_000),
                signed_count=rng.randrange(5, 80),
                signed_investment_wan=_money(rng, 50_000, 5_000_000),
                started_count=rng.randrange(5, 60),
                produced_count=rng.randrange(2, 40),
                reserve_wan=_money(rng, 100_000, 20_000_000) if rng.random() < 0.9 else None,
                above_size_count=rng.randrange(0, 10),
            )
            for column, pk in units
        ]
        bulk_insert(UnitTarget, goals, returning=False)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "counties": len(counties),
        "zones": len(zones),
        "enterprises": len(enterprises),
        "projects": args.projects,
        "reports": n_reports,
        "targets": len(goals),
        "projects_s": t_projects,
        "seconds": time.perf_counter() - started,
    }


# --- timing ----------------------------------------------------------------------------------


def timed(fn, repeat: int) -> tuple[float, int, object]:
    """Median milliseconds over ``repeat`` runs after one warm-up, the query count of one
    run, and the last result."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = fn()
    connection.queries_log.clear()  # a full log (9,000 entries) would capture nothing
    with CaptureQueriesContext(connection) as ctx:
        fn()
    queries = len(ctx.captured_queries)  # now: a new connection empties the log
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), queries, result


REPORTS_SQL = """
SELECT p.{unit}_id, SUM(r.investment_wan)
FROM dispatch_monthlyreport r JOIN projects_project p ON p.id = r.project_id
WHERE r.year = %s AND r.month <= %s AND r.status = 'accepted' AND p.{unit}_id IS NOT NULL
GROUP BY p.{unit}_id
"""
PROJECTS_SQL = """
SELECT {unit}_id,
  COUNT(*) FILTER (WHERE signed_date BETWEEN %s AND %s),
  SUM(total_investment_wan) FILTER (WHERE signed_date BETWEEN %s AND %s),
  COUNT(*) FILTER (WHERE started_date BETWEEN %s AND %s),
  COUNT(*) FILTER (WHERE produced_date BETWEEN %s AND %s),
  SUM(total_investment_wan) FILTER (WHERE created_at < %s
      AND (signed_date IS NULL OR signed_date > %s) AND health <> 'withdrawn')
FROM projects_project WHERE {unit}_id IS NOT NULL
GROUP BY {unit}_id
"""
ENTERPRISES_SQL = {
    "county": """
SELECT county_id, COUNT(*) FROM regions_enterprise
WHERE above_size_since BETWEEN %s AND %s AND county_id IS NOT NULL GROUP BY county_id
""",
    "zone": """
SELECT p.zone_id, COUNT(DISTINCT e.id)
FROM regions_enterprise e JOIN projects_project p ON p.enterprise_id = e.id
WHERE e.above_size_since BETWEEN %s AND %s AND p.zone_id IS NOT NULL GROUP BY p.zone_id
""",
}


def bare_actuals(year: int, month: int, kind: str) -> dict:
    """The ranking's actual figures by hand-written SQL (PostgreSQL's FILTER; SQLite 3.30+
    has it too)."""
    from django.db import connection

    from sanpi.targets.selectors import _end_instant, window

    start, end = window(year, month)
    out: dict = {}

    def put(unit, key, value):
        out.setdefault(unit, {})[key] = value

    with connection.cursor() as cursor:
        cursor.execute(REPORTS_SQL.format(unit=kind), [year, month])
        for unit, total in cursor.fetchall():
            put(unit, "investment", Decimal(str(total or 0)).quantize(CENT))
        span = [start, end]
        cursor.execute(PROJECTS_SQL.format(unit=kind), span * 4 + [_end_instant(year, month), end])
        for unit, signed, signed_inv, started, produced, reserve in cursor.fetchall():
            put(unit, "signed", signed)
            put(unit, "signed_investment", Decimal(str(signed_inv or 0)).quantize(CENT))
            put(unit, "started", started)
            put(unit, "produced", produced)
            put(unit, "reserve", Decimal(str(reserve or 0)).quantize(CENT))
        cursor.execute(ENTERPRISES_SQL[kind], span)
        for unit, n in cursor.fetchall():
            put(unit, "above_size", n)
    return out


def run(args, say) -> None:
    from django.core.signals import request_started
    from django.db import reset_queries
    from django.test import Client
    from django.utils import timezone

    from sanpi.accounts.models import User
    from sanpi.targets import selectors
    from sanpi.targets.io import bulletin_docx, bulletin_xlsx

    # Count the queries of a whole request too: request_started would empty the
    # connection's query log in the middle of the capture.
    request_started.disconnect(reset_queries)
    year, month = RANKED
    city = User.objects.filter(username="bench_city").first() or User.objects.create(
        username="bench_city", role="city_office", password_changed_at=timezone.now()
    )
    r = args.repeat
    say(f"ranked:    {year}年{month}月 (months 1–{month} of {year}), as the city office")
    say(f"timing:    1 warm-up + {r} runs each, medians")
    say()
    rows = []
    ms_c, q_c, counties = timed(
        lambda: selectors.ranking(user=city, year=year, month=month, kind="county"), r
    )
    rows.append((f"ranking, counties ({len(counties.units)} units)", ms_c, q_c))
    ms_z, q_z, zones = timed(
        lambda: selectors.ranking(user=city, year=year, month=month, kind="zone"), r
    )
    rows.append((f"ranking, zones ({len(zones.units)} units)", ms_z, q_z))
    ms_b, q_b, b = timed(lambda: selectors.bulletin(user=city, year=year, month=month), r)
    lagging = sum(len(v.projects) for lists in b.lagging.values() for v in lists.values())
    rows.append((f"bulletin figures (both rankings, {lagging} lagging listed)", ms_b, q_b))
    web = Client()
    web.force_login(city)
    url = f"/targets/bulletin/?year={year}&month={month}"

    def page():
        response = web.get(url)
        assert response.status_code == 200, response.status_code
        return len(response.content)

    ms_p, q_p, size = timed(page, r)
    rows.append((f"bulletin page ({size:,} bytes)", ms_p, q_p))
    ms_ranking_page, q_rp, _ = timed(
        lambda: web.get(f"/targets/?year={year}&month={month}&kind=zone").content, r
    )
    rows.append(("ranking page, zones", ms_ranking_page, q_rp))
    ms_d, q_d, doc = timed(lambda: bulletin_docx(by=city, b=b), max(3, r // 3))
    rows.append((f"bulletin .docx from its figures ({len(doc.data):,} bytes)", ms_d, q_d))
    ms_x, q_x, xl = timed(lambda: bulletin_xlsx(by=city, b=b), max(3, r // 3))
    rows.append((f"bulletin .xlsx from its figures ({len(xl.data):,} bytes)", ms_x, q_x))
    width = max(len(label) for label, *_ in rows)
    say(f"{'':<{width}}  {'ms':>8}  queries")
    for label, ms, q in rows:
        flag = "  > 2 s" if ms > 2000 else ""
        say(f"{label:<{width}}  {ms:>8.1f}  {q:>7}{flag}")
    say()
    say(f"bulletin as a job, figures + .docx: {ms_b + ms_d:.0f} ms; figures + .xlsx: "
        f"{ms_b + ms_x:.0f} ms (target < 2,000 ms)")  # fmt: skip

    def ours():
        return {
            kind: {
                u.pk: {i.key: i.actual for i in u.indicators}
                for u in selectors.ranking(user=city, year=year, month=month, kind=kind).units
            }
            for kind in ("county", "zone")
        }

    def bare():
        return {kind: bare_actuals(year, month, kind) for kind in ("county", "zone")}

    a, expected = ours(), bare()
    agree = all(
        a[kind][unit][key] == value
        for kind, units in expected.items()
        for unit, values in units.items()
        for key, value in values.items()
    )
    ms_ours, _, _ = timed(ours, r)
    ms_bare, q_bare, _ = timed(bare, r)
    say()
    say("## The ranking (both kinds) against the bare SQL aggregates it needs")
    say(
        f"ranking, counties + zones: {ms_ours:.1f} ms; bare SQL ({q_bare} queries): "
        f"{ms_bare:.1f} ms; ratio {ms_ours / ms_bare:.2f}×; figures "
        f"{'agree' if agree else 'DISAGREE'}"
    )


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--zones", type=int, default=300)
    parser.add_argument("--projects", type=int, default=30_000)
    parser.add_argument("--years", type=int, default=3, help="years of monthly reports")
    parser.add_argument("--repeat", type=int, default=10)
    add_database_args(parser)
    args = parser.parse_args(argv)
    kept = REPO / "var" / "bench" / "ranking.sqlite3"
    with bench_frame(args, db=BENCH_DB, report="ranking", kept_sqlite=kept) as frame:
        say = frame.say
        if frame.reuse:
            say(f"data:      reused the kept database ({frame.url.split('@')[-1]})")
        else:
            made = generate(args)
            say(
                f"data:      {made['counties']} counties, {made['zones']} zones, "
                f"{made['enterprises']:,} enterprises, {made['projects']:,} projects, "
                f"{made['reports']:,} monthly reports ({args.years} years), {made['targets']} "
                f"unit targets; generated in {made['seconds']:.1f} s (bulk insert, ANALYZE)"
            )
        say(f"database:  {frame.vendor}; {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        run(args, say)


if __name__ == "__main__":
    main()
