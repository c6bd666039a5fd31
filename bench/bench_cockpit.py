"""The leaders' cockpit at national scale: generate the nation in PostgreSQL, refresh the
summary tables, time every data endpoint and the page next to the plain SQL aggregate
each answers.

    .venv/bin/python bench/bench_cockpit.py --database-url "$(bash scripts/pg.sh url)"
        [--cities 300] [--zones 3000] [--projects 300000] [--years 5]
        [--problems 200000] [--approvals 4] [--repeat 30] [--keep] [--reuse]

1. A fresh database ``sanpi_bench_cockpit`` on the server of --database-url (dropped
   afterwards unless --keep), migrated, then the nation written by SQL in the server
   (generate_series; seeded, so every run makes the same data): --cities × 10 counties,
   --zones development zones, projects ÷ 3 enterprises, --projects projects over every
   stage (signed within --years years), one monthly report per month for every signed
   project from its signing to last month (90% accepted: about 10 million rows at the
   defaults), each signed project's annual plan per year, --problems problems (10% open),
   --approvals approval items per signed project (open ones past their limit among them),
   ``ANALYZE``. The cockpit's triggers fire as they would for any bulk load.
2. The summary tables' refresh: everything (as after the load), then the refresh after
   one monthly report changes (what the 5-minute schedule does in service); the nightly
   work: the year's monthly rankings and the early warning's scores.
3. Every panel of /cockpit/data/, the page /cockpit/ and the home page /, through the whole Django stack
   (test client: middleware, session, view, template), as the city office (the whole
   nation: unscoped), a county officer and a zone officer: p50 and p95 over --repeat
   requests, next to the plain SQL aggregate the panel answers (run as often), and the
   ratio of the two.

Printed and written to var/bench/cockpit-postgresql.txt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_import import add_database_args, bench_frame, is_pg  # noqa: E402

BENCH_DB = "sanpi_bench_cockpit"
TODAY = dt.date.today()


def _sql(cursor, sql: str, params=None) -> float:
    started = time.perf_counter()
    cursor.execute(sql, params or [])
    return time.perf_counter() - started


def generate(args, say) -> None:
    """The nation, written by the server itself."""
    from django.db import connection, transaction

    first_year = TODAY.year - args.years + 1
    n_counties = args.cities * 10
    with transaction.atomic(), connection.cursor() as c:
        c.execute("SELECT setseed(0.2021)")
        t = _sql(
            c,
            """INSERT INTO regions_county (code, name)
               SELECT (500000 + g)::text, '基准县' || g FROM generate_series(1, %s) g""",
            [n_counties],
        )
        t += _sql(
            c,
            """INSERT INTO regions_developmentzone (name, short_name, level, county_id)
               SELECT '基准开发区' || g, '基准' || g || '区', 'provincial', county.id
               FROM generate_series(1, %s) g
               JOIN regions_county county ON county.code = (500000 + 1 + (g - 1) %% %s)::text""",
            [args.zones, n_counties],
        )
        n_enterprises = max(100, args.projects // 3)
        t += _sql(
            c,
            """INSERT INTO regions_enterprise (name, credit_code, county_id, contact, phone)
               SELECT '基准企业' || g || '有限公司', 'B' || lpad(g::text, 17, '0'), county.id, '', ''
               FROM generate_series(1, %s) g
               JOIN regions_county county ON county.code = (500000 + 1 + (g - 1) %% %s)::text""",
            [n_enterprises, n_counties],
        )
        say(f"  units: {n_counties:,} counties, {args.zones:,} zones, {n_enterprises:,} "
            f"enterprises in {t:.1f} s")  # fmt: skip
        # Stage level 0..4 (储备 15%, 签约 25%, 开工 35%, 投产 18%, 达效 7%); dates in order,
        # none after today, signings skewed towards the earlier years (as a ledger that has
        # run for years is); 85% of projects in their county's first zone.
        t = _sql(
            c,
            """
            WITH e AS (SELECT id, county_id, row_number() OVER (ORDER BY id) AS k
                       FROM regions_enterprise),
                 z AS (SELECT county_id, min(id) AS id FROM regions_developmentzone
                       GROUP BY county_id),
                 g AS (SELECT g, random() AS r1, random() AS r2, random() AS r3,
                              random() AS r4, random() AS r5, random() AS r6
                       FROM generate_series(1, %(n)s) g),
                 s AS (SELECT g.*, e.id AS enterprise_id, e.county_id,
                              CASE WHEN r1 < 0.15 THEN 0 WHEN r1 < 0.40 THEN 1
                                   WHEN r1 < 0.75 THEN 2 WHEN r1 < 0.93 THEN 3 ELSE 4 END AS lvl,
                              (%(today)s::date - (sqrt(r2) * %(days)s)::int) AS signed
                       FROM g JOIN e ON e.k = 1 + (g.g - 1) %% %(ne)s),
                 d AS (SELECT s.*,
                              least(%(today)s::date, signed + 20 + (r3 * 280)::int) AS started,
                              least(%(today)s::date, signed + 120 + (r3 * 400)::int) AS produced,
                              least(%(today)s::date, signed + 300 + (r3 * 500)::int) AS reached
                       FROM s)
            INSERT INTO projects_project (
                name, enterprise_id, county_id, zone_id, industry, construction_kind,
                total_investment_wan, planned_output_wan, actual_output_wan,
                is_standard_land, investment_source, is_provincial_key, is_city_key,
                in_statistics, above_size, stage, signed_date, started_date, produced_date,
                reached_date, health, created_at, updated_at, version)
            SELECT '基准项目' || d.g, d.enterprise_id, d.county_id,
                   CASE WHEN r4 < 0.85 THEN z.id END,
                   (ARRAY['new_infra','new_tech','new_material','new_equipment','new_product',
                          'new_business','strategic','traditional'])[1 + (r5 * 8)::int %% 8],
                   'new', round((500 + r6 * 199500)::numeric, 2),
                   CASE WHEN lvl >= 3 THEN round((1000 + r5 * 50000)::numeric, 2) END,
                   CASE WHEN lvl >= 3 THEN round((r6 * 40000)::numeric, 2) END,
                   false, '', r6 < 0.05, r6 < 0.15, false, false,
                   (ARRAY['reserve','signed','started','produced','reached'])[lvl + 1],
                   CASE WHEN lvl >= 1 THEN signed END,
                   CASE WHEN lvl >= 2 THEN started END,
                   CASE WHEN lvl >= 3 THEN produced END,
                   CASE WHEN lvl >= 4 THEN reached END,
                   CASE WHEN r4 > 0.9 THEN 'lagging' ELSE 'normal' END,
                   %(created)s::timestamptz - make_interval(days => (r2 * 400)::int),
                   now(), 1
            FROM d LEFT JOIN z ON z.county_id = d.county_id
            """,
            {
                "n": args.projects,
                "ne": n_enterprises,
                "today": TODAY,
                "days": args.years * 365,
                "created": dt.datetime(TODAY.year, 1, 1, 9, tzinfo=dt.UTC),
            },
        )
        say(f"  projects: {args.projects:,} in {t:.1f} s")
        t = _sql(
            c,
            """INSERT INTO dispatch_monthlyreport (
                   project_id, year, month, status, investment_wan, progress_percent,
                   progress_text, problems, return_reason, version, created_at, updated_at)
               SELECT p.id, extract(year FROM m)::int, extract(month FROM m)::int,
                      CASE WHEN random() < 0.9 THEN 'accepted' ELSE 'submitted' END,
                      round((random() * 2000)::numeric, 2), (random() * 100)::int,
                      '', '', '', 1, now(), now()
               FROM projects_project p
               CROSS JOIN LATERAL generate_series(
                   date_trunc('month', greatest(p.signed_date, make_date(%s, 1, 1))),
                   date_trunc('month', %s::date) - interval '1 month',
                   interval '1 month') m
               WHERE p.signed_date IS NOT NULL""",
            [first_year, TODAY],
        )
        c.execute("SELECT count(*) FROM dispatch_monthlyreport")
        say(f"  monthly reports: {c.fetchone()[0]:,} in {t:.1f} s")
        t = _sql(
            c,
            """INSERT INTO dispatch_annualplan (project_id, year, planned_investment_wan,
                                                updated_at)
               SELECT p.id, y, round((random() * 30000)::numeric, 2), now()
               FROM projects_project p
               CROSS JOIN generate_series(%s, %s) y
               WHERE p.signed_date IS NOT NULL AND extract(year FROM p.signed_date) <= y""",
            [first_year, TODAY.year],
        )
        say(f"  annual plans in {t:.1f} s")
        c.execute("SELECT id FROM problems_policy ORDER BY id LIMIT 1")
        policy = c.fetchone()[0]
        from sanpi.accounts.models import User

        raiser = User.objects.create(username="bench_raiser", role="city_office").pk
        t = _sql(
            c,
            """WITH p AS (SELECT id, row_number() OVER (ORDER BY id) AS k
                          FROM projects_project WHERE signed_date IS NOT NULL),
                    n AS (SELECT count(*) AS n FROM p),
                    g AS (SELECT g, random() AS r1, random() AS r2 FROM generate_series(1, %s) g)
               INSERT INTO problems_problem (
                   project_id, description, category, level, state, source, raised_at,
                   raised_by_id, is_complex, unit_kind, leader_name, solution, policy_id,
                   deploy_due, feedback_due, solve_due, confirmed_on_behalf, light, version,
                   updated_at)
               SELECT p.id, '基准问题' || g.g,
                      (ARRAY['procedures','land','financing','utilities','other'])[1 + (r1 * 5)::int %% 5],
                      (ARRAY['county','city','province'])[1 + (r2 * 3)::int %% 3],
                      CASE WHEN r1 < 0.1 THEN 'in_progress' ELSE 'closed' END,
                      'enterprise', now() - make_interval(days => (r2 * 900)::int), %s,
                      false, 'city', '', '', %s,
                      now() - make_interval(days => (r2 * 900)::int),
                      now() - make_interval(days => (r2 * 900)::int - 7),
                      now() - make_interval(days => (r2 * 900)::int - 21),
                      false, CASE WHEN r1 < 0.03 THEN 'red' ELSE 'green' END, 1, now()
               FROM g, n JOIN p ON true
               WHERE p.k = 1 + (g.g * 7919) %% n.n""",
            [args.problems, raiser, policy],
        )
        say(f"  problems: {args.problems:,} in {t:.1f} s")
    generate_approvals(args, say)
    with connection.cursor() as c:
        t = _sql(c, "ANALYZE")
    say(f"  ANALYZE in {t:.1f} s")


def generate_approvals(args, say) -> None:
    """--approvals items per signed project (the first of the 全代办 catalogue), applied
    and accepted within two months of signing; open (accepted, not decided) for half of
    the projects not yet started and 3% of the others. Their stored deadlines are computed
    on the official calendar for each distinct (accepted_on, committed_days) and set in
    one UPDATE, as the application stores them."""
    from django.db import connection, transaction

    from sanpi.approvals.rules import due_date
    from sanpi.core.calendar import official_calendar

    with transaction.atomic(), connection.cursor() as c:
        c.execute("SELECT setseed(0.2022)")
        t = _sql(
            c,
            """WITH ci AS (SELECT i.id, i.committed_days, i.statutory_days
                           FROM approvals_catalogueitem i
                           JOIN approvals_track t ON t.id = i.track_id
                           WHERE t.code = 'full_agency' ORDER BY i.id LIMIT %(k)s),
                    x AS (SELECT p.id AS pid, ci.*, p.started_date,
                                 least(%(today)s::date,
                                       p.signed_date + (random() * 60)::int) AS acc,
                                 random() AS r
                          FROM projects_project p CROSS JOIN ci
                          WHERE p.signed_date IS NOT NULL),
                    y AS (SELECT x.*, (started_date IS NULL AND r < 0.5) OR r < 0.03 AS open
                          FROM x)
               INSERT INTO approvals_projectapproval (
                   project_id, catalogue_item_id, statutory_days, committed_days, handler,
                   applied_on, accepted_on, decided_on, outcome, notes, created_at, updated_at)
               SELECT pid, id, statutory_days, committed_days, '', acc - 1, acc,
                      CASE WHEN NOT open
                           THEN least(%(today)s::date, acc + (r * committed_days * 3)::int) END,
                      CASE WHEN open THEN 'pending' ELSE 'approved' END, '', now(), now()
               FROM y""",
            {"k": args.approvals, "today": TODAY},
        )
        c.execute(
            "SELECT DISTINCT accepted_on, committed_days FROM approvals_projectapproval"
            " WHERE accepted_on IS NOT NULL"
        )
        calendar = official_calendar()
        dues = [(a, d, due_date(calendar, a, d)) for a, d in c.fetchall()]
        c.execute("CREATE TEMP TABLE due (a date, d int, due date) ON COMMIT DROP")
        with c.copy("COPY due (a, d, due) FROM STDIN") as copy:
            for row in dues:
                copy.write_row(row)
        t += _sql(
            c,
            """UPDATE approvals_projectapproval i SET due_on = due.due FROM due
               WHERE i.accepted_on = due.a AND i.committed_days = due.d""",
        )
        c.execute(
            "SELECT count(*), count(*) FILTER (WHERE decided_on IS NULL),"
            " count(*) FILTER (WHERE decided_on IS NULL AND due_on < %s)"
            " FROM approvals_projectapproval",
            [TODAY],
        )
        n, still_open, overdue = c.fetchone()
    say(f"  approval items: {n:,} ({still_open:,} open, {overdue:,} past their limit) "
        f"in {t:.1f} s")  # fmt: skip


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * len(ordered))) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def _users():
    from django.utils import timezone

    from sanpi.accounts.models import User
    from sanpi.projects.models import Project

    busiest = (
        Project.objects.order_by().values("county_id", "zone_id").exclude(zone_id=None)
        .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
        .order_by("-n").first()
    )  # fmt: skip
    common = {"must_change_password": False, "password_changed_at": timezone.now()}
    specs = {
        "全国（不限范围）": ("bench_city", {"role": "city_office"}),
        "一个县": ("bench_county", {"role": "county", "county_id": busiest["county_id"]}),
        "一个开发区": ("bench_zone", {"role": "zone", "zone_id": busiest["zone_id"]}),
    }
    return {
        label: User.objects.update_or_create(username=name, defaults={**fields, **common})[0]
        for label, (name, fields) in specs.items()
    }


# The plain SQL each panel answers, without summary tables: what the ledger costs.
BARE = {
    "funnel": """
        SELECT count(*) FILTER (WHERE signed_date BETWEEN %(a)s AND %(b)s),
               sum(total_investment_wan) FILTER (WHERE signed_date BETWEEN %(a)s AND %(b)s),
               count(*) FILTER (WHERE signed_date BETWEEN %(a)s AND %(b)s
                                AND started_date IS NOT NULL),
               count(*) FILTER (WHERE started_date BETWEEN %(a)s AND %(b)s),
               count(*) FILTER (WHERE produced_date BETWEEN %(a)s AND %(b)s),
               count(*) FILTER (WHERE reached_date BETWEEN %(a)s AND %(b)s),
               count(*) FILTER (WHERE stage = 'reserve')
        FROM projects_project WHERE {scope}""",
    "map": """
        SELECT county_id, count(*), sum(total_investment_wan)
        FROM projects_project WHERE signed_date BETWEEN %(a)s AND %(b)s AND {scope}
        GROUP BY county_id""",
    "investment": """
        SELECT r.month, p.industry, sum(r.investment_wan)
        FROM dispatch_monthlyreport r JOIN projects_project p ON p.id = r.project_id
        WHERE r.year = %(y)s AND r.status = 'accepted' AND {pscope}
        GROUP BY r.month, p.industry""",
    "zones": """
        SELECT p.zone_id, sum(r.investment_wan) AS s
        FROM dispatch_monthlyreport r JOIN projects_project p ON p.id = r.project_id
        WHERE r.year = %(y)s AND r.status = 'accepted' AND p.zone_id IS NOT NULL AND {pscope}
        GROUP BY p.zone_id ORDER BY s DESC LIMIT 15""",
}


def run(args, say) -> None:
    from django.db import connection
    from django.test import Client

    from sanpi.cockpit import facts
    from sanpi.dispatch.models import MonthlyReport

    started = time.perf_counter()
    done = facts.refresh()
    say(f"refresh, everything: {time.perf_counter() - started:.1f} s ({done.rows:,} summary rows; "
        f"{done.months} months of reports)")  # fmt: skip
    report = MonthlyReport.objects.filter(status="accepted").order_by("-id").first()
    MonthlyReport.objects.filter(pk=report.pk).update(investment_wan=report.investment_wan)
    started = time.perf_counter()
    done = facts.refresh()
    say(f"refresh after one report changed: {time.perf_counter() - started:.2f} s "
        f"({done.text()})")  # fmt: skip
    started = time.perf_counter()
    rows = facts.refresh_rankings()
    say(f"nightly: the year's monthly rankings stored in {time.perf_counter() - started:.1f} s "
        f"({rows:,} places)")  # fmt: skip
    started = time.perf_counter()
    scored = facts.refresh_start_risks()
    say(f"nightly: the early warning scored in {time.perf_counter() - started:.1f} s "
        f"({scored:,} signed projects)")  # fmt: skip
    with connection.cursor() as c:
        c.execute("ANALYZE")

    year = TODAY.year
    params = {"a": dt.date(year, 1, 1), "b": dt.date(year, 12, 31), "y": year}
    say("")
    say(
        f"{'视图':<10} {'面板':<11} {'p50 ms':>8} {'p95 ms':>8}   {'裸SQL p50':>9} {'p95':>8}   比值(p50)"
    )
    for label, user in _users().items():
        client = Client()
        client.force_login(user)
        if user.county_id:
            scope, pscope = f"county_id = {user.county_id}", f"p.county_id = {user.county_id}"
        elif user.zone_id:
            scope, pscope = f"zone_id = {user.zone_id}", f"p.zone_id = {user.zone_id}"
        else:
            scope = pscope = "true"
        panels = ("funnel", "map", "investment", "zones", "ranking", "attention", "warning",
                  "freshness", "page", "home")  # fmt: skip
        for panel in panels:
            url = {"page": "/cockpit/", "home": "/"}.get(panel, f"/cockpit/data/?panel={panel}")
            url += ("&" if "?" in url else "?") + f"year={year}"
            client.get(url)  # warm
            samples = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                response = client.get(url)
                samples.append(time.perf_counter() - t0)
                assert response.status_code == 200, (url, response.status_code)
            p50, p95 = _stats(samples)
            bare = BARE.get(panel)
            if bare:
                sql = bare.format(scope=scope, pscope=pscope)
                b_samples = []
                with connection.cursor() as c:
                    for _ in range(args.repeat):
                        b_samples.append(_sql(c, sql, params))
                        c.fetchall()
                b50, b95 = _stats(b_samples)
                say(f"{label:<10} {panel:<11} {p50:8.1f} {p95:8.1f}   {b50:9.1f} {b95:8.1f}   "
                    f"{p50 / b50:6.2f}×")  # fmt: skip
            else:
                say(f"{label:<10} {panel:<11} {p50:8.1f} {p95:8.1f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", type=int, default=300)
    parser.add_argument("--zones", type=int, default=3000)
    parser.add_argument("--projects", type=int, default=300_000)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--problems", type=int, default=200_000)
    parser.add_argument(
        "--approvals", type=int, default=4, help="approval items per signed project"
    )
    parser.add_argument("--repeat", type=int, default=30)
    add_database_args(parser)
    args = parser.parse_args(argv)
    if not is_pg(args.database_url):
        parser.error('needs PostgreSQL: --database-url "$(bash scripts/pg.sh url)"')

    with bench_frame(args, db=BENCH_DB, report="cockpit") as frame:
        say = frame.say
        if frame.reuse:
            say(f"data: reused the kept database ({frame.url.split('@')[-1]})")
            from sanpi.approvals.models import ProjectApproval

            if not ProjectApproval.objects.exists():  # kept from before approvals were made
                generate_approvals(args, say)
        else:
            started = time.perf_counter()
            say("data (generated in the server):")
            generate(args, say)
            say(f"  in all {time.perf_counter() - started:.1f} s")
        say(f"database: PostgreSQL; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
        run(args, say)


if __name__ == "__main__":
    main()
