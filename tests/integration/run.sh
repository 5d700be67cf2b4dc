#!/usr/bin/env bash
# Runs the integration suite (pytest) against the binary in $KFDASH_BIN.
set -euo pipefail
root=${KFDASH_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
python=$("$root/tools/venv.sh" "$root/tests/requirements.txt")
cd "$root/tests/integration"
exec "$python" -m pytest -q -p no:cacheprovider "$@" .
