#!/usr/bin/env bash
# Build the local images of the Docker test bed (there is no registry to pull from).
#
#   hydron-testbed/rootfs:bookworm   debootstrap minbase, imported (tarball cached)
#   debian:bookworm-slim             stand-ins tagged with the official names, so the
#   python:3.11-slim, node:18-slim…    FROM lines of real Dockerfiles resolve locally
#                                      (hack/testbed/README.md lists them all)
#   hydron-testbed/server:bookworm   a fresh dedicated server: Debian + sshd
#
# A recipe may carry a `fetch` script: it runs on this machine before the build and puts
# into the build context what the image needs from a package registry (a Node.js wheel,
# a Go toolchain module, a Maven distribution). A fetch that exits 3 says this machine
# cannot provide it: the image is left out (the tests that need it skip, or fail on CI). Downloads are cached under
# ${HYDRON_CACHE}/testbed/downloads, keyed by the pinned version in the script.
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
DOWNLOADS="$TESTBED_CACHE/downloads"
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
recipe_hash() {  # RECIPE PARENT_HASH [VERSION]
  {
    echo "parent $2"
    [ -z "${3:-}" ] || echo "version $3"
    (cd "$RECIPES/$1" && find . -type f | LC_ALL=C sort | xargs sha256sum)
    sha256sum <"$HOST_CA"
  } | sha
}

also_tag() {  # TAG MORE_TAGS...: the same image under the other official names it stands for
  local tag=$1; shift
  for extra in "$@"; do docker tag "$tag" "$extra"; done
}

build() {  # TAG RECIPE[@VERSION] PARENT_TAG [MORE_TAGS...]
  # One recipe serves several versions (python-slim@3.12): VERSION reaches its fetch script
  # and its Dockerfile (ARG VERSION), and the image's hash.
  local tag=$1 recipe=${2%@*} version="" parent=$3 start=$SECONDS hash old ctx logf
  [ "$2" = "$recipe" ] || version=${2#*@}
  shift 3
  hash=$(recipe_hash "$recipe" "$(current_hash "$parent")" "$version")
  if [ "$(current_hash "$tag")" = "$hash" ]; then
    also_tag "$tag" "$@"
    report "$tag" cached "$start"; return
  fi
  old=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
  ctx=$(mktemp -d)
  cp -a "$RECIPES/$recipe/." "$ctx/"
  cp "$HOST_CA" "$ctx/host-ca-certificates.crt"
  logf="$LOGS/build-$recipe${version:+-$version}.log"
  if [ -f "$ctx/fetch" ]; then
    mkdir -p "$DOWNLOADS"
    local fetched=0
    VERSION=$version bash "$ctx/fetch" "$ctx" "$DOWNLOADS" >"$logf" 2>&1 || fetched=$?
    if [ "$fetched" = 3 ]; then  # this machine cannot provide it: only the tests that need it miss it
      rm -rf "$ctx"
      log "$tag left out: $(tail -n 1 "$logf")"
      report "$tag" absent "$start"; return
    elif [ "$fetched" != 0 ]; then
      rm -rf "$ctx"
      tail -n 30 "$logf" >&2
      die "fetching what $tag needs failed (log: $logf)"
    fi
    rm -f "$ctx/fetch"
  fi
  if ! docker build --label "$LABEL=$hash" --build-arg "VERSION=$version" -t "$tag" "$ctx" >>"$logf" 2>&1; then
    rm -rf "$ctx"
    tail -n 30 "$logf" >&2
    die "building $tag failed (log: $logf)"
  fi
  rm -rf "$ctx"
  # Drop the superseded image if nothing else uses it (else it stays, untagged).
  also_tag "$tag" "$@"
  [ -z "$old" ] || docker rmi "$old" >/dev/null 2>&1 || true
  report "$tag" built "$start"
}

# Independent builds mostly wait on downloads, so a few run side by side.
JOBS=${HYDRON_BASE_IMAGE_JOBS:-4}
pending=()
spawn() {  # build ARGS... in the background
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  build "$@" &
  pending+=("$!")
}
join() {  # wait for every spawned build; fail when one failed (its log tail is above)
  local pid failed=0
  for pid in "${pending[@]}"; do wait "$pid" || failed=1; done
  pending=()
  [ "$failed" = 0 ] || die "some images failed to build"
}

ensure_rootfs
spawn hydron-testbed/server:bookworm server           "$ROOTFS_IMAGE"
build debian:bookworm-slim           debian-slim      "$ROOTFS_IMAGE"
spawn postgres:16                    postgres-16      debian:bookworm-slim postgres:16-alpine  # Debian's 15 under the official tags
# The base images the Dockerfile generator emits (hydron/planning/dockerfiles/images.py).
spawn python:3.11-slim               python-3.11-slim     debian:bookworm-slim
spawn python:3.12-slim               python-slim@3.12     debian:bookworm-slim
spawn node:18-slim                   node-18-slim         debian:bookworm-slim
spawn node:22-slim                   node-slim@22.20.0    debian:bookworm-slim
spawn oven/bun:1-slim                bun-1-slim           debian:bookworm-slim oven/bun:1.4-slim
spawn golang:1.23-bookworm           golang-bookworm@1.23.12 debian:bookworm-slim
spawn rust:1-slim-bookworm           rust-1-slim-bookworm debian:bookworm-slim rust:1.96-slim-bookworm
spawn eclipse-temurin:17-jre         temurin-17-jre       debian:bookworm-slim
spawn maven:3.9-eclipse-temurin-17   maven-3.9-temurin-17 debian:bookworm-slim
spawn nginxinc/nginx-unprivileged:1.27-alpine nginx-unprivileged debian:bookworm-slim
spawn php:8.2-apache                 php-8.2-apache       debian:bookworm-slim php:8.3-apache
spawn composer:2                     composer-2           debian:bookworm-slim
# Only the real-world image bench (bench/realworld/images.py) needs these: the suite builds none
# of them, so a test run does not pay for them. HYDRON_BENCH_IMAGES=1 adds them.
if [ "${HYDRON_BENCH_IMAGES:-0}" = 1 ]; then
  # Older CPython lines for old pins (Django 1.x, psycopg2 2.8): copied from the build machine's pyenv too.
  spawn python:3.8-slim              python-slim@3.8      debian:bookworm-slim
  spawn python:3.7-slim              python-slim@3.7      debian:bookworm-slim
  spawn python:3.6-slim              python-slim@3.6      debian:bookworm-slim
  spawn node:20-slim                 node-slim@20.18.0    debian:bookworm-slim
  spawn node:24-slim                 node-slim@24.19.0    debian:bookworm-slim
  spawn golang:1-bookworm            golang-bookworm@1.27.4 debian:bookworm-slim golang:1.24-bookworm golang:1.25-bookworm golang:1.26-bookworm golang:1.27-bookworm
  # The broker corpus apps' Celery workers need (django-styleguide-example): Debian's 3.10 under the official tags.
  spawn rabbitmq:3.13                rabbitmq-3           debian:bookworm-slim rabbitmq:3
fi
# The template gallery's images (hydron/templates): stand-ins, the apps' own cannot be pulled.
spawn mysql:8.4                      mysql-8          debian:bookworm-slim mysql:8.0  # MariaDB under the official tags
spawn redis:7.2-alpine               redis-7          debian:bookworm-slim redis:7
spawn clickhouse/clickhouse-server:24.3-alpine clickhouse debian:bookworm-slim
build hydron-testbed/gallery-app:bookworm gallery-app debian:bookworm-slim
spawn ghost:5-alpine                 ghost-5          hydron-testbed/gallery-app:bookworm
spawn wordpress:6.5-apache           wordpress-6.5    hydron-testbed/gallery-app:bookworm
spawn ghcr.io/umami-software/umami:postgresql-v2.11.3 umami-2 hydron-testbed/gallery-app:bookworm
spawn ghcr.io/plausible/community-edition:v2.1.1 plausible-2 hydron-testbed/gallery-app:bookworm
join
