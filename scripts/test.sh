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
e2e_report=.wfp/vitest-e2e-report.json
e2e_log=.wfp/vitest-e2e.log
rm -f "$report" "$e2e_report" "$e2e_log"
# Lint and format check (a few seconds) beside the suites; its output comes at the end, and a failure fails the run.
lint_log=.wfp/lint.log
npm run --silent lint >"$lint_log" 2>&1 &
lint_pid=$!

status=0
suites=$SECONDS
if [ $# -eq 0 ]; then
  # A full run: the real-engine files, the longest part, in a vitest of their own from the start on the current Node,
  # beside the in-process suites on the oldest Node package.json allows (the engines floor): each Node runs the
  # provider and the emulator once. An engine run leaves part of the two cores idle while its processes start and
  # wait on each other; the in-process suites fill it. Its output follows theirs.
  floor_bin="$(fetch_node "$NODE_FLOOR_VERSION")"
  e2e_started=$SECONDS
  npx vitest run --project e2e --reporter=default --reporter=json --outputFile.json="$e2e_report" >"$e2e_log" 2>&1 &
  e2e_pid=$!
  echo "[test] the e2e project runs beside the others on Node $(node -p process.versions.node) (its output, in $e2e_log, follows theirs)"
  echo "[test] the unit, emulator and provider suites run on Node $NODE_FLOOR_VERSION (the engines floor)"
  # Two files at a time (vitest's default on two cores is one): they wait on workerd and child processes too.
  PATH="$floor_bin:$PATH" node node_modules/vitest/vitest.mjs run --project unit --project emulator --project provider --maxWorkers=2 \
    --reporter=default --reporter=json --outputFile.json="$report" || status=$?
  echo "[test] in-process suites ran in $((SECONDS - suites)) s"
  e2e=0
  wait "$e2e_pid" || e2e=$?
  cat "$e2e_log"
  echo "[test] e2e project: $([ "$e2e" -eq 0 ] && echo passed || echo FAILED) in $((SECONDS - e2e_started)) s"
  [ "$status" -ne 0 ] || status=$e2e
else
  npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
fi
echo "[test] suites ran in $((SECONDS - suites)) s; $((SECONDS - started)) s in all"

lint=0
wait "$lint_pid" || lint=$?
if [ "$lint" -ne 0 ]; then
  cat "$lint_log"
  echo "[test] npm run lint failed (exit $lint)"
  [ "$status" -ne 0 ] || status=$lint
fi

# One plain closing line that any CI log reader understands: every run's report (the e2e one when it ran).
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
' "$PWD/$report" "$PWD/$e2e_report"
exit $status
