"""Caddy's admin API on the server's loopback, through curl.

Configuration changes go through the API (`POST /load`), which Caddy applies
gracefully: listeners are kept and in-flight requests finish. Hydron never restarts
Caddy to change its configuration.
"""

from __future__ import annotations

from hydron.remote.builders.caddy_config import ADMIN_LISTEN
from hydron.remote.command import Command, mutate, observe

ADMIN = f"http://{ADMIN_LISTEN}"
UNREACHABLE = 7
"""curl's exit status when nothing listens (Caddy not running)."""
NOT_ANSWERING = frozenset({1, UNREACHABLE, 127})
"""`get_config` exit statuses meaning "no admin API to talk to": nothing listens (7),
or curl itself is missing (127; 1 when sudo reports it)."""

_JSON = ("-H", "Content-Type: application/json", "--data-binary", "@-")


def get_config() -> Command:
    """The running configuration as JSON (`null` when empty); see NOT_ANSWERING."""
    return observe("curl", "-sS", "--fail", "--max-time", "10", f"{ADMIN}/config/", ok_exit={0} | NOT_ANSWERING)


def load_config() -> Command:
    """Replace the whole configuration with the JSON on stdin."""
    return mutate("curl", "-sS", "--fail-with-body", "--max-time", "60", "-X", "POST", *_JSON, f"{ADMIN}/load")


def append_route(server: str) -> Command:
    """Append the JSON route on stdin to one HTTP server's routes."""
    return mutate(
        "curl", "-sS", "--fail-with-body", "--max-time", "60", "-X", "POST", *_JSON,
        f"{ADMIN}/config/apps/http/servers/{server}/routes",
    )


def http_status(url: str) -> Command:
    """The HTTP status code a URL answers with (000 when it does not answer)."""
    return observe("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--url", url,
                   ok_exit=range(0, 100))
