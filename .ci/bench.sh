#!/usr/bin/env bash
# The benchmark behind `make bench`:
#   1. Go micro-benchmarks (go test -run '^$' -bench . -benchmem ./...);
#   2. for SQLite, and PostgreSQL when available: seed a large broker (cmd/treaty-bench seed),
#      start `bin/treaty serve --no-demo` on a free loopback port, and drive it from a separate
#      process with concurrent clients (cmd/treaty-bench load), one scenario after another;
#   3. the same against a broker with 1/100 of the history, to see how latency grows;
#   4. a markdown summary on stdout and in .cache/bench-results.md.
#
# Environment (all optional):
#   BENCH_SCALE=full|small       full: 200 pacticipants, 400 integrations, 100k versions, 1M
#                                verifications, 4 environments (default); small: a quick run
#   BENCH_PACTICIPANTS, BENCH_INTEGRATIONS, BENCH_VERSIONS, BENCH_VERIFICATIONS,
#   BENCH_ENVIRONMENTS           override one size
#   BENCH_GROWTH_FACTOR          the growth broker has 1/N of the versions and verifications
#                                (default 100 at full scale, 10 at small)
#   BENCH_CLIENTS=16  BENCH_DURATION=20s  BENCH_WARMUP=2s
#   BENCH_SCENARIOS              default: can-i-deploy matrix for-verification matrix-integration publish
#   BENCH_GROWTH_SCENARIOS       default: can-i-deploy matrix for-verification
#   BENCH_SERIAL_SCENARIOS       run again with one client, to show latency without queueing
#                                (default: can-i-deploy for-verification; BENCH_SERIAL_DURATION=10s)
#   BENCH_GO=0                   skip the Go micro-benchmarks; BENCH_GO_FLAGS adds go test flags
#   BENCH_POSTGRES=0             skip PostgreSQL
#   TREATY_BENCH_POSTGRES_DSN    PostgreSQL server to use (default: .ci/postgres.sh start); the
#                                benchmark works in schemas treaty_bench_full and treaty_bench_growth
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

log() { echo "bench: $*" >&2; }
die() { echo "bench: ERROR: $*" >&2; exit 1; }

# cgo: bin/treaty links libpact_ffi from .tools/lib, as in the Makefile.
if [[ -d $ROOT/.tools/lib && ${CGO_LDFLAGS:-} != *"$ROOT/.tools/lib"* ]]; then
  export CGO_ENABLED=1
  export CGO_LDFLAGS="-L$ROOT/.tools/lib -Wl,-rpath,$ROOT/.tools/lib ${CGO_LDFLAGS:-}"
  export LD_LIBRARY_PATH="$ROOT/.tools/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export PACT_GO_LIB_DOWNLOAD_PATH="$ROOT/.tools/lib"
fi

case ${BENCH_SCALE:-full} in
  full) P=200 I=400 V=100000 F=1000000 E=4 GROWTH=100 ;;
  small) P=50 I=100 V=5000 F=50000 E=4 GROWTH=10 ;;
  *) die "BENCH_SCALE must be full or small (got ${BENCH_SCALE})" ;;
esac
P=${BENCH_PACTICIPANTS:-$P} I=${BENCH_INTEGRATIONS:-$I} V=${BENCH_VERSIONS:-$V}
F=${BENCH_VERIFICATIONS:-$F} E=${BENCH_ENVIRONMENTS:-$E} GROWTH=${BENCH_GROWTH_FACTOR:-$GROWTH}
GV=$((V / GROWTH)) GF=$((F / GROWTH))
((GV >= P)) || GV=$P
CLIENTS=${BENCH_CLIENTS:-16}
DURATION=${BENCH_DURATION:-20s}
WARMUP=${BENCH_WARMUP:-2s}
SCENARIOS=${BENCH_SCENARIOS:-can-i-deploy matrix for-verification matrix-integration publish}
GROWTH_SCENARIOS=${BENCH_GROWTH_SCENARIOS:-can-i-deploy matrix for-verification}
SERIAL_SCENARIOS=${BENCH_SERIAL_SCENARIOS-can-i-deploy for-verification}
SERIAL_DURATION=${BENCH_SERIAL_DURATION:-10s}

OUT=$ROOT/.cache/bench
RESULTS=$OUT/results
mkdir -p "$OUT"
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
STATUS=0
START=$SECONDS

log "building bin/treaty and bin/treaty-bench"
go build -o bin/treaty ./cmd/treaty
go build -o bin/treaty-bench ./cmd/treaty-bench

# ---- Go micro-benchmarks --------------------------------------------------------------
GO_BENCH_ARGS=()
if [[ ${BENCH_GO:-1} != 0 ]]; then
  log "go test -run '^\$' -bench . -benchmem ./... ${BENCH_GO_FLAGS:-}"
  # shellcheck disable=SC2086 # BENCH_GO_FLAGS is a list of flags
  if ! go test -run '^$' -bench . -benchmem ${BENCH_GO_FLAGS:-} ./... 2>&1 | tee "$OUT/go-bench.txt"; then
    log "the Go benchmarks failed (see above); going on with the load benchmark"
    STATUS=1
  fi
  GO_BENCH_ARGS=(--go-bench "$OUT/go-bench.txt")
fi

if command -v node >/dev/null && command -v npm >/dev/null; then openapi/testdata/bench/run.sh | tee "$OUT/openapi-compare.md" || STATUS=1; else log "node or npm not found: skipping the comparison with @pactflow/openapi-pact-comparator (openapi/testdata/bench/run.sh)"; fi

# ---- one treaty serve at a time -------------------------------------------------------
SERVER_PID=
SERVER_URL=
stop_server() {
  if [[ -n $SERVER_PID ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap stop_server EXIT

# start_server DATABASE LOG: serve on a port the kernel picks, and read it from the log.
start_server() {
  local db=$1 logfile=$2 i
  bin/treaty serve --no-demo --database "$db" --listen 127.0.0.1:0 --log-level info >"$logfile" 2>&1 &
  SERVER_PID=$!
  SERVER_URL=
  for ((i = 0; i < 300; i++)); do
    SERVER_URL=$(grep -o 'url=http://127\.0\.0\.1:[0-9]*' "$logfile" | head -n1 | cut -d= -f2 || true)
    [[ -n $SERVER_URL ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$logfile" >&2; SERVER_PID=; die "treaty serve exited"; }
    sleep 0.2
  done
  cat "$logfile" >&2
  die "treaty serve did not start within 60s"
}

# load BACKEND LABEL MANIFEST SCENARIO CLIENTS DURATION
load() {
  if ! bin/treaty-bench load --base-url "$SERVER_URL" --manifest "$3" --scenario "$4" --clients "$5" --duration "$6" \
    --warmup "$WARMUP" --out "$RESULTS/load-$1-$2-$4-c$5.json"; then
    log "load $4 with $5 clients failed on $1/$2"
    STATUS=1
  fi
}

# measure BACKEND LABEL DATABASE VERSIONS VERIFICATIONS SCENARIO...: seed, serve, then the
# serial scenarios with one client and the given ones with $CLIENTS.
measure() {
  local backend=$1 label=$2 db=$3 versions=$4 verifications=$5
  shift 5
  local manifest=$RESULTS/seed-$backend-$label.json scenario
  log "seeding $backend/$label: $P pacticipants, $I integrations, $versions versions, $verifications verifications, $E environments"
  bin/treaty-bench seed --reset --database "$db" --manifest "$manifest" --label "$label" \
    --pacticipants "$P" --integrations "$I" --versions "$versions" --verifications "$verifications" --environments "$E"
  start_server "$db" "$OUT/serve-$backend-$label.log"
  log "treaty serve on $SERVER_URL ($backend/$label)"
  for scenario in $SERIAL_SCENARIOS; do
    load "$backend" "$label" "$manifest" "$scenario" 1 "$SERIAL_DURATION"
  done
  for scenario in "$@"; do
    load "$backend" "$label" "$manifest" "$scenario" "$CLIENTS" "$DURATION"
  done
  stop_server
}

# shellcheck disable=SC2086 # the scenario lists are word lists
measure sqlite full "$OUT/sqlite-full.db" "$V" "$F" $SCENARIOS
# shellcheck disable=SC2086
measure sqlite growth "$OUT/sqlite-growth.db" "$GV" "$GF" $GROWTH_SCENARIOS

NOTES=()
if [[ ${BENCH_POSTGRES:-1} != 0 ]]; then
  PG_DSN=${TREATY_BENCH_POSTGRES_DSN:-}
  if [[ -z $PG_DSN ]]; then
    PG_DSN=$("$ROOT/.ci/postgres.sh" start) || PG_DSN=
  fi
  if [[ -n $PG_DSN ]]; then
    with_schema() { if [[ $PG_DSN == *\?* ]]; then echo "$PG_DSN&search_path=$1"; else echo "$PG_DSN?search_path=$1"; fi; }
    # shellcheck disable=SC2086
    measure postgres full "$(with_schema treaty_bench_full)" "$V" "$F" $SCENARIOS
    # shellcheck disable=SC2086
    measure postgres growth "$(with_schema treaty_bench_growth)" "$GV" "$GF" $GROWTH_SCENARIOS
  else
    log "no PostgreSQL (set TREATY_BENCH_POSTGRES_DSN, or make .ci/postgres.sh start work); skipping it"
    NOTES+=(--note "PostgreSQL: skipped (no server).")
  fi
fi

NOTES+=(--note "Scale: ${BENCH_SCALE:-full}; $CLIENTS clients, ${DURATION} per scenario after a ${WARMUP} warm-up; growth broker: 1/$GROWTH of the history. Total run: $((SECONDS - START))s.")
bin/treaty-bench report "${GO_BENCH_ARGS[@]}" "${NOTES[@]}" --out "$ROOT/.cache/bench-results.md" "$RESULTS"/*.json
log "summary written to .cache/bench-results.md"
exit "$STATUS"
