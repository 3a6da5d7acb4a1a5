"""Health endpoints: route definitions whose path is a well-known health word."""

from __future__ import annotations

import re
from typing import Iterable, Optional

from .evidence import SourceText
from .models import HealthCheck

# in order of preference when a service defines several
HEALTH_WORDS = (
    "health", "healthz", "healthcheck", "health-check", "_health", "livez", "live", "readyz", "ready", "up", "ping",
    "liveness", "readiness", "alive", "heartbeat", "status",
)
# words that also name ordinary pages: a route with one is a likely, not a certain, health check
_WEAK_WORDS = frozenset({"alive", "heartbeat", "status"})
_WORDS = "|".join(re.escape(w) for w in HEALTH_WORDS)

# a routing call or annotation, then on the same line a quoted path ending in a health word
_ROUTE = re.compile(
    r"(?<![\w$])(?P<keyword>get|GET|Get|head|HEAD|all|route|Route|resource|HandleFunc|Handle|MapGet|MapHealthChecks"
    r"|HttpGet|re_path|path|match|health|Controller|(?:Get|Request)Mapping|UseHealthChecks)\b"
    r"(?:\(\s*|[^\n'\"`]{0,80}?)"
    r"['\"`](?:(?:GET|HEAD)\s+)?(?P<path>/?(?:[\w{}:.-]+/){0,3}(?:" + _WORDS + r"))/?['\"`]"
)
# a hand-written router: `req.url === "/health"`, `self.path == '/healthz'`,
# `r.URL.Path == "/up"`, or `case "/health":` in a switch over the path
_COMPARISON = re.compile(
    r"(?:(?:\burl|\.path|\bpathname|URL\.Path)\s*(?:===?|==)\s*|\bcase\s+)"
    r"['\"`](?P<path>/(?:[\w.-]+/){0,3}(?:" + _WORDS + r"))/?['\"`]"
)
_URL_PATH = re.compile(r"https?://[^/\s\"']+(/[^\s\"'|;]*)")
# in a health script: a URL on this machine (the host may be built in code: localhost:{port}), and a literal path
_LOCAL_URL_PATH = re.compile(r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::?[^/\s\"'`]*)"
                             r"(/[\w./-]*)(?=[\s\"'`?]|$)")
_SCRIPT = re.compile(r"(?:^|[\s\[\"',])(?P<script>[\w$.{}/-]*[\w-]\.(?:py|js|mjs|cjs|ts|sh|rb|php))(?=[\s\"',\]]|$)")


def find_route(sources: Iterable[SourceText]) -> Optional[HealthCheck]:
    """The most conventional health route defined in these files."""
    best: Optional[tuple[int, HealthCheck]] = None
    for source in sources:
        found = [(m, "medium" if m.group("keyword") == "Controller" else "high") for m in source.matches(_ROUTE)]
        found += [(m, "medium") for m in source.matches(_COMPARISON)]
        for match, confidence in found:
            if (_commented(source.text, match.start()) or _lookup(source.text, match)
                    or _not_a_status_route(source.text, match)):
                continue
            path = "/" + match.group("path").lstrip("/")
            word = path.rsplit("/", 1)[1]
            if match.group(0).endswith(("/'", '/"')) and match.groupdict().get("keyword") in ("path", "re_path"):
                path += "/"  # Django routes keep their trailing slash (without it the app redirects)
            rank = HEALTH_WORDS.index(word)
            confidence = "medium" if word in _WEAK_WORDS else confidence
            if best is None or rank < best[0]:
                evidence = [source.evidence(f"route {path}", match.start())]
                best = (rank, HealthCheck(path=path, evidence=evidence, confidence=confidence))
    return best[1] if best else None


def _commented(text: str, at: int) -> bool:
    """The match sits on a comment line (`# config.x = ... "/up"`): documentation, not a route."""
    line = text[text.rfind("\n", 0, at) + 1: at].lstrip()
    return line.startswith(("#", "//", "/*", "* ", "--")) and not line.startswith(("#[", "#!"))


def _not_a_status_route(text: str, match: re.Match[str]) -> bool:
    """A status page is a health check only where a server routes it by a call to a handler named for it
    (`path("api/status/", views.status)`, `Route::get('/status', [StatusController::class, ...])`); not a
    front-end router entry (`path: "/status"`), a websocket, nor a page of statuses with a handler of its own."""
    if not match.group("path").endswith("status"):
        return False
    if "keyword" not in match.re.groupindex:
        return True
    between = match.group(0)[len(match.group("keyword")):match.start("path") - match.start()]
    called = re.search(r"\(\s*['\"`]$", between) is not None
    line_end = text.find("\n", match.end())
    handler = text[match.end(): line_end if line_end >= 0 else len(text)]
    return (not called or "ws/" in match.group("path") or re.search(r"[:{<]", match.group("path")) is not None
            or re.search(r"(?i)status|health", handler) is None)


def _lookup(text: str, match: re.Match[str]) -> bool:
    """`form.get("up")`, `dict.get("health")`: a method called get with a bare word is a lookup, not a route;
    routes declared by a get method name a path starting with /."""
    return ("keyword" in match.re.groupindex and match.group("keyword") in ("get", "Get") and text[match.start() - 1: match.start()] == "."
            and not match.group("path").startswith("/"))


def path_from_url(text: str) -> Optional[str]:
    """The path of the first http URL in a healthcheck command, e.g. curl -f http://localhost:3000/up."""
    match = _URL_PATH.search(text)
    return match.group(1) if match else None


def script_in_command(command: str) -> Optional[str]:
    """The script a HEALTHCHECK runs (`CMD ./fetchstatus.py`, `CMD python $HOME/app/scripts/healthcheck.py`)."""
    match = _SCRIPT.search(command)
    return match.group("script") if match else None


def path_from_script(text: str) -> Optional[tuple[str, int]]:
    """The path a health script requests from the app on this machine, and where (mealie's healthcheck.py
    gets http://127.0.0.1:{port}/api/app/about); None when it probes no local URL."""
    for match in _LOCAL_URL_PATH.finditer(text):
        if not _commented(text, match.start()):
            return match.group(1), match.start()
    return None
