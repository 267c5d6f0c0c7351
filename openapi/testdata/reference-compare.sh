#!/usr/bin/env bash
# Runs the reference comparator, @pactflow/openapi-pact-comparator, on every case of
# testdata/corpus and checks that Treaty's findings differ from it exactly where
# expected.json says (its "reference" and "differences" fields, explained in
# DIFFERENCES.md).
#
#   openapi/testdata/reference-compare.sh            # installs the comparator in a temp dir
#   OPC_DIR=/path/with/node_modules openapi/testdata/reference-compare.sh
#
# Needs node and npm. The comparator is installed from the npm registry, never committed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=${OPC_VERSION:-2.3.1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

opc=${OPC_DIR:-}
if [[ -z "$opc" ]]; then
  opc="$work/opc"
  mkdir -p "$opc"
  (cd "$opc" && npm install --silent --no-audit --no-fund "@pactflow/openapi-pact-comparator@$version" js-yaml@4 >/dev/null 2>&1)
fi
cp "$here/reference/compare.mjs" "$opc/compare.mjs"

strict=() pactflow=()
for dir in "$here"/corpus/*/; do
  dir=${dir%/}
  if grep -q '"profile": *"pactflow"' "$dir/expected.json"; then pactflow+=("$dir"); else strict+=("$dir"); fi
done
node "$opc/compare.mjs" "${strict[@]}" > "$work/strict.json"
if ((${#pactflow[@]})); then
  QUIRKS=1 node "$opc/compare.mjs" "${pactflow[@]}" > "$work/pactflow.json"
else
  echo '{}' > "$work/pactflow.json"
fi
node -e 'const a=require(process.argv[1]),b=require(process.argv[2]);console.log(JSON.stringify({...a,...b},null,1))' \
  "$work/strict.json" "$work/pactflow.json" > "$work/reference.json"

cd "$here/../.."
TREATY_REFERENCE_RESULTS="$work/reference.json" go test -count=1 -run 'TestReference$' -v ./openapi/ | grep -v '^=== RUN'
