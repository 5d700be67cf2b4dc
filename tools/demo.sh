#!/usr/bin/env bash
# `make demo`: the local stack of real peers, then kfdash on http://127.0.0.1:8080 and
# http://[::1]:8080. Ctrl-C stops kfdash and the whole stack.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
config=${1:-$root/packaging/dev/kfdash.json}
export KFDASH_STACK_DIR=${KFDASH_STACK_DIR:-${KFDASH_CACHE:-$HOME/.cache/kfdash}/stack}

stop() {
  trap - EXIT INT TERM
  [[ -n ${pid:-} ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  "$root/tests/stack/stack.sh" down
}
trap stop EXIT INT TERM

"$root/tests/stack/stack.sh" up
"$root/build/kfdash" --config "$config" &
pid=$!
for _ in $(seq 100); do
  curl -sf http://127.0.0.1:8080/healthz >/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "demo: kfdash exited (is port 8080 taken?)" >&2; exit 1; }
  sleep 0.1
done
# shellcheck source=/dev/null
source "$KFDASH_STACK_DIR/env"
cat <<EOF

kfdash is serving http://127.0.0.1:8080 (and http://[::1]:8080).
Demo users (Dex at $DEX_ISSUER):
  alice@example.com  $KFDASH_DEMO_PASSWORD_ALICE   owns profile alice
  bob@example.com    $KFDASH_DEMO_PASSWORD_BOB   owns bob, contributor of alice
  carol@example.com  $KFDASH_DEMO_PASSWORD_CAROL   viewer of alice
  admin@example.com  $KFDASH_DEMO_PASSWORD_ADMIN   cluster admin
Ctrl-C stops kfdash and the stack.
EOF
wait "$pid"
