"""Databases, caches and brokers the services need, and the SaaS they call.

A need shows up as a driver in a manifest, a URL scheme or adapter in code or config,
a compose image, or an env var named after the thing. Each becomes one entry per kind
(or per compose service), listing who uses it and why we think so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import catalog
from .compose import ComposeService
from .evidence import SourceText, relabel
from .links import add_dependency
from .models import CONFIDENCE_RANK, FILE_DATABASES, SQL_ENGINES, BackingKind, BackingService, Confidence, Dependency, Evidence, Integration
from .service import Usage


@dataclass(frozen=True)
class Signal:
    kind: BackingKind
    evidence: Evidence
    confidence: Confidence


def signals(usage: Usage) -> list[Signal]:
    """Every hint in one service that it talks to some kind of backing service, strongest first."""
    found: list[Signal] = []
    for dependency in usage.dependencies:
        if dependency.evidence.file.endswith(".lock"):
            continue  # a lockfile holds what the packages pull in (and what a stale lock still names): no need
        kind = catalog.backing_for_package(dependency.name)
        if kind:
            found.append(Signal(kind, dependency.evidence, "high"))
        for kind in catalog.ALL_DRIVER_PACKAGES.get(dependency.name.lower(), ()):
            found.append(Signal(kind, relabel(dependency.evidence, f"{dependency.name} {catalog.ALL_DRIVERS_DETAIL}"),
                                "medium"))
    for source in usage.sources:
        if source.path.endswith(".go"):
            found += _go_imports(source)
        for pattern, kind in catalog.BACKING_MARKERS:
            if not any(needle in source.text for needle in catalog.MARKER_NEEDLES[kind]):
                continue
            match = pattern.search(source.text)
            if match:
                found.append(Signal(kind, source.evidence(f"mentions {match.group(0).strip()}", match.start()), "high"))
    for mention in usage.env.urls:
        kind = catalog.URL_SCHEMES.get(mention.scheme)
        if kind:
            found.append(Signal(kind, relabel(mention.evidence, f"{mention.variable} is a {mention.scheme} URL"), "high"))
    for variable in usage.env.result(10_000)[0]:
        driver = catalog.SQL_DRIVERS.get(variable.default or "") if variable.name == "DB_CONNECTION" else None
        if driver:
            found.append(Signal(driver, relabel(variable.evidence[0], f"DB_CONNECTION={variable.default}"), "high"))
        for token in re.split(r"[^A-Z0-9]+", variable.name.upper()):
            if token in catalog.ENV_NAME_TOKENS:
                found.append(Signal(catalog.ENV_NAME_TOKENS[token], relabel(
                    variable.evidence[0], f"reads {variable.name}"), "medium"))
                break
    return sorted(found, key=lambda s: -CONFIDENCE_RANK[s.confidence])


_GO_IMPORT_BLOCK = re.compile(r"^import\s*\(([^)]*)\)|^import\s+(?:\w+\s+)?(\"[^\"\n]+\")", re.MULTILINE)


def _go_imports(source: SourceText) -> list[Signal]:
    """A driver imported in code (`_ "github.com/mattn/go-sqlite3"`) even when go.mod lists it as indirect."""
    found = []
    for block in source.matches(_GO_IMPORT_BLOCK):
        for path in re.finditer(r"\"([^\"\n]+)\"", block.group(0)):
            kind = catalog.backing_for_package(path.group(1))
            if kind:
                found.append(Signal(kind, source.evidence(f"imports {path.group(1)}", block.start() + path.start()),
                                    "high"))
    return found


def resolve(
    usages: list[Usage], compose_backing: list[ComposeService], max_evidence: int
) -> tuple[list[BackingService], dict[str, list[Dependency]]]:
    """Backing services, and for each service the ones it depends on."""
    entries: list[BackingService] = []
    for compose in compose_backing:
        kind, version = catalog.backing_for_image(compose.image or "") or (None, None)
        if kind:
            entries.append(BackingService(
                name=compose.name, kind=kind, version=version, image=compose.image,
                evidence=[compose.evidence(compose.line, f"compose image {compose.image}")], confidence="high",
                used_by=[],
            ))
    compose_entries = list(entries)
    needs: dict[str, list[Dependency]] = {}
    for usage in usages:
        depends_on = _compose_connects_to(usage, {e.name for e in compose_entries})
        for signal in signals(usage):
            entry = _entry_for(entries, signal.kind, depends_on)
            if depends_on and entry in compose_entries and entry.name not in depends_on:
                continue  # compose lists what this service connects to; shared code may use more elsewhere
            if len(entry.evidence) < max_evidence and not any(
                (e.file, e.line) == (signal.evidence.file, signal.evidence.line) for e in entry.evidence
            ):
                entry.evidence.append(signal.evidence)
            if CONFIDENCE_RANK[signal.confidence] > CONFIDENCE_RANK[entry.confidence]:
                entry.confidence = signal.confidence
            add_dependency(needs.setdefault(usage.service, []), entry.name, "backing", signal.evidence,
                           signal.confidence, max_evidence)
        for name in usage.draft.compose.depends_on if usage.draft.compose else ():
            entry = next((e for e in entries if e.name == name), None)
            if entry:
                evidence = usage.draft.compose.evidence(usage.draft.compose.depends_line, f"depends_on {name}")
                add_dependency(needs.setdefault(usage.service, []), name, "backing", evidence, "high", max_evidence)
    for entry in entries:
        entry.used_by = sorted(service for service, deps in needs.items() if any(d.name == entry.name for d in deps))
        if entry.kind in FILE_DATABASES:
            entry.file_database = True
            entry.file_path = _database_file([u for u in usages if u.service in entry.used_by])
        entry.required = not all(_optional_place(e.file) or e.detail.endswith(catalog.ALL_DRIVERS_DETAIL)
                                 for e in entry.evidence)
        if entry.kind in FEATURE_KINDS and entry not in compose_entries and _switched_off_when_unset(
                entry.kind, [u for u in usages if u.service in entry.used_by]):
            entry.required = False
    _mark_engine_alternatives(entries, [u.service for u in usages], compose_entries)
    return sorted(entries, key=lambda e: (e.kind, e.name)), needs


def _compose_connects_to(usage: Usage, datastores: set[str]) -> set[str]:
    """The compose services this one connects to: its depends_on; when that names no datastore at all, it says
    nothing about them, and the hosts of the URLs its compose environment sets do (openstatus' private-location:
    depends_on only the app `server`, `DB_URL=http://libsql:8080`)."""
    compose = usage.draft.compose
    if compose is None:
        return set()
    named = set(compose.depends_on)
    if named & datastores:
        return named
    return named | {m.host for m in usage.env.urls if m.evidence.file == compose.file}


_NAMED_URL = re.compile(r" is an? \w+ URL$|^mentions [\w+]+://")  # a default or example value, a URL in code


def _mark_engine_alternatives(entries: list[BackingService], services: list[str],
                              compose_entries: list[BackingService]) -> None:
    """A service that can talk to several SQL engines runs on one of them at a time: the one it uses when
    nobody configures it. That one stays required; the others are alternatives (optional), so a plan does
    not run three databases for an app that uses one. An engine another service uses alone stays required."""
    default_for: dict[str, str | None] = {}  # service → the name of its default engine (None: one engine, or unknown)
    for service in services:
        engines = [e for e in entries if e.kind in SQL_ENGINES and e.required and service in e.used_by]
        default = _default_engine(engines, compose_entries) if len({e.kind for e in engines}) > 1 else None
        default_for[service] = default.name if default else None
    kinds = {e.name: e.kind for e in entries}
    for entry in entries:
        defaults = {default_for.get(user) for user in entry.used_by}
        if entry.kind not in SQL_ENGINES or not entry.required or len(defaults) != 1:
            continue
        (default,) = defaults
        if default is not None and entry.kind != kinds[default]:  # compose runs several only as a test matrix
            entry.required = False
            entry.alternative_to = default


def _default_engine(engines: list[BackingService], compose_entries: list[BackingService]) -> BackingService | None:
    """The engine the repository runs beside the app (one engine in its compose file), else the one a default
    value or a URL in the code names (`DATABASE_URL=sqlite:///...`, `DB_CONNECTION=mysql`), else SQLite: an app that supports a file
    database and servers starts on the file. None when nothing tells."""
    composed = [e for e in engines if e in compose_entries]
    if len({e.kind for e in composed}) == 1:
        return composed[0]
    named = [e for e in engines if any(_NAMED_URL.search(x.detail) or x.detail.startswith("DB_CONNECTION=")
                                       for x in e.evidence)]
    if len({e.kind for e in named}) == 1:
        return named[0]
    return next((e for e in engines if e.kind == "sqlite"), None)


_DATABASE_FILE = re.compile(r"""sqlite3?:/{2,4}([\w.~${}/-]{1,200})|['"]([\w./-]{1,200}?\.(?:db|sqlite3?))['"]""")
# configuration for one environment or profile the app does not run with by default
_OPTIONAL_CONFIG = re.compile(r"(?:^|/)(?:application|config|settings)[-_.](?!prod|production|default|base|common)"
                              r"[a-z0-9]+\.(?:properties|ya?ml|py|json|toml)$|(?:^|/)settings/(?:dev|development|"
                              r"test|testing|local|ci)\.py$|\.env\.(?:test|testing|development|dev|local)$")
# A cache, broker, search index or analytics store whose connection variable the code only tests for (bakerydemo's
# `REDIS_URL = os.environ.get("REDIS_URL")` then `if REDIS_URL:`, umami's `!!process.env.REDIS_URL`) is a feature the
# app turns on when it is set: optional. A default URL (`or "redis://"`, `|| "redis://..."`), an `environ["X"]`
# read or a compose file running one beside the app makes it required. Databases (SQL, MongoDB) are not judged this
# way: an app without its database fails rather than going without.
FEATURE_KINDS = frozenset({"elasticsearch", "opensearch", "redis", "clickhouse", "kafka", "memcached", "nats",
                           "rabbitmq"})
_ADDRESS = r"[A-Z0-9_]*(?:URL|URI|HOST|HOSTS|ENDPOINT|ADDRESS|ADDR|BROKERS?)"
_PY_READ = re.compile(r"(?:environ\.get|getenv)\(\s*['\"](?P<name>[A-Z0-9_]+)['\"]\s*(?P<rest>,\s*(?:['\"]['\"]|None|os\.(?:environ\.get|getenv)\([^()]*\))\s*)?"
                      r"(?P<end>[,)]?)(?P<after>\s*or\s*['\"f])?")
_JS_TEST = re.compile(r"(?:!!\s*|Boolean\(\s*)process\.env\.(?P<name>[A-Z0-9_]+)")
_JS_DEFAULT = re.compile(r"process\.env\.(?P<name>[A-Z0-9_]+)\s*(?:\|\||\?\?)\s*['\"`]")


def _names_of(kind: str) -> re.Pattern[str]:
    tokens = [t for t, k in catalog.ENV_NAME_TOKENS.items() if k == kind] + (["ELASTIC"] if kind == "elasticsearch" else [])
    return re.compile(r"^[A-Z0-9_]*(?:" + "|".join(tokens) + r")" + _ADDRESS + "$")


def _switched_off_when_unset(kind: str, usages: list[Usage]) -> bool:
    """Every read of a variable naming the kind gives nothing when it is unset (Python), or the code tests it
    for presence and never falls back to a default (JavaScript): the app can go without."""
    names = _names_of(kind)
    texts = [source.text for usage in usages for source in usage.sources]
    py = [m for text in texts for m in _PY_READ.finditer(text) if names.match(m.group("name"))]
    js_tests = {m.group("name") for text in texts for m in _JS_TEST.finditer(text) if names.match(m.group("name"))}
    js_defaults = {m.group("name") for text in texts for m in _JS_DEFAULT.finditer(text) if names.match(m.group("name"))}
    subscripted = any(f'environ["{m.group("name")}"]' in text or f"environ['{m.group('name')}']" in text
                      for m in py for text in texts)
    python_off = bool(py) and all(m.group("end") == ")" and not m.group("after") for m in py) and not subscripted
    return (python_off or bool(js_tests)) and not js_defaults


def _database_file(usages: list[Usage]) -> str | None:
    """The SQLite file the code opens by default (data/app.db), when a URL or file name says it."""
    for usage in usages:
        for source in usage.sources:
            match = _DATABASE_FILE.search(source.text)
            if match:
                return (match.group(1) or match.group(2))[:200]
    return None


def _optional_place(file: str) -> bool:
    """application-mysql.properties, settings/dev.py: a profile or environment, not the default configuration."""
    return bool(_OPTIONAL_CONFIG.search(file))


def integrations(usages: list[Usage], max_evidence: int) -> list[Integration]:
    found: dict[str, Integration] = {}
    for usage in usages:
        for dependency in usage.dependencies:
            match = catalog.integration_for_package(dependency.name)
            if match is None:
                continue
            name, category = match
            entry = found.setdefault(name, Integration(name=name, category=category, evidence=[], used_by=[]))
            if len(entry.evidence) < max_evidence and dependency.evidence not in entry.evidence:
                entry.evidence.append(dependency.evidence)
            if usage.service not in entry.used_by:
                entry.used_by.append(usage.service)
    _drop_generic_aws(found)
    for entry in found.values():
        entry.used_by.sort()
    return sorted(found.values(), key=lambda i: i.name)


def _drop_generic_aws(found: dict[str, Integration]) -> None:
    """boto3 next to django-storages means S3: say 'AWS S3', not also 'AWS'."""
    generic = found.get("AWS")
    specific = {s for name, i in found.items() if name.startswith(("AWS ", "Amazon ")) for s in i.used_by}
    if generic:
        generic.used_by = [s for s in generic.used_by if s not in specific]
        if not generic.used_by:
            del found["AWS"]


def _entry_for(entries: list[BackingService], kind: BackingKind, depends_on: set[str]) -> BackingService:
    """The compose service of that kind this service depends on, else the first of that kind, else a new one."""
    same_kind = [e for e in entries if e.kind == kind]
    chosen = next((e for e in same_kind if e.name in depends_on), same_kind[0] if same_kind else None)
    if chosen is None:
        chosen = BackingService(name=kind, kind=kind, evidence=[], confidence="medium", used_by=[])
        entries.append(chosen)
    return chosen
