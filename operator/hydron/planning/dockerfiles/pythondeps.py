"""What a Python service's declared packages ask of its image: the newest Python they have wheels
for, and the compiler and C headers the ones that build from source need.

Two small tables of well-known packages, not a resolver: a pin older than the first release
with wheels for a Python version makes pip compile it from source, which fails in a slim
image (no compiler, no headers) or fails outright for old code on a new interpreter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hydron.analysis.models import Package

Version = tuple[int, ...]

# package → (first release with wheels for a Python line, that line), oldest Python first:
# a pin entirely below the release caps Python at the line before it.
WHEELS_FROM: dict[str, tuple[tuple[str, Version], ...]] = {
    "numpy": (("1.19.3", (3, 9)), ("1.21.3", (3, 10)), ("1.23.2", (3, 11)), ("1.26.0", (3, 12))),
    "pandas": (("1.1.5", (3, 9)), ("1.3.4", (3, 10)), ("1.5.0", (3, 11)), ("2.1.1", (3, 12))),
    "scipy": (("1.5.4", (3, 9)), ("1.7.2", (3, 10)), ("1.9.2", (3, 11)), ("1.11.2", (3, 12))),
    "pillow": (("8.0.1", (3, 9)), ("8.3.2", (3, 10)), ("9.3.0", (3, 11)), ("10.0.1", (3, 12))),
    "psycopg2-binary": (("2.8.6", (3, 9)), ("2.9.2", (3, 10)), ("2.9.5", (3, 11)), ("2.9.9", (3, 12))),
    # the same source built on the server: a release older than psycopg2-binary's first wheel for a Python
    # was not made for it (bluelog's 2.8.4 on 3.12: "lvalue required as left operand of assignment")
    "psycopg2": (("2.8.6", (3, 9)), ("2.9.2", (3, 10)), ("2.9.5", (3, 11)), ("2.9.9", (3, 12))),
    "lxml": (("4.6.2", (3, 9)), ("4.6.4", (3, 10)), ("4.9.1", (3, 11)), ("4.9.3", (3, 12))),
    "pyyaml": (("5.4", (3, 10)), ("6.0", (3, 11)), ("6.0.1", (3, 12))),
    "grpcio": (("1.34.0", (3, 9)), ("1.41.0", (3, 10)), ("1.49.1", (3, 11)), ("1.59.0", (3, 12))),
    "aiohttp": (("3.7.4", (3, 9)), ("3.8.0", (3, 10)), ("3.8.2", (3, 11)), ("3.9.0", (3, 12))),
    "uvloop": (("0.15.0", (3, 9)), ("0.16.0", (3, 10)), ("0.17.0", (3, 11)), ("0.18.0", (3, 12))),
    "greenlet": (("1.0.0", (3, 9)), ("1.1.2", (3, 10)), ("2.0.0", (3, 11)), ("3.0.0", (3, 12))),
    "gevent": (("20.12.0", (3, 9)), ("21.8.0", (3, 10)), ("22.10.1", (3, 11)), ("23.9.0", (3, 12))),
    "asyncpg": (("0.22.0", (3, 9)), ("0.25.0", (3, 10)), ("0.27.0", (3, 11)), ("0.29.0", (3, 12))),
    "matplotlib": (("3.3.3", (3, 9)), ("3.5.0", (3, 10)), ("3.6.1", (3, 11)), ("3.8.0", (3, 12))),
    # pure Python, but releases before these do not run on that Python
    "django": (("1.11.17", (3, 7)), ("2.2.8", (3, 8)), ("2.2.17", (3, 9)), ("3.2.9", (3, 10)), ("4.1.3", (3, 11)),
               ("4.2.8", (3, 12))),
}


@dataclass(frozen=True)
class Native:
    """A package that compiles C code: what its build needs, and what the built module loads at run time."""

    build: tuple[str, ...]
    runtime: tuple[str, ...] = ()
    always: bool = True  # no wheels at all on Linux (else only when its pin predates the wheels)
    compiles: bool = True  # needs a C compiler (psycopg 3 only loads the library)


COMPILER = ("build-essential", "pkg-config")
NATIVE: dict[str, Native] = {
    "psycopg2": Native(("libpq-dev",), ("libpq5",)),
    "psycopg": Native((), ("libpq5",), compiles=False),  # psycopg 3 without [binary] loads the system libpq
    # psycopg 3's C speed-up: an sdist only, its build runs pg_config (netbox's psycopg[c,pool])
    "psycopg[c]": Native(("libpq-dev",), ("libpq5",)),
    "psycopg-c": Native(("libpq-dev",), ("libpq5",)),
    "mysqlclient": Native(("default-libmysqlclient-dev",), ("libmariadb3",)),
    "mariadb": Native(("libmariadb-dev",), ("libmariadb3",)),
    "python-ldap": Native(("libldap2-dev", "libsasl2-dev"), ("libldap-2.5-0", "libsasl2-2")),
    "pycairo": Native(("libcairo2-dev",), ("libcairo2",)),
    "uwsgi": Native(()),
    "lxml": Native(("libxml2-dev", "libxslt1-dev"), ("libxml2", "libxslt1.1"), always=False),
    "pillow": Native(("libjpeg62-turbo-dev", "zlib1g-dev"), ("libjpeg62-turbo", "zlib1g"), always=False),
}
# Packages that only compile when no wheel fits: those in WHEELS_FROM, with no system library.
_PLAIN_C = frozenset(WHEELS_FROM) - {"django", "pyyaml"} - set(NATIVE)

# package → (first release whose setup.py builds with today's setuptools, the setuptools release that removed
# what older ones use): pip builds an sdist with the newest setuptools, where the API is gone.
OLD_SETUPTOOLS: dict[str, tuple[str, Version]] = {
    "markupsafe": ("1.1.0", (46,)),  # MarkupSafe 1.0's setup.py imports setuptools.Feature, removed in 46.0
}

_CLAUSE = re.compile(r"(===|==|~=|!=|<=|>=|<|>|\^|~|=)?\s*v?(\d+(?:\.\d+)*)(\.\*)?")


def parse(version: str) -> Version:
    return tuple(int(p) for p in version.split("."))


def upper_bound(constraint: str | None) -> tuple[Version, bool] | None:
    """The highest version a constraint allows, and whether that version itself is allowed;
    None when it has no upper bound (>=1.2, *, a bare name)."""
    best: tuple[Version, bool] | None = None
    for clause in (constraint or "").split(","):
        match = _CLAUSE.fullmatch(clause.strip())
        if not match:
            continue
        operator, number, wildcard = match.group(1) or "==", parse(match.group(2)), match.group(3)
        bound: tuple[Version, bool] | None = None
        if operator in ("==", "===", "=") and not wildcard:
            bound = (number, True)
        elif operator in ("==", "=") and wildcard:
            bound = (_bump(number, len(number) - 1), False)
        elif operator == "<":
            bound = (number, False)
        elif operator == "<=":
            bound = (number, True)
        elif operator == "~=" and len(number) > 1:
            bound = (_bump(number, len(number) - 2), False)
        elif operator == "^":
            first = next((i for i, p in enumerate(number) if p), len(number) - 1)
            bound = (_bump(number, first), False)
        elif operator == "~":
            bound = (_bump(number, min(1, len(number) - 1)), False)
        if bound and (best is None or _below(bound, best)):
            best = bound
    return best


def _bump(number: Version, index: int) -> Version:
    return (*number[:index], number[index] + 1)


def _pad(version: Version) -> Version:
    return version + (0,) * (4 - len(version))


def _below(a: tuple[Version, bool], b: tuple[Version, bool]) -> bool:
    return _pad(a[0]) < _pad(b[0]) or (_pad(a[0]) == _pad(b[0]) and not a[1] and b[1])


def entirely_below(constraint: str | None, release: Version) -> bool:
    """Every version the constraint allows is older than `release`."""
    bound = upper_bound(constraint)
    if bound is None:
        return False
    version, inclusive = bound
    return _pad(version) < _pad(release) or (not inclusive and _pad(version) == _pad(release))


def python_ceiling(packages: list[Package]) -> tuple[Version, str] | None:
    """The newest Python line every pinned well-known package supports, with the pin that decides it."""
    found: tuple[Version, str] | None = None
    for package in packages:
        for release, line in WHEELS_FROM.get(package.name, ()):
            if entirely_below(package.version, parse(release)):
                ceiling = (line[0], line[1] - 1)
                if found is None or ceiling < found[0]:
                    found = (ceiling, f"{package.name}{package.version}")
                break
    return found


def build_needs(packages: list[Package], python: Version) -> tuple[list[str], list[str]]:
    """Debian packages for the build stage (compiler, headers) and the runtime stage (shared libraries)."""
    build: list[str] = []
    runtime: list[str] = []
    for package in packages:
        native = NATIVE.get(package.name)
        from_source = _predates_wheels(package, python)
        if native and (native.always or from_source):
            build += [*(COMPILER if native.compiles else ()), *native.build]
            runtime += native.runtime
        elif package.name in _PLAIN_C and from_source:
            build += COMPILER
    return sorted(set(build)), sorted(set(runtime))


def setuptools_cap(packages: list[Package]) -> tuple[Version, str] | None:
    """The setuptools release an sdist's build must stay below (its setup.py uses what that release removed),
    with the pin that decides it; None when every pinned package builds with today's setuptools."""
    found: tuple[Version, str] | None = None
    for package in packages:
        known = OLD_SETUPTOOLS.get(package.name)
        if known and entirely_below(package.version, parse(known[0])) and (found is None or known[1] < found[0]):
            found = (known[1], f"{package.name}{package.version}")
    return found


def _predates_wheels(package: Package, python: Version) -> bool:
    """The pin is older than the first release with wheels for this Python line."""
    for release, line in WHEELS_FROM.get(package.name, ()):
        if line >= python[:2]:
            return entirely_below(package.version, parse(release))
    return False


def interpreter(requested: str | None, packages: list[Package], default: Version) -> tuple[Version, str | None]:
    """The Python line to build with, and why it is older than the default (None when it is not).

    An exact pin (.python-version 3.12, runtime.txt) decides. Otherwise: the default, capped by
    the upper bound of the requested range and by the pinned packages, never below its minimum."""
    clauses = [m for c in (requested or "").split(",") if (m := _CLAUSE.fullmatch(c.strip()))]
    lines = [parse(m.group(2))[:2] for m in clauses if (m.group(1) or "==") not in ("<", "<=", "!=")]
    if len(clauses) == 1 and (clauses[0].group(1) or "==") in ("==", "===") and len(lines[0]) == 2:
        return lines[0], None
    chosen, reason = default, None
    cap = _highest_line(upper_bound(requested))
    if cap and cap < chosen:
        chosen, reason = cap, f"the project requires Python {requested}"
    ceiling = python_ceiling(packages)
    if ceiling and ceiling[0] < chosen:
        chosen, reason = ceiling[0], f"the pinned {ceiling[1]} has no wheels for (or does not run on) newer Python"
    minimum = max((line for line in lines if len(line) == 2), default=None)
    if minimum and minimum > chosen:
        return minimum, None
    return chosen, reason


def _highest_line(bound: tuple[Version, bool] | None) -> Version | None:
    """The newest X.Y line an upper bound admits: <=3.11 → 3.11, <3.12 → 3.11, <3.12.4 → 3.12."""
    if bound is None:
        return None
    version, inclusive = bound
    if inclusive or any(version[2:]):
        return version[:2] if len(version) > 1 else None
    if len(version) > 1 and version[1] > 0:
        return (version[0], version[1] - 1)
    return None
