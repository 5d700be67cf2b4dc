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
USER_ID=alice@example.com
MODEL=iris-classifier
SERVING_PATH=/serving/alice/$MODEL/v2/models/$MODEL/infer
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"
bench_init predict curl wrk python3 jq
bench_stack_pick
bench_stack_up
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
bench_kfdash --threads "$THREADS" --connect-to "$CONNECT_TO"
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
  bench_post_lua "$TMP/post-$b.lua" "$TMP/body-$b.json"
done

# ---------------------------------------------------------------- runs
peer_ticks() { cpu_ticks "$mpid"; }

say "V2 infer: wrk -t2, ${DURATION} s per run, connections $CONNS, batches of $BATCHES rows"
declare -A RES
for b in $BATCHES; do
  for c in $CONNS; do
    bench_sides
    for side in "${SIDES[@]}"; do
      [[ $side == direct ]] && url=$D || url=$KS
      RES[$side|$b|$c]=$(bench_measure "$url" "$c" "$TMP/post-$b.lua" "${gw[@]}")
    done
  done
done
kill -0 "$kpid" 2>/dev/null || die "kfdash died during the runs"
LOAD_END=$(load)

# ---------------------------------------------------------------- report
echo
echo "kfdash predict: V2 infer on alice/$MODEL through kfdash ($SERVING_PATH) vs MLServer directly ($D)"
bench_machine
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
