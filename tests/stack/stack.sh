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
# kserve-standin.py serves the InferenceServices created later, as KServe would.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
export KFDASH_STACK_DIR=${KFDASH_STACK_DIR:-${KFDASH_CACHE:-$HOME/.cache/kfdash}/stack}
S=$KFDASH_STACK_DIR

step() { printf '[stack %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

up() {
  local t0=$SECONDS
  # k8s-up.sh wipes the state dir, ml/pids included: stop the ML peers of a previous run first,
  # or they would be left running with nothing recording them.
  "$here/ml-down.sh" || true
  # A failed start leaves nothing running (as k8s-up.sh and ml-peers.py do for their own part);
  # the logs stay in the state dir.
  trap up_failed EXIT
  step "control plane and Dex (first run builds them from their Go modules: ~25 min)"
  "$here/k8s-up.sh"
  # shellcheck source=/dev/null
  source "$S/env"
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
    echo "# ML peers (ml-peers.py)"
    sed -n 's/^\([A-Z][A-Z0-9_]*=\)/export \1/p' "$S/ml.env"
    echo "export KFDASH_STACK_KFDASH_TOKEN_FILE='$S/kfdash.token'"
  } >>"$S/env"
  trap - EXIT
  step "stack is up in $((SECONDS - t0)) s: source $S/env"
  summary
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
  # shellcheck source-path=SCRIPTDIR source=versions.sh
  source "$here/versions.sh"
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
  "${KFDASH_CACHE:-$HOME/.cache/kfdash}/bin/kustomize-$KUSTOMIZE_VERSION" build "$dir" >"$out" || rc=$?
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
