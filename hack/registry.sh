#!/usr/bin/env bash
# The container registry the test bed runs as a mirror and private registry for its
# servers (operator/hydron_testbed/registry.py): Debian's docker-registry, and
# apache2-utils for its htpasswd logins. Idempotent: installs only what is missing.
set -euo pipefail

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
[ ${#need[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "registry: installing ${need[*]}" >&2
$SUDO apt-get update -qq
# The package's own service is not wanted: the test bed starts registries itself.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
