#!/usr/bin/env bash
# Checks the deployment guide (docs/gke.md) and what it ships (packaging/gke):
#
#  1. every fenced shell block of the guide says whether the project tests its commands: the
#     line above it (blank lines skipped) is either
#       <!-- tested: tests/...  (what runs the same commands) -->   naming files that exist, or
#       *Not tested here: <why>*                                     a note the reader sees;
#  2. the manifests under packaging/gke render with the pinned kustomize (tests/stack/versions.sh);
#  3. the Terraform under packaging/gke is formatted and parses (terraform fmt -check), when a
#     terraform binary is installed (on PATH, or terraform-v1.5.7 in the cache: see below; the
#     project does not install one). `terraform validate` needs the google provider from the
#     Terraform registry, which is not reachable here.
#
# Usage: tools/check-docs.sh [GUIDE.md ...]   (default: docs/gke.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ $# -gt 0 ] || set -- docs/gke.md
status=0

# ---- 1. every shell block is tagged
for guide in "$@"; do
  python3 - "$guide" <<'PY' || status=1
import os, re, sys

path = sys.argv[1]
lines = open(path, encoding="utf-8").read().split("\n")
shell = {"sh", "bash", "shell", "console", "zsh"}
tested = re.compile(r"^<!-- tested: (.+?) -->$")
untested = re.compile(r"^\*Not tested here: .+\*$")
bad, blocks, fence = [], 0, None
for i, line in enumerate(lines):
    m = re.match(r"^\s*(```+|~~~+)\s*([A-Za-z0-9_+-]*)", line)
    if fence:
        if line.strip().startswith(fence):
            fence = None
        continue
    if not m:
        continue
    fence, lang = m.group(1), m.group(2).lower()
    if lang not in shell:
        continue
    blocks += 1
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    above = lines[j].strip() if j >= 0 else ""
    t = tested.match(above)
    if t:
        # Every path the tag names (words starting with tests/, tools/ or packaging/) must exist.
        named = [w.rstrip(",;:)") for w in t.group(1).split() if re.match(r"(tests|tools|packaging)/", w)]
        if not named:
            bad.append(f"{path}:{i + 1}: the tested tag names no test file: {above}")
        for w in named:
            if not os.path.exists(w.split("::")[0]):
                bad.append(f"{path}:{i + 1}: the tested tag names {w}, which does not exist")
    elif not untested.match(above):
        bad.append(f"{path}:{i + 1}: a ```{lang} block with neither '<!-- tested: tests/... -->' "
                   "nor '*Not tested here: <why>*' on the line above it")
for b in bad:
    print(b, file=sys.stderr)
if not blocks:
    print(f"{path}: no shell blocks found", file=sys.stderr)
    sys.exit(1)
print(f"docs: {path}: {blocks} shell blocks, each tagged tested or not tested here" if not bad else
      f"docs: {path}: {len(bad)} of {blocks} shell blocks are not tagged right", file=sys.stderr if bad else sys.stdout)
sys.exit(1 if bad else 0)
PY
done

# ---- 2. packaging/gke's manifests render
version=$(sed -n 's/^KUSTOMIZE_VERSION=\([^ ]*\).*/\1/p' tests/stack/versions.sh)
kustomize=${KFDASH_CACHE:-$HOME/.cache/kfdash}/bin/kustomize-$version
if [ -x "$kustomize" ]; then
  for dir in packaging/gke/*/; do
    [ -f "$dir/kustomization.yaml" ] || continue
    if out=$("$kustomize" build "$dir" 2>&1); then
      echo "docs: $dir renders ($(grep -c '^kind:' <<<"$out") objects)"
    else
      echo "docs: kustomize build $dir failed:" >&2
      echo "$out" >&2
      status=1
    fi
  done
elif [ "${CI:-}" = true ]; then
  echo "docs: no $kustomize to render packaging/gke (tests/stack/build-peers.sh kustomize)" >&2
  status=1
else
  echo "docs: packaging/gke not rendered: no $kustomize (tests/stack/build-peers.sh kustomize)"
fi

# ---- 3. packaging/gke's Terraform is formatted and parses
# A terraform on PATH, or the one `go install github.com/hashicorp/terraform@v1.5.7` builds from
# the Go module proxy (the last MPL release; about 20 minutes on 2 cores), kept in the cache as
# terraform-v1.5.7. Neither is installed by the project.
terraform=$(command -v terraform || true)
cached=${KFDASH_CACHE:-$HOME/.cache/kfdash}/bin/terraform-v1.5.7
[ -n "$terraform" ] || { [ -x "$cached" ] && terraform=$cached; } || true
if [ -n "$terraform" ]; then
  # fmt parses every file: a syntax error fails it as surely as a formatting difference.
  if TF_CLI_CONFIG_FILE=/dev/null "$terraform" fmt -check -diff -recursive packaging/gke >/dev/null 2>&1; then
    echo "docs: packaging/gke/*.tf formatted and parsed ($("$terraform" version 2>/dev/null | head -n 1))"
  else
    echo "docs: terraform fmt -check failed in packaging/gke:" >&2
    TF_CLI_CONFIG_FILE=/dev/null "$terraform" fmt -check -diff -recursive packaging/gke >&2 || true
    status=1
  fi
else
  echo "docs: packaging/gke/*.tf not checked: no terraform installed"
fi
exit $status
