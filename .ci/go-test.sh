#!/usr/bin/env bash
# Runs `go test "$@"`, streaming its output unchanged, then prints a summary of
# package results (ok / FAIL / no test files). Exits with go test's status.
set -uo pipefail

out=$(mktemp "${TMPDIR:-/tmp}/treaty-gotest.XXXXXX")
trap 'rm -f "$out"' EXIT

go test "$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}

ok=$(grep -cE '^ok[[:space:]]' "$out")
failed=$(grep -E '^FAIL[[:space:]]+[^[:space:]]+[[:space:]]' "$out" | awk '{print $2}' | sort -u)
nfailed=$(grep -c . <<<"$failed")
notests=$(grep -cE '^\?[[:space:]].*\[no test files\]' "$out")

echo
echo "==> go test summary: $ok ok, $nfailed failed, $notests without tests"
if [[ -n $failed ]]; then
  sed 's/^/    FAIL /' <<<"$failed"
fi
if [[ $status -ne 0 && -z $failed ]]; then
  echo "    go test exited with status $status (build failure or timeout; see output above)"
fi
exit "$status"
