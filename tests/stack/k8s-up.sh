#!/usr/bin/env bash
# Start a small real Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager) and Dex on loopback, for kfdash's integration tests
# and `make demo`. No nodes, no kubelet: API objects only.
#
# State (PKI, kubeconfigs, logs, pid files, etcd data) lives in
#   ${KFDASH_STACK_DIR:-$HOME/.cache/kfdash/stack}
# and every run starts from a clean state. Ports are picked free on 127.0.0.1.
# Binaries come from build-peers.sh (built on first use).
#
# Afterwards:
#   source "$KFDASH_STACK_DIR/env"       # KUBECONFIG, KFDASH_APISERVER, DEX_ISSUER, ...
#   tests/stack/k8s-down.sh              # stop everything
#
# Knobs: KFDASH_NO_DEX=1 skips Dex; KFDASH_DEX_REDIRECT_URIS (space-separated)
# sets the static client's redirect URIs (the default covers make demo's 8080 and
# the stack suite's sign-in ports, five from KFDASH_SIGNIN_PORT_BASE, default 18555); KFDASH_DEX_SIGNING_KEYS_EXPIRY
# and KFDASH_DEX_ID_TOKENS_EXPIRY (Go durations, Dex's defaults 6h and 24h) set
# how often Dex rotates its keys and how long its ID tokens live;
# KFDASH_KCM_CONTROLLERS overrides the controller list.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=versions.sh
source "$HERE/versions.sh"

CACHE=${KFDASH_CACHE:-$HOME/.cache/kfdash}
BIN=$CACHE/bin
S=${KFDASH_STACK_DIR:-$CACHE/stack}

log() { printf '[k8s-up %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# ---- binaries ---------------------------------------------------------------
ETCD=$BIN/etcd-$ETCD_VERSION
APISERVER=$BIN/kube-apiserver-$KUBE_VERSION
KCM=$BIN/kube-controller-manager-$KUBE_VERSION
DEX=$BIN/dex-$DEX_BIN_VERSION
BCRYPT=$BIN/kfdash-bcrypt-$XCRYPTO_VERSION
need=(etcd kube-apiserver kube-controller-manager)
[[ ${KFDASH_NO_DEX:-0} == 1 ]] || need+=(dex kfdash-bcrypt)
"$HERE/build-peers.sh" "${need[@]}"

# ---- clean state --------------------------------------------------------------
if compgen -G "$S/run/*.pid" >/dev/null; then
  log "a stack is already recorded in $S: stopping it first"
  "$HERE/k8s-down.sh"
fi
if [[ -d $S && -n $(ls -A "$S") && ! -f $S/.kfdash-stack ]]; then
  die "$S exists and is not a kfdash stack directory: refusing to wipe it"
fi
rm -rf "$S"
mkdir -p "$S"/{pki,run,logs,etcd,kcm-certs,apiserver-certs}
chmod 700 "$S"
touch "$S/.kfdash-stack"
# On any failure from here on, stop whatever was started.
trap 'rc=$?; if ((rc)); then log "startup failed: stopping what was started"; "$HERE/k8s-down.sh"; fi' EXIT

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
ETCD_PORT=$(free_port)
ETCD_PEER_PORT=$(free_port)
API_PORT=$(free_port)
KCM_PORT=$(free_port)
DEX_PORT=$(free_port)
DEX_TELEMETRY_PORT=$(free_port)
API=https://127.0.0.1:$API_PORT

# start NAME CMD...: run CMD in the background, in its own session, logging to
# logs/NAME.log, pid in run/NAME.pid.
start() {
  local name=$1
  shift
  setsid "$@" >"$S/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$S/run/$name.pid"
}

# poll NAME SECONDS CMD...: poll CMD until it succeeds (0); 1 if process
# NAME died first, 2 if SECONDS passed.
poll() {
  local name=$1 secs=$2
  shift 2
  local pid t0
  pid=$(cat "$S/run/$name.pid")
  t0=$(date +%s)
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || return 1
    (($(date +%s) - t0 > secs)) && return 2
    sleep 0.3
  done
}

# wait_for NAME WHAT SECONDS CMD...: poll, and on failure show the tail of
# NAME's log and fail.
wait_for() {
  local name=$1 what=$2 secs=$3 t0=$SECONDS rc=0
  shift 3
  poll "$name" "$secs" "$@" || rc=$?
  if ((rc)); then
    tail -n 40 "$S/logs/$name.log" >&2
    ((rc == 1)) && die "$name exited (log: $S/logs/$name.log)"
    die "$name: not $what after ${secs}s (log: $S/logs/$name.log)"
  fi
  log "$name: $what after $((SECONDS - t0))s"
}

# ---- PKI ------------------------------------------------------------------------
P=$S/pki
ossl() { openssl "$@" 2>/dev/null; }
log "generating PKI in $P"
ossl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=kfdash-stack-ca" \
  -keyout "$P/ca.key" -out "$P/ca.crt"
# cert NAME SUBJECT EXTFILE-LINES: a leaf certificate signed by the CA.
cert() {
  local name=$1 subj=$2 ext=$3
  ossl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$P/$name.key" -out "$P/$name.csr"
  printf '%s\n' "$ext" >"$P/$name.ext"
  ossl x509 -req -in "$P/$name.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial \
    -days 3650 -extfile "$P/$name.ext" -out "$P/$name.crt"
  rm -f "$P/$name.csr" "$P/$name.ext"
}
cert apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
CLIENT_EXT="basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
cert admin "/O=system:masters/CN=kfdash-stack-admin" "$CLIENT_EXT"
cert kcm "/CN=system:kube-controller-manager" "$CLIENT_EXT"
# Service-account token signing key pair.
ossl genrsa -out "$P/sa.key" 2048
ossl rsa -in "$P/sa.key" -pubout -out "$P/sa.pub"

# kubeconfig FILE USER [NAMESPACE]: a kubeconfig with certs embedded.
kubeconfig() {
  local file=$1 user=$2 ns=${3:-}
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kfdash-stack
  cluster:
    server: $API
    certificate-authority-data: $(base64 -w0 <"$P/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$P/$user.crt")
    client-key-data: $(base64 -w0 <"$P/$user.key")
contexts:
- name: kfdash-stack
  context:
    cluster: kfdash-stack
    user: $user${ns:+
    namespace: $ns}
current-context: kfdash-stack
EOF
  chmod 600 "$file"
}
kubeconfig "$S/admin.kubeconfig" admin
kubeconfig "$S/kcm.kubeconfig" kcm

# kapi METHOD PATH [JSON-BODY]: call the apiserver as the admin.
kapi() {
  local method=$1 path=$2 body=${3:-}
  curl -sS --fail-with-body --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" \
    -X "$method" ${body:+-H 'Content-Type: application/json' --data "$body"} "$API$path"
}

# ---- etcd -----------------------------------------------------------------------
log "starting etcd $ETCD_VERSION on 127.0.0.1:$ETCD_PORT"
start etcd "$ETCD" \
  --name=kfdash-stack \
  --data-dir="$S/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="kfdash-stack=http://127.0.0.1:$ETCD_PEER_PORT" \
  --unsafe-no-fsync \
  --log-level=warn
wait_for etcd ready 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

# ---- kube-apiserver -------------------------------------------------------------------
log "starting kube-apiserver $KUBE_VERSION on $API"
start kube-apiserver "$APISERVER" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 \
  --endpoint-reconciler-type=none \
  --secure-port="$API_PORT" \
  --cert-dir="$S/apiserver-certs" \
  --tls-cert-file="$P/apiserver.crt" \
  --tls-private-key-file="$P/apiserver.key" \
  --client-ca-file="$P/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$P/sa.pub" \
  --service-account-signing-key-file="$P/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --authorization-mode=Node,RBAC \
  --anonymous-auth=false \
  --allow-privileged=true \
  --profiling=false \
  --v=1
wait_for kube-apiserver "ready (/readyz)" 120 kapi GET /readyz

# ---- kube-controller-manager ------------------------------------------------------------
# clusterrole-aggregation: kubeflow-{admin,edit,view}; namespace: finalizes
# deleted namespaces; serviceaccount(+-token): "default" SAs and their tokens;
# resourcequota: profiles carry quotas, and admission refuses writes in a
# namespace whose quota has no status yet; root-ca-certificate-publisher:
# kube-root-ca.crt ConfigMaps.
CONTROLLERS=${KFDASH_KCM_CONTROLLERS:-clusterrole-aggregation-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,garbage-collector-controller,resourcequota-controller,root-ca-certificate-publisher-controller}
log "starting kube-controller-manager $KUBE_VERSION (controllers: $CONTROLLERS)"
start kube-controller-manager "$KCM" \
  --kubeconfig="$S/kcm.kubeconfig" \
  --authentication-kubeconfig="$S/kcm.kubeconfig" \
  --authorization-kubeconfig="$S/kcm.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$KCM_PORT" \
  --cert-dir="$S/kcm-certs" \
  --controllers="$CONTROLLERS" \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$P/sa.key" \
  --root-ca-file="$P/ca.crt" \
  --leader-elect=false \
  --profiling=false \
  --v=1
wait_for kube-controller-manager "healthy (/healthz)" 60 curl -sfk "https://127.0.0.1:$KCM_PORT/healthz"

# ---- checks: aggregation and service accounts ----------------------------------------------
log "checking ClusterRole aggregation"
kapi POST /apis/rbac.authorization.k8s.io/v1/clusterroles '{
  "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
  "metadata": {"name": "kfdash-stack-probe"},
  "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"kfdash.test/aggregate-to-probe": "true"}}]},
  "rules": []}' >/dev/null
kapi POST /apis/rbac.authorization.k8s.io/v1/clusterroles '{
  "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
  "metadata": {"name": "kfdash-stack-probe-part", "labels": {"kfdash.test/aggregate-to-probe": "true"}},
  "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}' >/dev/null
aggregated() { kapi GET /apis/rbac.authorization.k8s.io/v1/clusterroles/kfdash-stack-probe | grep -q '"pods"'; }
wait_for kube-controller-manager "aggregating ClusterRoles" 30 aggregated
kapi DELETE /apis/rbac.authorization.k8s.io/v1/clusterroles/kfdash-stack-probe >/dev/null
kapi DELETE /apis/rbac.authorization.k8s.io/v1/clusterroles/kfdash-stack-probe-part >/dev/null
log "checking the default ServiceAccount appears"
wait_for kube-controller-manager "creating ServiceAccounts" 30 kapi GET /api/v1/namespaces/default/serviceaccounts/default

# ---- Dex ----------------------------------------------------------------------------------
DEX_ISSUER=http://127.0.0.1:$DEX_PORT/dex
DEX_CLIENT_ID=kfdash
DEX_CLIENT_SECRET=$(openssl rand -hex 16)
# The demo users (alice owns profile alice, bob owns bob and edits alice, carol views alice,
# admin is a kfdash cluster admin), with fresh random passwords on every start. They are Dex
# Password objects (seed.py dex-users), not static passwords, so kfdash can manage them.
DEMO_USERS=(alice bob carol admin)
declare -A DEMO_PASSWORD
for u in "${DEMO_USERS[@]}"; do DEMO_PASSWORD[$u]=$(openssl rand -base64 12 | tr -d '/+='); done
DEX_USER_EMAIL=alice@example.com
DEX_USER_PASSWORD=${DEMO_PASSWORD[alice]}
if [[ ${KFDASH_NO_DEX:-0} != 1 ]]; then
  # Dex keeps its objects (CRDs of dex.coreos.com) in namespace "auth", as in
  # Kubeflow's manifests.
  kapi POST /api/v1/namespaces '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"auth"}}' >/dev/null
  kubeconfig "$S/dex.kubeconfig" admin auth
  # The stack suite's sign-in ports: five from KFDASH_SIGNIN_PORT_BASE (18555), so that two
  # stacks (two suites at once) can use ports of their own.
  signin_base=${KFDASH_SIGNIN_PORT_BASE:-18555}
  signin_uris=""
  for i in 0 1 2 3 4; do signin_uris+=" http://127.0.0.1:$((signin_base + i))/auth/callback"; done
  redirects=${KFDASH_DEX_REDIRECT_URIS:-http://127.0.0.1:8080/oauth2/callback http://localhost:8080/oauth2/callback http://127.0.0.1:8080/auth/callback http://localhost:8080/auth/callback http://[::1]:8080/auth/callback$signin_uris}
  {
    cat <<EOF
issuer: $DEX_ISSUER
storage:
  type: kubernetes
  config:
    kubeConfigFile: $S/dex.kubeconfig
web:
  http: 127.0.0.1:$DEX_PORT
telemetry:
  http: 127.0.0.1:$DEX_TELEMETRY_PORT
logger:
  level: info
expiry:
  signingKeys: ${KFDASH_DEX_SIGNING_KEYS_EXPIRY:-6h}
  idTokens: ${KFDASH_DEX_ID_TOKENS_EXPIRY:-24h}
  # Two replicas of kfdash may renew one session at once (docs/gke.md, "Two replicas"): within
  # this, the second is handed the refresh token the first one got.
  refreshTokens:
    reuseInterval: 3s
oauth2:
  skipApprovalScreen: true
  # Scripts may trade a password for tokens (grant_type=password), as make demo shows.
  passwordConnector: local
enablePasswordDB: true
staticPasswords: []
staticClients:
- id: $DEX_CLIENT_ID
  secret: $DEX_CLIENT_SECRET
  name: kfdash
  redirectURIs:
EOF
    for r in $redirects; do printf '  - %s\n' "$r"; done
  } >"$S/dex.yaml"
  log "starting Dex $DEX_RELEASE ($DEX_VERSION) at $DEX_ISSUER"
  # On a fresh cluster Dex creates its CRDs and may exit at once because the
  # apiserver does not serve them yet (429 "storage is (re)initializing"); a
  # Deployment would restart it. So do we, once the CRDs answer.
  for attempt in 1 2 3; do
    start dex "$DEX" serve "$S/dex.yaml"
    rc=0
    poll dex 60 curl -sf "$DEX_ISSUER/.well-known/openid-configuration" || rc=$?
    ((rc == 1 && attempt < 3)) || break
    log "Dex exited during startup (attempt $attempt: $(tail -n 1 "$S/logs/dex.log" | cut -c1-160)); retrying"
    mv "$S/logs/dex.log" "$S/logs/dex.attempt$attempt.log"
    for _ in $(seq 100); do
      kapi GET /apis/dex.coreos.com/v1/namespaces/auth/passwords >/dev/null 2>&1 && break
      sleep 0.3
    done
  done
  wait_for dex "serving discovery" 60 curl -sf "$DEX_ISSUER/.well-known/openid-configuration"
fi

# ---- env file for tests -----------------------------------------------------------------------
cat >"$S/env" <<EOF
# Written by tests/stack/k8s-up.sh; source it.
export KFDASH_STACK_DIR='$S'
export KUBECONFIG='$S/admin.kubeconfig'
export KFDASH_APISERVER='$API'
export KFDASH_STACK_CA='$P/ca.crt'
export KFDASH_STACK_ADMIN_CERT='$P/admin.crt'
export KFDASH_STACK_ADMIN_KEY='$P/admin.key'
export KFDASH_STACK_SA_KEY='$P/sa.key'
export KFDASH_ETCD='http://127.0.0.1:$ETCD_PORT'
export KFDASH_KCM_PORT='$KCM_PORT'
EOF
if [[ ${KFDASH_NO_DEX:-0} != 1 ]]; then
  cat >>"$S/env" <<EOF
export DEX_ISSUER='$DEX_ISSUER'
export DEX_CLIENT_ID='$DEX_CLIENT_ID'
export DEX_CLIENT_SECRET='$DEX_CLIENT_SECRET'
export DEX_REDIRECT_URIS='$redirects'
export KFDASH_SIGNIN_PORT_BASE=${signin_base:-18555}
export DEX_USER_EMAIL='$DEX_USER_EMAIL'
export DEX_USER_PASSWORD='$DEX_USER_PASSWORD'
export DEX_TELEMETRY='http://127.0.0.1:$DEX_TELEMETRY_PORT'
export DEX_NAMESPACE='auth'
export KFDASH_BCRYPT='$BCRYPT'
EOF
  for u in "${DEMO_USERS[@]}"; do
    printf "export KFDASH_DEMO_PASSWORD_%s='%s'\n" "${u^^}" "${DEMO_PASSWORD[$u]}" >>"$S/env"
  done
fi
log "stack is up: source $S/env (KUBECONFIG=$S/admin.kubeconfig, apiserver $API)"
