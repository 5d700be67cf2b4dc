#!/usr/bin/env bash
# Build the real peers kfdash is tested against, from their Go modules at
# pinned versions, and cache the binaries outside the repo:
#
#   ${KFDASH_CACHE:-$HOME/.cache/kfdash}/bin/<name>-<version>
#
# A binary that is already cached is not rebuilt, so a second run is instant.
# Each build happens in its own throw-away module directory under
# $KFDASH_CACHE/build/, with a go.mod generated here.
#
# Usage: tests/stack/build-peers.sh [peer...]
#   peers: etcd kube-apiserver kube-controller-manager kubectl dex oauth2-proxy kustomize
#          prometheus kfdash-bcrypt (a tiny helper of ours: bcrypt hash of stdin, for Dex)
#   (default: all). KFDASH_FORCE=1 rebuilds even when cached.
#
# Environment knobs:
#   KFDASH_CACHE      cache root (default ~/.cache/kfdash)
#   KFDASH_GO_P       go build -p (default: the number of cores; 1 keeps a shared machine usable)
#   KFDASH_NICE       nice level for the go command (default 15)
#
# Needs only Go >= 1.26 and the Go module proxy. Versions are pinned in
# versions.sh; every one of them builds with go1.26 (GOTOOLCHAIN=local, no
# toolchain download).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=versions.sh
source "$HERE/versions.sh"

CACHE=${KFDASH_CACHE:-$HOME/.cache/kfdash}
BIN=$CACHE/bin
WORK=$CACHE/build
GO_P=${KFDASH_GO_P:-$(nproc)}
NICE=${KFDASH_NICE:-15}

export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
export GOFLAGS="-mod=mod -buildvcs=false"
export GOWORK=off

mkdir -p "$BIN" "$WORK"

log() { printf '[build-peers %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
gocmd() { nice -n "$NICE" go "$@"; }

# quietly LOGFILE CMD...: run CMD with its output in LOGFILE; show the tail on failure.
quietly() {
  local logf=$1
  shift
  if ! "$@" >>"$logf" 2>&1; then
    tail -n 30 "$logf" >&2
    die "failed: $* (full log: $logf)"
  fi
}

command -v go >/dev/null || die "go not found in PATH"

# One build at a time per cache (parallel test jobs may all call this).
exec 9>"$CACHE/.build.lock"
if ! flock -n 9; then
  log "another build-peers.sh is running on $CACHE: waiting for it"
  flock 9
fi

# cached NAME VERSION: true when bin/NAME-VERSION exists (and no KFDASH_FORCE).
cached() {
  local out=$BIN/$1-$2
  if [[ -x $out && ${KFDASH_FORCE:-0} != 1 ]]; then
    log "$1 $2: cached ($out)"
    return 0
  fi
  return 1
}

# fresh_dir NAME VERSION -> prints a new, empty module directory.
fresh_dir() {
  local d=$WORK/$1-$2
  rm -rf "$d"
  mkdir -p "$d"
  printf '%s\n' "$d"
}

# gobuild OUT PKG [extra go build args...] -- builds into OUT atomically.
gobuild() {
  local out=$1 pkg=$2
  shift 2
  gocmd build -p "$GO_P" -trimpath -ldflags="-s -w" "$@" -o "$out.tmp" "$pkg"
  mv -f "$out.tmp" "$out"
}

elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# ---- one main package of a published module, cgo off ------------------------------
# build_module NAME VERSION MODULE ESTIMATE [go build flags...]: a fresh module of ours that
# requires MODULE@VERSION, and MODULE's main package built into $BIN/NAME-VERSION.
build_module() {
  local name=$1 v=$2 module=$3 estimate=$4
  shift 4
  cached "$name" "$v" && return 0
  log "building $name $v (first time: ~$estimate)..."
  local t0 d; t0=$(date +%s); d=$(fresh_dir "$name" "$v")
  (
    cd "$d"
    gocmd mod init "kfdash.local/peers/$name" >/dev/null 2>&1
    quietly "$d/go.log" gocmd get "$module@$v"
    CGO_ENABLED=0 gobuild "$BIN/$name-$v" "$module" "$@"
  )
  log "$name $v built in $(elapsed "$t0") -> $BIN/$name-$v"
}

# ---- etcd --------------------------------------------------------------------
# The etcd main package is the root of module go.etcd.io/etcd/server/v3
# (main.go calling etcdmain.Main). That module's go.mod has relative replaces
# (../api ...), so `go install ...@version` refuses it; as a dependency of our
# own module those replaces are ignored and the published v3.7.x modules used.
build_etcd() {
  build_module etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 "1.5 min"
}

# ---- kube-apiserver + kube-controller-manager + kubectl -------------------------
# k8s.io/kubernetes requires its staging modules (k8s.io/api, apimachinery,
# client-go, ...) at v0.0.0 and replaces them with ./staging/src/...; replaces
# of a dependency are ignored, so our module maps every one of them to the
# published release v0.X.Y matching v1.X.Y.
build_kube() {
  local v=$KUBE_VERSION
  local want=()
  cached kube-apiserver "$v" || want+=(kube-apiserver)
  cached kube-controller-manager "$v" || want+=(kube-controller-manager)
  cached kubectl "$v" || want+=(kubectl)
  ((${#want[@]})) || return 0
  local staging=v0.${v#v1.}
  local d; d=$(fresh_dir kubernetes "$v")
  (
    cd "$d"
    log "kubernetes $v: resolving modules (staging modules -> $staging)..."
    gocmd mod init kfdash.local/peers/kubernetes >/dev/null 2>&1
    local gomod
    gomod=$(gocmd mod download -json "k8s.io/kubernetes@$v" |
      sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
    [[ -f $gomod ]] || die "no go.mod for k8s.io/kubernetes@$v"
    local m edits=()
    while read -r m; do
      edits+=("-replace=$m=$m@$staging")
    done < <(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" { print $1 }' "$gomod" | sort -u)
    ((${#edits[@]})) || die "found no v0.0.0 staging requirements in $gomod"
    gocmd mod edit "${edits[@]}"
    log "kubernetes $v: ${#edits[@]} replace lines written to $d/go.mod"
    quietly "$d/go.log" gocmd get "k8s.io/kubernetes@$v" "${want[@]/#/k8s.io/kubernetes/cmd/}"
    # What the Kubernetes release build stamps in (hack/lib/version.sh).
    local minor=${v#v1.}; minor=${minor%%.*}
    local x='' p
    for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
      x+=" -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor"
      x+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
    done
    local name t0
    for name in "${want[@]}"; do
      # Cold, 2 shared cores: kube-apiserver 11m43s, then kube-controller-manager 8m30s; again
      # with every peer cold in one run (16m44s in all): 7m29s, 1m56s, then kubectl 25s
      # (kubectl alone with empty caches: 3m06s).
      log "building $name $v (first time: ~8-12 min for the first, ~2-9 for the next)..."
      t0=$(date +%s)
      CGO_ENABLED=0 gocmd build -p "$GO_P" -trimpath -ldflags="-s -w$x" \
        -o "$BIN/$name-$v.tmp" "k8s.io/kubernetes/cmd/$name"
      mv -f "$BIN/$name-$v.tmp" "$BIN/$name-$v"
      log "$name $v built in $(elapsed "$t0") -> $BIN/$name-$v"
    done
  )
}

# ---- dex ---------------------------------------------------------------------
# Copy the module out of the module cache (read-only there), drop its
# `replace github.com/dexidp/dex/api/v2 => ./api/v2` (the zip of the root
# module does not contain the api/v2 sub-module: it is a module of its own)
# and require the published api/v2 release ($DEX_API_VERSION) instead, then
# build ./cmd/dex.
build_dex() {
  local v=$DEX_VERSION
  cached dex "$DEX_BIN_VERSION" && return 0
  log "building dex $v ($DEX_RELEASE) (first time: ~5 min)..."
  local t0 d; t0=$(date +%s); d=$(fresh_dir dex "$v")
  (
    cd "$d"
    local src
    src=$(gocmd mod download -json "github.com/dexidp/dex@$v" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [[ -d $src ]] || die "module proxy gave no source for github.com/dexidp/dex@$v"
    cp -r "$src" src
    chmod -R u+w src
    cd src
    gocmd mod edit -dropreplace=github.com/dexidp/dex/api/v2 \
      "-require=github.com/dexidp/dex/api/v2@$DEX_API_VERSION"
    quietly "$d/go.log" gocmd mod download github.com/dexidp/dex/api/v2
    # -X main.version: the string `dex version` prints (as Dex's Makefile does).
    # cgo on: this Dex's cmd/dex does not compile without its sqlite3
    # storage, which needs cgo (gcc compiles the bundled SQLite once, ~1-2 min).
    CGO_ENABLED=1 gobuild "$BIN/dex-$DEX_BIN_VERSION" ./cmd/dex -ldflags="-s -w -X main.version=$DEX_RELEASE"
  )
  log "dex $v ($DEX_RELEASE) built in $(elapsed "$t0") -> $BIN/dex-$DEX_BIN_VERSION"
}

# ---- oauth2-proxy --------------------------------------------------------------
build_oauth2_proxy() {
  build_module oauth2-proxy "$OAUTH2_PROXY_VERSION" github.com/oauth2-proxy/oauth2-proxy/v7 "3 min" \
    -ldflags="-s -w -X github.com/oauth2-proxy/oauth2-proxy/v7/pkg/version.VERSION=$OAUTH2_PROXY_VERSION"
}

# ---- prometheus -------------------------------------------------------------------
# Built inside a copy of its own module (as Dex), so the release's go.mod and go.sum pin every
# dependency (its `replace cloud.google.com/go` included, which a dependent module would drop).
# -tags remove_all_sd: only the file and HTTP service discoveries (the stack's targets are
# file_sd files), which leaves the cloud SDKs and client-go out of the build. Without the tag
# builtinassets the web UI's assets are not embedded (they are built with npm, not in the
# module): /query shows no UI, the HTTP API (/api/v1/...) is all there.
build_prometheus() {
  local v=$PROMETHEUS_VERSION rel=$PROMETHEUS_RELEASE
  cached prometheus "$rel" && return 0
  log "building prometheus $rel ($v) (first time: ~3 min)..."
  local t0 d; t0=$(date +%s); d=$(fresh_dir prometheus "$rel")
  (
    cd "$d"
    local src
    src=$(gocmd mod download -json "github.com/prometheus/prometheus@$v" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [[ -d $src ]] || die "module proxy gave no source for github.com/prometheus/prometheus@$v"
    cp -r "$src" src
    chmod -R u+w src
    cd src
    local x=github.com/prometheus/common/version
    CGO_ENABLED=0 gobuild "$BIN/prometheus-$rel" ./cmd/prometheus -tags remove_all_sd \
      -ldflags="-s -w -X $x.Version=${rel#v} -X $x.Revision=$v -X $x.Branch=HEAD -X $x.BuildUser=kfdash-stack -X $x.BuildDate=19700101-00:00:00"
  )
  log "prometheus $rel built in $(elapsed "$t0") -> $BIN/prometheus-$rel"
}

# ---- kustomize -------------------------------------------------------------------
build_kustomize() {
  build_module kustomize "$KUSTOMIZE_VERSION" sigs.k8s.io/kustomize/kustomize/v5 "1 min"
}

# ---- kfdash-bcrypt ----------------------------------------------------------------
# Our own few-line helper (Dex wants bcrypt hashes; the machine has no bcrypt
# tool): prints the bcrypt hash (cost 10) of the password read from stdin.
build_bcrypt() {
  local v=$XCRYPTO_VERSION
  cached kfdash-bcrypt "$v" && return 0
  log "building kfdash-bcrypt (golang.org/x/crypto $v, first time: ~10 s)..."
  local t0 d; t0=$(date +%s); d=$(fresh_dir kfdash-bcrypt "$v")
  (
    cd "$d"
    gocmd mod init kfdash.local/peers/bcrypt >/dev/null 2>&1
    cat >main.go <<'GO'
package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	pw, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	h, err := bcrypt.GenerateFromPassword([]byte(strings.TrimRight(pw, "\r\n")), 10)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(h))
}
GO
    quietly "$d/go.log" gocmd get "golang.org/x/crypto@$v"
    CGO_ENABLED=0 gobuild "$BIN/kfdash-bcrypt-$v" .
  )
  log "kfdash-bcrypt built in $(elapsed "$t0") -> $BIN/kfdash-bcrypt-$v"
}

# ------------------------------------------------------------------------------
peers=("$@")
((${#peers[@]})) || peers=(etcd kube-apiserver kube-controller-manager kubectl dex oauth2-proxy kustomize prometheus kfdash-bcrypt)

T0=$(date +%s)
kube_done=0
for p in "${peers[@]}"; do
  case $p in
    etcd) build_etcd ;;
    kube-apiserver | kube-controller-manager | kubectl | kubernetes)
      ((kube_done)) || build_kube
      kube_done=1
      ;;
    dex) build_dex ;;
    oauth2-proxy) build_oauth2_proxy ;;
    kustomize) build_kustomize ;;
    prometheus) build_prometheus ;;
    kfdash-bcrypt) build_bcrypt ;;
    *) die "unknown peer '$p'" ;;
  esac
done
log "all done in $(elapsed "$T0"); binaries in $BIN"
