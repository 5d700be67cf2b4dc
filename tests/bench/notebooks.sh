#!/usr/bin/env bash
# `make bench`, notebooks through kfdash: /notebook/<ns>/<name>/... carried to the notebook's
# Jupyter server (HTTP streamed, WebSocket relayed by kfdash's own epoll thread), next to the
# same Jupyter server asked directly:
#   1. a JupyterLab asset (the main.<hash>.js the lab page loads) and /api/status (a small JSON
#      answer): wrk -t2 keep-alive at 16 and 64 connections, req/s, p50, p99, the ratio
#      kfdash/direct (issue #6's goal: >= 0.6) and each process's CPU time per request;
#   2. WebSocket round trips: a kernel started through kfdash, then kernel_info_request after
#      kernel_info_reply on api/kernels/<id>/channels, through kfdash and directly (rounds
#      alternate, one WebSocket open at a time): p50/p90/p99 and what kfdash adds;
#      then WebSocket throughput each way (BENCH_WS_BULK_MIB MiB messages: an execute_request's
#      code up, a user expression's value down), through kfdash and directly;
#   3. JupyterLab's page load in headless Chromium (notebook_load.mjs), cold (fresh profile)
#      and warm (cached), through kfdash and directly, BENCH_LOAD_ROUNDS times each;
#   4. kfdash's memory for open WebSockets: VmRSS (and open descriptors) before, with
#      BENCH_WS_OPEN WebSockets to Jupyter's api/events/subscribe held open through it (each
#      proven live by a ping answered by Jupyter's pong) and after closing them, a few times
#      over so a leak shows as growth from one cycle to the next.
#
#   tests/bench/notebooks.sh [path/to/kfdash]   (default: build-release/kfdash)
#
# The peers: the stack of $KFDASH_STACK_DIR/env when KFDASH_STACK_DIR is set (used as it is and
# left running), else one of its own (tests/stack/stack.sh up, state in
# ~/.cache/kfdash/stack-bench-notebooks), stopped and purged at the end. The notebook is
# alice/nb1 (JUPYTER_ALICE_NB1_URL); kfdash reaches it through --connect-to $KFDASH_CONNECT_TO
# and takes the user from the trusted gateway's kubeflow-userid header (no sign-in in the
# figures). Figures are printed, never compared with a budget; the script fails when something
# does not start, kfdash and Jupyter answer different bytes, more than 1 % of a run's answers
# are not 2xx (a few are Jupyter's own: api/status fails while a kernel starts), or a WebSocket
# is refused or does not relay. Logs: build-release/notebooks-*.log.
# Knobs: BENCH_DURATION (s per wrk run, default 8), BENCH_CONNS ("16 64"), BENCH_WS_MESSAGES
# (round trips each way, 2000), BENCH_WS_OPEN (WebSockets held open, 1000), BENCH_WS_CYCLES (3),
# BENCH_WS_BULK_MIB (4), BENCH_LOAD_ROUNDS (5), BENCH_THREADS (kfdash --threads, default 0: one
# per CPU).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-$ROOT/build-release/kfdash}
DURATION=${BENCH_DURATION:-8}
CONNS=${BENCH_CONNS:-"16 64"}
WS_MESSAGES=${BENCH_WS_MESSAGES:-2000}
WS_OPEN=${BENCH_WS_OPEN:-1000}
WS_CYCLES=${BENCH_WS_CYCLES:-3}
WS_BULK_MIB=${BENCH_WS_BULK_MIB:-4}
LOAD_ROUNDS=${BENCH_LOAD_ROUNDS:-5}
THREADS=${BENCH_THREADS:-0}
USER_ID=alice@example.com
NB_PATH=/notebook/alice/nb1/
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"
bench_init notebooks curl wrk python3 cmp jq

# kfdash holds two sockets per WebSocket (the client's and Jupyter's), ws_bench.py one; kfdash
# and ws_bench.py inherit this limit.
want_fds=$((2 * WS_OPEN + 512))
if (($(ulimit -n) < want_fds)); then
  ulimit -n "$want_fds" 2>/dev/null || die "ulimit -n: $want_fds open files needed, the hard limit is $(ulimit -Hn)"
fi
bench_stack_pick

py=$("$ROOT/tools/venv.sh" "$ROOT/tests/requirements.txt")
bench_stack_up
[[ -n ${JUPYTER_ALICE_NB1_URL:-} && -n ${KFDASH_CONNECT_TO:-} && -n ${KFDASH_STACK_KFDASH_TOKEN_FILE:-} ]] ||
  die "$KFDASH_STACK_DIR/env has no Jupyter (JUPYTER_ALICE_NB1_URL, KFDASH_CONNECT_TO): a stack from tests/stack/stack.sh up is needed"
D=${JUPYTER_ALICE_NB1_URL%/}/ # Jupyter directly
jpid=$JUPYTER_ALICE_NB1_PID
kill -0 "$jpid" 2>/dev/null || die "Jupyter of alice/nb1 (pid $jpid) is not running"
LOAD_START=$(load)

# ---------------------------------------------------------------- kfdash
bench_kfdash --threads "$THREADS" --connect-to "$KFDASH_CONNECT_TO"
KN=$K$NB_PATH # the notebook through kfdash
gw=(-H "kubeflow-userid: $USER_ID")
proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
RSS_READY=$(proc_kb "$kpid" VmRSS)

# The asset: the main script the lab page loads, as kfdash shows the page.
lab=$(curl -sf "${gw[@]}" "${KN}lab") || die "GET ${NB_PATH}lab through kfdash failed"
ASSET=$(grep -o "\"$NB_PATH"'static/lab/main\.[^"]*\.js[^"]*"' <<<"$lab" | head -n1 | tr -d '"')
[[ -n $ASSET ]] || ASSET=$(grep -o "\"$NB_PATH"'static/lab/[^"]*\.js[^"]*"' <<<"$lab" | head -n1 | tr -d '"')
[[ -n $ASSET ]] || die "no script under ${NB_PATH}static/lab/ in the lab page"
ASSET=${ASSET#"$NB_PATH"}
TARGETS=("$ASSET" api/status)

# Same answer both ways (api/status: the same keys; its counters move), and the bytes.
declare -A SIZE
for t in "${TARGETS[@]}"; do
  ck=$(curl -s "${gw[@]}" -o "$TMP/k" -w '%{http_code} %{size_download}' "$KN$t")
  cd_=$(curl -s "${gw[@]}" -o "$TMP/d" -w '%{http_code} %{size_download}' "$D$t")
  [[ ${ck%% *} == 200 && ${cd_%% *} == 200 ]] || die "GET $t: kfdash ${ck%% *}, Jupyter directly ${cd_%% *}"
  if [[ $t == api/status ]]; then
    [[ $(jq -c keys "$TMP/k") == "$(jq -c keys "$TMP/d")" ]] || die "api/status: kfdash and Jupyter answer different JSON"
  else
    cmp -s "$TMP/k" "$TMP/d" || die "$t: the bytes through kfdash differ from Jupyter's"
  fi
  SIZE[$t]=${ck#* }
done
# Whether each keeps the client's connection for a second request (wrk reconnects when not).
keeps_alive() { # URL -> yes / no (Connection: close)
  local n
  n=$(curl -s "${gw[@]}" -o /dev/null -o /dev/null -w '%{num_connects}\n' "$1" "$1" | tail -n1)
  [[ $n == 0 ]] && echo yes || echo "no: a new connection per request"
}
KA_K=$(keeps_alive "${KN}api/status")
KA_D=$(keeps_alive "${D}api/status")

# ---------------------------------------------------------------- 1. HTTP
peer_ticks() { cpu_ticks "$jpid"; }
label() { [[ $1 == api/status ]] && echo "api/status" || echo "${1%%\?*}"; }

say "HTTP: wrk -t2, ${DURATION} s per run, connections $CONNS"
declare -A RES
for t in "${TARGETS[@]}"; do
  for c in $CONNS; do
    bench_sides
    for side in "${SIDES[@]}"; do
      [[ $side == direct ]] && url=$D$t || url=$KN$t
      RES[$side|$t|$c]=$(bench_measure "$url" "$c" "$HERE/report.lua" "${gw[@]}")
    done
  done
done

# ---------------------------------------------------------------- 2. WebSocket round trips
say "WebSocket: $WS_MESSAGES kernel_info round trips each way"
"$py" "$HERE/ws_bench.py" rtt --kfdash "$KN" --direct "$D" --user "$USER_ID" \
  --n "$WS_MESSAGES" --bulk-mib "$WS_BULK_MIB" >"$TMP/rtt.out" 2>"$LOGS/notebooks-ws.log" ||
  { cat "$LOGS/notebooks-ws.log" >&2; die "the WebSocket round trips failed"; }

# ---------------------------------------------------------------- 3. the page in a browser
say "JupyterLab page load in Chromium, cold and warm, $LOAD_ROUNDS rounds"
node "$HERE/notebook_load.mjs" "${KN}lab" "${D}lab" "$USER_ID" "$LOAD_ROUNDS" >"$TMP/load.out" \
  2>"$LOGS/notebooks-load.log" || { cat "$LOGS/notebooks-load.log" >&2; die "the page loads failed"; }

# ---------------------------------------------------------------- 4. WebSockets held open
say "WebSocket: $WS_OPEN held open through kfdash, $WS_CYCLES times"
"$py" "$HERE/ws_bench.py" hold --kfdash "$KN" --user "$USER_ID" --pid "$kpid" \
  --count "$WS_OPEN" --cycles "$WS_CYCLES" >"$TMP/hold.out" 2>>"$LOGS/notebooks-ws.log" ||
  { cat "$LOGS/notebooks-ws.log" >&2; die "holding $WS_OPEN WebSockets through kfdash failed"; }
kill -0 "$kpid" 2>/dev/null || die "kfdash died during the runs"
LOAD_END=$(load)

# ---------------------------------------------------------------- report
echo
echo "kfdash notebooks: /notebook/alice/nb1/ through kfdash vs Jupyter directly ($D)"
bench_machine
echo "kfdash --threads $THREADS (0 = one per CPU), identity from the trusted gateway header; jupyter_server $(curl -s "${D}api" | jq -r .version)"
echo "keep-alive: kfdash ${KA_K}; Jupyter ${KA_D}"
echo
printf 'HTTP GET, wrk -t2 keep-alive, %s s per run; p50/p99 in ms; ratio = kfdash req/s / direct req/s\n' "$DURATION"
echo "CPU us/req: user+system time per request of Jupyter asked directly, of Jupyter behind kfdash, of kfdash"
row() { printf '%-46s %5s  %8s %7s %7s  %8s %7s %7s  %5s   %6s %6s %6s\n' "$@"; }
row target conns "direct/s" p50 p99 "kfdash/s" p50 p99 ratio "jup" "jup<kf" "kfdash"
notes=()
for t in "${TARGETS[@]}"; do
  for c in $CONNS; do
    read -r dr d50 d99 _ dj de <<<"${RES[direct|$t|$c]}"
    read -r kr k50 k99 kk kj ke <<<"${RES[kfdash|$t|$c]}"
    row "$(label "$t") (${SIZE[$t]} B)" "$c" "$dr" "$d50" "$d99" "$kr" "$k50" "$k99" \
      "$(ratio "$kr" "$dr")" "$dj" "$kj" "$kk"
    [[ $de == - ]] || notes+=("direct $(label "$t") c=$c: $de")
    [[ $ke == - ]] || notes+=("kfdash $(label "$t") c=$c: $ke")
  done
done
((${#notes[@]} == 0)) || printf '  %s\n' "${notes[@]}"

echo
echo "WebSocket round trips on api/kernels/<id>/channels, one at a time, $WS_MESSAGES each way in 4 alternating rounds"
echo "  kernel: kernel_info_request -> kernel_info_reply (through the kernel); ping: ping -> pong (Jupyter's tornado alone)"
printf '%-16s %6s %9s %9s %9s %9s %9s\n' "" n "p50 ms" "p90 ms" "p99 ms" "max ms" "mean ms"
declare -A RTT
for kind in RTT PING; do
  while read -r k side n p50 p90 p99 max mean; do
    [[ $k == "$kind" ]] || continue
    RTT[$kind|$side]="$p50 $p90 $p99"
    printf '%-16s %6s %9s %9s %9s %9s %9s\n' "$([[ $kind == RTT ]] && echo kernel || echo ping) $side" \
      "$n" "$p50" "$p90" "$p99" "$max" "$mean"
  done <"$TMP/rtt.out"
done
for kind in RTT PING; do
  read -r d50 d90 d99 <<<"${RTT[$kind|direct]}"
  read -r k50 k90 k99 <<<"${RTT[$kind|kfdash]}"
  awk -v w="$([[ $kind == RTT ]] && echo kernel || echo ping)" -v a="$k50" -v b="$d50" -v c="$k90" \
    -v d="$d90" -v e="$k99" -v f="$d99" \
    'BEGIN { printf "added by kfdash (%s): p50 %+.3f ms, p90 %+.3f ms, p99 %+.3f ms\n", w, a - b, c - d, e - f }'
done
echo "(kernel round trips take ~5 or ~45 ms on both paths: jupyter_server's kernel WebSocket has no TCP_NODELAY,"
echo " so a reply written right after a status message waits for the peer's delayed ACK)"
echo
echo "WebSocket throughput, $WS_BULK_MIB MiB messages (up: execute_request code; down: a user expression's value), MiB/s"
printf '%-16s %4s %9s %9s %9s\n' "" n median min max
declare -A BULK
while read -r k dir side n med lo hi; do
  [[ $k == BULK ]] || continue
  BULK[$dir|$side]=$med
  printf '%-16s %4s %9s %9s %9s\n' "$dir $side" "$n" "$med" "$lo" "$hi"
done <"$TMP/rtt.out"
for dir in UP DOWN; do
  echo "  $dir: kfdash/direct $(ratio "${BULK[$dir|kfdash]}" "${BULK[$dir|direct]}")"
done

echo
echo "JupyterLab page load in headless Chromium (${NB_PATH}lab until the launcher is drawn), $LOAD_ROUNDS rounds, ms"
printf '%-16s %9s %9s %9s %9s\n' "" median min max requests
declare -A LOADS
while read -r k side kind med lo hi n; do
  [[ $k == LOAD ]] || continue
  LOADS[$side|$kind]=$med
  printf '%-16s %9s %9s %9s %9s\n' "$kind $side" "$med" "$lo" "$hi" "$n"
done <"$TMP/load.out"
for kind in cold warm; do
  echo "  $kind: kfdash/direct time $(ratio "${LOADS[kfdash|$kind]}" "${LOADS[direct|$kind]}")"
done

echo
echo "kfdash memory with $WS_OPEN WebSockets open through it (api/events/subscribe; VmRSS 2 s after each step)"
printf '%-6s %9s %10s %10s %10s %11s   %s\n' cycle "open in" "RSS before" "RSS open" "RSS after" "per WS" "descriptors before/open/after"
while read -r _ cycle n open_s r0 r1 r2 f0 f1 f2; do
  printf '%-6s %8ss %7s kB %7s kB %7s kB %8s kB   %s/%s/%s\n' "$cycle" "$open_s" "$r0" "$r1" "$r2" \
    "$(awk -v a="$r0" -v b="$r1" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / n }')" "$f0" "$f1" "$f2"
done <"$TMP/hold.out"
printf 'kfdash RSS: %s kB when ready, %s kB at the end, peak %s kB\n' "$RSS_READY" \
  "$(proc_kb "$kpid" VmRSS)" "$(proc_kb "$kpid" VmHWM)"
WARN=$(grep -c '"level":"\(warn\|error\)"' "$LOGS/notebooks-kfdash.log" || true)
if ((WARN > 0)); then
  echo "kfdash logged $WARN warnings/errors (count, message without time; log: $LOGS/notebooks-kfdash.log):"
  sed -E 's/"time":"[^"]*",//; s/"request_id":"[^"]*",?//' "$LOGS/notebooks-kfdash.log" |
    grep '"level":"\(warn\|error\)"' | sort | uniq -c | sort -rn | head -n5
fi
bench_busy_note
