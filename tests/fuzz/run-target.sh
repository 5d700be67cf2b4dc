#!/usr/bin/env bash
# Runs one fuzz target: every reproducer in tests/fuzz/regressions/<name>/ once, then libFuzzer
# for SECONDS against a scratch copy of corpus/<name>/ (new inputs land in the copy, never in the
# committed corpus), with dict/<name>.dict when there is one.
#
# Usage: run-target.sh FUZZ_EXE NAME SECONDS WORKDIR
# Writes WORKDIR/NAME/{corpus,artifacts,replay.log,fuzz.log}; prints the end of the run and one
# line "fuzz-result name=... status=... runs=... exec_per_s=... cov=... ft=... crashes=...".
# Exits non-zero when a reproducer or the run crashed, leaked, timed out or ran out of memory.
set -euo pipefail
exe=$1 name=$2 seconds=$3 work=$4
src=${KFDASH_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/fuzz
dir=$work/$name
rm -rf "$dir"
mkdir -p "$dir/corpus" "$dir/artifacts"
[ -d "$src/corpus/$name" ] && cp -R "$src/corpus/$name/." "$dir/corpus/"

# Stop at the first report; libFuzzer itself saves the input that caused it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
opts=(-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$dir/artifacts/")

status=ok replay=0
shopt -s nullglob
reproducers=("$src/regressions/$name"/*)
if [ ${#reproducers[@]} -gt 0 ]; then
  "$exe" "${opts[@]}" "${reproducers[@]}" >"$dir/replay.log" 2>&1 || replay=$?
  if [ "$replay" != 0 ]; then
    echo "== $name: a reproducer fails again (regressions/$name/):"
    tail -n 60 "$dir/replay.log"
    status=regression
  fi
fi

dict=()
[ -f "$src/dict/$name.dict" ] && dict=(-dict="$src/dict/$name.dict")
rc=0 started=$(date +%s%N)
"$exe" "${opts[@]}" "${dict[@]}" -max_total_time="$seconds" -print_final_stats=1 \
  "$dir/corpus" >"$dir/fuzz.log" 2>&1 || rc=$?
elapsed_ms=$((($(date +%s%N) - started) / 1000000))

log=$dir/fuzz.log
stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
runs=$(stat number_of_executed_units) eps=$(stat average_exec_per_sec)
# libFuzzer reports 0 exec/s when it stops early (a crash): count over the wall time instead.
[ "${eps:-0}" != 0 ] || eps=$(( ${runs:-0} * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1) ))
last=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)
cov=$(sed -n 's/^cov: \([0-9]*\).*/\1/p' <<<"$last") ft=$(sed -n 's/.* ft: \([0-9]*\)$/\1/p' <<<"$last")
crashes=$(find "$dir/artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
  -o -name 'oom-*' \) | wc -l)
if [ "$rc" != 0 ]; then
  if grep -q 'ERROR: LeakSanitizer' "$log"; then found=leak
  elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then found=timeout
  elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then found=oom
  else found=crash
  fi
  [ "$status" != ok ] || status=$found
  [ "$crashes" -gt 0 ] || crashes=1
  echo "== $name: $found (exit $rc); the input is in $dir/artifacts/:"
  tail -n 80 "$log"
elif [ "$status" = ok ]; then
  tail -n 8 "$log"
fi
echo "fuzz-result name=$name status=$status runs=${runs:-0} exec_per_s=${eps:-0}" \
  "cov=${cov:-0} ft=${ft:-0} crashes=$crashes"
[ "$status" = ok ]
