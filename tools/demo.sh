#!/usr/bin/env bash
# `make demo`: the local stack of real peers, then kfdash on http://127.0.0.1:8080 and
# http://[::1]:8080. Ctrl-C stops kfdash and the whole stack.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
config=${1:-$root/packaging/dev/kfdash.json}
export KFDASH_STACK_DIR=${KFDASH_STACK_DIR:-${KFDASH_CACHE:-$HOME/.cache/kfdash}/stack}

stop() {
  trap '' INT TERM # a second Ctrl-C must not cut the clean-up short
  trap - EXIT
  if [[ -n ${pid:-} ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true # its status is not ours: go on to stop the stack
  fi
  "$root/tests/stack/stack.sh" down
}
trap stop EXIT INT TERM

"$root/tests/stack/stack.sh" up
# shellcheck source=/dev/null
source "$KFDASH_STACK_DIR/env"
# Sessions and tokens survive restarts of the demo's kfdash (not of the stack: Dex's users are
# new each time).
state=${KFDASH_DEMO_STATE:-${KFDASH_CACHE:-$HOME/.cache/kfdash}/demo-state}
mkdir -p "$state"
KFDASH_OIDC_CLIENT_SECRET=$DEX_CLIENT_SECRET "$root/build/kfdash" --config "$config" \
  --oidc-issuer "$DEX_ISSUER" --oidc-client-id "$DEX_CLIENT_ID" --state-dir "$state" \
  --kube-api "$KFDASH_APISERVER" --kube-token-file "$KFDASH_STACK_KFDASH_TOKEN_FILE" \
  --kube-ca-file "$KFDASH_STACK_CA" --connect-to "$KFDASH_CONNECT_TO" \
  ${MLFLOW_URL:+--mlflow-url "$MLFLOW_URL"} &
pid=$!
for _ in $(seq 100); do
  curl -sf http://127.0.0.1:8080/healthz >/dev/null && break
  kill -0 "$pid" 2>/dev/null || { echo "demo: kfdash exited (is port 8080 taken?)" >&2; exit 1; }
  sleep 0.1
done
cat <<EOF

kfdash is serving http://127.0.0.1:8080 (and http://[::1]:8080): open it and sign in
through Dex as one of the demo users (Dex at $DEX_ISSUER):
  alice@example.com  $KFDASH_DEMO_PASSWORD_ALICE   owns profile alice
  bob@example.com    $KFDASH_DEMO_PASSWORD_BOB   owns bob, contributor of alice
  carol@example.com  $KFDASH_DEMO_PASSWORD_CAROL   viewer of alice
  admin@example.com  $KFDASH_DEMO_PASSWORD_ADMIN   cluster admin
Scripts: make a personal access token on the "Access tokens" page, then
  curl -H "Authorization: Bearer kfp_..." http://127.0.0.1:8080/api/whoami
or use a Dex ID token (Dex's password grant):
  token=\$(curl -s -u '$DEX_CLIENT_ID:$DEX_CLIENT_SECRET' -d grant_type=password \\
    -d 'scope=openid email profile' -d username=alice@example.com \\
    -d password='$KFDASH_DEMO_PASSWORD_ALICE' $DEX_ISSUER/token | python3 -c 'import json,sys; print(json.load(sys.stdin)["id_token"])')
  curl -H "Authorization: Bearer \$token" http://127.0.0.1:8080/api/whoami
Every application opens on a host of its own (JupyterLab at http://nb-alice--nb1.localhost:8080,
the Spark UI at http://spark-alice--app1.localhost:8080, MLflow's UI at http://mlflow.localhost:8080):
its page can never act as you on the dashboard. Open them from the dashboard.
MLflow (workspaces alice and bob, experiment iris in alice) is on the Experiments and Models
pages and behind http://127.0.0.1:8080/mlflow/; its Python client goes through kfdash too:
  MLFLOW_TRACKING_URI=http://127.0.0.1:8080/mlflow MLFLOW_WORKSPACE=alice MLFLOW_TRACKING_TOKEN=kfp_...
Prometheus at $PROMETHEUS_URL scrapes kfdash, the model servers, both notebooks and the Spark
driver every $PROMETHEUS_SCRAPE_INTERVAL, labelled by namespace and pod as in a cluster, e.g.
  curl -s '$PROMETHEUS_URL/api/v1/query' --data-urlencode 'query=model_infer_request_success_total{namespace="alice"}'
Profile alice has a quota (kf-resource-quota); kubectl is the stack's own:
  $KUBECTL --kubeconfig $KUBECONFIG describe quota -n alice
Ctrl-C stops kfdash and the stack.
EOF
wait "$pid"
