#!/usr/bin/env bash
# The whole suite: lint, Django checks, migrations up to date, then the tests on
# SQLite and on a real PostgreSQL server (started here), e2e in headless Chromium included.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export SANPI_DATA_DIR="$PWD/var/test-data"
mkdir -p "$SANPI_DATA_DIR"

echo "== lint"
$BIN/ruff check .
$BIN/ruff format --check .
echo "== django checks"
$BIN/sanpi check --fail-level WARNING
$BIN/sanpi makemigrations --check --dry-run >/dev/null

echo "== tests on SQLite"
$BIN/pytest -q -n 2 "$@"

echo "== tests on PostgreSQL"
bash scripts/pg.sh start
trap 'bash scripts/pg.sh stop' EXIT
DATABASE_URL="$(bash scripts/pg.sh url)" $BIN/pytest -q -n 2 "$@"
