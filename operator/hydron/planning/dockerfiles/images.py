"""Base image tags from the language version the analysis found.

A pinned or exact version picks that line (node 18 → node:18-slim). A lower bound
(>=3.11, ^8.2) picks the current default when it satisfies the bound, else the bound
itself, so an image is never older than the code asks for. No version: the default.

Go's `go 1.18` directive and Cargo's `rust-version` are minimums by definition, and both
toolchains build older code (Go's compatibility promise, Rust's editions), so for them
every stated version is a lower bound: `go 1.18` builds with the current Go, never with
an end-of-life 1.18 image.
"""

from __future__ import annotations

import re

Version = tuple[int, ...]

DEFAULTS: dict[str, Version] = {
    "node": (22,), "bun": (1,), "python": (3, 12), "ruby": (3, 3), "go": (1, 23), "java": (21,),
    "php": (8, 3), "rust": (1,), "dotnet": (8, 0), "elixir": (1, 17),
}
# How many version components the image tag uses.
PRECISION = {"node": 1, "bun": 2, "python": 2, "ruby": 2, "go": 2, "java": 1, "php": 2, "rust": 2,
             "dotnet": 2, "elixir": 2}

# Languages whose stated version is always a minimum the current toolchain satisfies.
MINIMUM_ONLY = frozenset({"go", "rust"})
_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_LOWER_BOUND = re.compile(r"^\s*(>=|>|\^)")


def line(language: str, requested: str | None) -> Version:
    """The version line to build with, at the precision the image tags use."""
    default = DEFAULTS[language]
    precision = PRECISION[language]
    if language == "java" and requested and requested.startswith("1."):
        requested = requested[2:]  # 1.8 is Java 8
    found = _NUMBER.search(requested or "")
    if found is None:
        return default
    version = tuple(int(p) for p in found.group(0).split("."))[:precision]
    if len(version) < precision and language in ("python", "ruby", "go", "php", "elixir", "dotnet"):
        version = version + default[len(version):precision] if version[0] == default[0] else version + (0,)
    minimum = language in MINIMUM_ONLY or _LOWER_BOUND.match(requested or "")
    if minimum and default >= version[:len(default)]:
        return default
    return version


def dotted(version: Version) -> str:
    return ".".join(str(p) for p in version)


# Node's release lines with images, newest last: a range picks among them (odd majors are short-lived).
NODE_LINES = (18, 20, 22, 24)
_COMPARATOR = re.compile(r"^(\^|~|>=|<=|>|<|=)?v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-[\w.]+)?$")


def satisfies(requested: str, version: Version) -> bool | None:
    """Whether version meets an npm semver range (engines.node: `^20.19.0 || >=22.12.0`, `>=18 <21`, `18.x`);
    None when the text is not one (`lts/*`)."""
    alternatives = []
    for alternative in requested.split("||"):
        words = re.sub(r"(>=|<=|>|<|=|\^|~)\s+", r"\1", alternative.strip()).split()
        if " - " in alternative:  # hyphen range: 18 - 20
            low, _, high = alternative.partition(" - ")
            words = [">=" + low.strip(), "<=" + high.strip()]
        parsed = [_COMPARATOR.match(word) for word in words] or [_COMPARATOR.match("*")]
        if not all(parsed):
            return None
        alternatives.append(all(_meets(match, version) for match in parsed))
    return any(alternatives)


def _meets(match: re.Match, version: Version) -> bool:
    op = match.group(1) or ""
    parts = [match.group(i) for i in (2, 3, 4)]
    given = next((i for i, p in enumerate(parts) if p is None or not p.isdigit()), 3)  # parts before a wildcard
    bound = tuple(int(p) for p in parts[:given])
    have = (tuple(version[:3]) + (0, 0, 0))[:3]
    lowest = bound + (0,) * (3 - given)
    if op in ("", "="):
        return have[:given] == bound  # 18, 18.x, 20.1: that line
    if op == "^":  # the leftmost non-zero part stays
        keep = min(next((i for i, p in enumerate(bound) if p != 0), given - 1) + 1, max(given, 1))
        return have >= lowest and have[:keep] == lowest[:keep]
    if op == "~":
        keep = max(1, min(given, 2))
        return have >= lowest and have[:keep] == lowest[:keep]
    if op == ">=":
        return have >= lowest
    if op == ">":
        return have[:given] > bound
    if op == "<":
        return have < lowest
    return have[:given] <= bound  # <=


def node_line(requested: str | None) -> Version:
    """A version or a line (`18.18.2`, `20`) picks that line; a range (engines.node) the default line when its
    newest release meets it, else the newest line that does: `^18.0.0` is Node 18, `>=18 <21` Node 20."""
    text = (requested or "").strip()
    if not re.search(r"[<>^~|*xX ]", text) or satisfies(text, (0,)) is None:
        return line("node", requested)
    newest = (10**6, 10**6)  # the image of a line is its newest release
    if satisfies(text, DEFAULTS["node"] + newest):
        return DEFAULTS["node"]
    met = [major for major in NODE_LINES if satisfies(text, (major,) + newest)]
    return (met[-1],) if met else line("node", requested)


def node(version: str | None) -> str:
    return f"node:{dotted(node_line(version))}-slim"


def bun(version: str | None) -> str:
    return f"oven/bun:{dotted(line('bun', version))}-slim"


def python(version: str | None) -> str:
    return f"python:{dotted(line('python', version))}-slim"


def ruby(version: str | None) -> str:
    return f"ruby:{dotted(line('ruby', version))}-slim"


def golang(version: str | None) -> str:
    return f"golang:{dotted(line('go', version))}-bookworm"


def rust(version: str | None) -> str:
    return f"rust:{dotted(line('rust', version))}-slim-bookworm"


def java_major(version: str | None) -> int:
    return line("java", version)[0]


def php(version: str | None) -> str:
    return f"php:{dotted(line('php', version))}-apache"


def dotnet(version: str | None) -> str:
    return dotted(line("dotnet", version))


def elixir(version: str | None) -> str:
    return f"elixir:{dotted(line('elixir', version))}-slim"


DEBIAN = "debian:bookworm-slim"
STATIC_SERVER = "nginxinc/nginx-unprivileged:1.27-alpine"
COMPOSER = "composer:2"
