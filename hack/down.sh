#!/usr/bin/env bash
# Stop what hack/up.sh started.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
exec "$VENV/bin/python" "$REPO/hack/demo.py" down "$@"
