#!/usr/bin/env bash
# Stops every ML peer started by ml-up.sh (process groups recorded in the state dir).
set -euo pipefail
exec python3 "$(cd "$(dirname "$0")" && pwd)/ml-peers.py" down
