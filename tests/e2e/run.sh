#!/usr/bin/env bash
# The e2e suite (meson test --suite e2e): the browser tests that need only kfdash,
# tests/e2e/*.test.mjs, in headless Chromium against the binary in $KFDASH_BIN (node --test,
# playwright-core from web/node_modules). Fails unless every test ran and passed: none skipped,
# at least one ran. The files in tests/e2e/stack/ need the local stack of real peers and run from
# tests/integration/stack/test_browser.py (meson test --suite stack), not from here.
# Usage: tests/e2e/run.sh [NODE]   (NODE: the node program; default node on PATH)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
node=${1:-node}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

status=0
"$node" --test --test-concurrency=1 --test-reporter=tap "$here"/*.test.mjs | tee "$out" || status=$?
if [ "$status" -ne 0 ]; then
  echo "e2e: node --test exited $status" >&2
  exit "$status"
fi
# The same checks as run_node_test in tests/integration/stack/test_browser.py.
if grep -q '# SKIP' "$out" || ! grep -qx '# skipped 0' "$out"; then
  echo 'e2e: a test skipped itself; every test here must run (the ones that need the stack live in tests/e2e/stack/)' >&2
  exit 1
fi
# A file without any test is reported as one passing test named by its path.
if grep -qx '# pass 0' "$out" || grep -qE '^ok [0-9]+ - .*\.test\.mjs$' "$out"; then
  echo 'e2e: no test ran (in at least one file)' >&2
  exit 1
fi
echo 'e2e: every test ran and passed'
