#!/usr/bin/env bash
# A private PostgreSQL server for the test suite: `scripts/pg.sh start|stop|status|url`.
# Its cluster lives in var/pg (or, when that folder is out of the postgres user's reach,
# in /tmp/sanpi-pg-<hash of this checkout>), listens on 127.0.0.1 only, on
# $SANPI_PG_PORT (default 54329) or the next free port after it, and trusts local
# connections: a test fixture, not a production set-up. Run as root it runs the server
# as the postgres user, which initdb and postgres require.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$BIN" ]; then
  echo "PostgreSQL server not installed: run scripts/install-system-deps.sh" >&2
  exit 1
fi
IS_ROOT=0
[ "$(id -u)" -eq 0 ] && IS_ROOT=1
as_pg() {
  # from /: the checkout itself may be out of the postgres user's reach (paths are absolute)
  if [ "$IS_ROOT" -eq 1 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

mkdir -p var
DATA="$PWD/var/pg"
VAR="$PWD/var"
if [ "$IS_ROOT" -eq 1 ] && ! (cd / && runuser -u postgres -- test -x "$VAR"); then
  # e.g. a checkout under /root: postgres may not enter it.
  DATA="/tmp/sanpi-pg-$(printf '%s' "$PWD" | md5sum | cut -c1-12)"
fi
PORT_FILE="$PWD/var/pg.port"
PORT="$(cat "$PORT_FILE" 2>/dev/null || echo "${SANPI_PG_PORT:-54329}")"

running() { as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
psql_pg() { psql -X -q -h 127.0.0.1 -p "$PORT" -U postgres -d postgres "$@"; }

case "${1:-}" in
  start)
    if [ ! -f "$DATA/PG_VERSION" ]; then
      rm -rf "$DATA"
      mkdir -p "$DATA"
      if [ "$IS_ROOT" -eq 1 ]; then chown postgres: "$DATA"; fi
      chmod 700 "$DATA"
      as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! running; then
      PORT="${SANPI_PG_PORT:-54329}"
      for _ in $(seq 1 50); do
        port_busy "$PORT" || break
        PORT=$((PORT + 1))
      done
      echo "$PORT" >"$PORT_FILE"
      as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 120 \
        -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null || { tail -20 "$DATA/server.log" >&2; exit 1; }
    fi
    psql_pg -tAc "SELECT 1 FROM pg_roles WHERE rolname='sanpi'" | grep -q 1 \
      || psql_pg -c "CREATE ROLE sanpi LOGIN CREATEDB PASSWORD 'sanpi'"
    psql_pg -tAc "SELECT 1 FROM pg_database WHERE datname='sanpi'" | grep -q 1 \
      || psql_pg -c "CREATE DATABASE sanpi OWNER sanpi"
    ;;
  stop)
    as_pg "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    ;;
  status)
    running
    ;;
  url)
    echo "postgres://sanpi:sanpi@127.0.0.1:$PORT/sanpi"
    ;;
  *)
    echo "usage: $0 start|stop|status|url" >&2
    exit 2
    ;;
esac
