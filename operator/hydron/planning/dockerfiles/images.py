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


def node(version: str | None) -> str:
    return f"node:{dotted(line('node', version))}-slim"


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
