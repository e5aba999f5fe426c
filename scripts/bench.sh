#!/usr/bin/env bash
# `npm run bench`: sets up the toolchain (Node, npm packages, Pulumi CLI, build), then runs each benchmark under
# bench/ and prints its markdown tables (progress goes to stderr). Not part of CI. See docs/benchmarks.md.
#
#   bash scripts/bench.sh                       # every bench at full size (about 30 minutes on 2 cores)
#   BENCH_QUICK=1 bash scripts/bench.sh         # small sizes: a smoke run of a few minutes
#   bash scripts/bench.sh platform-scale        # only the named benches (emulator, sdk-load, assets, kv-scale, platform-scale, assets-deploy)
#
# The tables are also written to .wfp/bench/results.md. Sizes are set per bench through BENCH_* variables
# (documented at the top of each bench/*.ts); BENCH_QUICK=1 only changes the defaults.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
ensure_toolchain
cd "$WFP_ROOT"

benches=("$@")
[ ${#benches[@]} -gt 0 ] || benches=(emulator pacing sdk-load runtime assets kv-scale platform-scale assets-deploy)

if [ "${BENCH_QUICK:-}" = "1" ]; then
  export BENCH_GET_SECONDS="${BENCH_GET_SECONDS:-2}" BENCH_ASSET_FILES="${BENCH_ASSET_FILES:-40}"
  export BENCH_FILES="${BENCH_FILES:-1000}" BENCH_MB="${BENCH_MB:-20}" BENCH_ROUNDS="${BENCH_ROUNDS:-1}"
  export BENCH_TENANTS="${BENCH_TENANTS:-20}" BENCH_KV_MB="${BENCH_KV_MB:-200}"
fi

mkdir -p .wfp/bench
results=.wfp/bench/results.md
{
  echo "# Benchmark run $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "$(nproc) CPUs, $(node -p 'process.version'), $(pulumi version), load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')${BENCH_QUICK:+, BENCH_QUICK=1}"
} | tee "$results"

status=0
for name in "${benches[@]}"; do
  script="dist/bench/$name.js"
  if [ ! -f "$script" ]; then
    echo "[bench] no such bench: $name (expected $script)" >&2
    status=1
    continue
  fi
  echo "[bench] $name" >&2
  started=$SECONDS
  if node "$script" | tee -a "$results"; then
    echo "[bench] $name done in $((SECONDS - started)) s" >&2
  else
    echo "[bench] $name FAILED after $((SECONDS - started)) s" >&2
    status=1
  fi
done
echo "[bench] tables written to $results" >&2
exit $status
