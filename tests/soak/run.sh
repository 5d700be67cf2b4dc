#!/usr/bin/env bash
# `make soak`: mixed traffic against kfdash and the stack's real peers for SOAK_DURATION seconds
# (default 1800), with throughput, p99, RSS, open fds and the database's size sampled every
# SOAK_INTERVAL seconds (default 30; 5 for runs of 5 minutes or less); fails on growth that does
# not level off, on more than 0.1 % failed requests, or on kfdash not exiting cleanly. What the
# traffic is and the growth rule: tests/soak/soak.py's header.
#
#   tests/soak/run.sh [path/to/kfdash]   (default: build-release/kfdash; a copy in a temporary
#                                        directory is what runs, so rebuilds do not disturb it)
#
# The peers: the stack of $KFDASH_STACK_DIR/env when KFDASH_STACK_DIR is set (used as it is and
# left running), else one of its own (tests/stack/stack.sh up, state in
# ~/.cache/kfdash/stack-soak, its sign-in ports from KFDASH_SIGNIN_PORT_BASE, default 18700),
# stopped and purged at the end.
# Written: build-release/soak.txt (the output), soak.svg (the plot; SOAK_SVG), soak.csv (the
# samples; SOAK_CSV), soak-kfdash.log (kfdash's log), soak-stack.log (an own stack's start).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-$ROOT/build-release/kfdash}
# shellcheck source-path=SCRIPTDIR source=../bench/lib.sh
source "$ROOT/tests/bench/lib.sh"
bench_init soak python3 curl
die() { echo "soak: $*" >&2; exit 1; }
say() { echo "soak: $*" >&2; }

if [[ -n ${KFDASH_STACK_DIR:-} ]]; then
  bench_stack_pick
else
  export KFDASH_STACK_DIR=${KFDASH_CACHE:-$HOME/.cache/kfdash}/stack-soak
  # Dex accepts kfdash's sign-in on five ports from here: apart from the stack suite's (18555).
  export KFDASH_SIGNIN_PORT_BASE=${KFDASH_SIGNIN_PORT_BASE:-18700}
  OWN_STACK=1
fi
bench_stack_up
[[ -n ${MLFLOW_URL:-} && -n ${KFDASH_CONNECT_TO:-} && -n ${DEX_ISSUER:-} ]] ||
  die "$KFDASH_STACK_DIR/env has no MLflow, Dex or --connect-to mapping: a stack from tests/stack/stack.sh up is needed"

cp "$BIN" "$TMP/kfdash"
py=$("$ROOT/tools/venv.sh" "$ROOT/tests/requirements.txt")
rc=0
"$py" -u "$HERE/soak.py" --env "$KFDASH_STACK_DIR/env" --bin "$TMP/kfdash" \
  --svg "${SOAK_SVG:-$LOGS/soak.svg}" --csv "${SOAK_CSV:-$LOGS/soak.csv}" --log "$LOGS/soak-kfdash.log" \
  2>&1 | tee "$LOGS/soak.txt" || rc=$?
exit "$rc"
