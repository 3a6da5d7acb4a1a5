#!/usr/bin/env bash
# The whole test suite: unit, integration (real Docker, sshd servers) and e2e (real
# kube-apiserver + etcd with the operator running). Sets up what it needs first.
# Extra arguments go to pytest, e.g. `hack/test.sh tests/unit -k crds`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash "$REPO/hack/setup.sh"
cd "$REPO"
log "running the tests"
# The checkout's own package wins even if the shared virtualenv last installed another.
export PYTHONPATH="$REPO/operator${PYTHONPATH:+:$PYTHONPATH}"
# The slowest tests are listed at the end, so a run that grows shows where.
exec "$VENV/bin/python" -m pytest -p no:cacheprovider -ra --durations=25 "${@:-tests}"
