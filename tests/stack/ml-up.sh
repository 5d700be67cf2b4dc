#!/usr/bin/env bash
# Starts the real ML peers (MLflow with workspaces, MLServer, jupyter_server x2,
# a PySpark app) as local processes on 127.0.0.1 and writes their URLs, ports and
# pids to ${KFDASH_STACK_DIR:-~/.cache/kfdash/stack}/ml.env. Runs `down` first.
# `ml-up.sh standin` then starts KServe's stand-in (kserve-standin.py).
# The venv comes from requirements-peers.txt via tools/venv.sh (cached).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
py=$(nice -n 10 "$here/../../tools/venv.sh" "$here/requirements-peers.txt")
exec "$py" "$here/ml-peers.py" "${1:-up}"
