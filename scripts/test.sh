#!/usr/bin/env bash
# The whole suite: lint, Django checks, migrations up to date, then the tests on
# SQLite and on a real PostgreSQL server (started here, stopped afterwards if this run
# started it), end-to-end tests in headless Chromium included (on PostgreSQL). Extra arguments go to
# pytest, e.g. `bash scripts/test.sh -m "not e2e"` or `bash scripts/test.sh -k backup`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export SANPI_DATA_DIR="$PWD/var/test-data"
# whitenoise warns about a missing STATIC_ROOT; the tests serve from the finders.
mkdir -p "$SANPI_DATA_DIR/staticfiles"
unset DATABASE_URL
SECONDS=0

echo "== lint"
$BIN/ruff check .
$BIN/ruff format --check .
echo "== django checks"
$BIN/sanpi check --fail-level WARNING
$BIN/sanpi makemigrations --check --dry-run >/dev/null

# The Chromium tests drive the UI, which does not depend on the database: they run once,
# against PostgreSQL (production's database), not twice.
echo "== tests on SQLite (the Chromium tests run on PostgreSQL below)"
$BIN/pytest -q -n 2 -m "not e2e" "$@"

echo "== tests on PostgreSQL"
if ! bash scripts/pg.sh status; then
  trap 'bash scripts/pg.sh stop' EXIT
fi
bash scripts/pg.sh start
DATABASE_URL="$(bash scripts/pg.sh url)" $BIN/pytest -q -n 2 "$@"
echo "== all passed in ${SECONDS}s"
