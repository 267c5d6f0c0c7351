#!/usr/bin/env bash
# Times Treaty's pact-vs-OpenAPI comparison and the reference comparator's
# (@pactflow/openapi-pact-comparator, under Node) in the same run, on the same inputs: this
# directory's openapi.json (300 paths, 452 schemas) and pact.json (300 interactions).
#
#   cold  a new process per sample. "work" is the time from the inputs' text in memory to
#         the findings: Treaty's Load (parse, checks, kin-openapi's validation), ParsePact
#         and Compare (whose first call compiles the document); the reference's JSON.parse,
#         new Comparator and compare (whose first call compiles its schemas). "process" is
#         the wall time of the whole process: start-up, loading the code, reading the files.
#   warm  one process per tool and round: the document compiled and the pact parsed,
#         BENCH_WARMUP comparisons to warm up (Node's JIT too), then BENCH_WARM timed ones.
#
# The machine may be busy: rounds alternate which tool goes first, figures are medians over
# every sample of every round, and the spread is shown as p10–p90 of the samples and the
# range of the rounds' medians.
#
#   openapi/testdata/bench/run.sh
#   OPC_DIR=/dir/with/node_modules openapi/testdata/bench/run.sh   # an installed comparator
#
# Environment: BENCH_ROUNDS (5), BENCH_COLD (cold samples per tool and round: 4),
# BENCH_WARMUP (50), BENCH_WARM (warm samples per tool and round: 40), OPC_VERSION (2.3.1).
# Needs go, node and npm; the comparator is fetched from the npm registry with npm pack into
# a temporary directory, never committed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
rounds=${BENCH_ROUNDS:-5} cold=${BENCH_COLD:-4} warmup=${BENCH_WARMUP:-50} warm=${BENCH_WARM:-40}
version=${OPC_VERSION:-2.3.1}

log() { echo "bench-openapi: $*" >&2; }
for tool in go node npm; do
  command -v "$tool" >/dev/null || { log "$tool is not installed"; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

opc=${OPC_DIR:-}
if [[ -z $opc ]]; then
  log "fetching @pactflow/openapi-pact-comparator@$version (npm pack)"
  opc=$work/opc
  pkg=$opc/node_modules/@pactflow/openapi-pact-comparator
  mkdir -p "$pkg"
  (cd "$work" && npm pack --silent "@pactflow/openapi-pact-comparator@$version" >/dev/null)
  tar -xzf "$work"/pactflow-openapi-pact-comparator-*.tgz -C "$pkg" --strip-components=1
  # 2.x bundles its dependencies; install them if a version does not.
  if node -e 'process.exit(Object.keys(require(process.argv[1]).dependencies || {}).length ? 0 : 1)' "$pkg/package.json"; then
    (cd "$pkg" && npm install --silent --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
  fi
fi

log "building treatybench"
(cd "$root" && go build -o "$work/treatybench" ./openapi/testdata/bench/treatybench)

now() { date +%s%N; }

# sample TOOL MODE ARGS...: run one process, append its samples to $work/TOOL-MODE, its wall
# time (cold) to $work/TOOL-process, its round median to $work/TOOL-MODE-rounds (warm), and
# its findings to $work/findings.
sample() {
  local tool=$1 mode=$2 out start end
  shift 2
  start=$(now)
  case $tool in
    treaty) out=$("$work/treatybench" "$mode" "$here" "$@") ;;
    reference) out=$(cd "$here" && OPC_DIR=$opc node bench.mjs "$mode" "$@") ;;
  esac
  end=$(now)
  sed -E 's/.*"ms":\[([^]]*)\].*/\1/' <<<"$out" | tr ',' '\n' >>"$work/$tool-$mode"
  sed -E 's/.*"findings":([0-9]+).*/\1/' <<<"$out" >>"$work/findings-$tool"
  if [[ $mode == cold ]]; then
    awk -v ns=$((end - start)) 'BEGIN { printf "%.3f\n", ns / 1e6 }' >>"$work/$tool-process"
  else
    sed -E 's/.*"ms":\[([^]]*)\].*/\1/' <<<"$out" | tr ',' '\n' | sort -g |
      awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' >>"$work/$tool-warm-rounds"
  fi
}

for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then order="treaty reference"; else order="reference treaty"; fi
  log "round $r of $rounds ($order)"
  for tool in $order; do
    for ((i = 0; i < cold; i++)); do sample "$tool" cold; done
  done
  for tool in $order; do sample "$tool" warm "$warmup" "$warm"; done
done

# stats FILE: median, p10, p90 and count of the samples in FILE.
stats() {
  sort -g "$1" | awk '{ v[NR] = $1 }
    function at(p) { i = int(p * NR + 0.5); if (i < 1) i = 1; if (i > NR) i = NR; return v[i] }
    END { print v[int((NR + 1) / 2)], at(0.1), at(0.9), NR }'
}
# cell FILE: "median ms (p10–p90)"
cell() {
  read -r med p10 p90 _ < <(stats "$1")
  awk -v m="$med" -v a="$p10" -v b="$p90" 'BEGIN {
    f = (m < 10) ? "%.2f" : (m < 100) ? "%.1f" : "%.0f"
    printf f " ms (" f "–" f ")", m, a, b }'
}
median() { stats "$1" | cut -d' ' -f1; }
ratio() { awk -v t="$(median "$1")" -v r="$(median "$2")" 'BEGIN { printf "%.1f×", r / t }'; }
range() { sort -g "$1" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f–%.2f ms", lo, hi }'; }

tf=$(sort -u "$work/findings-treaty" | tr '\n' ' ') rf=$(sort -u "$work/findings-reference" | tr '\n' ' ')
cat <<EOF

## Pact vs OpenAPI comparison: Treaty and @pactflow/openapi-pact-comparator $version

300-path document, 300-interaction pact; $rounds rounds; per tool and round $cold cold processes
and one warm process ($warmup comparisons to warm up, then $warm timed). Median (p10–p90).
Node $(node --version), $(go version | cut -d' ' -f3), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg).

| | Treaty | reference | reference ÷ Treaty |
|---|---|---|---|
| cold, work | $(cell "$work/treaty-cold") | $(cell "$work/reference-cold") | $(ratio "$work/treaty-cold" "$work/reference-cold") |
| cold, whole process | $(cell "$work/treaty-process") | $(cell "$work/reference-process") | $(ratio "$work/treaty-process" "$work/reference-process") |
| warm | $(cell "$work/treaty-warm") | $(cell "$work/reference-warm") | $(ratio "$work/treaty-warm" "$work/reference-warm") |

Warm medians of the rounds: Treaty $(range "$work/treaty-warm-rounds"), reference $(range "$work/reference-warm-rounds").
Findings: Treaty ${tf% }, reference ${rf% } (the pact is compatible: both should find none).
EOF
