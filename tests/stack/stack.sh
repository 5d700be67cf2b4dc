#!/usr/bin/env bash
# The whole local stack of real peers, for `make demo` and the integration tests.
#
#   tests/stack/stack.sh up      # build what is missing (cached), start everything, seed it
#   tests/stack/stack.sh down    # stop everything
#   tests/stack/stack.sh status  # what runs (URLs, demo passwords), from the state dir
#   tests/stack/stack.sh rbac OUT  # kfdash's shipped ServiceAccount and roles, rendered for
#                                  # namespace kubeflow (packaging/kustomize/rbac) into OUT
#
# Everything runs on 127.0.0.1 ports picked free. State, logs and the env file live in
# ${KFDASH_STACK_DIR:-~/.cache/kfdash/stack}; `source $KFDASH_STACK_DIR/env` gives every peer's
# URL, the kubeconfigs and KFDASH_DEMO_PASSWORD_<USER> of alice, bob, carol and admin.
#
# The stack stands in for the controllers we do not run (profile-controller/KFAM, the notebook
# controller, the Spark operator, KServe): seed.py writes the objects they would write, and
# kserve-standin.py serves the InferenceServices created later, as KServe would. Prometheus
# scrapes the peers (file_sd targets labelled as Kubernetes service discovery would label the
# pods they stand for: prom_targets.py) and kfdash on 127.0.0.1:8080 (make demo's).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export KFDASH_STACK_DIR=${KFDASH_STACK_DIR:-${KFDASH_CACHE:-$HOME/.cache/kfdash}/stack}
S=$KFDASH_STACK_DIR
bin=${KFDASH_CACHE:-$HOME/.cache/kfdash}/bin
scrape_interval=5s # prom_targets.SCRAPE_INTERVAL_S
# shellcheck source-path=SCRIPTDIR source=versions.sh
source "$here/versions.sh"

step() { printf '[stack %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

up() {
  local t0=$SECONDS
  # k8s-up.sh wipes the state dir, ml/pids included: stop the ML peers of a previous run first,
  # or they would be left running with nothing recording them.
  "$here/ml-down.sh" || true
  # A failed start leaves nothing running (as k8s-up.sh and ml-peers.py do for their own part);
  # the logs stay in the state dir.
  trap up_failed EXIT
  step "Go builds of the peers (first run: ~17-30 min on 2 cores; cached in $bin)"
  # Everything up front, so no started peer sits idle through a build: k8s-up.sh then finds
  # its binaries cached.
  "$here/build-peers.sh" etcd kubernetes dex kfdash-bcrypt kustomize prometheus
  step "control plane and Dex"
  "$here/k8s-up.sh"
  # shellcheck source=/dev/null
  source "$S/env"
  step "Prometheus (scrapes every $scrape_interval; targets in $S/prometheus/targets)"
  prometheus_up
  local py
  py=$("$root/tools/venv.sh" "$root/tests/requirements.txt")
  step "CRDs, Kubeflow roles and kfdash's ServiceAccount with its shipped roles"
  rbac "$S/kfdash-rbac.yaml"
  "$py" "$here/seed.py" apply "$here"/manifests/crds.yaml "$here"/manifests/roles.yaml \
    "$here"/manifests/kfdash-stack.yaml "$S/kfdash-rbac.yaml" "$here"/manifests/kfdash-token.yaml
  "$py" "$here/seed.py" kfdash-credentials --out "$S"
  step "demo users in Dex and their profiles"
  "$py" "$here/seed.py" dex-users
  "$py" "$here/seed.py" profiles
  step "profile-controller's stand-in: a namespace for every Profile made later"
  profile_controller "$py"
  step "ML peers: MLflow, MLServer, Jupyter, Spark (first run installs them: ~6 min)"
  "$here/ml-up.sh"
  "$py" "$here/seed.py" objects --ml-env "$S/ml.env"
  step "KServe's stand-in: a model server for every InferenceService of an MLflow model"
  "$here/ml-up.sh" standin
  {
    echo "# Prometheus and kubectl"
    echo "export PROMETHEUS_URL='$prometheus_url'"
    echo "export PROMETHEUS_TARGETS_DIR='$S/prometheus/targets'"
    echo "export PROMETHEUS_SCRAPE_INTERVAL='$scrape_interval'"
    echo "export KUBECTL='$bin/kubectl-$KUBE_VERSION'"
    echo "# ML peers (ml-peers.py)"
    sed -n 's/^\([A-Z][A-Z0-9_]*=\)/export \1/p' "$S/ml.env"
    echo "export KFDASH_STACK_KFDASH_TOKEN_FILE='$S/kfdash.token'"
  } >>"$S/env"
  trap - EXIT
  step "stack is up in $((SECONDS - t0)) s: source $S/env"
  summary
}

# prometheus_up: Prometheus on a free port of 127.0.0.1, data in $S/prometheus, recorded in run/
# so that k8s-down.sh stops it. One scrape config, `kubernetes-pods`, reads the file_sd targets
# that prom_targets.py writes (kfdash's now; the ML peers' as they come and go).
prometheus_up() {
  local dir=$S/prometheus port t0=$SECONDS
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$dir/targets" "$dir/data"
  cat >"$dir/prometheus.yml" <<EOF
# Written by tests/stack/stack.sh. Targets: $dir/targets/*.json (tests/stack/prom_targets.py).
global:
  scrape_interval: $scrape_interval
  scrape_timeout: 4s
  evaluation_interval: $scrape_interval
scrape_configs:
- job_name: kubernetes-pods
  # A target whose Content-Type names no known format is read as the classic text format
  # (Prometheus 3 fails such a scrape otherwise).
  fallback_scrape_protocol: PrometheusText0.0.4
  file_sd_configs:
  - files: ['$dir/targets/*.json']
    refresh_interval: $scrape_interval
EOF
  python3 "$here/prom_targets.py" kfdash 127.0.0.1:8080
  setsid "$bin/prometheus-$PROMETHEUS_RELEASE" --config.file="$dir/prometheus.yml" \
    --storage.tsdb.path="$dir/data" --storage.tsdb.retention.time=1d \
    --web.listen-address="127.0.0.1:$port" \
    </dev/null >>"$S/logs/prometheus.log" 2>&1 &
  echo $! >"$S/run/prometheus.pid"
  prometheus_url=http://127.0.0.1:$port
  for _ in $(seq 300); do
    if curl -sf "$prometheus_url/-/ready" >/dev/null 2>&1; then
      step "Prometheus $PROMETHEUS_RELEASE ready at $prometheus_url after $((SECONDS - t0)) s"
      return 0
    fi
    kill -0 "$(cat "$S/run/prometheus.pid")" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 20 "$S/logs/prometheus.log" >&2
  echo "Prometheus did not start; see $S/logs/prometheus.log" >&2
  return 1
}

# profile_controller PY: `seed.py profile-controller` in the background, recorded in run/ so that
# k8s-down.sh stops it with the control plane; returns once it has listed the Profiles.
profile_controller() {
  local py=$1 ready=$S/run/profile-controller.ready
  rm -f "$ready"
  setsid "$py" "$here/seed.py" profile-controller --ready-file "$ready" \
    </dev/null >>"$S/logs/profile-controller.log" 2>&1 &
  echo $! >"$S/run/profile-controller.pid"
  for _ in $(seq 300); do
    [[ -f $ready ]] && return 0
    kill -0 "$(cat "$S/run/profile-controller.pid")" 2>/dev/null || break
    sleep 0.1
  done
  echo "profile-controller stand-in did not start; see $S/logs/profile-controller.log" >&2
  return 1
}

up_failed() {
  local rc=$?
  if ((rc)); then
    step "start-up failed (exit $rc): stopping what was started; logs in $S/logs and $S/ml/logs"
    down
  fi
}

summary() {
  # shellcheck source=/dev/null
  source "$S/env"
  cat >&2 <<EOF
  kube-apiserver  $KFDASH_APISERVER  (admin kubeconfig: $KUBECONFIG)
  Dex             $DEX_ISSUER
  MLflow          $MLFLOW_URL
  model server    $MODEL_SERVER_URL
  Jupyter         $JUPYTER_ALICE_NB1_URL  $JUPYTER_BOB_NB2_URL
  Spark UI        $SPARK_UI_URL
  Prometheus      ${PROMETHEUS_URL:-(not in this stack)}  (targets: /api/v1/targets)
  kubectl         ${KUBECTL:-(not in this stack)} --kubeconfig $KUBECONFIG
  demo users      alice@example.com / $KFDASH_DEMO_PASSWORD_ALICE
                  bob@example.com   / $KFDASH_DEMO_PASSWORD_BOB
                  carol@example.com / $KFDASH_DEMO_PASSWORD_CAROL
                  admin@example.com / $KFDASH_DEMO_PASSWORD_ADMIN
EOF
}

# rbac OUT: packaging/kustomize/rbac rendered by the pinned kustomize into OUT, in namespace
# kubeflow as the shipped overlays put it (the same NamespaceTransformer).
rbac() {
  local out=$1 dir rc=0
  "$here/build-peers.sh" kustomize >&2
  dir=$(mktemp -d)
  # kustomize takes only relative paths to other kustomizations.
  cat >"$dir/kustomization.yaml" <<EOF
resources:
- $(realpath -m --relative-to="$dir" "$root/packaging/kustomize/rbac")
transformers:
- |-
  apiVersion: builtin
  kind: NamespaceTransformer
  metadata:
    name: kfdash-namespace
    namespace: kubeflow
  unsetOnly: true
  setRoleBindingSubjects: allServiceAccounts
EOF
  "$bin/kustomize-$KUSTOMIZE_VERSION" build "$dir" >"$out" || rc=$?
  rm -rf "$dir"
  return "$rc"
}

down() {
  step "stopping the ML peers"
  "$here/ml-down.sh" || true
  step "stopping the control plane and Dex"
  "$here/k8s-down.sh"
}

case ${1:-} in
  up) up ;;
  down) down ;;
  rbac)
    [[ -n ${2:-} ]] || {
      echo "usage: $0 rbac OUT" >&2
      exit 2
    }
    rbac "$2"
    ;;
  status)
    if compgen -G "$S/run/*.pid" >/dev/null; then
      summary
    else
      echo "no stack running in $S" >&2
    fi
    ;;
  *)
    echo "usage: $0 up|down|status|rbac OUT" >&2
    exit 2
    ;;
esac
