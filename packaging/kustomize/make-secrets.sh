#!/usr/bin/env bash
# The secrets the kustomization reads, made on your machine (never committed):
#
#   packaging/kustomize/make-secrets.sh            # base/session.keys and base/oidc-client-secret,
#                                                  # each only if missing
#   packaging/kustomize/make-secrets.sh --rotate   # a new session key first, the current one kept
#                                                  # second (and any older dropped): see README.md
#
# Session keys: one per line, 64 hex digits (32 random bytes); the first seals new session
# cookies, every listed key opens them. The OIDC client secret is kfdash's secret at Dex (the
# same value goes into Dex's static client `kfdash`, see README.md).
set -euo pipefail
base=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/base
umask 077
keys=$base/session.keys
secret=$base/oidc-client-secret

new_key() { openssl rand -hex 32; }

case ${1:-} in
  "")
    if [[ -s $keys ]]; then
      echo "kept $keys"
    else
      new_key >"$keys"
      echo "made $keys"
    fi
    if [[ -s $secret ]]; then
      echo "kept $secret"
    else
      openssl rand -hex 24 | tr -d '\n' >"$secret"
      echo "made $secret"
    fi
    ;;
  --rotate)
    [[ -s $keys ]] || {
      echo "no $keys yet: run $0 first" >&2
      exit 1
    }
    current=$(head -n 1 "$keys")
    printf '%s\n%s\n' "$(new_key)" "$current" >"$keys.new"
    mv "$keys.new" "$keys"
    echo "rotated $keys: new key first, the previous one second (drop it after the session lifetime)"
    ;;
  *)
    echo "usage: $0 [--rotate]" >&2
    exit 2
    ;;
esac
