#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests.
#
#   .ci/postgres.sh start    # idempotent; prints ONLY the DSN on stdout
#   .ci/postgres.sh stop     # stops the cluster (keeps its files for a fast restart)
#   .ci/postgres.sh destroy  # stops it and deletes its directory
#   .ci/postgres.sh dsn      # prints the DSN
#
#   DSN=$(.ci/postgres.sh start)
#
# Environment:
#   TREATY_PG_DIR   cluster directory   (default ${TMPDIR:-/tmp}/treaty-pg)
#   TREATY_PG_PORT  TCP port            (default 55432, listens on 127.0.0.1 only)
#   TREATY_PG_DB    database to create  (default treaty_test)
#
# Installs PostgreSQL with apt-get when no server binaries are present. When run
# as root, the cluster is owned by (and runs as) the `postgres` OS user. The
# cluster is tuned for speed, not durability (fsync=off etc.): never use it for
# real data.
set -euo pipefail

# All human-readable output goes to stderr; stdout is reserved for the DSN.
exec 3>&1 1>&2

PG_DIR=${TREATY_PG_DIR:-${TMPDIR:-/tmp}/treaty-pg}
PG_PORT=${TREATY_PG_PORT:-55432}
PG_DB=${TREATY_PG_DB:-treaty_test}
PG_SUPERUSER=postgres
PGDATA=$PG_DIR/data
PG_LOG=$PG_DIR/postgres.log
DSN="postgres://$PG_SUPERUSER@127.0.0.1:$PG_PORT/$PG_DB?sslmode=disable"

log() { echo "postgres.sh: $*"; }
die() { echo "postgres.sh: ERROR: $*"; exit 1; }

usage() { sed -n '2,19s/^# \{0,1\}//p' "$0"; exit 2; }

find_pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [[ -x $d/postgres ]]; then echo "$d"; fi
  done | sort -V | tail -n1
}

ensure_installed() {
  PG_BIN=$(find_pg_bin)
  if [[ -z $PG_BIN ]]; then
    [[ $(id -u) == 0 ]] || die "PostgreSQL is not installed and we are not root (apt-get install postgresql)"
    log "PostgreSQL not found; installing with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null
    apt-get install -y -qq --no-install-recommends postgresql </dev/null
    PG_BIN=$(find_pg_bin)
    [[ -n $PG_BIN ]] || die "apt-get install postgresql did not provide /usr/lib/postgresql/*/bin/postgres"
  fi
}

# Run a server-side command as the cluster owner (postgres refuses to run as root).
# fds 3 (our real stdout) and 9 (the lock) are closed so that a server started
# by pg_ctl does not inherit them: otherwise `DSN=$(postgres.sh start)` would
# never see EOF, and the lock would stay held by the postmaster.
as_owner() {
  if [[ $(id -u) == 0 ]]; then
    (cd / && exec runuser -u "$PG_SUPERUSER" -- env LC_ALL=C LANG=C "$@") 3>&- 9>&-
  else
    (cd / && exec env LC_ALL=C LANG=C "$@") 3>&- 9>&-
  fi
}

is_ready() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres -U "$PG_SUPERUSER" -t 2 >/dev/null 2>&1
}

psql_admin() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres "$@"
}

ensure_database() {
  local exists
  exists=$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'") ||
    die "cannot query the server on 127.0.0.1:$PG_PORT as $PG_SUPERUSER (is another server using that port?)"
  if [[ $exists != 1 ]]; then
    log "creating database $PG_DB"
    psql_admin -c "CREATE DATABASE \"$PG_DB\""
  fi
}

lock() {
  mkdir -p "$(dirname "$PG_DIR")"
  exec 9>"$PG_DIR.lock"
  flock -w 120 9 || die "timed out waiting for lock $PG_DIR.lock"
}

init_cluster() {
  local major
  major=$(basename "$(dirname "$PG_BIN")")
  if [[ -f $PGDATA/PG_VERSION && $(cat "$PGDATA/PG_VERSION") == "$major" ]]; then
    return 0
  fi
  if [[ -e $PG_DIR ]]; then
    log "discarding unusable cluster directory $PG_DIR"
    rm -rf "$PG_DIR"
  fi
  mkdir -p "$PG_DIR"
  if [[ $(id -u) == 0 ]]; then
    id "$PG_SUPERUSER" >/dev/null 2>&1 ||
      useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash "$PG_SUPERUSER"
    chown "$PG_SUPERUSER:" "$PG_DIR"
    as_owner test -w "$PG_DIR" ||
      die "user $PG_SUPERUSER cannot reach $PG_DIR; set TREATY_PG_DIR or TMPDIR to a world-traversable place"
  fi
  chmod 0700 "$PG_DIR"

  log "initdb $PGDATA (PostgreSQL $major)"
  as_owner "$PG_BIN/initdb" -D "$PGDATA" -U "$PG_SUPERUSER" --auth=trust \
    --encoding=UTF8 --locale=C --no-sync --no-instructions >"$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log"; die "initdb failed"; }

  as_owner tee -a "$PGDATA/postgresql.conf" >/dev/null <<EOF

# ---- treaty test cluster (.ci/postgres.sh) ----
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PGDATA'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
EOF
  # initdb --auth=trust already trusts local + loopback; make it explicit.
  as_owner tee "$PGDATA/pg_hba.conf" >/dev/null <<EOF
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
EOF
}

cmd_start() {
  ensure_installed
  lock
  if ! is_ready; then
    init_cluster
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT (data: $PGDATA, log: $PG_LOG)"
    as_owner "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t 60 -s start ||
      { tail -n 30 "$PG_LOG" 2>/dev/null || true; die "pg_ctl start failed"; }
    local i
    for ((i = 0; i < 60; i++)); do
      is_ready && break
      sleep 1
    done
    is_ready || { tail -n 30 "$PG_LOG" 2>/dev/null || true; die "server did not become ready"; }
  else
    log "already running on 127.0.0.1:$PG_PORT"
  fi
  ensure_database
  echo "$DSN" >&3
}

cmd_stop() {
  PG_BIN=$(find_pg_bin)
  [[ -n $PG_BIN ]] || { log "PostgreSQL is not installed; nothing to stop"; return 0; }
  lock
  if [[ -f $PGDATA/postmaster.pid ]] && as_owner "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
    log "stopping PostgreSQL on 127.0.0.1:$PG_PORT"
    as_owner "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 -s stop
  else
    log "not running (data: $PGDATA)"
  fi
}

cmd_destroy() {
  cmd_stop
  log "removing $PG_DIR"
  rm -rf "$PG_DIR"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  destroy) cmd_destroy ;;
  dsn) echo "$DSN" >&3 ;;
  *) usage ;;
esac
