#!/usr/bin/env bash
# The README's test command (`npm test`): sets up the toolchain, builds, lints, and runs every suite.
# Arguments are passed to vitest, e.g. `npm test -- --project unit`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/toolchain.sh"
started=$SECONDS
ensure_toolchain
echo "[test] toolchain ready in $((SECONDS - started)) s"

cd "$WFP_ROOT"
# Real-engine projects of earlier runs (each keeps its backend for debugging until the next run).
rm -rf .wfp/e2e
mkdir -p .wfp
report=.wfp/vitest-report.json
rm -f "$report"
# Lint and format check first (a few seconds); a failure fails the run, but the suites still run.
lint=0
npm run --silent lint || lint=$?
status=0
suites=$SECONDS
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
echo "[test] suites ran in $((SECONDS - suites)) s; $((SECONDS - started)) s in all"

# The engines floor: the unit suite and the emulator's API suite once more on the oldest Node package.json allows
# (about 20 s), on a full run or with WFP_TEST_FLOOR=1. The runtime, browser and wrangler files are left out: they
# test workerd, Chromium and wrangler, not the Node they run on.
floor=0
floor_report=.wfp/vitest-floor-report.json
rm -f "$floor_report"
if [ "${WFP_TEST_FLOOR:-$([ $# -eq 0 ] && echo 1 || echo 0)}" = 1 ]; then
  floor_bin="$(fetch_node "$NODE_FLOOR_VERSION")"
  mapfile -t floor_files < <(ls test/emulator/*.test.ts | grep -v -e '/runtime' -e '/wrangler' -e '/browser')
  floor_started=$SECONDS
  PATH="$floor_bin:$PATH" node node_modules/vitest/vitest.mjs run --project unit --project emulator \
    --reporter=default --reporter=json --outputFile.json="$floor_report" test/unit/ "${floor_files[@]}" ||
    floor=$?
  echo "[test] unit and emulator API suites on Node $NODE_FLOOR_VERSION (the engines floor): $([ "$floor" -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - floor_started)) s"
  [ "$status" -ne 0 ] || status=$floor
fi
if [ "$lint" -ne 0 ]; then
  echo "[test] npm run lint failed (exit $lint)"
  [ "$status" -ne 0 ] || status=$lint
fi

# One plain closing line that any CI log reader understands: both runs (the floor's when it ran).
if [ -f "$report" ]; then
  node -e '
    const fs = require("node:fs");
    let passed = 0, failed = 0, skipped = 0;
    for (const file of process.argv.slice(1).filter((f) => fs.existsSync(f))) {
      const r = JSON.parse(fs.readFileSync(file, "utf8"));
      // A file whose set-up failed has no failed test of its own (its tests are skipped): count it as a failure.
      const broken = r.testResults.filter((f) => f.status === "failed" && !f.assertionResults.some((t) => t.status === "failed")).length;
      passed += r.numPassedTests;
      failed += r.numFailedTests + broken;
      skipped += r.numPendingTests + r.numTodoTests;
    }
    console.log(`Tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$PWD/$report" "$PWD/$floor_report"
fi
exit $status
