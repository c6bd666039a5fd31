"""Approvals past their limit for a county and a zone officer at national scale, on the
database bench_cockpit.py keeps (run it with --keep first):

    .venv/bin/python bench/bench_overdue.py --database-url "$(bash scripts/pg.sh url)" [--repeat 10]

Prints, per user, the p50 of the overdue count (`approvals.selectors.overdue_items`: a
range of the stored deadline, scoped by a join since core.scope.restrict joins forward
foreign keys) and of the overdue list with every item's clock (`overdue_rows`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_cockpit import BENCH_DB  # noqa: E402
from bench_import import setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    os.environ["SANPI_DATA_DIR"] = tempfile.mkdtemp(prefix="sanpi-bench-overdue-")
    os.environ.setdefault("SANPI_SECRET_KEY", "bench-overdue-not-a-secret")
    os.environ["DATABASE_URL"] = urlunsplit(
        urlsplit(args.database_url)._replace(path=f"/{BENCH_DB}")
    )
    setup_django()
    from sanpi.accounts.models import User
    from sanpi.approvals.selectors import overdue_items, overdue_rows

    for name in ("bench_county", "bench_zone"):
        user = User.objects.get(username=name)
        count = overdue_items(user=user).count()
        overdue_rows(user=user)  # warm
        counts, lists = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            overdue_items(user=user).count()
            counts.append(time.perf_counter() - t)
            t = time.perf_counter()
            overdue_rows(user=user)
            lists.append(time.perf_counter() - t)
        print(f"{name}: {count} overdue; count p50 {statistics.median(counts) * 1000:.1f} ms, "
              f"list with clocks p50 {statistics.median(lists) * 1000:.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
