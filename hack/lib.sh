# Shared by hack/*.sh: where caches live and how to get the project's Python.
# shellcheck shell=bash
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export HYDRON_CACHE=${HYDRON_CACHE:-$HOME/.cache/hydron}
VENV=${HYDRON_VENV:-$HYDRON_CACHE/venv}
log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
