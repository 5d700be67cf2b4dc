#!/usr/bin/env bash
# `make bench`, the authorizer: kfdash's /auth/check next to oauth2-proxy's /oauth2/auth (what
# Kubeflow 1.9+ runs), both asked about the same request carrying the same Dex ID token, both
# verifying it against the same real Dex (oauth2-proxy with --skip-jwt-bearer-tokens).
#
#   tests/bench/authz.sh [path/to/kfdash]   (default: build-release/kfdash)
#
# Starts a control plane and Dex of its own (tests/stack/k8s-up.sh, state in
# ~/.cache/kfdash/stack-bench), one demo user, kfdash and oauth2-proxy on free loopback ports,
# then wrk with keep-alive at 64 and 256 connections. Prints req/s, p50, p99 and the ratio;
# never compares with a budget. Knobs: BENCH_DURATION (s, default 8), BENCH_CONNS ("64 256").
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

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$STACK/k8s-down.sh" --purge >/dev/null 2>&1 || true
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_for() { # URL expected-status
  for _ in $(seq 150); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "${@:3}" "$1") == "$2" ]] && return 0
    sleep 0.1
  done
  die "$1 did not answer $2"
}

echo "bench authz: starting a control plane and Dex (${KFDASH_STACK_DIR})" >&2
"$STACK/build-peers.sh" oauth2-proxy >&2
"$STACK/k8s-up.sh" >"$ROOT/build-release/authz-stack.log" 2>&1 || die "stack failed: see build-release/authz-stack.log"
# shellcheck source=/dev/null
source "$KFDASH_STACK_DIR/env"
py=$("$ROOT/tools/venv.sh" "$ROOT/tests/requirements.txt")
"$py" "$STACK/seed.py" dex-users >/dev/null
token=$(curl -sf -u "$DEX_CLIENT_ID:$DEX_CLIENT_SECRET" -d grant_type=password \
  -d 'scope=openid email profile' -d username=alice@example.com \
  -d "password=$KFDASH_DEMO_PASSWORD_ALICE" "$DEX_ISSUER/token" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["id_token"])')

kport=$(free_port)
"$BIN" --listen "127.0.0.1:$kport" --access-log false --oidc-issuer "$DEX_ISSUER" \
  --oidc-client-id "$DEX_CLIENT_ID" 2>"$ROOT/build-release/authz-kfdash.log" &
pids+=($!)
kpid=$!
wait_for "http://127.0.0.1:$kport/readyz" 200

oport=$(free_port)
"${KFDASH_CACHE:-$HOME/.cache/kfdash}/bin/oauth2-proxy-$OAUTH2_PROXY_VERSION" --provider=oidc \
  --oidc-issuer-url="$DEX_ISSUER" --client-id="$DEX_CLIENT_ID" --client-secret="$DEX_CLIENT_SECRET" \
  --cookie-secret="$(openssl rand -hex 16)" --cookie-secure=false --email-domain='*' \
  --http-address="127.0.0.1:$oport" --upstream=static://202 \
  --redirect-url="http://127.0.0.1:$oport/oauth2/callback" --skip-jwt-bearer-tokens=true \
  --request-logging=false --auth-logging=false --standard-logging=false \
  >"$ROOT/build-release/authz-oauth2-proxy.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$oport/ping" 200

auth=(-H "Authorization: Bearer $token")
wait_for "http://127.0.0.1:$kport/auth/check" 200 "${auth[@]}"
wait_for "http://127.0.0.1:$oport/oauth2/auth" 202 "${auth[@]}"

# wrk: "Requests/sec" and the 50 % / 99 % latencies, as "req/s p50 p99".
measure() {
  wrk -t2 -c"$2" -d"${DURATION}s" --latency "${auth[@]}" "$1" |
    awk '/Requests\/sec/ {r=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
         /Non-2xx/ {bad=$NF} END {print r, p50, p99, bad+0}'
}

printf '\nauthorizer check with a valid bearer ID token (wrk -t2, keep-alive, %ss per run)\n' "$DURATION"
printf 'kfdash /auth/check (threads: %s) vs oauth2-proxy %s /oauth2/auth --skip-jwt-bearer-tokens\n\n' \
  "$(nproc)" "$OAUTH2_PROXY_VERSION"
printf '%-6s %14s %9s %9s  %14s %9s %9s  %6s\n' conns "kfdash req/s" p50 p99 "oauth2 req/s" p50 p99 ratio
for c in $CONNS; do
  read -r kr k50 k99 kbad < <(measure "http://127.0.0.1:$kport/auth/check" "$c")
  read -r or o50 o99 obad < <(measure "http://127.0.0.1:$oport/oauth2/auth" "$c")
  # oauth2-proxy answers 202, which wrk counts as 2xx; anything else is an error here.
  ((kbad == 0 && obad == 0)) || die "non-2xx answers (kfdash $kbad, oauth2-proxy $obad)"
  ratio=$(awk -v a="$kr" -v b="$or" 'BEGIN { printf "%.1f", b ? a / b : 0 }')
  printf '%-6s %14s %9s %9s  %14s %9s %9s  %6s\n' "$c" "$kr" "$k50" "$k99" "$or" "$o50" "$o99" "${ratio}x"
done
printf '\nkfdash RSS after the runs: %s kB (peak %s kB)\n' \
  "$(awk '/VmRSS/ {print $2}' "/proc/$kpid/status")" "$(awk '/VmHWM/ {print $2}' "/proc/$kpid/status")"
