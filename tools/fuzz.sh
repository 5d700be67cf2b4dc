#!/usr/bin/env bash
# make fuzz: every fuzz target of BUILD_DIR (tests/fuzz), one after the other, for SECONDS each
# (tests/fuzz/run-target.sh: reproducers first, then a scratch copy of the seed corpus), then a
# table of what each run did. Exits non-zero when any target crashed, leaked, timed out or ran
# out of memory; its input and log are in BUILD_DIR/fuzz-work/<target>/.
#
# Usage: tools/fuzz.sh BUILD_DIR SECONDS [TARGET...]   (default: every target built)
set -euo pipefail
build=$1 seconds=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
work=$build/fuzz-work
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for exe in "$build"/tests/fuzz/fuzz_*; do
    [ -x "$exe" ] && [ -f "$exe" ] && targets+=("${exe##*/fuzz_}")
  done
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets in $build/tests/fuzz" >&2; exit 1; }

failed=0
results=()
for t in "${targets[@]}"; do
  echo "== fuzz: $t (${seconds} s)"
  out=$(KFDASH_SOURCE_ROOT=$root "$root/tests/fuzz/run-target.sh" "$build/tests/fuzz/fuzz_$t" "$t" \
    "$seconds" "$work" 2>&1) || failed=1
  line=$(grep '^fuzz-result ' <<<"$out" | tail -n 1 || true)
  [ -n "$line" ] || line="fuzz-result name=$t status=error runs=0 exec_per_s=0 cov=0 ft=0 crashes=0"
  [ "${line##* status=ok *}" ] && { grep -v '^fuzz-result ' <<<"$out" | tail -n 40; }
  results+=("$line")
done

echo
printf '%-14s %-10s %12s %9s %6s %7s %8s\n' target status executions exec/s cov ft crashes
for line in "${results[@]}"; do
  declare -A f=()
  for kv in ${line#fuzz-result }; do f[${kv%%=*}]=${kv#*=}; done
  printf '%-14s %-10s %12s %9s %6s %7s %8s\n' "${f[name]}" "${f[status]}" "${f[runs]}" \
    "${f[exec_per_s]}" "${f[cov]}" "${f[ft]}" "${f[crashes]}"
  unset f
done
exit $failed
