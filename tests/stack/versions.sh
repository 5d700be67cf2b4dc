# shellcheck shell=bash disable=SC2034
# Pinned versions of the real peers (sourced by build-peers.sh and k8s-up.sh).
# Every pin builds with go1.26 (GOTOOLCHAIN=local); newer ones that need
# go1.27 are noted.
ETCD_VERSION=v3.7.3                 # go.etcd.io/etcd/server/v3 (go 1.26.0)
KUBE_VERSION=v1.37.2                # k8s.io/kubernetes (go 1.26.0); staging modules at v0.37.2
# Dex publishes no module versions for its v2.x tags (its module path has no
# /v2 suffix), so it is pinned by pseudo-version of a release commit. The
# module proxy reachable here serves only some commits: v2.41.1 (commit
# 43956db7fd75, 2024-08-07) is the newest release found served. Its source
# builds against the published api/v2 v2.2.0 (the api/v2 pseudo-version of
# the same commit is served, but the checksum database has no entry for it).
# A newer main-branch commit, v0.0.0-20260806151424-ab64ed778070, is served
# too, but it needs an api/v2 newer than any published one (v2.4.0 lacks
# UserIdentity, MFA, ...), and that pseudo-version is not served.
DEX_RELEASE=v2.41.1
DEX_VERSION=v0.0.0-20240807174518-43956db7fd75
DEX_API_VERSION=v2.2.0                                  # github.com/dexidp/dex/api/v2 (published)
DEX_BIN_VERSION=$DEX_RELEASE-${DEX_VERSION##*-}         # cached as bin/dex-v2.41.1-43956db7fd75
OAUTH2_PROXY_VERSION=v7.15.6        # github.com/oauth2-proxy/oauth2-proxy/v7 (go 1.26.0)
# Prometheus publishes its releases as module versions v0.3XX.Y for v3.XX.Y. v0.315.1 (3.15.1)
# declares go 1.26.0; v0.316.0 (3.16.0) declares go 1.26.7.
PROMETHEUS_VERSION=v0.315.1         # github.com/prometheus/prometheus (go 1.26.0)
PROMETHEUS_RELEASE=v3.15.1          # what that module version is released as
KUSTOMIZE_VERSION=v5.8.2            # sigs.k8s.io/kustomize/kustomize/v5; v5.8.3 declares go 1.27.0
XCRYPTO_VERSION=v0.58.0             # golang.org/x/crypto for the bcrypt helper
