#!/usr/bin/env bash
# Install and start everything the tests and the demo need, reusing what is there:
# OS packages, a Python virtualenv with Hydron, the Docker engine and local base
# images, and the control-plane binaries (built once per version, then cached).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"
started=$SECONDS

need_apt=()
command -v dockerd >/dev/null || need_apt+=(docker.io)
command -v debootstrap >/dev/null || need_apt+=(debootstrap)
command -v git >/dev/null || need_apt+=(git)
command -v ssh-keygen >/dev/null || need_apt+=(openssh-client)
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)  # a local Git-over-SSH server in tests
command -v curl >/dev/null || need_apt+=(curl)
# BIND 9: the real DNS server (RFC 2136 updates with TSIG) the DNS tests start on loopback
command -v named >/dev/null || [ -x /usr/sbin/named ] || need_apt+=(bind9)
# The base images' fetch scripts (hack/testbed/*/fetch) unpack wheels and module zips and
# pack npm packages on this machine.
command -v unzip >/dev/null || need_apt+=(unzip)
command -v npm >/dev/null || need_apt+=(npm)
command -v promtool >/dev/null || need_apt+=(prometheus)  # promtool tests the chart's alert rules
python3 -m pip --version >/dev/null 2>&1 || need_apt+=(python3-pip)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing OS packages: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "Go is needed to build the control plane (or set KUBEBUILDER_ASSETS)" >&2; exit 1; }

# The control plane build is CPU-bound and the image build mostly waits on the
# network, so they run side by side.
log "control-plane binaries (cached after the first build)"
bins_log="$HYDRON_CACHE/control-plane-bins.log"
mkdir -p "$HYDRON_CACHE"
bash hack/control-plane-bins.sh >"$bins_log.out" 2>"$bins_log" &
bins_pid=$!

if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtualenv $VENV"
  python3 -m venv "$VENV"
fi
log "installing hydron into the virtualenv"
"$VENV/bin/pip" install -q --disable-pip-version-check -e ".[test]"

log "web view (built once per change of ui/)"
bash hack/ui-build.sh

log "Docker engine"
bash hack/docker-up.sh
log "container registry (mirror and private registry for the test bed's servers)"
bash hack/registry.sh
log "local base images and the fresh-server image"
bash hack/base-images.sh

log "kstatus checker (the library Flux uses to judge health)"
bash hack/kstatus-bin.sh >/dev/null 2>"$HYDRON_CACHE/kstatus-bin.log" || { tail -n 20 "$HYDRON_CACHE/kstatus-bin.log" >&2; exit 1; }

if ! wait "$bins_pid"; then
  tail -n 40 "$bins_log" >&2
  echo "building the control-plane binaries failed; full log: $bins_log" >&2
  exit 1
fi
tail -n 1 "$bins_log" >&2
log "setup done in $((SECONDS - started))s"
