"""Province scale: generate a province's ledger, time every page and endpoint on it.

    .venv/bin/python bench/bench_province.py [--projects 200000] [--repeat 20]
                                             [--database-url postgres://…] [--keep] [--reuse]

1. A fresh database (a SQLite file in a temporary directory, or a database
   ``sanpi_bench_province`` on the PostgreSQL server of --database-url, dropped afterwards),
   migrated (the 13 counties of 吕梁市 come with the migrations), then *fixture data*
   written in bulk, not through the services: 10 more cities of 10 counties each, ~8
   development zones per city, projects ÷ 5 enterprises, the projects over every stage,
   date, industry and health, 40 activities (2017–2026, four a year) with their
   attributions (ActivityEntry) for ~35% of the projects past reserve, one audit row per
   project. ``ANALYZE`` afterwards, as a database in service would have it.
2. Each page and API endpoint, as the city office and as a county officer (离石区), through
   Django's test Client (the whole middleware stack, in process): one warm-up request, then
   --repeat timed ones (p50, p95 of perf_counter around client.get, content consumed), then
   two requests under CaptureQueriesContext for the query count and the query times.
3. ``cohort_rates(year=2021)`` and ``activity_figures`` against one hand-written SQL query
   each (the figures must agree), medians over --repeat, and their ratio (target ≤ 2×).
4. ``EXPLAIN`` of the five heaviest queries of step 2 (PostgreSQL: ANALYZE, BUFFERS;
   SQLite: QUERY PLAN), and every query of the county officer's pages that reads the
   project table checked for a sequential scan of it.

Everything is printed and written to var/bench/province-<vendor>-<projects>.txt.
--keep leaves the database (SQLite: var/bench/province-<projects>.sqlite3) for --reuse.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import re
import statistics
import sys
import time
import unicodedata
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_import import add_database_args, bench_frame  # noqa: E402
from gen_ledger import WORDS, ZONES, credit_code  # noqa: E402

BENCH_DB = "sanpi_bench_province"
TODAY = dt.date.today()
CITIES = (
    ("01", "太原市"), ("02", "大同市"), ("03", "阳泉市"), ("04", "长治市"), ("05", "晋城市"),
    ("06", "朔州市"), ("07", "晋中市"), ("08", "运城市"), ("09", "忻州市"), ("10", "临汾市"),
)  # fmt: skip
PRODUCTS = (
    "高性能铝合金", "碳纤维复合材料", "电子级多晶硅", "高纯氧化铝", "矿用智能装备", "氢燃料电池重卡",
    "大数据中心", "智慧物流园", "煤焦油深加工", "焦炉煤气制氢", "清香型白酒扩能", "沙棘饮品",
    "光伏组件", "储能电池", "铸造产业园", "建材绿色改造", "新能源汽车零部件", "新型墙体材料",
)  # fmt: skip
COUNTY_CODE = "141102"  # the county officer's county (离石区)


# --- the database ----------------------------------------------------------------------------


# --- the province ----------------------------------------------------------------------------


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


def generate(n_projects: int, seed: int = 2021) -> dict:
    """Write the province into the (migrated) database. Returns counts and seconds."""
    from django.db import connection, transaction

    from sanpi.core.bulk import bulk_insert
    from sanpi.core.models import AuditLog
    from sanpi.projects.models import (
        Activity,
        ActivityEntry,
        ConstructionKind,
        Health,
        Industry,
        Project,
    )
    from sanpi.regions.models import County, DevelopmentZone, Enterprise

    rng = random.Random(seed)
    started = time.perf_counter()
    with transaction.atomic():
        bulk_insert(
            County,
            [
                County(code=f"14{code}{k:02d}", name=f"{city}第{k}{'区' if k <= 3 else '县'}")
                for code, city in CITIES
                for k in range(1, 11)
            ],
            returning=False,
        )
        counties = {c.code: c.pk for c in County.objects.all()}
        zones = [
            DevelopmentZone(name=n, short_name=s, level="provincial", county_id=counties[c])
            for n, s, c in ZONES
        ]
        for code, city in CITIES:
            for k in range(1, 9):
                zones.append(
                    DevelopmentZone(
                        name=f"{city}第{k}经济开发区",
                        short_name=f"{city[:2]}{k}开发区",
                        level="national" if k == 1 else "provincial",
                        county_id=counties[f"14{code}{k:02d}"],
                    )
                )
        bulk_insert(DevelopmentZone, zones)
        zone_of = {}
        for z in zones:
            zone_of.setdefault(z.county_id, z.pk)

        year_dates = [(y, q) for y in range(2017, TODAY.year + 1) for q in range(1, 5)]
        activities = []
        for year, seq in year_dates[:40]:
            day = dt.date(year, 3 * seq - 1, 10 + (year + seq) % 15)
            if day > TODAY:
                break
            activities.append(
                Activity(
                    year=year,
                    sequence=seq,
                    date=day,
                    level="province" if seq != 3 else "city",
                    venue=f"{year}年第{seq}次分会场",
                )
            )
        bulk_insert(Activity, activities)

        county_ids = sorted(counties.values())
        county_code = {pk: code for code, pk in counties.items()}
        n_enterprises = max(100, n_projects // 5)
        enterprises = []
        for i in range(n_enterprises):
            cid = county_ids[i % len(county_ids)]
            enterprises.append(
                Enterprise(
                    name=f"山西{WORDS[i % len(WORDS)]}{i + 1:06d}实业有限公司",
                    credit_code=credit_code(104729 * (i + 7), county_code[cid]),
                    county_id=cid,
                    contact=f"联系人{i % 97}",
                    phone=f"0358-{8000000 + i:07d}"[:30],
                )
            )
        for start in range(0, len(enterprises), 5000):
            bulk_insert(Enterprise, enterprises[start : start + 5000])
        enterprise_rows = [(e.pk, e.name, e.county_id) for e in enterprises]
        del enterprises
        t_regions = time.perf_counter() - started

        industries, kinds = Industry.values, ConstructionKind.values
        healths = Health.values
        stages = ("reserve", "signed", "started", "produced", "reached")
        first_day = dt.date(2017, 1, 1)
        span = (TODAY - first_day).days
        n_entries = n_audit = 0
        chunk = 5000
        for start in range(0, n_projects, chunk):
            projects, attributions = [], []
            for i in range(start, min(start + chunk, n_projects)):
                ent_id, ent_name, cid = enterprise_rows[i % len(enterprise_rows)]
                roll = rng.random()
                level = (
                    0
                    if roll < 0.3
                    else 1
                    if roll < 0.5
                    else 2
                    if roll < 0.75
                    else 3
                    if roll < 0.9
                    else 4
                )
                dates: list[dt.date | None] = [None, None, None, None]
                picks: list[int] = []
                if level >= 1:
                    if rng.random() < 0.35:
                        # Attributed: each of its first stages (up to produce) reached in a
                        # later activity, on that activity's date.
                        picks = sorted(rng.sample(range(len(activities)), min(level, 3)))
                        for step, a in enumerate(picks):
                            dates[step] = activities[a].date
                        if level == 4:
                            dates[3] = min(
                                TODAY, dates[2] + dt.timedelta(days=rng.randrange(30, 400))
                            )
                    else:
                        day = first_day + dt.timedelta(days=rng.randrange(span - 60))
                        for step in range(level):
                            dates[step] = day
                            day = min(TODAY, day + dt.timedelta(days=rng.randrange(20, 400)))
                investment = _money(rng, 500, 500_000)
                output = (investment * Decimal(rng.uniform(0.6, 2.2))).quantize(Decimal("0.01"))
                first = dates[0] or (first_day + dt.timedelta(days=rng.randrange(span)))
                health = "normal" if rng.random() < 0.8 else rng.choice(healths)
                projects.append(
                    Project(
                        code=(
                            f"{first:%y%m}-{county_code[cid]}-{rng.choice(['07', '26', '38', '44'])}"
                            f"-0{rng.randrange(1, 4)}-{i:06d}"
                            if rng.random() < 0.7
                            else None
                        ),
                        name=f"{ent_name[2:4]}{PRODUCTS[i % len(PRODUCTS)]}项目（{i + 1}）",
                        enterprise_id=ent_id,
                        county_id=cid,
                        zone_id=zone_of.get(cid) if rng.random() < 0.85 else None,
                        industry=rng.choice(industries),
                        construction_kind=rng.choice(kinds),
                        total_investment_wan=investment,
                        planned_output_wan=output,
                        planned_tax_wan=(output * Decimal(rng.uniform(0.03, 0.12))).quantize(
                            Decimal("0.01")
                        ),
                        actual_output_wan=(
                            (output * Decimal(rng.uniform(0.5, 1.1))).quantize(Decimal("0.01"))
                            if level >= 3
                            else None
                        ),
                        land_mu=_money(rng, 10, 800),
                        is_standard_land=rng.random() < 0.3,
                        investment_source=rng.choice(("", "", "domestic", "foreign")),
                        is_provincial_key=rng.random() < 0.1,
                        is_city_key=rng.random() < 0.25,
                        in_statistics=level >= 2 and rng.random() < 0.6,
                        above_size=level >= 3 and rng.random() < 0.5,
                        stage=stages[level],
                        signed_date=dates[0],
                        started_date=dates[1],
                        produced_date=dates[2],
                        reached_date=dates[3],
                        health=health,
                    )
                )
                attributions.append(picks)
            bulk_insert(Project, projects)
            entries = []
            for project, picks in zip(projects, attributions, strict=True):
                for step, a in enumerate(picks):
                    action = ("sign", "start", "produce")[step]
                    entries.append(
                        ActivityEntry(
                            activity_id=activities[a].pk,
                            project_id=project.pk,
                            action=action,
                            sign_mode=(
                                ("onsite" if project.pk % 3 else "sync") if action == "sign" else ""
                            ),
                            investment_wan=project.total_investment_wan,
                        )
                    )
            bulk_insert(ActivityEntry, entries, returning=False)
            n_entries += len(entries)
            audit = [
                AuditLog(
                    username="bench",
                    source="cli",
                    action="create",
                    object_type="projects.project",
                    object_id=str(p.pk),
                    object_repr=p.name[:200],
                    after={"stage": p.stage, "county": county_code[p.county_id]},
                    message="省级规模基准数据",
                )
                for p in projects
            ]
            bulk_insert(AuditLog, audit, returning=False)
            n_audit += len(audit)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "counties": len(counties),
        "zones": len(zones),
        "enterprises": len(enterprise_rows),
        "activities": len(activities),
        "projects": n_projects,
        "entries": n_entries,
        "audit": n_audit,
        "regions_s": t_regions,
        "seconds": time.perf_counter() - started,
    }


# --- users -----------------------------------------------------------------------------------


def make_users():
    from django.utils import timezone

    from sanpi.accounts.models import User
    from sanpi.accounts.services import api_token_create
    from sanpi.regions.models import County

    users = {}
    for role, username, county in (
        ("city_office", "bench_city", None),
        ("county", "bench_county", County.objects.get(code=COUNTY_CODE)),
    ):
        user = User.objects.filter(username=username).first() or User.objects.create(
            username=username,
            role=role,
            county=county,
            full_name=username,
            password_changed_at=timezone.now(),
        )
        _token, key = api_token_create(by=user, name="bench")
        users[role] = (user, key)
    return users


# --- timing pages ----------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = math.floor(k), math.ceil(k)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _get(client, url: str, headers: dict):
    response = client.get(url, headers=headers)
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    else:
        _ = response.content
    return response


def time_pages(users, repeat: int):
    """Rows (page, role, url, status, p50, p95, queries) and the captured queries."""
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from sanpi.projects.models import Activity, ActivityEntry, Project

    busiest = Activity.objects.annotate(n=Count("entries")).order_by("-n").values_list("pk", "n")[0]
    activity_pk = busiest[0]
    detail_pk = (
        ActivityEntry.objects.filter(project__county__code=COUNTY_CODE, action="produce")
        .values_list("project_id", flat=True)
        .first()
    )
    rows, captured = [], []
    for role in ("city_office", "county"):
        user, key = users[role]
        web = Client()
        web.force_login(user)
        api = Client()
        auth = {"Authorization": f"Bearer {key}"}
        n = (
            Project.objects.count()
            if role == "city_office"
            else (Project.objects.filter(county__code=COUNTY_CODE).count())
        )
        deep_page = max(1, int(math.ceil(n / 50) * 0.9))
        deep_offset = max(0, int(n * 0.9))
        pages = [
            ("ledger list", "/projects/", web, {}),
            ("ledger search q=新", "/projects/?q=新", web, {}),
            ("ledger search q=华鑫0001", "/projects/?q=华鑫0001", web, {}),
            (f"ledger page {deep_page}", f"/projects/?page={deep_page}", web, {}),
            ("project detail", f"/projects/{detail_pk}/", web, {}),
            ("activity list", "/projects/activities/", web, {}),
            (
                f"activity page ({busiest[1]} entries)",
                f"/projects/activities/{activity_pk}/",
                web,
                {},
            ),
            ("rates", "/rates/", web, {}),
            ("rates year=2021", "/rates/?year=2021", web, {}),
            ("home", "/", web, {}),
            # These two start a background job and answer with its page (302); the
            # job's own time, in the worker, is timed below the table.
            ("bulletin .docx (job)", f"/bulletins/activity/{activity_pk}.docx", web, {}),
            ("ledger export (job)", "/ledger/export.xlsx", web, {}),
            ("API projects", "/api/v1/projects", api, auth),
            (
                f"API projects offset={deep_offset}",
                f"/api/v1/projects?offset={deep_offset}",
                api,
                auth,
            ),
        ]
        for label, url, client, headers in pages:
            status = _get(client, url, headers).status_code  # warm-up
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                _get(client, url, headers)
                times.append((time.perf_counter() - t0) * 1000)
            runs = []
            for _ in range(2):
                with CaptureQueriesContext(connection) as ctx:
                    _get(client, url, headers)
                runs.append(list(ctx.captured_queries))
            for q1, q2 in zip(*runs, strict=False):
                captured.append(
                    (min(float(q1["time"]), float(q2["time"])) * 1000, q2["sql"], label, role)
                )
            rows.append(
                (label, role, url, status, statistics.median(times), percentile(times, 0.95),
                 len(runs[-1]))
            )  # fmt: skip
    return rows, captured


# --- reports against bare SQL ----------------------------------------------------------------

RATES_SQL = """
SELECT
  SUM(CASE WHEN signed_date BETWEEN %s AND %s THEN 1 ELSE 0 END),
  SUM(CASE WHEN signed_date BETWEEN %s AND %s AND started_date IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN started_date BETWEEN %s AND %s THEN 1 ELSE 0 END),
  SUM(CASE WHEN started_date BETWEEN %s AND %s AND produced_date IS NOT NULL THEN 1 ELSE 0 END),
  SUM(CASE WHEN produced_date BETWEEN %s AND %s THEN actual_output_wan END),
  SUM(CASE WHEN produced_date BETWEEN %s AND %s THEN planned_output_wan END)
FROM projects_project
WHERE signed_date BETWEEN %s AND %s OR started_date BETWEEN %s AND %s
   OR produced_date BETWEEN %s AND %s
"""
FIGURES_SQL = """
SELECT e.action, e.sign_mode, COUNT(*), SUM(e.investment_wan), SUM(p.planned_output_wan)
FROM projects_activityentry e JOIN projects_project p ON p.id = e.project_id
WHERE e.activity_id = %s
GROUP BY e.action, e.sign_mode
"""


def _wan(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def bare_rates(year: int) -> tuple:
    from django.db import connection

    span = [dt.date(year, 1, 1), dt.date(year, 12, 31)]
    with connection.cursor() as cursor:
        cursor.execute(RATES_SQL, span * 9)
        s_den, s_num, t_den, t_num, p_num, p_den = cursor.fetchone()
    return (s_num or 0, s_den or 0, t_num or 0, t_den or 0, _wan(p_num), _wan(p_den))


def bare_figures(activity_pk: int) -> tuple:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(FIGURES_SQL, [activity_pk])
        groups = cursor.fetchall()
    out = {k: [0, Decimal(0)] for k in ("signed", "onsite", "sync", "started", "produced")}
    output = Decimal(0)
    for action, mode, n, inv, planned in groups:
        key = {"sign": "signed", "start": "started", "produce": "produced"}[action]
        out[key][0] += n
        out[key][1] += _wan(inv)
        if action == "sign":
            out[mode][0] += n
            out[mode][1] += _wan(inv)
        if action == "produce":
            output += _wan(planned)
    return (*(tuple(v) for v in out.values()), output)


def reports(users, repeat: int) -> list[str]:
    from django.db.models import Count

    from sanpi.cockpit.selectors import activity_figures, cohort_rates
    from sanpi.projects.models import Activity

    city = users["city_office"][0]
    activity = Activity.objects.annotate(n=Count("entries")).order_by("-n").first()

    def rates_selector():
        r = cohort_rates(user=city, year=2021)
        return (
            r.start_rate.num, r.start_rate.den,
            r.production_rate.num, r.production_rate.den,
            _wan(r.target_rate.num), _wan(r.target_rate.den),
        )  # fmt: skip

    def figures_selector():
        f = activity_figures(user=city, activity=activity)
        return (
            *((b.count, _wan(b.investment_wan)) for b in (f.signed, f.onsite, f.sync, f.started, f.produced)),
            _wan(f.produced_output_wan),
        )  # fmt: skip

    lines = []
    from sanpi.cockpit.io import activity_bulletin_docx

    times = []
    for _ in range(max(3, repeat // 4)):
        t0 = time.perf_counter()
        document = activity_bulletin_docx(by=city, activity=activity)
        times.append((time.perf_counter() - t0) * 1000)
    lines.append(
        f"bulletin job, in the worker ({activity}, {len(document.data):,} bytes): "
        f"median {statistics.median(times):.0f} ms over {len(times)} runs"
    )
    for label, selector, bare in (
        ("cohort_rates(year=2021)", rates_selector, lambda: bare_rates(2021)),
        (f"activity_figures({activity})", figures_selector, lambda: bare_figures(activity.pk)),
    ):
        a, b = selector(), bare()
        agree = "agree" if a == b else "DISAGREE"
        ts, tb = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            selector()
            ts.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            bare()
            tb.append((time.perf_counter() - t0) * 1000)
        ms, mb_ = statistics.median(ts), statistics.median(tb)
        lines += [
            f"{label}: selector {ms:.1f} ms, bare SQL {mb_:.1f} ms, ratio {ms / mb_:.2f}× "
            f"(target ≤ 2×); figures {agree}",
            f"  selector: {a}",
            f"  bare SQL: {b}",
        ]
    return lines


# --- plans -----------------------------------------------------------------------------------


def explain(sql: str, *, analyze: bool) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(("EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN ") + sql)
            return [r[0] for r in cursor.fetchall()]
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        rows = cursor.fetchall()
    depth = {0: -1}
    out = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        out.append("  " * depth[node] + detail)
    return out


def project_seq_scans(sql: str, plan: list[str], vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [line.strip() for line in plan if re.search(r"Seq Scan on projects_project\b", line)]
    aliases = {"projects_project"} | set(
        re.findall(r'"projects_project"\s+(?:AS\s+)?"?(\w+)"?', sql)
    ) - {"ON", "WHERE", "INNER", "LEFT", "ORDER", "GROUP", "LIMIT"}
    return [
        line.strip()
        for line in plan
        if (m := re.match(r"\s*SCAN (\w+)", line)) and m.group(1) in aliases
    ]


def _short(sql: str, limit: int = 1200) -> str:
    """The SQL for reading: the outer select list elided, cut at ``limit`` characters."""
    column = r'"\w+"\."\w+"(?: AS "\w+")?'
    sql = re.sub(
        rf"^SELECT (?:DISTINCT )?(?:{column}, ){{5,}}{column} FROM ", "SELECT … FROM ", sql
    )
    return sql if len(sql) <= limit else sql[:limit] + " …"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def plans(captured, vendor: str) -> list[str]:
    selects = [c for c in captured if c[1].lstrip().upper().startswith(("SELECT", "WITH"))]
    heaviest, seen = [], set()
    for ms, sql, label, role in sorted(selects, key=lambda c: -c[0]):
        if sql in seen:
            continue
        seen.add(sql)
        heaviest.append((ms, sql, label, role))
        if len(heaviest) == 5:
            break
    lines = ["", "## The five heaviest queries of the page timings", ""]
    for i, (ms, sql, label, role) in enumerate(heaviest, 1):
        lines.append(f"### {i}. {ms:.1f} ms — {label} ({role})")
        lines.append(_short(sql))
        lines.append("plan:")
        lines += ["  " + line for line in explain(sql, analyze=True)]
        lines.append("")
    lines.append("## Sequential scans of projects_project on the county officer's pages")
    flagged, checked = [], set()
    for _ms, sql, label, role in captured:
        if role != "county" or "projects_project" not in sql or sql in checked:
            continue
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        checked.add(sql)
        scans = project_seq_scans(sql, explain(sql, analyze=False), vendor)
        if scans:
            flagged.append((label, scans, sql))
    lines.append(f"{len(checked)} distinct queries read the project table; {len(flagged)} scan it:")
    for label, scans, sql in flagged:
        lines.append(f"  SEQ SCAN — {label}: {'; '.join(scans)}")
        lines.append(f"    {_short(sql, 600)}")
    return lines


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page")
    add_database_args(parser)
    args = parser.parse_args(argv)

    kept = REPO / "var" / "bench" / f"province-{args.projects}.sqlite3"
    report = f"province-{{vendor}}-{args.projects}"
    with bench_frame(args, db=BENCH_DB, report=report, kept_sqlite=kept) as frame:
        from django.db import connection

        say = frame.say
        if frame.reuse:
            say(f"province:  reused the kept database ({frame.url.split('@')[-1]})")
        else:
            made = generate(args.projects)
            say(
                f"province:  {made['projects']:,} projects, {made['enterprises']:,} enterprises, "
                f"{made['counties']} counties, {made['zones']} zones, {made['activities']} "
                f"activities, {made['entries']:,} activity entries, {made['audit']:,} audit rows; "
                f"generated in {made['seconds']:.1f} s (fixture data, bulk insert, then ANALYZE)"
            )
        users = make_users()
        load = os.getloadavg()[0]
        say(f"database:  {frame.vendor}; {os.cpu_count()} CPUs, load average {load:.1f} at start")
        say(f"timing:    1 warm-up + {args.repeat} requests per page (test Client, in process)")
        say()
        rows, captured = time_pages(users, args.repeat)
        width = max(_width(r[0]) for r in rows)
        say(f"{_pad('page', width)}  {'role':<11}  status  {'p50 ms':>8}  {'p95 ms':>8}  queries")
        for label, role, _url, status, p50, p95, queries in rows:
            flag = "  > 300 ms" if p95 > 300 else ""
            say(
                f"{_pad(label, width)}  {role:<11}  {status:>6}  {p50:>8.1f}  {p95:>8.1f}  "
                f"{queries:>7}{flag}"
            )
        say()
        say("## Reports against one hand-written SQL query each (city office, medians)")
        for line in reports(users, args.repeat):
            say(line)
        for line in plans(captured, connection.vendor):
            say(line)
        say()


if __name__ == "__main__":
    main()
