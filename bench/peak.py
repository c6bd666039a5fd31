"""Measuring one piece of work in a fresh interpreter, so its peak memory is its own.

A process's peak resident set size never goes down: measured in the benchmark's own
process it would include the generator, the database fill and every earlier run. So
each measurement runs as ``python bench/<script>.py --child WHAT …`` in a new process,
which does its work and prints one JSON line with its times and its peak RSS (VmHWM,
read from /proc/self/status at the end; ``ru_maxrss`` where there is no /proc).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


class Timer:
    """Wall-clock and this process's CPU seconds of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def peak_rss_kib() -> int:
    """This process's peak resident set size so far, in KiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS


def child_report(**figures) -> None:
    """The child's last word: its figures and its peak RSS, one JSON line on stdout."""
    print(json.dumps({**figures, "peak_kib": peak_rss_kib()}), flush=True)


def run_child(script: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    """Run ``script --child *args`` in a fresh interpreter; the JSON it reported."""
    proc = subprocess.run(
        [sys.executable, str(script), "--child", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"{script.name} --child {' '.join(args)} failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def mb(kib: float) -> str:
    """KiB (as the kernel counts) in MB (10⁶ bytes, as the targets are written)."""
    return f"{kib * 1024 / 1e6:,.0f} MB"
