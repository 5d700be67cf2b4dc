#!/usr/bin/env bash
# Prints the python of a virtualenv built from a requirements file, building it first if needed.
# The venv lives outside the repo, keyed by the file's hash, so a second run is instant.
# Usage: tools/venv.sh REQUIREMENTS.txt
set -euo pipefail
req=${1:?usage: venv.sh REQUIREMENTS.txt}
cache=${KFDASH_CACHE:-$HOME/.cache/kfdash}
key=$(sha256sum "$req" | cut -c1-12)
venv="$cache/venv-$(basename "$req" .txt)-$key"
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
  echo "venv: creating $venv from $req" >&2
  rm -rf "$venv"
  mkdir -p "$cache"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
  touch "$venv/.complete"
fi
echo "$venv/bin/python"
