#!/usr/bin/env bash
# Runs the stack suite (pytest) against the local stack of real peers: the session starts
# tests/stack/stack.sh up in ${KFDASH_STACK_TEST_DIR:-${KFDASH_CACHE:-~/.cache/kfdash}/stack-test}
# and stops it at the end (KFDASH_STACK_KEEP=1 keeps it, KFDASH_STACK_REUSE=1 reuses a running one).
set -euo pipefail
root=${KFDASH_SOURCE_ROOT:-$(cd "$(dirname "$0")/../../.." && pwd)}
python=$("$root/tools/venv.sh" "$root/tests/requirements.txt")
cd "$root/tests/integration/stack"
exec "$python" -m pytest -q -p no:cacheprovider "$@" .
