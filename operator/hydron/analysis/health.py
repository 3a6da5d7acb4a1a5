"""Health endpoints: route definitions whose path is a well-known health word."""

from __future__ import annotations

import re
from typing import Iterable, Optional

from .evidence import SourceText
from .models import HealthCheck

# in order of preference when a service defines several
HEALTH_WORDS = (
    "health", "healthz", "healthcheck", "health-check", "_health", "livez", "live", "readyz", "ready", "up", "ping",
    "liveness", "readiness", "alive", "heartbeat",
)
# words that also name ordinary pages: a route with one is a likely, not a certain, health check
_WEAK_WORDS = frozenset({"alive", "heartbeat"})
_WORDS = "|".join(re.escape(w) for w in HEALTH_WORDS)

# a routing call or annotation, then on the same line a quoted path ending in a health word
_ROUTE = re.compile(
    r"(?<![\w$])(?P<keyword>get|GET|Get|head|HEAD|all|route|Route|resource|HandleFunc|Handle|MapGet|MapHealthChecks"
    r"|HttpGet|re_path|path|match|health|Controller|(?:Get|Request)Mapping)\b[^\n'\"`]{0,80}?"
    r"['\"`](?:(?:GET|HEAD)\s+)?(?P<path>/?(?:[\w{}:.-]+/){0,3}(?:" + _WORDS + r"))/?['\"`]"
)
# a hand-written router: `req.url === "/health"`, `self.path == '/healthz'`,
# `r.URL.Path == "/up"`, or `case "/health":` in a switch over the path
_COMPARISON = re.compile(
    r"(?:(?:\burl|\.path|\bpathname|URL\.Path)\s*(?:===?|==)\s*|\bcase\s+)"
    r"['\"`](?P<path>/(?:[\w.-]+/){0,3}(?:" + _WORDS + r"))/?['\"`]"
)
_URL_PATH = re.compile(r"https?://[^/\s\"']+(/[^\s\"'|;]*)")


def find_route(sources: Iterable[SourceText]) -> Optional[HealthCheck]:
    """The most conventional health route defined in these files."""
    best: Optional[tuple[int, HealthCheck]] = None
    for source in sources:
        found = [(m, "medium" if m.group("keyword") == "Controller" else "high") for m in source.matches(_ROUTE)]
        found += [(m, "medium") for m in source.matches(_COMPARISON)]
        for match, confidence in found:
            path = "/" + match.group("path").lstrip("/")
            word = path.rsplit("/", 1)[1]
            rank = HEALTH_WORDS.index(word)
            confidence = "medium" if word in _WEAK_WORDS else confidence
            if best is None or rank < best[0]:
                evidence = [source.evidence(f"route {path}", match.start())]
                best = (rank, HealthCheck(path=path, evidence=evidence, confidence=confidence))
    return best[1] if best else None


def path_from_url(text: str) -> Optional[str]:
    """The path of the first http URL in a healthcheck command, e.g. curl -f http://localhost:3000/up."""
    match = _URL_PATH.search(text)
    return match.group(1) if match else None
