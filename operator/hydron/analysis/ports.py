"""Listening ports stated in code, config files and command lines."""

from __future__ import annotations

import re
from typing import Iterable, Optional

from .evidence import SourceText
from .models import Confidence, Port

# Ports of databases and brokers: a "port = 5432" in code configures a client, not the server.
BACKING_PORTS = frozenset({5432, 3306, 6379, 27017, 5672, 15672, 9092, 9200, 9300, 11211, 4222, 8123, 9000})
# Mail, directory and shell ports: a "port: 587" in code configures an SMTP client, not the app's listener.
CLIENT_PROTOCOL_PORTS = frozenset({25, 465, 587, 2525, 110, 143, 993, 995, 389, 636, 22})

PORT_DEFAULT = "PORT defaults to {}"

# (pattern, what it means, literals one of which every match contains: a file without any is skipped
# unsearched); evidence never quotes source lines, which may hold secrets
_EXPLICIT = tuple(
    (re.compile(pattern, re.MULTILINE), meaning, needles)
    for pattern, meaning, needles in (
        (r"\.listen\(\s*(\d{2,5})\b", "listen({})", (".listen(",)),
        (r"process\.env(?:\.PORT|\[['\"]PORT['\"]\])\s*\)?\s*(?:(?:\|\||\?\?)\s*process\.env\.\w+\s*)*"
         r"(?:\|\||\?\?)\s*['\"]?(\d{2,5})\b", PORT_DEFAULT, ("process.env",)),
        (r"(?:getenv|environ\.get)\(\s*['\"]PORT['\"]\s*,\s*['\"]?(\d{2,5})\b", PORT_DEFAULT, ("PORT",)),
        (r"ENV\.fetch\(\s*['\"]PORT['\"]\s*(?:,\s*|\)\s*\{\s*)['\"]?(\d{2,5})\b", PORT_DEFAULT, ("PORT",)),
        (r"ENV\[['\"]PORT['\"]\]\s*\|\|\s*['\"]?(\d{2,5})\b", PORT_DEFAULT, ("PORT",)),
        (r"System\.get_env\(\s*\"PORT\"\s*\)\s*\|\|\s*\"?(\d{2,5})\b", PORT_DEFAULT, ("PORT",)),
        (r"\.run(?:_app)?\([^)\n]*\bport\s*=\s*(\d{2,5})\b", "run(port={})", (".run",)),
        (r"^\s*set\s+:port\s*,\s*(\d{2,5})\b", "set :port, {}", (":port",)),
        (r"^\s*port\s+(\d{2,5})\s*$", "port {}", ("port",)),
        (r"(?:ListenAndServe(?:TLS)?|\.Run|\.Start|\.Listen)\(\s*\"[\w.]*:(\d{2,5})\"", "listens on :{}", ("ListenAndServe", ".Run(", ".Start(", ".Listen(")),
        (r"bind\(\s*\(\s*\"[^\"]*\"\s*,\s*(\d{2,5})\s*\)", "binds port {}", ("bind(",)),
        (r"bind\(\s*&?\"[^\"]*:(\d{2,5})\"", "binds port {}", ("bind(",)),
        (r"SocketAddr(?:V4|V6)?::(?:from|new)\(\s*\(?\s*(?:\[[^\]]*\]|Ipv[46]Addr::\w+|IpAddr::\w+\([^)]*\)"
         r"|\[0,\s*0,\s*0,\s*0\]\.into\(\))\s*,\s*(\d{2,5})\s*\)", "binds port {}", ("SocketAddr",)),
        (r"(?:UseUrls|Urls\.Add)\(\s*\"https?://[^\"]*:(\d{2,5})", "listens on URL with port {}", ("Urls",)),
        (r"Listen(?:Any|Local)IP\(\s*(\d{2,5})\b", "listens on port {}", ("IP(",)),
        (r"^\s*(server\.port|quarkus\.http\.port)\s*[=:]\s*(?:\$\{PORT:)?(\d{2,5})\b", "{} = {}", (".port",)),
        (r"^server:\s*\n(?:[ \t]+.*\n)*?[ \t]+port:\s*(?:\$\{PORT:)?(\d{2,5})\b", "server.port: {}", ("server:",)),
        (r"http:\s*\[[^\]]*\bport:\s*(\d{2,5})\b", "endpoint http port {}", ("http:",)),
        (r"\bName:\s*\"(?![\w-]*(?:health|metric|debug|pprof|grpc))[\w-]*(?:addr|address|listen|port)\"[^{}]{0,300}?\bValue:\s*\"[\w.]*:(\d{2,5})\"",
         "listen flag defaults to :{}", ("Value:",)),
        (r"\bset_default\(\s*\"(?:server\.|http\.)?port\"\s*,\s*(\d{2,5})\b", "config default port {}", ("set_default",)),
        (r"(?<![\w.]):port\s*=>\s*(\d{2,5})\b", ":port => {}", (":port",)),
        (r"^bind\s*=\s*\[?\s*['\"][\w.\[\]]*:(\d{2,5})['\"]", "gunicorn bind port {}", ("bind",)),
        (r"\bLISTEN_?ADDR(?:ESS)?\b[\s\S]{0,80}?\"[\w.]*:(\d{2,5})\"", "LISTEN_ADDR defaults to port {}", ("LISTEN",)),
    )
)
_GENERIC_NEEDLES = re.compile(r"port|PORT|Port")
_GENERIC = re.compile(r"(?<![\w.])(?:port|PORT|Port)\s*(?::=|=|:)\s*['\"]?(\d{2,5})\b")

_COMMAND = tuple(
    re.compile(p)
    for p in (
        r"(?:--port|-p|--http-port|--listen)[= ]+(\d{2,5})\b",
        r"(?:--bind|-b)[= ]+[\w.\[\]:]*:(\d{2,5})\b",
        r"\bPORT=(\d{2,5})\b",
        r"\s-S\s+[\w.]+:(\d{2,5})\b",  # php -S 0.0.0.0:8000
        r"(?:0\.0\.0\.0|localhost|127\.0\.0\.1|\[::\]):(\d{2,5})\b",
    )
)


def in_sources(sources: Iterable[SourceText]) -> list[Port]:
    """Ports the code states, strongest first: explicit listen calls and PORT defaults, then 'port = N'."""
    explicit: list[Port] = []
    generic: list[Port] = []
    for source in sources:
        for pattern, meaning, needles in _EXPLICIT:
            if not any(needle in source.text for needle in needles):
                continue
            for match in source.matches(pattern):
                _add(explicit, source, match, meaning, "high")
        for match in source.matches(_GENERIC) if _GENERIC_NEEDLES.search(source.text) else ():
            if int(match.group(match.lastindex)) not in BACKING_PORTS | CLIENT_PROTOCOL_PORTS:
                _add(generic, source, match, "port = {}", "medium")
    return explicit + generic


def follows_port_variable(port: Port) -> bool:
    """Code that reads PORT and only falls back to a number listens wherever PORT points."""
    return port.evidence[0].detail == PORT_DEFAULT.format(port.value)


def in_command(command: str) -> Optional[int]:
    """Port a start command binds, e.g. 'gunicorn -b 0.0.0.0:8000' or 'rails s -p 3000'."""
    for pattern in _COMMAND:
        match = pattern.search(command)
        if match and _valid(int(match.group(1))):
            return int(match.group(1))
    return None


def _add(found: list[Port], source: SourceText, match: re.Match[str], meaning: str, confidence: Confidence) -> None:
    value = int(match.group(match.lastindex))
    if _valid(value):
        detail = meaning.format(*match.groups())
        evidence = [source.evidence(detail, match.start(match.lastindex))]
        found.append(Port(value=value, evidence=evidence, confidence=confidence))


def _valid(value: int) -> bool:
    return 1 <= value <= 65535
