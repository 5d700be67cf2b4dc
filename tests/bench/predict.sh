#!/usr/bin/env bash
# `make bench`, predictions through kfdash: a V2 infer call to the stack's seeded endpoint
# alice/iris-classifier (MLServer 1.7.1 with its MLflow runtime, the iris model of the stack's
# MLflow), through kfdash's /serving/alice/iris-classifier/v2/models/iris-classifier/infer and
# straight to MLServer: wrk -t2 keep-alive POSTs at 16 and 64 connections, with a batch of 1 row
# and of 100 rows: req/s, p50, p99, the ratio kfdash/direct (issue #7's goal: >= 0.6) and each
# process's CPU time per request.
#
#   tests/bench/predict.sh [path/to/kfdash]   (default: build-release/kfdash)
#
# The peers: the stack of $KFDASH_STACK_DIR/env when KFDASH_STACK_DIR is set (used as it is and
# left running), else one of its own (tests/stack/stack.sh up, state in
# ~/.cache/kfdash/stack-bench-predict), stopped and purged at the end. kfdash reads the
# InferenceService as its ServiceAccount (then remembers the address 5 s), reaches its cluster
# address through --connect-to and takes the user from the trusted gateway's kubeflow-userid
# header (no sign-in in the figures). Figures are printed, never compared with a budget; the
# script fails when something does not start, kfdash and MLServer predict differently, or more
# than 1 % of a run's answers are not 2xx. Logs: build-release/predict-*.log.
# Knobs: BENCH_DURATION (s per wrk run, default 8), BENCH_CONNS ("16 64"), BENCH_BATCHES ("1 100"),
# BENCH_THREADS (kfdash --threads, default 0: one per CPU).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-$ROOT/build-release/kfdash}
DURATION=${BENCH_DURATION:-8}
CONNS=${BENCH_CONNS:-"16 64"}
BATCHES=${BENCH_BATCHES:-"1 100"}
THREADS=${BENCH_THREADS:-0}
STACK=$ROOT/tests/stack
USER_ID=alice@example.com
MODEL=iris-classifier
SERVING_PATH=/serving/alice/$MODEL/v2/models/$MODEL/infer

die() { echo "bench predict: $*" >&2; exit 1; }
say() { echo "bench predict: $*" >&2; }
[[ -x $BIN ]] || die "no kfdash binary at $BIN (build it first)"
for t in curl wrk python3 jq; do command -v "$t" >/dev/null || die "$t is needed"; done

LOGS=$ROOT/build-release
mkdir -p "$LOGS"
OWN_STACK=0
if [[ -n ${KFDASH_STACK_DIR:-} ]]; then
  [[ -f $KFDASH_STACK_DIR/env ]] || die "KFDASH_STACK_DIR=$KFDASH_STACK_DIR has no env file (unset it to start a stack of its own)"
else
  export KFDASH_STACK_DIR=${KFDASH_CACHE:-$HOME/.cache/kfdash}/stack-bench-predict
  OWN_STACK=1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/kfdash-bench-predict.XXXXXX")
kpid=""
wrk_pid=""
cleanup() {
  if [[ -n $wrk_pid ]] && kill -TERM "$wrk_pid" 2>/dev/null; then wait "$wrk_pid" 2>/dev/null || true; fi
  if [[ -n $kpid ]] && kill -TERM "$kpid" 2>/dev/null; then wait "$kpid" 2>/dev/null || true; fi
  if ((OWN_STACK)); then
    "$STACK/ml-down.sh" >/dev/null 2>&1 || true
    "$STACK/k8s-down.sh" --purge >/dev/null 2>&1 || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

load() { cut -d' ' -f1 /proc/loadavg; }

if ((OWN_STACK)); then
  say "starting the stack (${KFDASH_STACK_DIR}; log: $LOGS/predict-stack.log)"
  t0=$SECONDS
  "$STACK/stack.sh" up >"$LOGS/predict-stack.log" 2>&1 || die "stack failed: see $LOGS/predict-stack.log"
  say "stack up in $((SECONDS - t0)) s"
else
  say "using the stack of $KFDASH_STACK_DIR/env"
fi
# shellcheck source=/dev/null
source "$KFDASH_STACK_DIR/env"
[[ -n ${MODEL_SERVER_URL:-} && -n ${KFDASH_CONNECT_TO:-} && -n ${KFDASH_STACK_KFDASH_TOKEN_FILE:-} ]] ||
  die "$KFDASH_STACK_DIR/env has no model server (MODEL_SERVER_URL, KFDASH_CONNECT_TO): a stack from tests/stack/stack.sh up is needed"
mpid=$MODEL_SERVER_PID
kill -0 "$mpid" 2>/dev/null || die "MLServer (pid $mpid) is not running"
D=$MODEL_SERVER_URL/v2/models/$MODEL/infer # MLServer directly
# The seeded InferenceService's cluster address; a stack started before ml-peers.py mapped it
# lacks the mapping.
CONNECT_TO=$KFDASH_CONNECT_TO
[[ $CONNECT_TO == *"$MODEL-predictor.alice.svc.cluster.local:80:"* ]] ||
  CONNECT_TO+=",$MODEL-predictor.alice.svc.cluster.local:80:127.0.0.1:$MODEL_SERVER_PORT"
LOAD_START=$(load)

# ---------------------------------------------------------------- kfdash
kport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
K=http://127.0.0.1:$kport
"$BIN" --listen "127.0.0.1:$kport" --threads "$THREADS" --access-log false \
  --trusted-header-peers 127.0.0.1/32 --kube-api "$KFDASH_APISERVER" \
  --kube-token-file "$KFDASH_STACK_KFDASH_TOKEN_FILE" --kube-ca-file "$KFDASH_STACK_CA" \
  --connect-to "$CONNECT_TO" 2>"$LOGS/predict-kfdash.log" &
kpid=$!
ready=""
for _ in $(seq 600); do
  kill -0 "$kpid" 2>/dev/null || { tail -n 20 "$LOGS/predict-kfdash.log" >&2; die "kfdash exited"; }
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$K/readyz" || true) == 200 ]] && { ready=1; break; }
  sleep 0.1
done
[[ -n $ready ]] || { curl -s "$K/readyz" >&2; die "kfdash not ready after 60 s"; }
KS=$K$SERVING_PATH # the endpoint through kfdash
gw=(-H "kubeflow-userid: $USER_ID" -H "Origin: $K")

# A V2 request of N iris rows (the flowers of the dataset's first rows, over and over).
body() {
  python3 - "$1" <<'EOF'
import json, sys
rows = [[5.1, 3.5, 1.4, 0.2], [7.0, 3.2, 4.7, 1.4], [6.3, 3.3, 6.0, 2.5], [4.9, 3.0, 1.4, 0.2]]
n = int(sys.argv[1])
data = [x for i in range(n) for x in rows[i % len(rows)]]
print(json.dumps({"inputs": [{"name": "input-0", "shape": [n, 4], "datatype": "FP64", "data": data}]}))
EOF
}
# Same predictions both ways; the answer's size.
declare -A SIZE BODY
for b in $BATCHES; do
  body "$b" >"$TMP/body-$b.json"
  BODY[$b]=$(wc -c <"$TMP/body-$b.json")
  ck=$(curl -s "${gw[@]}" -H 'Content-Type: application/json' --data-binary "@$TMP/body-$b.json" -o "$TMP/k" -w '%{http_code} %{size_download}' "$KS")
  cd_=$(curl -s -H 'Content-Type: application/json' --data-binary "@$TMP/body-$b.json" -o "$TMP/d" -w '%{http_code} %{size_download}' "$D")
  [[ ${ck%% *} == 200 && ${cd_%% *} == 200 ]] || die "infer, batch $b: kfdash ${ck%% *} ($(head -c 300 "$TMP/k")), MLServer directly ${cd_%% *}"
  [[ $(jq -c '.outputs[0].data' "$TMP/k") == "$(jq -c '.outputs[0].data' "$TMP/d")" ]] ||
    die "batch $b: kfdash and MLServer predict differently"
  SIZE[$b]=${ck#* }
  # wrk sends the body from a script: the request, then the report line of report.lua.
  {
    echo 'wrk.method = "POST"'
    echo 'wrk.headers["Content-Type"] = "application/json"'
    printf 'wrk.body = [==[%s]==]\n' "$(cat "$TMP/body-$b.json")"
    cat "$HERE/report.lua"
  } >"$TMP/post-$b.lua"
done

# ---------------------------------------------------------------- runs
cpu_ticks() { # PID -> utime + stime of all its threads
  local f
  read -r f <"/proc/$1/stat"
  read -ra f <<<"${f##*) }"
  echo $((f[11] + f[12]))
}
TICK_US=$((1000000 / $(getconf CLK_TCK)))
# measure URL CONNS BATCH -> "req/s p50 p99 kfdash-us/req mlserver-us/req errors" (ms; errors:
# wrk's socket errors, timeouts and non-2xx answers, "-" if none); dies on more than 1 % non-2xx.
measure() {
  local k0 m0 k1 m1 rc=0
  k0=$(cpu_ticks "$kpid") m0=$(cpu_ticks "$mpid")
  wrk -t2 -c"$2" -d"${DURATION}s" --timeout 30s -s "$TMP/post-$3.lua" "${gw[@]}" "$1" >"$TMP/wrk.out" &
  wrk_pid=$!
  wait "$wrk_pid" || rc=$?
  wrk_pid=""
  k1=$(cpu_ticks "$kpid") m1=$(cpu_ticks "$mpid")
  ((rc == 0)) || die "wrk failed for $1: $(cat "$TMP/wrk.out")"
  local _ n dur p50 p99 ec er ew es et line err="-"
  line=$(grep '^RESULT ' "$TMP/wrk.out") || die "no result from wrk for $1"
  read -r _ n dur p50 p99 ec er ew es et _ <<<"$line"
  ((es * 100 <= n)) || die "wrk: $es non-2xx answers of $n from $1"
  ((ec + er + ew + et + es == 0)) || err="wrk-errors:connect=$ec,read=$er,write=$ew,timeout=$et,non-2xx=$es"
  awk -v n="$n" -v d="$dur" -v a="$p50" -v b="$p99" -v kt=$((k1 - k0)) -v mt=$((m1 - m0)) \
    -v us="$TICK_US" -v e="$err" 'BEGIN {
      printf "%.0f %.2f %.2f %.0f %.0f %s\n", n / (d / 1e6), a / 1000, b / 1000,
        n ? kt * us / n : 0, n ? mt * us / n : 0, e }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { r = b > 0 ? a / b : 0; printf "%.2f", r }'; }

say "V2 infer: wrk -t2, ${DURATION} s per run, connections $CONNS, batches of $BATCHES rows"
declare -A RES
turn=0
for b in $BATCHES; do
  for c in $CONNS; do
    # Alternate which goes first so drift on a busy machine hits both alike.
    sides=(direct kfdash)
    ((turn++ % 2)) && sides=(kfdash direct)
    for side in "${sides[@]}"; do
      [[ $side == direct ]] && url=$D || url=$KS
      RES[$side|$b|$c]=$(measure "$url" "$c" "$b")
    done
  done
done
kill -0 "$kpid" 2>/dev/null || die "kfdash died during the runs"
LOAD_END=$(load)

# ---------------------------------------------------------------- report
echo
echo "kfdash predict: V2 infer on alice/$MODEL through kfdash ($SERVING_PATH) vs MLServer directly ($D)"
echo "machine: $(nproc) CPUs, load $LOAD_START at the start, $LOAD_END at the end; $("$BIN" --version 2>/dev/null | head -n1)"
echo "kfdash --threads $THREADS (0 = one per CPU), identity from the trusted gateway header; MLServer $(curl -s "$MODEL_SERVER_URL/v2" | jq -r .version) (one process, MLSERVER_PARALLEL_WORKERS=0)"
echo
printf 'POST, wrk -t2 keep-alive, %s s per run; p50/p99 in ms; ratio = kfdash req/s / direct req/s (goal >= 0.6)\n' "$DURATION"
echo "CPU us/req: user+system time per request of MLServer asked directly, of MLServer behind kfdash, of kfdash"
row() { printf '%-24s %5s  %8s %7s %7s  %8s %7s %7s  %5s   %6s %6s %6s\n' "$@"; }
row "batch (request/answer)" conns "direct/s" p50 p99 "kfdash/s" p50 p99 ratio "mlsrv" "ms<kf" "kfdash"
notes=()
worst=""
for b in $BATCHES; do
  for c in $CONNS; do
    read -r dr d50 d99 _ dm de <<<"${RES[direct|$b|$c]}"
    read -r kr k50 k99 kk km ke <<<"${RES[kfdash|$b|$c]}"
    r=$(ratio "$kr" "$dr")
    row "$b rows (${BODY[$b]}/${SIZE[$b]} B)" "$c" "$dr" "$d50" "$d99" "$kr" "$k50" "$k99" "$r" "$dm" "$km" "$kk"
    [[ -z $worst ]] || awk -v a="$r" -v b="$worst" 'BEGIN { exit !(a < b) }' && worst=$r
    [[ $de == - ]] || notes+=("direct $b rows c=$c: $de")
    [[ $ke == - ]] || notes+=("kfdash $b rows c=$c: $ke")
  done
done
((${#notes[@]} == 0)) || printf '  %s\n' "${notes[@]}"
echo
awk -v w="$worst" 'BEGIN { printf "lowest ratio %.2f: the goal (>= 0.60) is %s\n", w, (w >= 0.6 ? "met" : "NOT met") }'
