#!/usr/bin/env bash
# `make bench`, the home page: what one load of Home costs a user who owns one namespace among
# 1,000 profiles. The API calls are the ones the web app makes for it (web/src/app.tsx,
# pages.tsx and home_profile.tsx, with the selected namespace):
#   the shell:   /api/whoami, /api/workgroup/env-info, /api/dashboard-links, /api/dashboard-settings
#   once env-info has named the namespace, the glance cards:
#                /api/charts, /api/namespaces/NS/{notebooks,sparkapplications,quota,inferenceservices},
#                /api/activities/NS, MLflow experiments/search then runs/search (X-MLFLOW-WORKSPACE)
#   once /api/charts says Prometheus is configured: /api/namespaces/NS/charts/{endpoint-errors,
#                notebook-cpu,notebook-memory,spark-cpu,spark-memory}?range=3600, and
#                endpoint-requests too when the namespace has endpoints
# (not the static assets: index.html and the JS chunks, cached by the browser after a first visit).
# They are replayed for alice@example.com (owner of the profile alice, with the stack's notebook,
# Spark application, InferenceService, MLflow experiment and quota) with the identity from the
# trusted gateway's kubeflow-userid header:
#   1. sequentially, one call after the other on one keep-alive connection;
#   2. as the browser does: each call as soon as what it waits for has answered, on up to six
#      keep-alive connections (a browser's limit per HTTP/1.1 origin).
# Each way: one untimed load, then BENCH_LOADS loads (50): the whole set's p50/p90/p99/max, each
# call's median (sequential), kfdash's CPU time per load, and its RSS. Every call must answer 2xx
# with JSON (and the namespace's notebook, Spark application, endpoint, MLflow runs and charts
# must be in the answers): otherwise the call is printed and the script fails, so the figures are
# of real answers. kfdash runs with --user-requests-per-s raised (loads back to back would
# otherwise meet the per-user rate limit, 200/s, which is not what is measured here).
#
#   tests/bench/home.sh [path/to/kfdash]   (default: build-release/kfdash)
#
# The peers: the stack of $KFDASH_STACK_DIR/env when KFDASH_STACK_DIR is set (used as it is and
# left running; the scale profiles are seeded into it and stay), else one of its own (stack.sh up:
# the apiserver, MLflow, Prometheus, ...; state in ~/.cache/kfdash/stack-bench-home), stopped and
# purged at the end. The 1,000 profiles as profiles.sh makes them (seed.py scale).
# Logs: build-release/home-*.log.
# Knobs: BENCH_LOADS (50), BENCH_PROFILES (1000), BENCH_CONTRIBUTORS (5), BENCH_USERS (1000),
# BENCH_PARALLEL (connections of the concurrent loads, 6).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-$ROOT/build-release/kfdash}
LOADS=${BENCH_LOADS:-50}
PROFILES=${BENCH_PROFILES:-1000}
CONTRIBUTORS=${BENCH_CONTRIBUTORS:-5}
USERS=${BENCH_USERS:-1000}
PARALLEL=${BENCH_PARALLEL:-6}
USER_EMAIL=alice@example.com
NS=alice
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"
bench_init home curl jq python3
bench_stack_pick
bench_stack_up
LOAD_START=$(load)
[[ -n ${MLFLOW_URL:-} && -n ${PROMETHEUS_URL:-} && -n ${KFDASH_CONNECT_TO:-} && -n ${KFDASH_STACK_KFDASH_TOKEN_FILE:-} ]] ||
  die "$KFDASH_STACK_DIR/env has no MLflow, Prometheus or kfdash token: a stack from tests/stack/stack.sh up is needed"

# ---------------------------------------------------------------- 1,000 profiles
kapi() { # PATH -> the apiserver's answer, as the stack's admin
  curl -sS --fail-with-body --cacert "$KFDASH_STACK_CA" --cert "$KFDASH_STACK_ADMIN_CERT" \
    --key "$KFDASH_STACK_ADMIN_KEY" "$KFDASH_APISERVER$1"
}
LAST=$(printf 'scale-%04d' $((PROFILES - 1)))
if ((!OWN_STACK)) && kapi "/apis/kubeflow.org/v1/profiles/$LAST" >/dev/null 2>&1; then
  say "the stack has the scale profiles already (up to $LAST): not seeding them again"
  SEED_S="- (seeded before)"
else
  py=$("$ROOT/tools/venv.sh" "$ROOT/tests/requirements.txt")
  say "seeding $PROFILES profiles x $CONTRIBUTORS contributors (seed.py scale; log: $LOGS/home-seed.log)"
  t0=$SECONDS
  "$py" "$ROOT/tests/stack/seed.py" scale --profiles "$PROFILES" --contributors "$CONTRIBUTORS" --users "$USERS" \
    >"$LOGS/home-seed.log" 2>&1 || die "seed.py scale failed: see $LOGS/home-seed.log"
  SEED_S="$((SECONDS - t0)) s"
fi
N_PROFILES=$(kapi /apis/kubeflow.org/v1/profiles | jq '.items | length') || die "could not list the Profiles"
((N_PROFILES >= PROFILES)) || die "the apiserver has $N_PROFILES profiles, not $PROFILES or more"

# ---------------------------------------------------------------- kfdash
SCRAPE=${PROMETHEUS_SCRAPE_INTERVAL:-30}
SCRAPE=${SCRAPE%s} # the env says "5s"
t0=$(date +%s.%N)
BENCH_READY_S=180 bench_kfdash --mlflow-url "$MLFLOW_URL" --prometheus-url "$PROMETHEUS_URL" \
  --prometheus-scrape-interval "$SCRAPE" --connect-to "$KFDASH_CONNECT_TO" --user-requests-per-s 100000
READY_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
RSS_READY=$(awk '/^VmRSS/ { print $2 }' "/proc/$kpid/status")

# ---------------------------------------------------------------- the loads
cat >"$TMP/home_load.py" <<'PY'
"""Replays Home's API calls against kfdash (see home.sh): check, sequential, concurrent."""
import gzip, http.client, json, math, statistics, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

base, user, ns, loads, parallel, pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
host = base.split("//", 1)[1]
HOUR = 3600
# As the browser sends them (fetch from the page, same origin); the identity as the gateway's.
HEADERS = {"kubeflow-userid": user, "Accept": "application/json", "Accept-Encoding": "gzip",
           "Cookie": "kfdash_ns=" + quote(ns, safe=""), "Sec-Fetch-Site": "same-origin",
           "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
enc = lambda s: quote(s, safe="")

class Failed(Exception):
    pass

local = threading.local()

def conn():
    c = getattr(local, "conn", None)
    if c is None:
        c = local.conn = http.client.HTTPConnection(host, timeout=60)
    return c

def call(method, path, body=None, headers=None):
    """One call on this thread's keep-alive connection: (json, wire bytes, ms); raises on non-2xx."""
    h = dict(HEADERS, **(headers or {}))
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
        h["Origin"] = base
    t0 = time.perf_counter()
    for attempt in (0, 1):
        c = conn()
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            raw = r.read()
            break
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            c.close()  # the server closed an idle keep-alive connection: once more on a new one
            local.conn = None
            if attempt:
                raise
    ms = (time.perf_counter() - t0) * 1000
    text = gzip.decompress(raw) if r.getheader("Content-Encoding") == "gzip" else raw
    if not 200 <= r.status < 300:
        raise Failed(f"{method} {path} answered {r.status}: {text[:600].decode(errors='replace')}")
    try:
        doc = json.loads(text) if text else {}
    except ValueError:
        raise Failed(f"{method} {path} answered {r.status} with no JSON: {text[:300]!r}")
    record.append((f"{method} {path}", len(raw), len(text), ms))
    return doc

record = []
per_call = {}
MLFLOW = "/mlflow/ajax-api/2.0/mlflow/"
MLH = {"X-MLFLOW-WORKSPACE": ns}

def runs():
    ex = call("POST", MLFLOW + "experiments/search", {"max_results": 50, "order_by": ["last_update_time DESC"]}, MLH)
    ids = [e["experiment_id"] for e in ex.get("experiments", []) if e.get("experiment_id")]
    if not ids:
        return {"experiments": 0, "runs": []}
    r = call("POST", MLFLOW + "runs/search",
             {"experiment_ids": ids, "max_results": 5, "order_by": ["attributes.start_time DESC"]}, MLH)
    return {"experiments": len(ids), "runs": r.get("runs", [])}

def chart(name):
    return call("GET", f"/api/namespaces/{enc(ns)}/charts/{enc(name)}?range={HOUR}")

NS_CHARTS = ["endpoint-errors", "notebook-cpu", "notebook-memory", "spark-cpu", "spark-memory"]

def check_env(env):
    names = [n.get("namespace") for n in env.get("namespaces", [])]
    if ns not in names:
        raise Failed(f"env-info does not list {ns} for {user}: {names}")
    return names

def load_sequential():
    """Home's calls one after another, in the order the page can make them."""
    out = {}
    for p in ("/api/whoami", "/api/workgroup/env-info", "/api/dashboard-links", "/api/dashboard-settings"):
        out[p] = call("GET", p)
    out["namespaces"] = check_env(out["/api/workgroup/env-info"])
    out["charts"] = call("GET", "/api/charts")
    out["notebooks"] = call("GET", f"/api/namespaces/{enc(ns)}/notebooks")
    out["spark"] = call("GET", f"/api/namespaces/{enc(ns)}/sparkapplications")
    out["quota"] = call("GET", f"/api/namespaces/{enc(ns)}/quota")
    out["isvc"] = call("GET", f"/api/namespaces/{enc(ns)}/inferenceservices")
    out["runs"] = runs()
    out["events"] = call("GET", f"/api/activities/{enc(ns)}")
    if out["charts"].get("configured"):
        for c in NS_CHARTS:
            out[c] = chart(c)
        if out["isvc"].get("inferenceServices"):
            out["endpoint-requests"] = chart("endpoint-requests")
    return out

def load_concurrent(pool):
    """The same calls, each as soon as what it waits for has answered (app.tsx, home_profile.tsx)."""
    sub = pool.submit
    shell = {p: sub(call, "GET", p) for p in ("/api/whoami", "/api/workgroup/env-info", "/api/dashboard-links", "/api/dashboard-settings")}
    check_env(shell["/api/workgroup/env-info"].result())
    charts = sub(call, "GET", "/api/charts")
    cards = [sub(call, "GET", f"/api/namespaces/{enc(ns)}/{r}") for r in ("notebooks", "sparkapplications", "quota")]
    isvc = sub(call, "GET", f"/api/namespaces/{enc(ns)}/inferenceservices")
    cards += [isvc, sub(runs), sub(call, "GET", f"/api/activities/{enc(ns)}")]
    later = []
    if charts.result().get("configured"):
        later = [sub(chart, c) for c in NS_CHARTS]
        if isvc.result().get("inferenceServices"):
            later.append(sub(chart, "endpoint-requests"))
    for f in list(shell.values()) + cards + later:
        f.result()

def ticks():
    with open(f"/proc/{pid}/stat") as f:
        v = f.read().rsplit(")", 1)[1].split()
    return int(v[11]) + int(v[12])

def pct(v, p):  # nearest rank
    v = sorted(v)
    return v[min(len(v) - 1, max(0, math.ceil(p / 100 * len(v)) - 1))]

def timed(one):
    """One untimed load, then `loads` timed: (ms list, calls, wire bytes, body bytes, kfdash CPU ms/load)."""
    global record
    record = []
    one()
    per_call.clear()
    ms, n, wire, body = [], set(), set(), set()
    t0 = ticks()
    for _ in range(loads):
        record = []
        s = time.perf_counter()
        one()
        ms.append((time.perf_counter() - s) * 1000)
        n.add(len(record)); wire.add(sum(r[1] for r in record)); body.add(sum(r[2] for r in record))
    cpu = (ticks() - t0) * 1000 / TCK / loads
    return ms, record, n, wire, body, cpu

TCK = int(sys.argv[7])
mlflow_host = sys.argv[8].split("//", 1)[1]

def mlflow_direct():
    """The two MLflow searches straight to MLflow (same bodies, same workspace): per call, ms."""
    c = http.client.HTTPConnection(mlflow_host, timeout=60)
    ms = {}
    def post(endpoint, body):
        t0 = time.perf_counter()
        c.request("POST", "/ajax-api/2.0/mlflow/" + endpoint, body=json.dumps(body).encode(),
                  headers={"X-MLFLOW-WORKSPACE": ns, "Content-Type": "application/json", "Accept-Encoding": "gzip"})
        r = c.getresponse()
        raw = r.read()
        if r.status != 200:
            raise Failed(f"MLflow directly: POST {endpoint} answered {r.status}: {raw[:300]!r}")
        ms.setdefault(endpoint, []).append((time.perf_counter() - t0) * 1000)
        return json.loads(raw)
    for i in range(loads + 1):
        ex = post("experiments/search", {"max_results": 50, "order_by": ["last_update_time DESC"]})
        ids = [e["experiment_id"] for e in ex.get("experiments", [])]
        post("runs/search", {"experiment_ids": ids, "max_results": 5, "order_by": ["attributes.start_time DESC"]})
        if i == 0:
            ms.clear()
    for endpoint, v in ms.items():
        print(f"DIRECT POST {MLFLOW}{endpoint} {statistics.median(v):.2f}")
try:
    # What one load answers, so the figures are of real answers.
    record = []
    out = load_sequential()
    facts = {
        "namespaces": out["namespaces"],
        "notebooks": [n.get("name") for n in out["notebooks"].get("notebooks", [])],
        "spark": [a.get("name") for a in out["spark"].get("applications", [])],
        "endpoints": [e.get("name") for e in out["isvc"].get("inferenceServices", [])],
        "quotas": len(out["quota"].get("quotas", [])),
        "experiments": out["runs"]["experiments"],
        "runs": len(out["runs"]["runs"]),
        "events": len(out["events"] if isinstance(out["events"], list) else out["events"].get("items", [])),
        "charts_configured": out["charts"].get("configured"),
        "chart_series": {c: len(out[c].get("series", [])) for c in NS_CHARTS + ["endpoint-requests"] if c in out},
    }
    missing = [k for k in ("notebooks", "spark", "endpoints") if not facts[k]]
    if not facts["charts_configured"]:
        missing.append("charts (Prometheus not configured)")
    if not facts["runs"]:
        missing.append("MLflow runs")
    if missing:
        raise Failed(f"the answers for {ns} lack {', '.join(missing)}: {json.dumps(facts)}")
    print("FACTS " + json.dumps(facts))
    for path, wire, body, ms in record:
        print(f"CALL {path} {wire} {body} {ms:.2f}")
    def seq():
        load_sequential()
        for path, _, _, ms in record:
            per_call.setdefault(path, []).append(ms)
    ms, rec, n, wire, body, cpu = timed(seq)
    if len(n) != 1:
        raise Failed(f"the sequential loads made different numbers of calls: {sorted(n)}")
    print(f"LOAD sequential {n.pop()} {max(wire)} {max(body)} {statistics.median(ms):.2f} {pct(ms, 90):.2f} {pct(ms, 99):.2f} {max(ms):.2f} {cpu:.2f}")
    for path, v in per_call.items():
        print(f"PERCALL {path} {statistics.median(v):.2f} {pct(v, 99):.2f}")
    mlflow_direct()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        ms, rec, n, wire, body, cpu = timed(lambda: load_concurrent(pool))
    if len(n) != 1:
        raise Failed(f"the concurrent loads made different numbers of calls: {sorted(n)}")
    print(f"LOAD concurrent {n.pop()} {max(wire)} {max(body)} {statistics.median(ms):.2f} {pct(ms, 90):.2f} {pct(ms, 99):.2f} {max(ms):.2f} {cpu:.2f}")
except Failed as e:
    print(f"FAIL {e}")
    sys.exit(1)
PY

# Whom kfdash sees: one namespace (owned) among the profiles.
ENV_INFO=$(curl -s -H "kubeflow-userid: $USER_EMAIL" "$K/api/workgroup/env-info")
USER_NS=$(jq -c '[.namespaces[] | "\(.namespace) (\(.role))"]' <<<"$ENV_INFO") || die "env-info: $ENV_INFO"

say "replaying Home's calls: 1 + $LOADS loads sequentially, then 1 + $LOADS as the browser does ($PARALLEL connections)"
python3 "$TMP/home_load.py" "$K" "$USER_EMAIL" "$NS" "$LOADS" "$PARALLEL" "$kpid" "$(getconf CLK_TCK)" "$MLFLOW_URL" >"$TMP/load.out" 2>&1 || {
  grep '^FAIL ' "$TMP/load.out" >&2 || tail -n 20 "$TMP/load.out" >&2
  die "a call of the home page failed (above)"
}
kill -0 "$kpid" 2>/dev/null || die "kfdash died during the loads"
RSS_AFTER=$(awk '/^VmRSS/ { print $2 }' "/proc/$kpid/status")
HWM=$(awk '/^VmHWM/ { print $2 }' "/proc/$kpid/status")
LOAD_END=$(load)

# ---------------------------------------------------------------- report
facts=$(sed -n 's/^FACTS //p' "$TMP/load.out")
echo
echo "Home for $USER_EMAIL (namespace $NS) with $N_PROFILES profiles ($PROFILES scale-NNNN x $CONTRIBUTORS contributors + the stack's)"
bench_machine
echo "seed.py scale: $SEED_S; kfdash ready (caches synced) ${READY_S} s after start; MLflow $MLFLOW_URL, Prometheus $PROMETHEUS_URL (scrape ${SCRAPE} s)"
echo "kfdash sees for $USER_EMAIL: $USER_NS"
echo "the answers: $(jq -r '"notebooks \(.notebooks), Spark applications \(.spark), endpoints \(.endpoints), quotas \(.quotas), MLflow experiments \(.experiments) runs \(.runs), events \(.events), chart series \(.chart_series | to_entries | map("\(.key) \(.value)") | join(", "))"' <<<"$facts")"
echo
echo "one load's calls (the untimed first load; bytes of the body on the wire (gzip) / as JSON):"
echo "ms p50: the call's median over the sequential loads; direct: the same MLflow call straight to MLflow, median"
printf '  %-64s %6s %6s %8s %7s %7s\n' call wire json "ms 1st" "ms p50" direct
declare -A P50 DIRECT
while read -r _ path p50 _; do P50[$path]=$p50; done < <(sed -n 's/^PERCALL \([A-Z]*\) /PERCALL \1_/p' "$TMP/load.out")
while read -r _ path p50; do DIRECT[$path]=$p50; done < <(sed -n 's/^DIRECT \([A-Z]*\) /DIRECT \1_/p' "$TMP/load.out")
while read -r _ method path wire body ms; do
  printf '  %-64s %6s %6s %8s %7s %7s\n' "$method ${path/#\/mlflow\/ajax-api\/2.0\/mlflow\//\/mlflow\/.../}" "$wire" "$body" "$ms" \
    "${P50[${method}_$path]:--}" "${DIRECT[${method}_$path]:-}"
done < <(grep '^CALL ' "$TMP/load.out")
echo
printf '%-44s %5s %9s %9s %8s %8s %8s %8s %12s\n' "whole load ($LOADS loads)" calls "wire B" "json B" "p50 ms" "p90 ms" "p99 ms" "max ms" "kfdash CPU ms"
while read -r _ how n wire body p50 p90 p99 max cpu; do
  label="sequential, 1 connection"
  [[ $how == concurrent ]] && label="as the browser, up to $PARALLEL connections"
  printf '%-44s %5s %9s %9s %8s %8s %8s %8s %12s\n' "$label" "$n" "$wire" "$body" "$p50" "$p90" "$p99" "$max" "$cpu"
done < <(grep '^LOAD ' "$TMP/load.out")
echo "(kfdash CPU ms: its user+system CPU time per load, all threads; it also waits on the apiserver, MLflow and Prometheus)"
echo
echo "kfdash RSS: $RSS_READY kB when ready, $RSS_AFTER kB after the loads, peak $HWM kB"
bench_busy_note
