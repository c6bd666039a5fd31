#!/usr/bin/env bash
# A private PostgreSQL server for the test suite: `scripts/pg.sh start|stop|url`.
# Its cluster lives in var/pg, listens on 127.0.0.1:$SANPI_PG_PORT (default 54329) and
# trusts local connections; it is a test fixture, not a production set-up.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${SANPI_PG_PORT:-54329}"
DATA="$PWD/var/pg"
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-}" in
  start)
    mkdir -p var
    if [ ! -f "$DATA/PG_VERSION" ]; then
      mkdir -p "$DATA"
      [ "$(id -u)" -eq 0 ] && chown postgres "$DATA"
      as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
      as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
        -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
    fi
    psql -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname='sanpi'" | grep -q 1 \
      || psql -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE ROLE sanpi LOGIN CREATEDB PASSWORD 'sanpi'"
    psql -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='sanpi'" | grep -q 1 \
      || psql -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE DATABASE sanpi OWNER sanpi"
    ;;
  stop)
    as_pg "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    ;;
  url)
    echo "postgres://sanpi:sanpi@127.0.0.1:$PORT/sanpi"
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2; exit 2;;
esac
