#!/usr/bin/env bash
# Build the local images of the Docker test bed (there is no registry to pull from).
#
#   hydron-testbed/rootfs:bookworm   debootstrap minbase, imported (tarball cached)
#   debian:bookworm-slim             stand-ins tagged with the official names, so the
#   python:3.11-slim                   FROM lines of real Dockerfiles resolve locally
#   node:18-slim
#   hydron-testbed/server:bookworm   a fresh dedicated server: Debian + sshd
#
# Idempotent and cached: each image carries a label with a hash of its recipe (the
# recipe directory under hack/testbed/, the host CA bundle and its parent's hash);
# `docker image inspect` finds the label and the build is skipped. Prints one line per
# image. Build logs go to ${HYDRON_CACHE:-$HOME/.cache/hydron}/logs/.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RECIPES="$HERE/testbed"
CACHE_ROOT=${HYDRON_CACHE:-$HOME/.cache/hydron}
TESTBED_CACHE="$CACHE_ROOT/testbed"
LOGS="$CACHE_ROOT/logs"
HOST_CA=${HYDRON_HOST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
LABEL=dev.hydron.testbed.recipe
SUITE=bookworm
ROOTFS_IMAGE=hydron-testbed/rootfs:$SUITE
export DOCKER_BUILDKIT=0   # the daemon's classic builder; never --pull

log() { echo "base-images: $*" >&2; }
die() { log "$*"; exit 1; }

[ -r "$HOST_CA" ] || die "no CA bundle at $HOST_CA"
docker info >/dev/null 2>&1 || die "docker does not answer (run hack/docker-up.sh)"
mkdir -p "$TESTBED_CACHE" "$LOGS"

# One build at a time: parallel test sessions would otherwise race on the same tags.
exec 9>"$CACHE_ROOT/base-images.lock"
flock 9

sha() { sha256sum | cut -c1-16; }

current_hash() {  # the recipe label of an image, empty when the image is absent
  docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true
}

report() {  # IMAGE STATE START
  printf '%-32s %-6s %4ss\n' "$1" "$2" "$((SECONDS - $3))"
}

# --- rootfs: debootstrap once, keep the tarball, import it when the image is missing
# Bump ROOTFS_RECIPE when the steps below change.
ROOTFS_RECIPE="debootstrap --variant=minbase $SUITE; apt sources: main, updates, security; v1"
ROOTFS_HASH=$(printf '%s' "$ROOTFS_RECIPE" | sha)
ROOTFS_TAR="$TESTBED_CACHE/rootfs-$SUITE-minbase-$ROOTFS_HASH.tar"

make_rootfs_tar() {
  local dir="$TESTBED_CACHE/rootfs-$SUITE.build" mirror
  rm -rf "$dir"
  log "debootstrap $SUITE (a few minutes; log: $LOGS/debootstrap.log)"
  if ! debootstrap --variant=minbase "$SUITE" "$dir" >"$LOGS/debootstrap.log" 2>&1; then
    tail -n 20 "$LOGS/debootstrap.log" >&2
    die "debootstrap failed"
  fi
  # debootstrap writes only the release itself; a real server also follows the
  # updates and security suites. Derive them from the mirror debootstrap used.
  mirror=$(awk '$1 == "deb" { print $2; exit }' "$dir/etc/apt/sources.list")
  {
    echo "deb $mirror $SUITE main"
    echo "deb $mirror $SUITE-updates main"
    case $mirror in
      */debian) echo "deb ${mirror}-security $SUITE-security main" ;;
    esac
  } >"$dir/etc/apt/sources.list"
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
  tar -C "$dir" --numeric-owner -cf "$ROOTFS_TAR.partial" .
  mv "$ROOTFS_TAR.partial" "$ROOTFS_TAR"
  rm -rf "$dir"
}

ensure_rootfs() {
  local start=$SECONDS
  if [ "$(current_hash "$ROOTFS_IMAGE")" = "$ROOTFS_HASH" ]; then
    report "$ROOTFS_IMAGE" cached "$start"; return
  fi
  [ -f "$ROOTFS_TAR" ] || make_rootfs_tar
  docker import \
    --change "LABEL $LABEL=$ROOTFS_HASH" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    - "$ROOTFS_IMAGE" <"$ROOTFS_TAR" >/dev/null
  report "$ROOTFS_IMAGE" built "$start"
}

# --- images from Dockerfiles under hack/testbed/<recipe>/
recipe_hash() {  # RECIPE PARENT_HASH
  {
    echo "parent $2"
    (cd "$RECIPES/$1" && find . -type f | LC_ALL=C sort | xargs sha256sum)
    sha256sum <"$HOST_CA"
  } | sha
}

build() {  # TAG RECIPE PARENT_TAG
  local tag=$1 recipe=$2 parent=$3 start=$SECONDS hash old ctx logf
  hash=$(recipe_hash "$recipe" "$(current_hash "$parent")")
  if [ "$(current_hash "$tag")" = "$hash" ]; then
    report "$tag" cached "$start"; return
  fi
  old=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
  ctx=$(mktemp -d)
  cp -a "$RECIPES/$recipe/." "$ctx/"
  cp "$HOST_CA" "$ctx/host-ca-certificates.crt"
  logf="$LOGS/build-$recipe.log"
  if ! docker build --label "$LABEL=$hash" -t "$tag" "$ctx" >"$logf" 2>&1; then
    rm -rf "$ctx"
    tail -n 30 "$logf" >&2
    die "building $tag failed (log: $logf)"
  fi
  rm -rf "$ctx"
  # Drop the superseded image if nothing else uses it (else it stays, untagged).
  [ -z "$old" ] || docker rmi "$old" >/dev/null 2>&1 || true
  report "$tag" built "$start"
}

ensure_rootfs
build debian:bookworm-slim           debian-slim      "$ROOTFS_IMAGE"
build python:3.11-slim               python-3.11-slim debian:bookworm-slim
build node:18-slim                   node-18-slim     debian:bookworm-slim
build postgres:16                    postgres-16      debian:bookworm-slim  # Debian's 15 under the official tag
build hydron-testbed/server:bookworm server           "$ROOTFS_IMAGE"
