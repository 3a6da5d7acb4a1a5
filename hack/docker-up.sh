#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine.
#
# Idempotent: if `docker info` already answers, nothing happens. Otherwise install
# Debian's docker.io when dockerd is missing, start dockerd in the background with its
# log in ${HYDRON_CACHE:-$HOME/.cache/hydron}/dockerd.log, and poll until it answers.
set -euo pipefail

CACHE_ROOT=${HYDRON_CACHE:-$HOME/.cache/hydron}
LOG="$CACHE_ROOT/dockerd.log"
DEADLINE_S=${HYDRON_DOCKER_TIMEOUT:-60}

log() { echo "docker-up: $*" >&2; }

if docker info >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "dockerd missing; installing docker.io"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q docker.io
fi

mkdir -p "$CACHE_ROOT"
# The pid file, not pgrep: test servers run dockerd of their own inside containers.
PIDFILE=/var/run/docker.pid
if ! { [ -s "$PIDFILE" ] && $SUDO kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }; then
  log "starting dockerd (log: $LOG)"
  # setsid: the daemon must outlive this script and the test session that ran it.
  $SUDO setsid nohup dockerd >>"$LOG" 2>&1 </dev/null &
else
  log "dockerd is running but not answering yet; waiting"
fi

end=$((SECONDS + DEADLINE_S))
until docker info >/dev/null 2>&1; do
  if [ "$SECONDS" -ge "$end" ]; then
    log "last lines of $LOG:"
    tail -n 15 "$LOG" >&2 || true
    log "docker did not answer within ${DEADLINE_S}s (dockerd log: $LOG)"
    exit 1
  fi
  sleep 0.5
done
log "docker is up"
