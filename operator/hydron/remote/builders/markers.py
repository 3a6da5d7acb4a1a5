"""Pending markers: a step about to change the server writes one first and removes it
once the change is verified. A marker found at the start of a run means the last run
died mid-change (operator killed, connection lost); the step then finishes or undoes
what it started instead of trusting a half-made state. (The facts probe lists the
markers, so finding them costs no extra round trip.)"""

from __future__ import annotations

from hydron.remote.command import Command, mutate

MARKER_DIR = "/var/lib/hydron/steps"


def path(step: str) -> str:
    return f"{MARKER_DIR}/{step}.pending"


def write(step: str) -> Command:
    return mutate("sh", "-c", 'mkdir -p -- "$(dirname -- "$1")" && : > "$1"', "sh", path(step))


def clear(step: str) -> Command:
    return mutate("rm", "-f", "--", path(step))
