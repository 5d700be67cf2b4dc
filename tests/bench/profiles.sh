#!/usr/bin/env bash
# `make bench`, profiles at scale: kfdash's answers from its in-memory caches of Profiles and
# RoleBindings (list+watch of the apiserver) with 1,000 profiles and 5,000 contributor
# RoleBindings seeded, and a list forwarded through /api/k8s next to the same list asked of the
# apiserver directly. (Kubeflow's dashboard was reported at 10-21 s for a page with 11 profiles:
# kubeflow/kubeflow#5411.)
#
#   tests/bench/profiles.sh [path/to/kfdash]   (default: build-release/kfdash)
#
# The control plane: the stack of $KFDASH_STACK_DIR/env when KFDASH_STACK_DIR is set (used as it
# is and left running; the scale profiles are seeded into it and stay), else one of its own
# (tests/stack/k8s-up.sh without Dex, state in ~/.cache/kfdash/stack-bench-profiles, the CRDs,
# Kubeflow roles, kfdash's ServiceAccount and the demo profiles), stopped and purged at the end.
# Then `seed.py scale` (1,000 profiles scale-NNNN, 5 contributors each from a pool of 1,000
# users: user-0000@example.com is contributor (edit) in 5 of them), a few Notebooks in
# scale-0000, and kfdash with the identity from the trusted gateway header (so the figures are
# about the caches, not sign-in), measured once GET /readyz says its caches are synced:
#   1. env-info, /api/namespaces (and get-all-namespaces for the admin) for a contributor and a
#      cluster admin: wrk -t2 keep-alive, and 50 sequential requests on one connection (curl,
#      after one untimed request), which is the single-request latency;
#   2. a Notebook list through kfdash (/api/k8s/..., role check + SubjectAccessReview cached
#      5 s, impersonating the user) vs the very request kfdash sends, straight to the apiserver
#      (kfdash's ServiceAccount token + Impersonate-User, which wrk can send over https; wrk
#      cannot present a client certificate), both with wrk; the admin client certificate
#      (system:masters, no impersonation) appears in the sequential figures.
# Prints req/s, p50, p99, the ratio kfdash/direct and kfdash's RSS; never compares with a
# budget (wrk's socket errors and timeouts are printed next to their row). Fails when something
# does not start, the seed fails, or an answer is not 2xx.
# Logs: build-release/profiles-*.log.
# Knobs: BENCH_DURATION (s, default 8), BENCH_CONNS (default 64), BENCH_PROFILES (1000),
# BENCH_CONTRIBUTORS (5), BENCH_USERS (the contributor pool, 1000), BENCH_NOTEBOOKS (10),
# BENCH_SEQ (sequential requests, 50).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-$ROOT/build-release/kfdash}
DURATION=${BENCH_DURATION:-8}
CONNS=${BENCH_CONNS:-64}
PROFILES=${BENCH_PROFILES:-1000}
CONTRIBUTORS=${BENCH_CONTRIBUTORS:-5}
USERS=${BENCH_USERS:-1000}
NOTEBOOKS=${BENCH_NOTEBOOKS:-10}
SEQ=${BENCH_SEQ:-50}
STACK=$ROOT/tests/stack
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$HERE/lib.sh"
bench_init profiles curl wrk jq python3
: >"$LOGS/profiles-seed.log"
STATE=$TMP
bench_stack_pick
LOAD_START=$(load)

py=$("$ROOT/tools/venv.sh" "$ROOT/tests/requirements.txt")
seed() { "$py" "$STACK/seed.py" "$@"; }
if ((OWN_STACK)); then
  say "starting a control plane (${KFDASH_STACK_DIR}, no Dex)"
  t0=$SECONDS
  KFDASH_NO_DEX=1 "$STACK/k8s-up.sh" >"$LOGS/profiles-stack.log" 2>&1 ||
    die "stack failed: see $LOGS/profiles-stack.log"
  say "control plane up in $((SECONDS - t0)) s"
fi
# shellcheck source=/dev/null
source "$KFDASH_STACK_DIR/env"
if ((OWN_STACK)) || [[ -z ${KFDASH_STACK_KFDASH_TOKEN_FILE:-} ]]; then
  {
    "$STACK/stack.sh" rbac "$STATE/kfdash-rbac.yaml"
    # Dex's namespace: kfdash's role reads its Password objects there (no Dex runs here).
    printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: auth\n' >"$STATE/auth.yaml"
    seed apply "$STACK"/manifests/crds.yaml "$STACK"/manifests/roles.yaml "$STACK"/manifests/kfdash-stack.yaml \
      "$STATE/auth.yaml" "$STATE/kfdash-rbac.yaml" "$STACK"/manifests/kfdash-token.yaml
    seed kfdash-credentials --out "$STATE"
    seed profiles
  } >>"$LOGS/profiles-seed.log" 2>&1 || die "seeding the stack failed: see $LOGS/profiles-seed.log"
  KFDASH_STACK_KFDASH_TOKEN_FILE=$STATE/kfdash.token
else
  say "using the stack of $KFDASH_STACK_DIR/env ($KFDASH_APISERVER); the scale profiles stay in it"
fi

say "seeding $PROFILES profiles x $CONTRIBUTORS contributors (seed.py scale; log: $LOGS/profiles-seed.log)"
t0=$(date +%s.%N)
seed scale --profiles "$PROFILES" --contributors "$CONTRIBUTORS" --users "$USERS" \
  >>"$LOGS/profiles-seed.log" 2>&1 || die "seed.py scale failed: see $LOGS/profiles-seed.log"
SEED_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
SEED_LINE=$(grep '^scale: .* applied in' "$LOGS/profiles-seed.log" | tail -n1)

# The users: a contributor of a few scale profiles, and a cluster admin (kfdash's config only).
USER_C=user-0000@example.com
USER_A=admin@example.com
NS=scale-0000
USER_C_PROFILES=$(awk -v p="$PROFILES" -v m="$CONTRIBUTORS" -v u="$USERS" \
  'BEGIN { n = 0; for (i = 0; i < p; i++) for (j = 0; j < m; j++) if ((i * m + j) % u == 0) n++; print n }')

# Notebooks in $NS, as the notebook controller's users make them (server-side apply).
kapi() { # METHOD PATH [curl args...]
  curl -sS --fail-with-body --cacert "$KFDASH_STACK_CA" --cert "$KFDASH_STACK_ADMIN_CERT" \
    --key "$KFDASH_STACK_ADMIN_KEY" -X "$1" "${@:3}" "$KFDASH_APISERVER$2"
}
for ((i = 0; i < NOTEBOOKS; i++)); do
  nb=$(printf 'nb-%02d' "$i")
  kapi PATCH "/apis/kubeflow.org/v1/namespaces/$NS/notebooks/$nb?fieldManager=kfdash-bench&force=true" \
    -H 'Content-Type: application/apply-patch+yaml' --data "$(jq -nc --arg nb "$nb" --arg ns "$NS" '{
      apiVersion: "kubeflow.org/v1", kind: "Notebook",
      metadata: {name: $nb, namespace: $ns, labels: {app: $nb},
                 annotations: {"notebooks.kubeflow.org/server-type": "jupyter",
                               "notebooks.kubeflow.org/creator": "user-0000@example.com"}},
      spec: {template: {spec: {containers: [{name: $nb, image: "kubeflownotebookswg/jupyter-scipy:v1.9.0",
        env: [{name: "NB_PREFIX", value: ("/notebook/" + $ns + "/" + $nb)}],
        resources: {requests: {cpu: "500m", memory: "1Gi"}}}]}}}}')" >/dev/null ||
    die "could not create Notebook $NS/$nb"
done

# ---------------------------------------------------------------- kfdash
t0=$(date +%s.%N)
BENCH_READY_S=120 bench_kfdash --cluster-admins "$USER_A"
READY_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
CACHES=$(curl -s "$K/readyz" | jq -r '.checks[] | select(.name == "kubernetes") | .detail')
RSS_READY=$(awk '/VmRSS/ {print $2}' "/proc/$kpid/status")

uc=(-H "kubeflow-userid: $USER_C")
ua=(-H "kubeflow-userid: $USER_A")
TOKEN=$(cat "$KFDASH_STACK_KFDASH_TOKEN_FILE")
LIST=/apis/kubeflow.org/v1/namespaces/$NS/notebooks
direct_sa=(-H "Authorization: Bearer $TOKEN" -H "Impersonate-User: $USER_C")

# What each answers, so the figures measure the right thing.
get() { # URL CURL-ARGS... -> body; dies unless 200
  local out code
  out=$(curl -s -w '\n%{http_code}' "${@:2}" "$1") || die "GET $1 failed"
  code=${out##*$'\n'}
  [[ $code == 200 ]] || die "GET $1 answered $code: ${out%$'\n'*}"
  printf '%s' "${out%$'\n'*}"
}
C_ENV=$(get "$K/api/workgroup/env-info" "${uc[@]}" | jq '.namespaces | length')
C_NS=$(get "$K/api/namespaces" "${uc[@]}" | jq 'length')
A_ENV=$(get "$K/api/workgroup/env-info" "${ua[@]}" | jq '"\(.namespaces | length) namespaces, isClusterAdmin \(.isClusterAdmin)"' -r)
A_NS=$(get "$K/api/namespaces" "${ua[@]}" | jq 'length')
A_ALL=$(get "$K/api/workgroup/get-all-namespaces" "${ua[@]}" | jq 'length')
items() { jq -c '[.items[].metadata.name]'; }
L_KF=$(get "$K/api/k8s$LIST" "${uc[@]}" | items)
L_SA=$(get "$KFDASH_APISERVER$LIST" --cacert "$KFDASH_STACK_CA" "${direct_sa[@]}" | items)
L_AD=$(get "$KFDASH_APISERVER$LIST" --cacert "$KFDASH_STACK_CA" --cert "$KFDASH_STACK_ADMIN_CERT" \
  --key "$KFDASH_STACK_ADMIN_KEY" | items)
[[ $L_KF == "$L_SA" && $L_KF == "$L_AD" ]] ||
  die "the Notebook lists differ: kfdash $L_KF, direct (impersonating) $L_SA, direct (admin) $L_AD"
LIST_BYTES=$(curl -s -o /dev/null -w '%{size_download}' "${uc[@]}" "$K/api/k8s$LIST")
# The user may not list in a profile they have no role in (kfdash refuses before the apiserver).
code=$(curl -s -o /dev/null -w '%{http_code}' "${uc[@]}" "$K/api/k8s/apis/kubeflow.org/v1/namespaces/scale-0001/notebooks")
[[ $code == 403 ]] || die "$USER_C listing notebooks in scale-0001 (not theirs) got $code, not 403"

# ---------------------------------------------------------------- measures
# wrk: "req/s p50 p99 errors" (p50/p99 in ms; errors: wrk's socket errors and timeouts, "-" if
# none: a slow answer is a figure, not a failure); dies on a non-2xx answer.
measure() { # URL HEADER-ARGS...
  local out
  out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --timeout 30s -s "$HERE/report.lua" "${@:2}" "$1") ||
    die "wrk failed for $1"
  local _ n dur p50 p99 ec er ew es et line err="-"
  line=$(grep '^RESULT ' <<<"$out") || die "no result from wrk for $1"
  read -r _ n dur p50 p99 ec er ew es et _ <<<"$line"
  ((es == 0)) || die "wrk: $es non-2xx answers from $1"
  ((ec + er + ew + et == 0)) || err="wrk-errors:connect=$ec,read=$er,write=$ew,timeout=$et"
  awk -v n="$n" -v d="$dur" -v a="$p50" -v b="$p99" -v e="$err" \
    'BEGIN { printf "%.0f %.2f %.2f %s\n", n / (d / 1e6), a / 1000, b / 1000, e }'
}
# curl on one keep-alive connection: one untimed request (connection, TLS, what a wrk run left
# queued), then SEQ one after another: "median p90 max" in ms.
sequential() { # URL CURL-ARGS...
  local urls=() i
  for ((i = 0; i <= SEQ; i++)); do urls+=(-o /dev/null "$1"); done
  curl -s -w '%{http_code} %{time_total}\n' "${@:2}" "${urls[@]}" |
    awk '$1 != 200 { bad++ } NR > 1 { print $2 * 1000 } END { if (bad) exit 1 }' | sort -n |
    awk '{ v[NR] = $1 } END { printf "%.2f %.2f %.2f\n", v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], v[NR] }' ||
    die "non-200 answers from $1"
}

row() { # LABEL REQ/S P50 P99 SEQ-P50 SEQ-P90 SEQ-MAX [NOTE]
  printf '%-44s %10s %9s %9s   %9s %9s %9s' "${@:1:7}"
  [[ ${8:--} == - ]] && echo || echo "  $8"
}
# timed LABEL URL ARGS...: a wrk run and the sequential requests, one row; the figures in
# R_RPS R_P50 R_P99 for the ratio. ARGS are curl's; wrk gets only the -H pairs among them.
timed() {
  local label=$1 url=$2 m s e s50 s90 smax
  local args=("${@:3}") hdrs=() i
  for ((i = 0; i < ${#args[@]}; i++)); do
    [[ ${args[i]} == -H ]] && hdrs+=(-H "${args[i + 1]}")
  done
  m=$(measure "$url" "${hdrs[@]}")
  s=$(sequential "$url" "${args[@]}")
  read -r R_RPS R_P50 R_P99 e <<<"$m"
  read -r s50 s90 smax <<<"$s"
  row "$label" "$R_RPS" "$R_P50" "$R_P99" "$s50" "$s90" "$smax" "$e"
}

echo
echo "kfdash with $PROFILES profiles x $CONTRIBUTORS contributors: answers from its caches"
echo "machine: $(nproc) CPUs, load $LOAD_START at the start; $("$BIN" --version 2>/dev/null | head -n1)"
echo "seed: $SEED_S s for seed.py scale (${SEED_LINE:-no summary line})"
echo "kfdash ready (caches synced) ${READY_S} s after start; readyz kubernetes: $CACHES"
echo "$USER_C: contributor in $USER_C_PROFILES scale profiles; env-info lists $C_ENV, /api/namespaces $C_NS"
echo "$USER_A (--cluster-admins): env-info $A_ENV; /api/namespaces $A_NS; get-all-namespaces $A_ALL profiles"
echo
printf 'wrk -t2, %s connections, keep-alive, %ss per run | curl: %s requests in a row on one connection\n' \
  "$CONNS" "$DURATION" "$SEQ"
row "" "req/s" "p50 ms" "p99 ms" "seq p50" "seq p90" "seq max"
timed "env-info           ($USER_C)" "$K/api/workgroup/env-info" "${uc[@]}"
timed "/api/namespaces    ($USER_C)" "$K/api/namespaces" "${uc[@]}"
timed "env-info           ($USER_A)" "$K/api/workgroup/env-info" "${ua[@]}"
timed "/api/namespaces    ($USER_A)" "$K/api/namespaces" "${ua[@]}"
timed "get-all-namespaces ($USER_A)" "$K/api/workgroup/get-all-namespaces" "${ua[@]}"

echo
echo "GET $LIST ($NOTEBOOKS Notebooks, $LIST_BYTES bytes) as $USER_C:"
echo "kfdash /api/k8s (role check, SubjectAccessReview cached 5 s, impersonating) vs the apiserver directly"
row "" "req/s" "p50 ms" "p99 ms" "seq p50" "seq p90" "seq max"
timed "through kfdash" "$K/api/k8s$LIST" "${uc[@]}"
kr=$R_RPS k50=$R_P50 k99=$R_P99
timed "direct: kfdash's token + Impersonate-User" "$KFDASH_APISERVER$LIST" --cacert "$KFDASH_STACK_CA" \
  "${direct_sa[@]}"
dr=$R_RPS d50=$R_P50 d99=$R_P99
s=$(sequential "$KFDASH_APISERVER$LIST" --cacert "$KFDASH_STACK_CA" \
  --cert "$KFDASH_STACK_ADMIN_CERT" --key "$KFDASH_STACK_ADMIN_KEY")
read -r as50 as90 asmax <<<"$s"
row "direct: admin client certificate" "-" "-" "-" "$as50" "$as90" "$asmax"
echo "ratio kfdash/direct (same request): req/s $(ratio "$kr" "$dr"), p50 $(ratio "$k50" "$d50"), p99 $(ratio "$k99" "$d99")"

kill -0 "$kpid" 2>/dev/null || die "kfdash died during the runs"
echo
printf 'kfdash RSS: %s kB when ready, %s kB after the runs (peak %s kB)\n' "$RSS_READY" \
  "$(awk '/VmRSS/ {print $2}' "/proc/$kpid/status")" "$(awk '/VmHWM/ {print $2}' "/proc/$kpid/status")"
LOAD_END=$(load)
bench_busy_note
