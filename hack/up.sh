#!/usr/bin/env bash
# The main job: set everything up, then run Hydron end to end on this machine
# (control plane, operator, a fresh server, an app applied). `hack/down.sh` stops it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash "$REPO/hack/setup.sh"
exec "$VENV/bin/python" "$REPO/hack/demo.py" up "$@"
