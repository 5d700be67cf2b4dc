#!/usr/bin/env bash
# Prints the closing line of every meson test run in the given build dirs, counting test cases
# (Check's "Checks:", pytest's "N passed", node's "# pass N"; a test with neither counts as one):
# "N passed, N failed, N skipped".
set -euo pipefail
passed=0 failed=0 skipped=0
for dir in "$@"; do
  log="$dir/meson-logs/testlog.json"
  [ -f "$log" ] || continue
  read -r p f s < <(python3 - "$log" <<'PY'
import json, re, sys
p = f = s = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    out, ok = t.get("stdout") or "", t.get("result") in ("OK", "EXPECTEDFAIL")
    check = re.search(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)", out)
    pytest = re.search(r"^=*\s*(?:(\d+) failed, )?(\d+) passed(?:, (\d+) skipped)?", out, re.M)
    node = re.search(r"^# pass (\d+)\s+# fail (\d+)", out, re.M)
    if check:
        tp, tf, ts = int(check[1]) - int(check[2]) - int(check[3]), int(check[2]) + int(check[3]), 0
    elif pytest:
        tp, tf, ts = int(pytest[2]), int(pytest[1] or 0), int(pytest[3] or 0)
    elif node:
        tp, tf, ts = int(node[1]), int(node[2]), 0
    elif t.get("result") == "SKIP":
        tp, tf, ts = 0, 0, 1
    else:
        tp, tf, ts = (1, 0, 0) if ok else (0, 1, 0)
    if not ok and t.get("result") != "SKIP" and tf == 0:
        tf = 1  # the suite failed though its counts did not say so: a crash or a timeout
    p, f, s = p + tp, f + tf, s + ts
print(p, f, s)
PY
)
  echo "tests ($dir): $p passed, $f failed, $s skipped"
  passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
echo "$passed passed, $failed failed, $skipped skipped"
