#!/usr/bin/env bash
# Build hack/kstatus (a tiny wrapper over the real kstatus library) once per
# version into the cache; print the binary's path on the last line.
set -euo pipefail
CLI_UTILS_VERSION=${HYDRON_CLI_UTILS_VERSION:-v0.37.2}
CACHE_ROOT=${HYDRON_CACHE:-$HOME/.cache/hydron}
OUT="$CACHE_ROOT/bin/kstatus-check-$CLI_UTILS_VERSION"
if [ -x "$OUT" ]; then echo "$OUT"; exit 0; fi
SRC=$(cd "$(dirname "$0")/kstatus" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$SRC/main.go" "$WORK/"
cd "$WORK"
export GOFLAGS=-mod=mod CGO_ENABLED=0
go mod init hydron.dev/kstatus-check >/dev/null 2>&1
go get "sigs.k8s.io/cli-utils@$CLI_UTILS_VERSION" >&2
go mod tidy >&2
mkdir -p "$(dirname "$OUT")"
go build -trimpath -ldflags "-s -w" -o "$OUT" . >&2
echo "$OUT"
