#!/usr/bin/env bash
# `make bench`, MLflow through kfdash: runs/search over BENCH_RUNS (10,000) runs of one experiment,
# through kfdash (/mlflow/api/..., the workspace checked against the user's role, then forwarded)
# next to the same search asked of MLflow directly:
#   POST /api/2.0/mlflow/runs/search {"max_results": 100,
#        "filter": "metrics.score > 0.5 and params.lr = '0.01'", "order_by": ["attributes.start_time DESC"]}
# (ordering by a metric or a param instead takes MLflow 15-30 s over 10,000 runs on SQLite, and
# grows with every run in the store: that would measure nothing but MLflow's query.)
#   1. one request at a time, BENCH_SAMPLES rounds alternating the two paths: p50, p99, mean
#      (what a user waits for; kfdash's share is the difference);
#   2. wrk keep-alive at BENCH_CONNS connections (two threads, one for one connection): req/s,
#      p50, p99 under load, the ratio kfdash/direct and each process's CPU time per request.
#
#   tests/bench/mlflow.sh [path/to/kfdash]   (default: build-release/kfdash)
#
# The runs are seeded fresh on every run with MLflow's own Python client (create_run + log_batch
# each, straight into the server's SQLite store, two processes) in a new experiment of workspace
# bob (bob owns profile bob; the bench's requests come in as bob through the trusted gateway
# header). Nothing is cached in the repo; at the end the experiment is deleted, and on a stack the
# bench did not start it is removed for good with its runs (MLflow's searches slow down with every
# run left in its store, deleted or not). BENCH_GC=0/1 decides otherwise.
#
# The peers: the stack of $KFDASH_STACK_DIR/env when KFDASH_STACK_DIR is set (used as it is and
# left running), else one of its own (tests/stack/stack.sh up, state in
# ~/.cache/kfdash/stack-bench-mlflow), stopped and purged at the end. Figures are printed, never
# compared with a budget; the script fails when something does not start, the two paths answer
# different runs, or more than 1 % of a run's answers are not 2xx. Logs: build-release/mlflow-*.log.
# Knobs: BENCH_RUNS (10000), BENCH_SAMPLES (20), BENCH_DURATION (s per wrk run, 30),
# BENCH_CONNS ("1 4"), BENCH_THREADS (kfdash --threads, default 0: one per CPU), BENCH_GC.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-$ROOT/build-release/kfdash}
RUNS=${BENCH_RUNS:-10000}
SAMPLES=${BENCH_SAMPLES:-20}
DURATION=${BENCH_DURATION:-30}
CONNS=${BENCH_CONNS:-"1 4"}
THREADS=${BENCH_THREADS:-0}
STACK=$ROOT/tests/stack
USER_ID=bob@example.com
WS=bob
BODY='{"experiment_ids": ["EXP"], "max_results": 100, "filter": "metrics.score > 0.5 and params.lr = '"'0.01'"'", "order_by": ["attributes.start_time DESC"]}'
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"
bench_init mlflow curl wrk python3 jq
bench_stack_pick
export BENCH_GC=${BENCH_GC:-$((1 - OWN_STACK))}
EXP=""
py=""
bench_on_exit() {
  if [[ -n $EXP && -n $py ]]; then
    say "deleting the bench experiment $EXP$( ((BENCH_GC)) && echo " and its runs, for good")"
    "$py" "$TMP/seed.py" drop "$EXP" >>"$LOGS/mlflow-seed.log" 2>&1 || say "could not delete experiment $EXP (see $LOGS/mlflow-seed.log)"
  fi
}
bench_stack_up
[[ -n ${MLFLOW_URL:-} && -n ${MLFLOW_PID:-} && -n ${KFDASH_STACK_KFDASH_TOKEN_FILE:-} ]] ||
  die "$KFDASH_STACK_DIR/env has no MLflow (MLFLOW_URL): a stack from tests/stack/stack.sh up is needed"
kill -0 "$MLFLOW_PID" 2>/dev/null || die "MLflow (pid $MLFLOW_PID) is not running"
D=$MLFLOW_URL
py=$("$ROOT/tools/venv.sh" "$STACK/requirements-peers.txt") # the peers' venv: it has mlflow
LOAD_START=$(load)

# ---------------------------------------------------------------- the runs
cat >"$TMP/seed.py" <<'EOF'
"""seed.py seed N -> makes an experiment through the server, N runs in it, prints its id;
seed.py drop ID -> deletes it (and, with BENCH_GC=1, it and its runs for good).

The runs go straight into the server's store (MlflowClient on BENCH_STORE, workspace-aware): one
create_run and one log_batch each, in two processes. Through the one-worker server they would take
ten minutes; the store is the same either way."""
import multiprocessing
import os
import random
import sqlite3
import sys
import time
import uuid

import mlflow
from mlflow.entities import Metric, Param

STORE = os.environ["BENCH_STORE"]


def purge(exp):
    """Removes the experiment and what seeding wrote for it, from the tables it wrote to. mlflow gc
    does the same one run at a time: half an hour for 10,000 runs on a busy machine."""
    db = sqlite3.connect(STORE.removeprefix("sqlite:///"), timeout=60)
    runs = "SELECT run_uuid FROM runs WHERE experiment_id = ?"
    with db:
        for table in ("latest_metrics", "metrics", "params", "tags"):
            db.execute(f"DELETE FROM {table} WHERE run_uuid IN ({runs})", (exp,))
        db.execute("DELETE FROM runs WHERE experiment_id = ?", (exp,))
        db.execute("DELETE FROM experiment_tags WHERE experiment_id = ?", (exp,))
        db.execute("DELETE FROM experiments WHERE experiment_id = ?", (exp,))
    db.close()


def chunk(args):
    exp, lo, hi = args
    # Seeding only: commits need not wait for the disk.
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    event.listen(Engine, "connect", lambda conn, _: conn.execute("PRAGMA synchronous=OFF"))
    client = mlflow.MlflowClient(tracking_uri=STORE)
    rng = random.Random(lo)
    now = int(time.time() * 1000)
    for i in range(lo, hi):
        run = client.create_run(exp, run_name=f"run-{i:05d}")
        client.log_batch(run.info.run_id,
                         metrics=[Metric("score", rng.random(), now, 0), Metric("loss", rng.random(), now, 0)],
                         params=[Param("lr", rng.choice(["0.1", "0.01", "0.001"])),
                                 Param("depth", str(rng.randint(2, 12)))])
        if (i - lo + 1) % 1000 == 0:
            print(f"  {i - lo + 1} of runs {lo}..{hi - 1}", file=sys.stderr, flush=True)
    return hi - lo


if __name__ == "__main__":
    os.environ["MLFLOW_ENABLE_WORKSPACES"] = "true"
    server = mlflow.MlflowClient()
    if sys.argv[1] == "drop":
        server.delete_experiment(sys.argv[2])
        if os.environ.get("BENCH_GC") == "1":
            purge(int(sys.argv[2]))
        sys.exit(0)
    n = int(sys.argv[2])
    exp = server.create_experiment(f"bench-runs-{uuid.uuid4().hex[:8]}")
    parts = 2
    with multiprocessing.get_context("spawn").Pool(parts) as pool:
        made = sum(pool.map(chunk, [(exp, k * n // parts, (k + 1) * n // parts) for k in range(parts)]))
    assert made == n, made
    print(exp)
EOF
export MLFLOW_TRACKING_URI=$D MLFLOW_WORKSPACE=$WS MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
export BENCH_STORE="sqlite:///$ML_STATE_DIR/mlflow.db"
say "seeding $RUNS runs into a new experiment of workspace $WS (log: $LOGS/mlflow-seed.log)"
t0=$SECONDS
EXP=$("$py" "$TMP/seed.py" seed "$RUNS" 2> >(tee "$LOGS/mlflow-seed.log" >&2)) || die "seeding failed: see $LOGS/mlflow-seed.log"
SEED_S=$((SECONDS - t0))
say "experiment $EXP: $RUNS runs in $SEED_S s"
BODY=${BODY/EXP/$EXP}

# ---------------------------------------------------------------- kfdash
bench_kfdash --threads "$THREADS" --mlflow-url "$D"
SEARCH_D=$D/api/2.0/mlflow/runs/search
SEARCH_K=$K/mlflow/api/2.0/mlflow/runs/search
ws=(-H "X-MLFLOW-WORKSPACE: $WS" -H "Content-Type: application/json")
gw=(-H "kubeflow-userid: $USER_ID" -H "Origin: $K")

# Same answer both ways: the same 100 runs, in the same order, best score first.
curl -sf "${ws[@]}" -d "$BODY" "$SEARCH_D" >"$TMP/d" || die "runs/search directly failed"
curl -sf "${ws[@]}" "${gw[@]}" -d "$BODY" "$SEARCH_K" >"$TMP/k" || die "runs/search through kfdash failed: $(curl -s "${ws[@]}" "${gw[@]}" -d "$BODY" "$SEARCH_K")"
ids() { jq -r '[.runs[].info.run_id] | join(" ")' "$1"; }
[[ $(ids "$TMP/k") == "$(ids "$TMP/d")" ]] || die "kfdash and MLflow answer different runs"
got=$(jq '.runs | length' "$TMP/d")
((got == 100 || (RUNS < 2000 && got > 0))) || die "runs/search answered $got runs, not 100"
SIZE=$(wc -c <"$TMP/d")
# A viewer's workspace check happens on every request: a stranger is refused, not served.
[[ $(curl -s -o /dev/null -w '%{http_code}' "${ws[@]}" -H "kubeflow-userid: stranger@example.com" -H "Origin: $K" -d "$BODY" "$SEARCH_K") == 403 ]] ||
  die "a stranger was not refused"

# ---------------------------------------------------------------- wrk
# A POST of BODY with the workspace header; through kfdash, as the user.
printf '%s' "$BODY" >"$TMP/body.json"
wsh="wrk.headers[\"X-MLFLOW-WORKSPACE\"] = \"$WS\""
bench_post_lua "$TMP/direct.lua" "$TMP/body.json" "$wsh"
bench_post_lua "$TMP/kfdash.lua" "$TMP/body.json" "$wsh" "wrk.headers[\"kubeflow-userid\"] = \"$USER_ID\"" \
  "wrk.headers[\"Origin\"] = \"$K\""

# MLflow's server is a parent with its uvicorn worker below it: count the whole tree.
tree_ticks() { # PID -> cpu_ticks of it and every process below it
  local sum pid
  sum=$(cpu_ticks "$1")
  for pid in $(pgrep -P "$1" || true); do sum=$((sum + $(tree_ticks "$pid"))); done
  echo "$sum"
}
peer_ticks() { tree_ticks "$MLFLOW_PID"; }
# Seconds-long searches: req/s and ms with one decimal. A run may see no answer at all (each
# search outlasting it: MLflow works on them all at once).
MEASURE_FMT="%.1f %.1f %.1f"

say "runs/search: $SAMPLES rounds one at a time"
: >"$TMP/lat.direct"
: >"$TMP/lat.kfdash"
sample() { # SIDE -> appends the time of one search, in ms
  local url=$SEARCH_D extra=()
  [[ $1 == kfdash ]] && url=$SEARCH_K extra=("${gw[@]}")
  curl -sf -o /dev/null -w '%{time_total}\n' "${ws[@]}" "${extra[@]}" -d "$BODY" "$url" |
    awk '{ printf "%.1f\n", $1 * 1000 }' >>"$TMP/lat.$1" || die "a search through $1 failed"
}
for i in $(seq "$SAMPLES"); do
  if ((i % 2)); then sample direct; sample kfdash; else sample kfdash; sample direct; fi
done
stats() { # FILE -> "n p50 p99 mean" (nearest rank)
  sort -n "$1" | awk '{ v[NR] = $1; s += $1 } END {
    i50 = int(NR * 0.50 + 0.999); i99 = int(NR * 0.99 + 0.999)
    printf "%d %.1f %.1f %.1f\n", NR, v[i50], v[i99], s / NR }'
}
LAT_D=$(stats "$TMP/lat.direct")
LAT_K=$(stats "$TMP/lat.kfdash")

say "runs/search: wrk, ${DURATION} s per run, connections $CONNS"
declare -A RES
for c in $CONNS; do
  bench_sides
  for side in "${SIDES[@]}"; do
    if [[ $side == direct ]]; then
      RES[$side|$c]=$(bench_measure "$SEARCH_D" "$c" "$TMP/direct.lua")
    else
      RES[$side|$c]=$(bench_measure "$SEARCH_K" "$c" "$TMP/kfdash.lua")
    fi
  done
done
kill -0 "$kpid" 2>/dev/null || die "kfdash died during the runs"
LOAD_END=$(load)

# ---------------------------------------------------------------- report
echo
echo "kfdash MLflow: runs/search over $RUNS runs (max_results 100, filter $(jq -r .filter <<<"$BODY"), order_by $(jq -r '.order_by[0]' <<<"$BODY"); $SIZE B answers)"
echo "through kfdash ($SEARCH_K, as $USER_ID in workspace $WS) vs MLflow directly ($SEARCH_D)"
bench_machine
echo "MLflow $(curl -s "$D/version"), uvicorn with one worker, SQLite store; seeding took $SEED_S s"
echo
echo "POST runs/search one at a time, $SAMPLES rounds alternating; ms"
printf '%-8s %5s %9s %9s %9s\n' "" n p50 p99 mean
read -r n d50 d99 dmean <<<"$LAT_D"
printf '%-8s %5s %9s %9s %9s\n' direct "$n" "$d50" "$d99" "$dmean"
read -r n k50 k99 kmean <<<"$LAT_K"
printf '%-8s %5s %9s %9s %9s\n' kfdash "$n" "$k50" "$k99" "$kmean"
awk -v a="$k50" -v b="$d50" -v c="$k99" -v d="$d99" -v e="$kmean" -v f="$dmean" \
  'BEGIN { printf "added by kfdash: p50 %+.1f ms, p99 %+.1f ms, mean %+.1f ms; p50 ratio direct/kfdash %.2f\n", a - b, c - d, e - f, b / a }'
echo
printf 'POST runs/search, wrk keep-alive, %s s per run; p50/p99 in ms; ratio = kfdash req/s / direct req/s\n' "$DURATION"
echo "CPU us/req: user+system time per request of MLflow asked directly, of MLflow behind kfdash, of kfdash"
row() { printf '%5s  %9s %8s %8s  %9s %8s %8s  %5s   %8s %8s %7s\n' "$@"; }
row conns "direct/s" p50 p99 "kfdash/s" p50 p99 ratio "mlflow" "mlf<kf" "kfdash"
notes=()
for c in $CONNS; do
  read -r dr d50 d99 _ dm de <<<"${RES[direct|$c]}"
  read -r kr k50 k99 kk km ke <<<"${RES[kfdash|$c]}"
  row "$c" "$dr" "$d50" "$d99" "$kr" "$k50" "$k99" "$(ratio "$kr" "$dr")" "$dm" "$km" "$kk"
  [[ $de == - ]] || notes+=("direct c=$c: $de")
  [[ $ke == - ]] || notes+=("kfdash c=$c: $ke")
done
((${#notes[@]} == 0)) || printf '  %s\n' "${notes[@]}"
# Not counted: the notice that sessions live in memory, and answers wrk stopped reading at its end.
WARN=$(grep '"level":"\(warn\|error\)"' "$LOGS/mlflow-kfdash.log" | grep -vc 'no state_dir\|Failed to send the response body' || true)
((WARN == 0)) || echo "kfdash logged $WARN warnings/errors (log: $LOGS/mlflow-kfdash.log)"
bench_busy_note
