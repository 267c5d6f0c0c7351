#!/usr/bin/env bash
# Installs the pinned Pact tooling into .tools/ (used by `make setup`), and Debian's chromium
# for the web pages' browser tests (broker/ui) when /usr/bin/chromium is missing.
#
#   .tools/pact-cli/        unpacked npm package @pact-foundation/pact-cli-linux-x64
#   .tools/bin/pact         wrapper that execs .tools/pact-cli/standalone/pact
#   .tools/lib/libpact_ffi.so   from @pact-foundation/pact-core-linux-x64-glibc (for pact-go/cgo)
#   .tools/.setup-stamp     records what is installed; a matching stamp makes this a no-op
#
# Everything comes from `npm pack` (the npm registry is the only download source).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${TREATY_TOOLS_DIR:-$ROOT/.tools}

PACT_CLI_PKG=@pact-foundation/pact-cli-linux-x64
PACT_CLI_VERSION=18.1.2
PACT_CLI_SHA1=f16390b97e377804087c39b5e6a29aee58397f28   # npm dist.shasum of the tarball

PACT_CORE_PKG=@pact-foundation/pact-core-linux-x64-glibc
PACT_CORE_VERSION=18.1.0
PACT_CORE_SHA1=898a0fe5265ac816da31763497dce5ebc6e9ace7  # npm dist.shasum of the tarball
FFI_SO_IN_TARBALL=package/prebuilds/linux-x64/libpact_ffi.so

STAMP_WANT="$PACT_CLI_PKG@$PACT_CLI_VERSION $PACT_CORE_PKG@$PACT_CORE_VERSION"
STAMP=$TOOLS/.setup-stamp

log() { echo "setup: $*" >&2; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

# ---- Chromium for the browser tests (Debian's package; needs root) ----------
# The browser tests skip without it on a workstation, and fail without it when CI is set.
if [[ ! -x /usr/bin/chromium ]]; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "apt-get install chromium (for the browser tests)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq chromium; } >/dev/null || die "apt-get install chromium failed"
    [[ -x /usr/bin/chromium ]] || die "apt-get installed chromium but /usr/bin/chromium is missing"
    log "installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
  elif [[ -n ${CI:-} && ${CI:-} != false ]]; then
    die "/usr/bin/chromium is missing and cannot be installed here (needs root and apt-get); CI runs the browser tests"
  else
    log "note: /usr/bin/chromium is missing (install Debian's chromium as root); the browser tests will be skipped"
  fi
fi

# ---- Container registry and Prometheus for the pipeline tests (Debian's packages; root) ----
# pipelines/image starts /usr/bin/docker-registry and pipelines/monitor /usr/bin/prometheus
# itself, on free loopback ports; those tests skip without them on a workstation and fail
# without them when CI is set. The packages' own services are kept from starting.
pipeline_pkgs=()
[[ -x /usr/bin/docker-registry ]] || pipeline_pkgs+=(docker-registry)
[[ -x /usr/bin/prometheus ]] || pipeline_pkgs+=(prometheus)
if (( ${#pipeline_pkgs[@]} )); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "apt-get install ${pipeline_pkgs[*]} (for the pipeline tests)"
    export DEBIAN_FRONTEND=noninteractive
    deny_rc=""
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && deny_rc=1
    fi
    rc=0
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${pipeline_pkgs[@]}"; } >/dev/null || rc=$?
    [[ -z $deny_rc ]] || rm -f /usr/sbin/policy-rc.d
    [[ $rc -eq 0 ]] || die "apt-get install ${pipeline_pkgs[*]} failed"
    [[ -x /usr/bin/docker-registry && -x /usr/bin/prometheus ]] ||
      die "apt-get installed ${pipeline_pkgs[*]} but /usr/bin/docker-registry or /usr/bin/prometheus is missing"
    log "installed $(/usr/bin/docker-registry --version 2>/dev/null | head -n1); $(/usr/bin/prometheus --version 2>&1 | head -n1)"
  elif [[ -n ${CI:-} && ${CI:-} != false ]]; then
    die "${pipeline_pkgs[*]} missing and cannot be installed here (needs root and apt-get); CI runs the pipeline tests"
  else
    log "note: ${pipeline_pkgs[*]} missing (install Debian's packages as root); the registry and Prometheus tests will be skipped"
  fi
fi

# ---- fast path ---------------------------------------------------------------
if [[ -f $STAMP && "$(head -n1 "$STAMP")" == "$STAMP_WANT" &&
      -x $TOOLS/bin/pact && -x $TOOLS/pact-cli/standalone/pact &&
      -f $TOOLS/lib/libpact_ffi.so ]]; then
  exit 0
fi

[[ "$(uname -s)/$(uname -m)" == Linux/x86_64 ]] || die "only linux/x86_64 is supported (got $(uname -s)/$(uname -m))"
command -v npm >/dev/null || die "npm is required (install Node.js)"

export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

tmp=$(mktemp -d "${TMPDIR:-/tmp}/treaty-setup.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# npm_pack SPEC SHA1 -> prints path of the downloaded tarball
npm_pack() {
  local spec=$1 want=$2 dir tgz got
  dir=$(mktemp -d "$tmp/pack.XXXXXX")
  log "npm pack $spec"
  (cd "$dir" && npm pack --silent "$spec" >/dev/null) || die "npm pack $spec failed"
  tgz=$(find "$dir" -maxdepth 1 -name '*.tgz' | head -n1)
  [[ -n $tgz ]] || die "npm pack $spec produced no tarball"
  got=$(sha1sum "$tgz" | cut -d' ' -f1)
  [[ $got == "$want" ]] || die "$spec: tarball sha1 $got, expected $want"
  echo "$tgz"
}

rm -f "$STAMP"
mkdir -p "$TOOLS/bin" "$TOOLS/lib"

# ---- Pact CLI (static-pie Rust binary: pact broker / verifier / mock / stub) --
tgz=$(npm_pack "$PACT_CLI_PKG@$PACT_CLI_VERSION" "$PACT_CLI_SHA1")
mkdir "$tmp/cli"
tar -xzf "$tgz" -C "$tmp/cli"
[[ -f $tmp/cli/package/standalone/pact ]] || die "unexpected layout in $PACT_CLI_PKG tarball"
chmod +x "$tmp/cli/package/standalone/pact"
rm -rf "$TOOLS/pact-cli"
mv "$tmp/cli/package" "$TOOLS/pact-cli"

cat >"$TOOLS/bin/pact.tmp" <<'EOF'
#!/usr/bin/env bash
# Generated by .ci/install-tools.sh: runs the Pact CLI installed in .tools/pact-cli.
export PACT_DO_NOT_TRACK=${PACT_DO_NOT_TRACK:-true}
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
exec "$here/../pact-cli/standalone/pact" "$@"
EOF
chmod +x "$TOOLS/bin/pact.tmp"
mv -f "$TOOLS/bin/pact.tmp" "$TOOLS/bin/pact"

for sub in "" broker verifier; do
  # shellcheck disable=SC2086
  "$TOOLS/bin/pact" $sub --help >/dev/null || die "'.tools/bin/pact $sub --help' failed"
done
log "installed $TOOLS/bin/pact ($PACT_CLI_PKG@$PACT_CLI_VERSION)"

# ---- libpact_ffi (linked by pact-go via cgo) ---------------------------------
tgz=$(npm_pack "$PACT_CORE_PKG@$PACT_CORE_VERSION" "$PACT_CORE_SHA1")
mkdir "$tmp/core"
tar -xzf "$tgz" -C "$tmp/core" "$FFI_SO_IN_TARBALL" || die "$FFI_SO_IN_TARBALL missing from $PACT_CORE_PKG tarball"
install -m 0755 "$tmp/core/$FFI_SO_IN_TARBALL" "$TOOLS/lib/libpact_ffi.so.tmp"
mv -f "$TOOLS/lib/libpact_ffi.so.tmp" "$TOOLS/lib/libpact_ffi.so"

# Confirm the library links/loads here and is the 0.4.x line pact-go v2 expects.
ffi_version=""
if command -v cc >/dev/null; then
  printf '#include <stdio.h>\nconst char *pactffi_version(void);\nint main(void){puts(pactffi_version());return 0;}\n' >"$tmp/v.c"
  cc "$tmp/v.c" -o "$tmp/v" -L"$TOOLS/lib" -Wl,-rpath,"$TOOLS/lib" -lpact_ffi ||
    die "cannot link a test program against $TOOLS/lib/libpact_ffi.so"
  ffi_version=$("$tmp/v")
else
  ffi_version=$(grep -aoE 'pact_verifier_cliv0\.4\.[0-9]+' "$TOOLS/lib/libpact_ffi.so" | head -n1 | sed 's/.*v//' || true)
fi
[[ $ffi_version == 0.4.* ]] || die "libpact_ffi version '${ffi_version:-unknown}' is not 0.4.x"
log "installed $TOOLS/lib/libpact_ffi.so (libpact_ffi $ffi_version from $PACT_CORE_PKG@$PACT_CORE_VERSION)"

printf '%s\nlibpact_ffi=%s\n' "$STAMP_WANT" "$ffi_version" >"$STAMP"
log "done"
