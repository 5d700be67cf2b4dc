#!/usr/bin/env bash
# `make bench`, the authorizer: kfdash's /auth/check next to oauth2-proxy's /oauth2/auth (what
# Kubeflow 1.9+ runs), in two tables:
#   1. a browser session: each asked about a request carrying its own session cookie
#      (kfdash_session, _oauth2_proxy), both got by signing in as alice through the same real
#      Dex's password form (tests/bench/browser_login.py);
#   2. a bearer ID token: both asked about the same request carrying the same Dex ID token,
#      verified against that Dex (oauth2-proxy with --skip-jwt-bearer-tokens).
#
#   tests/bench/authz.sh [path/to/kfdash]   (default: build-release/kfdash)
#
# Picks kfdash's and oauth2-proxy's loopback ports first (their callbacks must be registered at
# Dex), starts a control plane and Dex of its own (tests/stack/k8s-up.sh, state in
# ~/.cache/kfdash/stack-bench), the demo users, kfdash (session store in a temporary
# --state-dir) and oauth2-proxy, then wrk -t2 with keep-alive at 64 and 256 connections. Prints
# req/s, p50, p99 and the ratio; never compares with a budget. Fails when a server does not
# start, a sign-in fails, or wrk sees a non-2xx answer. Logs: build-release/authz-*.log.
# Knobs: BENCH_DURATION (s, default 8), BENCH_CONNS ("64 256").
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${1:-$ROOT/build-release/kfdash}
DURATION=${BENCH_DURATION:-8}
CONNS=${BENCH_CONNS:-"64 256"}
export KFDASH_STACK_DIR=${KFDASH_CACHE:-$HOME/.cache/kfdash}/stack-bench
STACK=$ROOT/tests/stack
# shellcheck source=../stack/versions.sh
source "$STACK/versions.sh"

die() { echo "bench authz: $*" >&2; exit 1; }
[[ -x $BIN ]] || die "no kfdash binary at $BIN (build it first)"

LOGS=$ROOT/build-release
mkdir -p "$LOGS"
STATE=$(mktemp -d "${TMPDIR:-/tmp}/kfdash-bench-state.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$STACK/k8s-down.sh" --purge >/dev/null 2>&1 || true
  rm -rf "$STATE"
}
trap cleanup EXIT

# free_port: a port nothing listens on, from 20000 (above the stack suite's fixed sign-in ports
# 18555-18557) up to the ephemeral range. Both ports are picked before the stack starts (Dex
# must know the callbacks); the stack's own free ports (bind to 0) and its outgoing connections
# come from the ephemeral range, so they cannot take these meanwhile.
free_port() {
  python3 -c '
import random, socket
lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for port in random.sample(range(20000, max(lo, 20001)), min(500, max(lo - 20000, 1))):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
else:
    raise SystemExit("no free port below the ephemeral range")'
}

wait_for() { # URL expected-status
  for _ in $(seq 150); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "${@:3}" "$1") == "$2" ]] && return 0
    sleep 0.1
  done
  die "$1 did not answer $2"
}

kport=$(free_port)
oport=$(free_port)
while [[ $oport == "$kport" ]]; do oport=$(free_port); done
KCALLBACK=http://127.0.0.1:$kport/auth/callback
OCALLBACK=http://127.0.0.1:$oport/oauth2/callback
export KFDASH_DEX_REDIRECT_URIS="$KCALLBACK $OCALLBACK"

echo "bench authz: starting a control plane and Dex (${KFDASH_STACK_DIR})" >&2
"$STACK/build-peers.sh" oauth2-proxy >&2
"$STACK/k8s-up.sh" >"$LOGS/authz-stack.log" 2>&1 || die "stack failed: see $LOGS/authz-stack.log"
# shellcheck source=/dev/null
source "$KFDASH_STACK_DIR/env"
py=$("$ROOT/tools/venv.sh" "$ROOT/tests/requirements.txt")
"$py" "$STACK/seed.py" dex-users >/dev/null
token=$(curl -sf -u "$DEX_CLIENT_ID:$DEX_CLIENT_SECRET" -d grant_type=password \
  -d 'scope=openid email profile' -d username=alice@example.com \
  -d "password=$KFDASH_DEMO_PASSWORD_ALICE" "$DEX_ISSUER/token" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["id_token"])')

# Without Kubernetes, as oauth2-proxy: the stack's env names its KUBECONFIG, and kfdash with a
# cluster is ready only once its profile caches are (this control plane has no CRDs). The
# per-user limits are lifted: one user makes every request of a run.
env -u KUBECONFIG KFDASH_OIDC_CLIENT_SECRET=$DEX_CLIENT_SECRET "$BIN" --listen "127.0.0.1:$kport" \
  --access-log false --oidc-issuer "$DEX_ISSUER" --oidc-client-id "$DEX_CLIENT_ID" \
  --oidc-redirect-url "$KCALLBACK" --state-dir "$STATE" --user-requests-per-s 1000000 \
  --user-requests-in-flight 100000 2>"$LOGS/authz-kfdash.log" &
pids+=($!)
kpid=$!
wait_for "http://127.0.0.1:$kport/readyz" 200

"${KFDASH_CACHE:-$HOME/.cache/kfdash}/bin/oauth2-proxy-$OAUTH2_PROXY_VERSION" --provider=oidc \
  --oidc-issuer-url="$DEX_ISSUER" --client-id="$DEX_CLIENT_ID" --client-secret="$DEX_CLIENT_SECRET" \
  --cookie-secret="$(openssl rand -hex 16)" --cookie-secure=false --email-domain='*' \
  --http-address="127.0.0.1:$oport" --upstream=static://202 \
  --redirect-url="$OCALLBACK" --skip-jwt-bearer-tokens=true \
  --request-logging=false --auth-logging=false --standard-logging=false \
  >"$LOGS/authz-oauth2-proxy.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$oport/ping" 200

# Browser sessions: sign in as alice at each, as a browser would (the sign-in starts at the
# server, goes through Dex's password form and comes back to the server's callback).
signin() { # START-URL COOKIE-NAME SERVER-LOG
  "$py" "$HERE/browser_login.py" "$1" --email alice@example.com \
    --password-env KFDASH_DEMO_PASSWORD_ALICE --cookie "$2" ||
    { tail -n 20 "$3" >&2; die "sign-in at $1 failed (log above: $3)"; }
}
ksession=$(signin "http://127.0.0.1:$kport/auth/login?rd=/" kfdash_session "$LOGS/authz-kfdash.log")
osession=$(signin "http://127.0.0.1:$oport/oauth2/start?rd=/" _oauth2_proxy "$LOGS/authz-oauth2-proxy.log")
kcookie=(-H "Cookie: kfdash_session=$ksession")
ocookie=(-H "Cookie: _oauth2_proxy=$osession")
auth=(-H "Authorization: Bearer $token")

# Each check answers yes with its credential, and no without one (so the credential is what
# the figures measure), and kfdash names the user signed in.
wait_for "http://127.0.0.1:$kport/auth/check" 401
wait_for "http://127.0.0.1:$oport/oauth2/auth" 401
wait_for "http://127.0.0.1:$kport/auth/check" 200 "${kcookie[@]}"
wait_for "http://127.0.0.1:$oport/oauth2/auth" 202 "${ocookie[@]}"
wait_for "http://127.0.0.1:$kport/auth/check" 200 "${auth[@]}"
wait_for "http://127.0.0.1:$oport/oauth2/auth" 202 "${auth[@]}"
user=$(curl -s -o /dev/null -D - "${kcookie[@]}" "http://127.0.0.1:$kport/auth/check" |
  awk -F': ' 'tolower($1) == "kubeflow-userid" { sub(/\r$/, "", $2); print $2 }')
[[ $user == alice@example.com ]] || die "kfdash /auth/check with the session: kubeflow-userid '$user', not alice@example.com"

# wrk: "Requests/sec" and the 50 % / 99 % latencies, as "req/s p50 p99 non-2xx".
measure() { # URL CONNS HEADER-ARGS...
  wrk -t2 -c"$2" -d"${DURATION}s" --latency "${@:3}" "$1" |
    awk '/Requests\/sec/ {r=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
         /Non-2xx/ {bad=$NF} END {print r, p50, p99, bad+0}'
}

# table TITLE KFDASH-HEADER-ARRAY OAUTH2-PROXY-HEADER-ARRAY: one wrk run per server and
# connection count, kfdash first.
table() {
  local -n kh=$2 oh=$3
  printf '\n%s (wrk -t2, keep-alive, %ss per run)\n' "$1" "$DURATION"
  printf '%-6s %14s %9s %9s  %14s %9s %9s  %6s\n' conns "kfdash req/s" p50 p99 "oauth2 req/s" p50 p99 ratio
  for c in $CONNS; do
    read -r kr k50 k99 kbad < <(measure "http://127.0.0.1:$kport/auth/check" "$c" "${kh[@]}")
    read -r or o50 o99 obad < <(measure "http://127.0.0.1:$oport/oauth2/auth" "$c" "${oh[@]}")
    # oauth2-proxy answers 202, which wrk counts as 2xx; anything else is an error here.
    ((kbad == 0 && obad == 0)) || die "non-2xx answers (kfdash $kbad, oauth2-proxy $obad)"
    ratio=$(awk -v a="$kr" -v b="$or" 'BEGIN { printf "%.1f", b ? a / b : 0 }')
    printf '%-6s %14s %9s %9s  %14s %9s %9s  %6s\n' "$c" "$kr" "$k50" "$k99" "$or" "$o50" "$o99" "${ratio}x"
  done
}

printf '\nkfdash /auth/check (threads: %s) vs oauth2-proxy %s /oauth2/auth\n' "$(nproc)" "$OAUTH2_PROXY_VERSION"
table "authorizer check with a valid browser session (cookie kfdash_session vs _oauth2_proxy)" \
  kcookie ocookie
table "authorizer check with a valid bearer ID token (oauth2-proxy --skip-jwt-bearer-tokens)" \
  auth auth
printf '\nkfdash RSS after the runs: %s kB (peak %s kB)\n' \
  "$(awk '/VmRSS/ {print $2}' "/proc/$kpid/status")" "$(awk '/VmHWM/ {print $2}' "/proc/$kpid/status")"
