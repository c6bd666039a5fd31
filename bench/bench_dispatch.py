"""The month sheet at a county's scale: time the download of the pre-filled report sheet
and the upload of it filled in, next to openpyxl alone reading the same file.

    .venv/bin/python bench/bench_dispatch.py [--projects 1000] [--repeat 3]
                                             [--database-url postgres://…] [--profile]

Target (the monthly dispatch issue): a county's 1,000 projects uploaded in under 10 s.

Each of --repeat runs uses a fresh database (a SQLite file in a temporary directory, or a
database ``sanpi_bench_dispatch`` on the PostgreSQL server of --database-url, dropped
afterwards), migrated (the 13 counties of 吕梁市 come with the migrations), then *fixture
data* written in bulk (core.bulk), not through the services: in 离石区 (141102) projects ÷ 5
enterprises and --projects projects in 开工 (started), signed and started this year before
the measured month, 70% with a project code; unless --no-history, one accepted monthly
report for every month from each project's signing to the month before the measured one;
and a county officer of 离石区 (accounts.tests.factories.UserFactory). The measured month
is last month. Then, as that officer:

* download: ``dispatch.sheets.month_sheet`` (the pre-filled .xlsx of every project owing
  the month);
* the sheet filled in with openpyxl, as a clerk would: every row given this month's
  investment, progress percent, progress note and head count (valid values);
* bare read: openpyxl alone reading every row of the filled file
  (``load_workbook(read_only=True, data_only=True)``, ``iter_rows(values_only=True)``),
  median of 3;
* upload: ``dispatch.sheets.month_sheet_import`` end to end, as the web job runs it (audit
  context, progress to the cache): parse and check every row, one
  ``dispatch.services.report_save(submit=True)`` per row in one transaction, the summary
  audit row; its phases timed through the progress callback.

After the timed runs, on the last database: the month's reports deleted and the upload
run once more under CaptureQueriesContext (queries per row, grouped by statement), and,
when the median upload is over 5 s or with --profile, once more under cProfile.

Everything is printed and written to var/bench/dispatch-<sqlite|postgresql>-<projects>.txt.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict, deque
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_import import (  # noqa: E402
    _vendor,
    bare_read,
    bench_url,
    drop_database,
    recreate_database,
    setup_django,
)
from gen_ledger import WORDS, credit_code  # noqa: E402
from peak import Timer  # noqa: E402

BENCH_DB = "sanpi_bench_dispatch"
COUNTY_CODE = "141102"  # 离石区
TODAY = dt.date.today()
MEASURED = (TODAY.year - 1, 12) if TODAY.month == 1 else (TODAY.year, TODAY.month - 1)
TARGET_S = 10.0
PROFILE_OVER_S = 5.0
PRODUCTS = (
    "高性能铝合金", "碳纤维复合材料", "电子级多晶硅", "高纯氧化铝", "矿用智能装备", "氢燃料电池重卡",
    "大数据中心", "智慧物流园", "煤焦油深加工", "焦炉煤气制氢", "清香型白酒扩能", "沙棘饮品",
    "光伏组件", "储能电池", "铸造产业园", "建材绿色改造", "新能源汽车零部件", "新型墙体材料",
)  # fmt: skip
NOTES = ("主体结构施工", "设备安装调试", "厂房封顶", "场地平整", "基础施工", "钢结构吊装")


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


# --- the county ------------------------------------------------------------------------------


def generate(n_projects: int, *, history: bool, seed: int = 2021) -> dict:
    """Write the county's enterprises, started projects and (``history``) their accepted
    reports of the earlier months into the migrated database; the county officer."""
    from django.db import connection, transaction
    from django.utils import timezone

    from sanpi.accounts.tests.factories import UserFactory
    from sanpi.core.bulk import bulk_insert
    from sanpi.dispatch.models import MonthlyReport
    from sanpi.projects.models import ConstructionKind, Industry, Project
    from sanpi.regions.models import County, DevelopmentZone, Enterprise

    rng = random.Random(seed)
    started = time.perf_counter()
    year, month = MEASURED
    first_day = dt.date(year, 1, 1)
    # Signed and started before the measured month (in its first half if it is January).
    last_day = dt.date(year, month, 1) - dt.timedelta(days=1) if month > 1 else dt.date(year, 1, 15)
    span = (last_day - first_day).days
    with transaction.atomic():
        county = County.objects.get(code=COUNTY_CODE)
        zone = DevelopmentZone(
            name="吕梁经济技术开发区", short_name="吕梁经开区", level="provincial", county=county
        )
        zone.save()
        user = UserFactory(username="bench_county", role="county", county=county)
        enterprises = [
            Enterprise(
                name=f"山西{WORDS[i % len(WORDS)]}{i + 1:06d}实业有限公司",
                credit_code=credit_code(104729 * (i + 7), COUNTY_CODE),
                county=county,
                contact=f"联系人{i % 97}",
                phone=f"0358-{8000000 + i:07d}",
            )
            for i in range(max(1, n_projects // 5))
        ]
        bulk_insert(Enterprise, enterprises)
        projects = []
        for i in range(n_projects):
            ent = enterprises[i % len(enterprises)]
            signed = first_day + dt.timedelta(days=rng.randrange(span + 1))
            start = signed + dt.timedelta(days=rng.randrange((last_day - signed).days + 1))
            projects.append(
                Project(
                    code=(
                        f"{signed:%y%m}-{COUNTY_CODE}-{rng.choice(['07', '26', '38', '44'])}"
                        f"-0{rng.randrange(1, 4)}-{i:06d}"
                        if rng.random() < 0.7
                        else None
                    ),
                    name=f"{ent.name[2:4]}{PRODUCTS[i % len(PRODUCTS)]}项目（{i + 1}）",
                    enterprise_id=ent.pk,
                    county_id=county.pk,
                    zone_id=zone.pk if rng.random() < 0.85 else None,
                    industry=rng.choice(Industry.values),
                    construction_kind=rng.choice(ConstructionKind.values),
                    total_investment_wan=_money(rng, 5_000, 200_000),
                    planned_output_wan=_money(rng, 5_000, 300_000),
                    stage="started",
                    signed_date=signed,
                    started_date=start,
                    health="normal",
                )
            )
        bulk_insert(Project, projects)
        reports = []
        if history:
            now = timezone.now()
            for p in projects:
                for m in range(p.signed_date.month, month):
                    reports.append(
                        MonthlyReport(
                            project_id=p.pk,
                            year=year,
                            month=m,
                            status="accepted",
                            investment_wan=_money(rng, 0, 300),
                            progress_percent=min(100, 10 * (m - p.signed_date.month + 1)),
                            progress_text=rng.choice(NOTES),
                            jobs=rng.randrange(10, 400),
                            filed_by_id=user.pk,
                            submitted_at=now,
                            reviewed_by_id=user.pk,
                            reviewed_at=now,
                            version=2,
                        )
                    )
            bulk_insert(MonthlyReport, reports, returning=False)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "user": user,
        "enterprises": len(enterprises),
        "projects": n_projects,
        "with_code": sum(1 for p in projects if p.code),
        "history": len(reports),
        "seconds": time.perf_counter() - started,
    }


# --- the sheet -------------------------------------------------------------------------------


def fill(data: bytes, seed: int = 7) -> tuple[bytes, int]:
    """The downloaded sheet with every data row filled in (openpyxl, normal mode)."""
    from openpyxl import load_workbook

    from sanpi.dispatch import sheets

    rng = random.Random(seed)
    wb = load_workbook(io.BytesIO(data))
    ws = wb[sheets.SHEET]
    header = {cell.value: cell.column for cell in ws[1]}
    columns = {c.key: header[c.header] for c in sheets.SPEC.columns}
    n = 0
    for r in range(2, ws.max_row + 1):
        if not ws.cell(r, columns["name"]).value:
            continue
        ws.cell(r, columns["investment_wan"], float(_money(rng, 0, 500)))
        ws.cell(r, columns["progress_percent"], rng.randrange(5, 96))
        ws.cell(r, columns["progress_text"], rng.choice(NOTES))
        ws.cell(r, columns["jobs"], rng.randrange(10, 400))
        n += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), n


class Phases:
    """The upload's progress callback: the job's own (to the cache, throttled), and the
    time each phase of month_sheet_import began (读取, 校验, 写入) and its last call."""

    def __init__(self) -> None:
        from sanpi.core.jobs import CacheProgress

        self.job = CacheProgress("bench-dispatch")
        self.first: dict[str, float] = {}
        self.last = 0.0

    def __call__(self, done: int, total: int, phase: str = "") -> None:
        now = time.perf_counter()
        self.first.setdefault(phase, now)
        self.last = now
        self.job(done, total, phase)

    def split(self, t0: float, t1: float) -> dict[str, float]:
        f = self.first
        return {
            "read": f["校验"] - t0,  # open the file, find the header, the owed projects
            "check": f["写入"] - f["校验"],  # parse every row, match it to its project
            "write": self.last - f["写入"],  # report_save for every row
            "commit": t1 - self.last,  # commit, the summary audit row
        }


def upload(user, data: bytes) -> tuple[Timer, dict, object]:
    from sanpi.core.audit import audit_context
    from sanpi.dispatch.sheets import month_sheet_import

    phases = Phases()
    with audit_context("web", ip="127.0.0.1"), Timer() as timer:
        t0 = time.perf_counter()
        result = month_sheet_import(
            by=user,
            year=MEASURED[0],
            month=MEASURED[1],
            data=data,
            filename="月报.xlsx",
            progress=phases,
        )
        t1 = time.perf_counter()
    return timer, phases.split(t0, t1), result


def check_submitted(n: int) -> None:
    from sanpi.core.models import AuditLog
    from sanpi.dispatch.models import MonthlyReport

    year, month = MEASURED
    got = MonthlyReport.objects.filter(year=year, month=month, status="submitted").count()
    audited = AuditLog.objects.filter(
        object_type="dispatch.monthlyreport", action="create", after__status="submitted"
    ).count()
    assert got == n and audited >= n, (got, audited, n)


def reset_month() -> None:
    """Delete the measured month's reports, so the same sheet can be uploaded again (its
    audit rows stay: the audit log is append-only)."""
    from sanpi.dispatch.models import MonthlyReport

    MonthlyReport.objects.filter(year=MEASURED[0], month=MEASURED[1]).delete()


# --- queries and profile ---------------------------------------------------------------------


def _shape(sql: str) -> str:
    """A statement with its literals and parameters blanked, its column lists elided."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"%s|\b\d+(?:\.\d+)?\b", "?", sql)
    sql = re.sub(r'"(\w+)"\."(\w+)"', r"\2", sql).replace('"', "")
    sql = re.sub(r"\bs\?_x\?\b|\bs\w+_x\d+\b", "sp", sql)  # savepoint names
    sql = re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", sql, flags=re.S)
    sql = re.sub(r"^INSERT INTO (\w+) \(.*", r"INSERT INTO \1 …", sql, flags=re.S)
    return sql if len(sql) <= 200 else sql[:200] + " …"


class QueryTimes:
    """An execute wrapper: each statement's time, to the microsecond (the debug cursor's
    times are rounded to the millisecond), grouped by shape."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.times[_shape(sql)].append(time.perf_counter() - t0)


def count_queries(user, data: bytes, rows: int) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reset_month()
    # Django keeps the last 9,000 queries; this upload makes more.
    connection.queries_log = deque(maxlen=max(connection.queries_limit, 20 * rows + 1000))
    timing = QueryTimes()
    with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timing):
        timer, _, _ = upload(user, data)
    check_submitted(rows)
    n = len(ctx.captured_queries)
    db_time = sum(sum(v) for v in timing.times.values())
    lines = [
        f"queries:   {n:,} for {rows:,} rows = {n / rows:.1f} per row (CaptureQueriesContext); "
        f"{db_time:.2f} s of the upload's {timer.wall:.2f} s in cursor.execute, "
        f"{timer.wall - db_time:.2f} s in Python",
        "  count  total s  ms each  statement",
    ]
    for shape, times in sorted(timing.times.items(), key=lambda kv: -len(kv[1])):
        lines.append(
            f"  {len(times):>5}  {sum(times):>7.3f}  {1000 * sum(times) / len(times):>7.3f}  {shape}"
        )
    return lines


def profile(user, data: bytes, rows: int) -> list[str]:
    reset_month()
    profiler = cProfile.Profile()
    profiler.enable()
    timer, _, _ = upload(user, data)
    profiler.disable()
    check_submitted(rows)
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    lines = [f"profile:   upload under cProfile {timer.wall:.2f} s ({total:.2f} s profiled)"]
    entries = stats.stats  # type: ignore[attr-defined]

    def name(func) -> str:
        path, line, fn = func
        if path == "~":  # a builtin or a C method
            return re.sub(r"<(?:built-in method|function) ([\w.]+).*>", r"\1", fn)
        for root in (str(REPO) + "/", "site-packages/"):
            if root in path:
                path = path.split(root, 1)[1]
        return f"{fn} ({path}:{line})"

    ours = [
        (ct, nc, func)
        for func, (_cc, nc, _tt, ct, _callers) in entries.items()
        if f"{REPO}/sanpi/" in func[0]
    ]
    lines.append("  cumulative, sanpi functions (s, calls):")
    for ct, nc, func in sorted(ours, key=lambda e: -e[0])[:22]:
        lines.append(f"  {ct:>7.2f} {100 * ct / total:>5.1f}%  {nc:>6}  {name(func)}")
    django = [
        (ct, nc, func)
        for func, (_cc, nc, _tt, ct, _callers) in entries.items()
        if "/django/" in func[0]
    ]
    lines.append("  cumulative, Django functions (s, calls):")
    for ct, nc, func in sorted(django, key=lambda e: -e[0])[:15]:
        lines.append(f"  {ct:>7.2f} {100 * ct / total:>5.1f}%  {nc:>6}  {name(func)}")
    own = sorted(
        ((tt, nc, func) for func, (_cc, nc, tt, _ct, _callers) in entries.items()),
        key=lambda e: -e[0],
    )
    lines.append("  own time, any function (s, calls):")
    for tt, nc, func in own[:15]:
        lines.append(f"  {tt:>7.2f} {100 * tt / total:>5.1f}%  {nc:>6}  {name(func)}")
    groups: Counter[str] = Counter()
    for func, (_cc, _nc, tt, _ct, _callers) in entries.items():
        path = func[0]
        if "django/db/" in path:
            groups["django.db (ORM, SQL compile, cursor)"] += tt
        elif "/django/" in path:
            groups["django, other"] += tt
        elif "openpyxl" in path or "et_xmlfile" in path:
            groups["openpyxl"] += tt
        elif "sqlite3" in path or "psycopg" in path or path == "~":
            groups["driver and builtins (incl. database waits)"] += tt
        elif f"{REPO}/sanpi/" in path:
            groups["sanpi"] += tt
        else:
            groups["other Python"] += tt
    lines.append("  own time by package:")
    for group, tt in groups.most_common():
        lines.append(f"  {tt:>7.2f} {100 * tt / total:>5.1f}%  {group}")
    return lines


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000, help="the county's projects")
    parser.add_argument("--repeat", type=int, default=3, help="runs, each on a fresh database")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", ""),
        help=f"PostgreSQL server (a database {BENCH_DB} is created on it); default SQLite",
    )
    parser.add_argument(
        "--no-history", action="store_true", help="no accepted reports for the earlier months"
    )
    parser.add_argument(
        "--profile", action="store_true", help=f"profile the upload even under {PROFILE_OVER_S} s"
    )
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="sanpi-bench-dispatch-"))
    # Before Django reads its settings: the data directory and the database are ours.
    os.environ["SANPI_DATA_DIR"] = str(workdir)
    os.environ.setdefault("SANPI_SECRET_KEY", "bench-dispatch-not-a-secret")
    os.environ["DATABASE_URL"] = bench_url(args.database_url, workdir, BENCH_DB)
    pg = args.database_url.startswith(("postgres://", "postgresql://"))
    out_dir = REPO / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    recreate_database(args.database_url, workdir, BENCH_DB)
    setup_django()
    from django.core.management import call_command
    from django.db import connection, connections

    from sanpi.dispatch.sheets import month_sheet

    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    year, month = MEASURED
    downloads, fills, reads, uploads, splits = [], [], [], [], []
    load_start = os.getloadavg()[0]
    try:
        for run in range(args.repeat):
            connections.close_all()
            if run:
                recreate_database(args.database_url, workdir, BENCH_DB)
            call_command("migrate", verbosity=0, interactive=False)
            made = generate(args.projects, history=not args.no_history)
            user = made["user"]
            if run == 0:
                say(
                    f"county:    离石区 ({COUNTY_CODE}): {made['projects']:,} projects in 开工 "
                    f"({made['with_code']:,} with a code), {made['enterprises']:,} enterprises, "
                    f"{made['history']:,} accepted reports of earlier months; generated in "
                    f"{made['seconds']:.1f} s (fixture data, bulk insert, ANALYZE)"
                )
                say(
                    f"database:  {_vendor(connection)}; {os.cpu_count()} CPUs, load average "
                    f"{load_start:.1f} at start; month measured {year}年{month}月; "
                    f"{args.repeat} run(s), each on a fresh database"
                )
            with Timer() as t:
                sheet = month_sheet(by=user, year=year, month=month)
            downloads.append(t)
            rows = sheet.details["rows"]
            assert rows == args.projects, (rows, args.projects)
            with Timer() as t:
                filled, n_filled = fill(sheet.data)
            fills.append(t)
            assert n_filled == rows
            reads.append(statistics.median(bare_read(filled).wall for _ in range(3)))
            timer, split, result = upload(user, filled)
            assert result.submitted == rows, result
            check_submitted(rows)
            uploads.append(timer)
            splits.append(split)
            say(
                f"run {run + 1}:     download {downloads[-1].wall:.2f} s, upload {timer.wall:.2f} s "
                f"(read {split['read']:.2f} + check {split['check']:.2f} + write "
                f"{split['write']:.2f} + commit/audit {split['commit']:.2f}), bare read "
                f"{reads[-1]:.2f} s"
            )

        def med(timers, attr="wall") -> float:
            return statistics.median(getattr(t, attr) for t in timers)

        down, up, up_cpu = med(downloads), med(uploads), med(uploads, "cpu")
        read = statistics.median(reads)
        part = {k: statistics.median(s[k] for s in splits) for k in splits[0]}
        say()
        say(f"rows:      {rows:,} ({len(sheet.data) / 1024:.0f} KiB downloaded, "
            f"{len(filled) / 1024:.0f} KiB filled)")  # fmt: skip
        say(
            f"download:  {down:.2f} s wall (CPU {med(downloads, 'cpu'):.2f} s) "
            f"= {rows / down:,.0f} rows/s: month_sheet"
        )
        say(f"fill:      {med(fills):.2f} s (openpyxl, normal mode: not part of the product)")
        say(f"bare read: {read:.2f} s: openpyxl read_only, values_only, the filled file")
        verdict = "met" if up < TARGET_S else "MISSED"
        say(
            f"upload:    {up:.2f} s wall (CPU {up_cpu:.2f} s) = {rows / up:,.0f} rows/s; "
            f"{up / read:.1f}× the bare read; target < {TARGET_S:.0f} s: {verdict}"
        )
        say(
            f"  phases:  read {part['read']:.2f} s, check {part['check']:.2f} s, write "
            f"{part['write']:.2f} s ({1000 * part['write'] / rows:.2f} ms per report_save), "
            f"commit + audit {part['commit']:.2f} s"
        )
        say()
        for line in count_queries(user, filled, rows):
            say(line)
        if args.profile or up > PROFILE_OVER_S:
            say()
            for line in profile(user, filled, rows):
                say(line)
        say()
        say(f"load average at end: {os.getloadavg()[0]:.1f}")
    finally:
        connections.close_all()
        drop_database(args.database_url, BENCH_DB)
        shutil.rmtree(workdir, ignore_errors=True)
    report = out_dir / f"dispatch-{'postgresql' if pg else 'sqlite'}-{args.projects}.txt"
    report.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written:   {report.relative_to(REPO)}")


if __name__ == "__main__":
    main()
