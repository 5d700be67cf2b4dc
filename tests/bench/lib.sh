# shellcheck shell=bash
# What the benches that run kfdash against the stack's peers share (notebooks.sh, predict.sh,
# mlflow.sh, profiles.sh): sourced after the script has set HERE, ROOT and BIN.
#
#   bench_init NAME TOOL...   die/say ("bench NAME: ..."), the binary and the tools checked,
#                             LOGS (build-release/), TMP (removed at the end), the exit traps
#   bench_stack_pick          KFDASH_STACK_DIR given: that stack, used as it is and left running;
#                             else OWN_STACK=1, state in ~/.cache/kfdash/stack-bench-NAME
#   bench_stack_up            starts that own stack (tests/stack/stack.sh up), sources its env
#   bench_kfdash ARGS...      kfdash on a free loopback port, identity from the trusted gateway
#                             header, the stack's apiserver; sets kpid and K
#   bench_measure URL CONNS LUA [wrk args...]   one wrk run, see below
#
# At exit: wrk and kfdash stopped, then the script's bench_on_exit if it defines one, then an
# own stack stopped and purged, then TMP removed.

bench_init() { # NAME TOOL...
  BENCH=$1
  [[ -x $BIN ]] || die "no kfdash binary at $BIN (build it first)"
  local t
  for t in "${@:2}"; do command -v "$t" >/dev/null || die "$t is needed"; done
  LOGS=$ROOT/build-release
  mkdir -p "$LOGS"
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/kfdash-bench-$BENCH.XXXXXX")
  OWN_STACK=0
  OWN_ML=0 # the own stack has the ML peers (stack.sh up), not only a control plane
  kpid=""
  wrk_pid=""
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
die() { echo "bench $BENCH: $*" >&2; exit 1; }
say() { echo "bench $BENCH: $*" >&2; }

bench_cleanup() {
  if [[ -n $wrk_pid ]] && kill -TERM "$wrk_pid" 2>/dev/null; then wait "$wrk_pid" 2>/dev/null || true; fi
  if [[ -n $kpid ]] && kill -TERM "$kpid" 2>/dev/null; then wait "$kpid" 2>/dev/null || true; fi
  if declare -F bench_on_exit >/dev/null; then bench_on_exit; fi
  if ((OWN_STACK)); then
    if ((OWN_ML)); then "$ROOT/tests/stack/ml-down.sh" >/dev/null 2>&1 || true; fi
    "$ROOT/tests/stack/k8s-down.sh" --purge >/dev/null 2>&1 || true
  fi
  rm -rf "$TMP"
}

bench_stack_pick() {
  if [[ -n ${KFDASH_STACK_DIR:-} ]]; then
    [[ -f $KFDASH_STACK_DIR/env ]] || die "KFDASH_STACK_DIR=$KFDASH_STACK_DIR has no env file (unset it to start a stack of its own)"
  else
    export KFDASH_STACK_DIR=${KFDASH_CACHE:-$HOME/.cache/kfdash}/stack-bench-$BENCH
    OWN_STACK=1
  fi
}

bench_stack_up() {
  if ((OWN_STACK)); then
    say "starting the stack (${KFDASH_STACK_DIR}; log: $LOGS/$BENCH-stack.log)"
    OWN_ML=1
    local t0=$SECONDS
    "$ROOT/tests/stack/stack.sh" up >"$LOGS/$BENCH-stack.log" 2>&1 || die "stack failed: see $LOGS/$BENCH-stack.log"
    say "stack up in $((SECONDS - t0)) s"
  else
    say "using the stack of $KFDASH_STACK_DIR/env"
  fi
  # shellcheck source=/dev/null
  source "$KFDASH_STACK_DIR/env"
}

# bench_kfdash ARGS...: $BIN on a free loopback port with ARGS, the user from the trusted
# gateway's kubeflow-userid header, the stack's apiserver as KFDASH_STACK_KFDASH_TOKEN_FILE;
# log: $LOGS/NAME-kfdash.log. Waits for /readyz to answer 200 (BENCH_READY_S seconds, 60).
bench_kfdash() {
  local port log=$LOGS/$BENCH-kfdash.log ready="" i
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  K=http://127.0.0.1:$port
  # One user makes every request of a run: the per-user limits (200 requests/s by default, 429
  # past it) are lifted, or the runs would measure kfdash refusing them.
  "$BIN" --listen "127.0.0.1:$port" --access-log false --trusted-header-peers 127.0.0.1/32 \
    --kube-api "$KFDASH_APISERVER" --kube-token-file "$KFDASH_STACK_KFDASH_TOKEN_FILE" \
    --kube-ca-file "$KFDASH_STACK_CA" --user-requests-per-s 1000000 \
    --user-requests-in-flight 100000 "$@" 2>"$log" &
  kpid=$!
  for ((i = 0; i < ${BENCH_READY_S:-60} * 10; i++)); do
    kill -0 "$kpid" 2>/dev/null || { tail -n 20 "$log" >&2; die "kfdash exited"; }
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$K/readyz" || true) == 200 ]] && { ready=1; break; }
    sleep 0.1
  done
  [[ -n $ready ]] || { curl -s "$K/readyz" >&2; die "kfdash not ready after ${BENCH_READY_S:-60} s"; }
}

load() { cut -d' ' -f1 /proc/loadavg; }
cpu_ticks() { # PID -> utime + stime of all its threads
  local f
  read -r f <"/proc/$1/stat"
  read -ra f <<<"${f##*) }"
  echo $((f[11] + f[12]))
}
TICK_US=$((1000000 / $(getconf CLK_TCK)))
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { r = b > 0 ? a / b : 0; printf "%.2f", r }'; }

# bench_measure URL CONNS LUA [wrk args...] -> "req/s p50 p99 kfdash-us/req peer-us/req errors":
# wrk keep-alive (two threads, one for one connection) for DURATION s with the script LUA (which
# ends with report.lua's line). p50/p99 in ms; the peer's CPU is what the script's peer_ticks
# counts; errors: wrk's socket errors, timeouts and non-2xx answers, "-" if none. A run without
# a single answer is "0 - - - - no-answer-in-Ns". Dies on more than 1 % non-2xx (a few can be
# the peer's own: Jupyter's api/status answers 500 while another client's kernel is starting).
# MEASURE_FMT: the printf format of req/s p50 p99 ("%.0f %.2f %.2f").
bench_measure() {
  local k0 p0 k1 p1 rc=0
  k0=$(cpu_ticks "$kpid") p0=$(peer_ticks)
  wrk -t"$(($2 < 2 ? 1 : 2))" -c"$2" -d"${DURATION}s" --timeout 30s -s "$3" "${@:4}" "$1" >"$TMP/wrk.out" &
  wrk_pid=$!
  wait "$wrk_pid" || rc=$?
  wrk_pid=""
  k1=$(cpu_ticks "$kpid") p1=$(peer_ticks)
  ((rc == 0)) || die "wrk failed for $1: $(cat "$TMP/wrk.out")"
  local _ n dur p50 p99 ec er ew es et line err="-"
  line=$(grep '^RESULT ' "$TMP/wrk.out") || die "no result from wrk for $1"
  read -r _ n dur p50 p99 ec er ew es et _ <<<"$line"
  if ((n == 0)); then # each request outlasted the run
    echo "0 - - - - no-answer-in-${DURATION}s"
    return
  fi
  ((es * 100 <= n)) || die "wrk: $es non-2xx answers of $n from $1"
  ((ec + er + ew + et + es == 0)) || err="wrk-errors:connect=$ec,read=$er,write=$ew,timeout=$et,non-2xx=$es"
  awk -v n="$n" -v d="$dur" -v a="$p50" -v b="$p99" -v kt=$((k1 - k0)) -v pt=$((p1 - p0)) \
    -v us="$TICK_US" -v e="$err" -v f="${MEASURE_FMT:-%.0f %.2f %.2f} %.0f %.0f %s\n" 'BEGIN {
      printf f, n / (d / 1e6), a / 1000, b / 1000, n ? kt * us / n : 0, n ? pt * us / n : 0, e }'
}

# bench_sides: SIDES is (direct kfdash), then (kfdash direct) on the next call, and so on:
# alternating which goes first makes drift on a busy machine hit both alike.
BENCH_TURN=0
# shellcheck disable=SC2034 # SIDES is the scripts'
bench_sides() {
  SIDES=(direct kfdash)
  ((BENCH_TURN++ % 2)) && SIDES=(kfdash direct)
  return 0
}

# bench_post_lua FILE BODY-FILE [lua lines...]: a wrk script POSTing the JSON in BODY-FILE, with
# the lua lines (more headers), then report.lua's result line.
bench_post_lua() {
  {
    echo 'wrk.method = "POST"'
    printf 'wrk.body = %s\n' "$(jq -Rn --arg b "$(cat "$2")" '$b')"
    echo 'wrk.headers["Content-Type"] = "application/json"'
    local h
    for h in "${@:3}"; do echo "$h"; done
    echo "dofile(\"$HERE/report.lua\")"
  } >"$1"
}

bench_machine() { # the report's machine line: CPUs, the load at the start and end, kfdash's version
  echo "machine: $(nproc) CPUs, load $LOAD_START at the start, $LOAD_END at the end; $("$BIN" --version 2>/dev/null | head -n1)"
}
bench_busy_note() {
  if awk -v a="$LOAD_START" -v b="$LOAD_END" -v n="$(nproc)" 'BEGIN { exit !(a > n || b > n) }'; then
    echo "NOTE: the machine was busy (load $LOAD_START at the start, $LOAD_END at the end, $(nproc) CPUs): the figures are noisy"
  fi
}
