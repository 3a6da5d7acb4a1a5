#!/usr/bin/env bash
# Build the web view (ui/, React + Vite) into the Python package (hydron/web/static),
# and make sure the browser tests have Debian's Chromium. Idempotent: the build is
# skipped when ui/'s sources hash to the stamp of the last build, so setup stays fast.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

# Playwright drives the system Chromium (it cannot download its own browser here).
if [ ! -x /usr/bin/chromium ]; then
  log "installing Chromium for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

static=operator/hydron/web/static
stamp=$static/.build-stamp
sources=$(cd ui && find package.json package-lock.json index.html vite.config.ts tsconfig.json src -type f | LC_ALL=C sort)
digest=$(cd ui && sha256sum $sources | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ -f "$static/index.html" ] && [ "$(cat "$stamp")" = "$digest" ]; then
  log "web view is up to date"
  exit 0
fi
command -v npm >/dev/null || { echo "npm is needed to build the web view (apt-get install npm)" >&2; exit 1; }
log "building the web view"
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
echo "$digest" >"$stamp"
