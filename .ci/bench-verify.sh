#!/usr/bin/env bash
# Verification speed: `treaty verify` against the official `pact verifier` (the same Rust
# engine), on one pact of several hundred interactions and one fast local provider, in the
# same run. The two commands alternate over several rounds; the report gives each one's median
# wall time and the ratio treaty/pact. Treaty's target is a ratio of at most 1.10.
#
#   .ci/bench-verify.sh [--interactions 400] [--rounds 3] [--runs 3] [--enforce]
#
# --enforce exits 1 when the ratio is over the target. hyperfine times the runs when it is
# installed (apt-get install -y hyperfine); otherwise a loop around `date +%s%N` does.
# Needs `make setup` (the pact CLI and libpact_ffi in .tools/).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
INTERACTIONS=400
ROUNDS=3
RUNS=3 # runs of each command per round
TARGET=1.10
ENFORCE=false

usage() { sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --interactions) INTERACTIONS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --enforce) ENFORCE=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench-verify: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

log() { echo "bench-verify: $*" >&2; }
die() { echo "bench-verify: ERROR: $*" >&2; exit 2; }

# The Makefile's cgo settings, for running this script on its own.
TOOLS_LIB=$ROOT/.tools/lib
export CGO_ENABLED=1
export CGO_LDFLAGS="-L$TOOLS_LIB -Wl,-rpath,$TOOLS_LIB ${CGO_LDFLAGS:-}"
export LD_LIBRARY_PATH=$TOOLS_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PACT_DO_NOT_TRACK=true
PACT_CLI=${PACT_CLI:-$ROOT/.tools/bin/pact}
[[ -x $PACT_CLI && -f $TOOLS_LIB/libpact_ffi.so ]] || die "run make setup first (no $PACT_CLI or $TOOLS_LIB/libpact_ffi.so)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-verify.XXXXXX")
provider_pid=
cleanup() {
  if [[ -n $provider_pid ]]; then kill "$provider_pid" 2>/dev/null || true; wait "$provider_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

log "building treaty and bench-provider"
(cd "$ROOT" && go build -o "$tmp/treaty" ./cmd/treaty && go build -o "$tmp/bench-provider" ./examples/bench-provider)
"$tmp/bench-provider" --write-pact "$tmp/bench.json" --interactions "$INTERACTIONS"

"$tmp/bench-provider" --listen 127.0.0.1:0 >"$tmp/provider.out" 2>"$tmp/provider.err" &
provider_pid=$!
url=
for _ in $(seq 100); do
  url=$(sed -n 's/^bench-provider listening on \(http:\/\/[^ ]*\)$/\1/p' "$tmp/provider.out")
  [[ -n $url ]] && break
  kill -0 "$provider_pid" 2>/dev/null || die "bench-provider exited: $(cat "$tmp/provider.err")"
  sleep 0.05
done
[[ -n $url ]] || die "bench-provider did not say where it listens"
port=${url##*:}

treaty_cmd="$tmp/treaty verify --provider bench-provider --provider-base-url $url --pact-file $tmp/bench.json"
pact_cmd="$PACT_CLI verifier --file $tmp/bench.json --hostname 127.0.0.1 --port $port --provider-name bench-provider"

# Both must verify every interaction, or the timings compare different work.
$treaty_cmd >"$tmp/treaty.out" 2>&1 || die "treaty verify failed:
$(tail -20 "$tmp/treaty.out")"
grep -q "$INTERACTIONS of $INTERACTIONS interactions verified" "$tmp/treaty.out" || die "treaty verify did not verify $INTERACTIONS interactions"
$pact_cmd >"$tmp/pact.out" 2>&1 || die "pact verifier failed:
$(tail -20 "$tmp/pact.out")"

: >"$tmp/treaty.ms"
: >"$tmp/pact.ms"
if command -v hyperfine >/dev/null; then
  log "timing with $(hyperfine --version): $ROUNDS rounds of $RUNS runs each, alternating the order"
  for round in $(seq "$ROUNDS"); do
    if (( round % 2 )); then first=$treaty_cmd second=$pact_cmd; else first=$pact_cmd second=$treaty_cmd; fi
    hyperfine -N --style none --warmup 1 --runs "$RUNS" --export-json "$tmp/round.json" "$first" "$second" >/dev/null
    jq -r --arg t "$treaty_cmd" '.results[] | select(.command == $t) | .times[] * 1000' "$tmp/round.json" >>"$tmp/treaty.ms"
    jq -r --arg t "$treaty_cmd" '.results[] | select(.command != $t) | .times[] * 1000' "$tmp/round.json" >>"$tmp/pact.ms"
  done
else
  log "timing with date +%s%N (hyperfine is not installed): $((ROUNDS * RUNS)) alternating runs of each"
  time_ms() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 1000 ))" | awk '{ printf "%.3f\n", $1 / 1000 }'
  }
  $treaty_cmd >/dev/null 2>&1; $pact_cmd >/dev/null 2>&1 # warm-up
  for i in $(seq $((ROUNDS * RUNS))); do
    if (( i % 2 )); then
      time_ms $treaty_cmd >>"$tmp/treaty.ms"; time_ms $pact_cmd >>"$tmp/pact.ms"
    else
      time_ms $pact_cmd >>"$tmp/pact.ms"; time_ms $treaty_cmd >>"$tmp/treaty.ms"
    fi
  done
fi

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
treaty_ms=$(median "$tmp/treaty.ms")
pact_ms=$(median "$tmp/pact.ms")
n=$(wc -l <"$tmp/treaty.ms")
ratio=$(awk -v a="$treaty_ms" -v b="$pact_ms" 'BEGIN { printf "%.3f", a / b }')
verdict=$(awk -v r="$ratio" -v t="$TARGET" 'BEGIN { print (r <= t) ? "within" : "OVER" }')

printf '\nVerifying %d interactions against a local provider (%d runs of each, median wall time):\n' "$INTERACTIONS" "$n"
printf '  treaty verify   %9.1f ms\n' "$treaty_ms"
printf '  pact verifier   %9.1f ms\n' "$pact_ms"
printf '  ratio treaty/pact %.3f: %s the target of %s\n' "$ratio" "$verdict" "$TARGET"

if [[ $ENFORCE == true && $verdict == OVER ]]; then
  exit 1
fi
