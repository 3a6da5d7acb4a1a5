#!/usr/bin/env bash
# Provide real kube-apiserver, etcd, kubectl and helm binaries, the way envtest does.
#
# Order of preference:
#   1. $KUBEBUILDER_ASSETS, if it already holds the binaries (the envtest convention);
#   2. a cache keyed by version under ${HYDRON_CACHE:-$HOME/.cache/hydron}/bin/;
#   3. a build from the Go module proxy (minutes on two cores, once per version).
# Prints the directory that holds all four binaries on its last line of stdout.
set -euo pipefail

K8S_VERSION=${HYDRON_K8S_VERSION:-1.37.2}
ETCD_VERSION=${HYDRON_ETCD_VERSION:-3.6.16}
HELM_VERSION=${HYDRON_HELM_VERSION:-3.21.4}
CACHE_ROOT=${HYDRON_CACHE:-$HOME/.cache/hydron}
BIN_DIR="$CACHE_ROOT/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION"
WANTED=(kube-apiserver etcd kubectl helm)

log() { echo "control-plane-bins: $*" >&2; }

has_all() {
  local dir=$1 b
  for b in "${WANTED[@]}"; do [ -x "$dir/$b" ] || return 1; done
}

USE_ASSETS=
if [ -n "${KUBEBUILDER_ASSETS:-}" ]; then
  missing=()
  for b in kube-apiserver etcd kubectl; do [ -x "$KUBEBUILDER_ASSETS/$b" ] || missing+=("$b"); done
  if [ ${#missing[@]} -eq 0 ]; then
    # envtest assets have no helm: take it from (or build it into) our cache.
    USE_ASSETS=1
    WANTED=(helm)
  else
    log "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks ${missing[*]}; using the cache instead"
  fi
fi

# A directory of links: the envtest binaries plus helm, so callers see one place.
assets_dir() {
  local dir b
  dir="$CACHE_ROOT/bin/assets-$(printf '%s' "$KUBEBUILDER_ASSETS" | sha1sum | cut -c1-12)"
  mkdir -p "$dir"
  for b in kube-apiserver etcd kubectl; do ln -sfn "$KUBEBUILDER_ASSETS/$b" "$dir/$b"; done
  ln -sfn "$BIN_DIR/helm" "$dir/helm"
  echo "$dir"
}

if [ -n "$USE_ASSETS" ] && [ -x "$BIN_DIR/helm" ]; then
  log "using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
  assets_dir; exit 0
fi

if [ -z "$USE_ASSETS" ] && has_all "$BIN_DIR"; then
  log "cached in $BIN_DIR"
  echo "$BIN_DIR"; exit 0
fi

command -v go >/dev/null || { log "Go is required to build the control plane (or set KUBEBUILDER_ASSETS)"; exit 1; }
mkdir -p "$BIN_DIR"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export GOFLAGS="-mod=mod" CGO_ENABLED=0

build_kubernetes() {
  # k8s.io/kubernetes replaces its staging modules with local paths; a consumer must
  # pin each of them to the matching published v0.Y.Z instead.
  local mod="$WORK/k8s" minor staging
  mkdir -p "$mod"
  minor=${K8S_VERSION#*.}
  (cd "$mod" && go mod init hydron.dev/controlplane >/dev/null 2>&1)
  local gomod
  gomod=$(cd "$mod" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  staging=$(grep -oE '^\s*k8s.io/[a-z0-9./-]+ => ./staging' "$gomod" | awk '{print $1}' | sort -u)
  {
    echo "module hydron.dev/controlplane"
    echo "go 1.24"
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    for m in $staging; do echo "replace $m => $m v0.$minor"; done
  } > "$mod/go.mod"
  cat > "$mod/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  log "building kube-apiserver and kubectl v$K8S_VERSION (several minutes, once)"
  (cd "$mod" && go mod tidy >&2 && \
    go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION" -o "$BIN_DIR/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver && \
    go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION" -o "$BIN_DIR/kubectl" k8s.io/kubernetes/cmd/kubectl)
}

build_etcd() {
  local mod="$WORK/etcd"
  mkdir -p "$mod"
  cat > "$mod/main.go" <<'GO'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$mod" && go mod init hydron.dev/etcd >/dev/null 2>&1 && \
    go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >&2 && go mod tidy >&2 && \
    log "building etcd v$ETCD_VERSION" && go build -trimpath -ldflags "-s -w" -o "$BIN_DIR/etcd" .)
}

build_helm() {
  log "building helm v$HELM_VERSION"
  GOBIN="$BIN_DIR" go install -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION" "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION" >&2
}

for b in "${WANTED[@]}"; do
  case $b in
    kube-apiserver) [ -x "$BIN_DIR/kube-apiserver" ] && [ -x "$BIN_DIR/kubectl" ] || build_kubernetes ;;
    etcd) [ -x "$BIN_DIR/etcd" ] || build_etcd ;;
    helm) [ -x "$BIN_DIR/helm" ] || build_helm ;;
  esac
done

if [ -n "$USE_ASSETS" ]; then
  assets_dir; exit 0
fi
has_all "$BIN_DIR" || { log "build finished but binaries are missing in $BIN_DIR"; exit 1; }
echo "$BIN_DIR"
