#!/usr/bin/env bash
# `make bench`, applications on hosts of their own (apps.domain): what the hand-over costs when a
# browser opens a notebook, and whether the proxied path is as fast on the application's host as
# it was on the dashboard's origin. Two kfdash processes side by side, signed in through the
# stack's real Dex: one with apps.domain=localhost, one without (path mode).
#   1. opening alice/nb1 from a link, BENCH_ROUNDS times each, a fresh connection per round:
#      the dashboard's 302 with a code, the host's 302 that trades it for its cookie, then
#      Jupyter's answer, next to Jupyter's answer straight from the dashboard's origin (ms);
#   2. /notebook/alice/nb1/api/status with wrk -t2 keep-alive at BENCH_CONNS connections: on the
#      application's host (its cookie) and on the dashboard's origin (the session cookie): req/s,
#      p50, p99 and kfdash's CPU per request.
#
#   tests/bench/apps.sh [path/to/kfdash]   (default: build-release/kfdash)
#
# The peers: the stack of $KFDASH_STACK_DIR/env when KFDASH_STACK_DIR is set (used as it is and
# left running), else one of its own (stack.sh up), stopped and purged at the end. kfdash listens
# on 127.0.0.1:18558 and :18559, whose /auth/callback the stack's Dex accepts. Figures are
# printed, never compared with a budget. Logs: build-release/apps-*.log.
# Knobs: BENCH_DURATION (s per wrk run, default 8), BENCH_CONNS ("64"), BENCH_ROUNDS (200).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-$ROOT/build-release/kfdash}
DURATION=${BENCH_DURATION:-8}
CONNS=${BENCH_CONNS:-64}
ROUNDS=${BENCH_ROUNDS:-200}
APPS_PORT=18559
PATH_PORT=18558
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"
bench_init apps curl wrk python3 jq
bench_stack_pick
py=$("$ROOT/tools/venv.sh" "$ROOT/tests/requirements.txt")
bench_stack_up
[[ -n ${JUPYTER_ALICE_NB1_PID:-} && -n ${DEX_ISSUER:-} ]] || die "$KFDASH_STACK_DIR/env has no Jupyter or Dex"
jpid=$JUPYTER_ALICE_NB1_PID
peer_ticks() { cpu_ticks "$jpid"; }
LOAD_START=$(load)

# kfdash ARGS... on PORT: signs in through Dex; its pid in the named variable. One user makes
# every request: the per-user limits are lifted (429 past 200 requests/s by default).
start() { # VAR PORT ARGS...
  local var=$1 port=$2 log=$LOGS/apps-kfdash-$2.log i
  mkdir -p "$TMP/state-$port"
  KFDASH_OIDC_CLIENT_SECRET=$DEX_CLIENT_SECRET "$BIN" --listen "127.0.0.1:$port" --access-log false \
    --state-dir "$TMP/state-$port" --oidc-issuer "$DEX_ISSUER" --oidc-client-id "$DEX_CLIENT_ID" \
    --kube-api "$KFDASH_APISERVER" --kube-token-file "$KFDASH_STACK_KFDASH_TOKEN_FILE" \
    --kube-ca-file "$KFDASH_STACK_CA" --connect-to "$KFDASH_CONNECT_TO" \
    --user-requests-per-s 1000000 --user-requests-in-flight 100000 "${@:3}" 2>"$log" &
  printf -v "$var" '%s' $!
  for ((i = 0; i < 600; i++)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true) == 200 ]] && return 0
    kill -0 "${!var}" 2>/dev/null || { tail -n 20 "$log" >&2; die "kfdash on $port exited"; }
    sleep 0.1
  done
  die "kfdash on $port not ready"
}
start apps_pid $APPS_PORT --apps-domain localhost --public-url "http://127.0.0.1:$APPS_PORT"
start path_pid $PATH_PORT
bench_on_exit() { kill -TERM "$apps_pid" "$path_pid" 2>/dev/null || true; wait 2>/dev/null || true; }

say "opening alice/nb1 $ROUNDS times through each"
KFDASH_BENCH_PASSWORD=$KFDASH_DEMO_PASSWORD_ALICE "$py" "$HERE/apps_handover.py" \
  "http://127.0.0.1:$APPS_PORT" "http://127.0.0.1:$PATH_PORT" alice@example.com \
  KFDASH_BENCH_PASSWORD "$ROUNDS" "$TMP/handover.json" 2>"$LOGS/apps-handover.log" ||
  die "the hand-over failed: see $LOGS/apps-handover.log"

lua=$TMP/get.lua
echo "dofile(\"$HERE/report.lua\")" >"$lua"
app_cookie=$(jq -r .app_cookie "$TMP/handover.json")
path_cookie=$(jq -r .path_cookie "$TMP/handover.json")
NB=/notebook/alice/nb1/api/status
declare -A got
for conns in $CONNS; do
  bench_sides
  for side in "${SIDES[@]}"; do
    if [[ $side == direct ]]; then # the dashboard's origin (path mode)
      kpid=$path_pid
      got[path-$conns]=$(bench_measure "http://127.0.0.1:$PATH_PORT$NB" "$conns" "$lua" \
        -H "Cookie: kfdash_session=$path_cookie")
    else
      kpid=$apps_pid
      got[apps-$conns]=$(bench_measure "http://127.0.0.1:$APPS_PORT$NB" "$conns" "$lua" \
        -H "Host: nb-alice--nb1.localhost:$APPS_PORT" -H "Cookie: kfdash_app=$app_cookie")
    fi
  done
done
kpid=""
LOAD_END=$(load)

echo
echo "== applications on hosts of their own: opening one, and the proxied path"
bench_machine
echo
echo "opening alice/nb1 from a link, $ROUNDS rounds each, fresh connections; ms p50 / p90 / p99"
jq -r '.ms | to_entries[] | "  \(.key)\t\(.value.p50) / \(.value.p90) / \(.value.p99)"' "$TMP/handover.json" |
  column -t -s $'\t'
echo "  (apps_total = dashboard_302 + host_302 + application; path_total: the answer on the dashboard's origin)"
echo
printf 'GET %s, wrk -t2 keep-alive, %s s; req/s, p50/p99 ms, kfdash and Jupyter CPU us per request\n' "$NB" "$DURATION"
for conns in $CONNS; do
  for side in path apps; do
    read -r rps p50 p99 kus pus err <<<"${got[$side-$conns]}"
    printf '  %-32s %4s conns  %8s req/s  %6s / %-7s  kfdash %4s us  jupyter %5s us  %s\n' \
      "$([[ $side == apps ]] && echo "application host (kfdash_app)" || echo "dashboard origin (session)")" \
      "$conns" "$rps" "$p50" "$p99" "$kus" "$pus" "$([[ $err == - ]] && echo "" || echo "$err")"
  done
  read -r a _ <<<"${got[apps-$conns]}"
  read -r p _ <<<"${got[path-$conns]}"
  echo "  ratio application host / dashboard origin at $conns: $(ratio "$a" "$p")"
done
bench_busy_note
