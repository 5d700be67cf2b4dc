#!/usr/bin/env bash
# Stop what tests/stack/k8s-up.sh started (by the pids it recorded).
# KFDASH_PURGE=1 (or --purge) also deletes the state directory.
set -euo pipefail

S=${KFDASH_STACK_DIR:-${KFDASH_CACHE:-$HOME/.cache/kfdash}/stack}
log() { printf '[k8s-down %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# stop NAME...: SIGTERM to all of them at once, then wait up to 10 s each.
stop() {
  local name pid i names=() pids=()
  for name in "$@"; do
    f=$S/run/$name.pid
    [[ -f $f ]] || continue
    pid=$(cat "$f")
    rm -f "$f"
    kill -0 "$pid" 2>/dev/null || continue
    kill -TERM "$pid" 2>/dev/null || true
    names+=("$name") pids+=("$pid")
  done
  for i in "${!pids[@]}"; do
    name=${names[$i]} pid=${pids[$i]}
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name ($pid) ignored SIGTERM for 10 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name ($pid)"
  done
}
# etcd last: kube-apiserver's graceful shutdown hangs without it.
stop prometheus profile-controller dex kube-controller-manager kube-apiserver
stop etcd

if [[ ${KFDASH_PURGE:-0} == 1 || ${1:-} == --purge ]]; then
  if [[ -f $S/.kfdash-stack ]]; then
    rm -rf "$S"
    log "removed $S"
  fi
fi
