"""Truth files of the real-world corpus: loading, checking their shape, and normalising names.

A truth file says what a careful engineer deploying the app would say, read from its code,
each fact with the file:line that proves it. The scorer compares Hydron's analysis with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import yaml

HERE = Path(__file__).resolve().parent
ROLES = {"web", "worker", "static", "job"}

# Spellings of the same language or framework; keys and values are already squashed (see squash()).
# A value of "" means "no framework": plain net/http, plain PHP, hand-written HTML.
ALIASES = {
    "nodejs": "node", "js": "node", "javascript": "node", "typescript": "node", "ts": "node",
    "golang": "go", "py": "python", "python3": "python", "rb": "ruby", "kt": "kotlin",
    "csharp": "dotnet", "c": "dotnet", "net": "dotnet", "aspnet": "aspnetcore", "aspnetcoremvc": "aspnetcore",
    "next": "nextjs", "nuxtjs": "nuxt", "nestjs": "nest", "nest": "nest", "expressjs": "express",
    "sveltekit": "sveltekit", "remixrun": "remix", "reactrouter": "reactrouter",
    "springboot": "springboot", "spring": "springboot", "springbootmaven": "springboot",
    "actix": "actixweb", "actixweb": "actixweb", "gin": "gin", "gingonic": "gin", "echo": "echo",
    "gorillamux": "gorillamux", "chi": "chi", "fresh": "fresh", "denofresh": "fresh",
    "rails": "rails", "rubyonrails": "rails", "phoenix": "phoenix", "laravel": "laravel",
    "nethttp": "", "stdlib": "", "none": "", "plainphp": "", "php": "", "statichtml": "", "html": "",
}


def squash(name: Optional[str]) -> Optional[str]:
    """Lower case, letters and digits only, then the alias table: 'Spring Boot' == 'spring-boot'."""
    if name is None:
        return None
    key = re.sub(r"[^a-z0-9]+", "", name.lower())
    key = ALIASES.get(key, key)
    return key or None


def same_path(path: Optional[str]) -> str:
    """'.' for the root, no leading ./ nor trailing slash."""
    text = (path or ".").strip()
    text = re.sub(r"^\./", "", text).rstrip("/")
    return text or "."


@dataclass
class TruthService:
    path: str
    role: str
    language: Optional[str]
    languages: list[Optional[str]]  # squashed; any of them is right (Next.js run by Bun: node or bun)
    frameworks: list[Optional[str]]  # squashed; any of them is right, the first is the canonical one
    port: Optional[int]
    health_path: Optional[str]  # the canonical one
    name: Optional[str] = None
    raw: dict = field(default_factory=dict)
    also_paths: list[str] = field(default_factory=list)  # other paths an analysis may fairly give (cmd/x of a Go module)
    health_paths: list[Optional[str]] = field(default_factory=list)  # any of them is right (/healthz and /healthcheck)

    @property
    def paths(self) -> set[str]:
        return {self.path, *self.also_paths}


@dataclass
class Datastore:
    kind: str
    required: bool
    evidence: str


@dataclass
class EnvFact:
    name: str
    service: Optional[str]  # path of the service that reads it, when the app has several
    evidence: str


@dataclass
class App:
    name: str
    file: Path
    repo: str
    commit: str
    subdir: Optional[str]
    shape: list[str]
    buildable_here: bool
    services: list[TruthService]
    not_services: list[dict]
    datastores: list[Datastore]
    env: list[EnvFact]
    checkout: str  # folder under --checkouts; several apps of one repository share it (nixpacks examples)


class TruthError(ValueError):
    """A truth file that does not have the documented shape."""


def _need(doc: dict, key: str, where: str) -> Any:
    if key not in doc:
        raise TruthError(f"{where}: missing '{key}'")
    return doc[key]


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _first(value: Any) -> Any:
    return _listed(value)[0]


def load(path: Path) -> App:
    doc = yaml.safe_load(path.read_text())
    where = str(path.relative_to(HERE))
    services = []
    for index, raw in enumerate(_need(doc, "services", where) or []):
        here = f"{where}: services[{index}]"
        role = _need(raw, "role", here)
        if role not in ROLES:
            raise TruthError(f"{here}: role {role!r} is not one of {sorted(ROLES)}")
        frameworks = raw.get("framework")
        frameworks = frameworks if isinstance(frameworks, list) else [frameworks]
        if not isinstance(raw.get("evidence"), dict) or not raw["evidence"]:
            raise TruthError(f"{here}: every service needs evidence (file:line per fact)")
        services.append(TruthService(
            path=same_path(_need(raw, "path", here)), role=role, language=squash(_first(_need(raw, "language", here))),
            languages=[squash(name) for name in _listed(raw["language"])],
            frameworks=[squash(f) for f in frameworks], port=raw.get("port"), health_path=_first(raw.get("health_path")), health_paths=_listed(raw.get("health_path")),
            name=raw.get("name"), raw=raw, also_paths=[same_path(p) for p in raw.get("also_paths") or []],
        ))
    buildable = _need(doc, "buildable_here", where)
    return App(
        name=doc.get("name", path.stem), file=path, repo=_need(doc, "repo", where), commit=str(_need(doc, "commit", where)),
        subdir=doc.get("subdir"), shape=list(doc.get("shape") or []),
        buildable_here=bool(buildable.get("value") if isinstance(buildable, dict) else buildable),
        services=services,
        not_services=[dict(item, path=same_path(item.get("path"))) for item in doc.get("not_services") or []],
        datastores=[Datastore(kind=d["kind"], required=bool(d.get("required", True)), evidence=d.get("evidence", ""))
                    for d in doc.get("datastores") or []],
        env=[EnvFact(name=e["name"], service=same_path(e["service"]) if e.get("service") else None,
                     evidence=e.get("evidence", "")) for e in doc.get("env") or []],
        checkout=doc.get("checkout", doc.get("name", path.stem)),
    )


def load_all(suite: str = "apps", only: Optional[list[str]] = None) -> list[App]:
    apps = [load(path) for path in sorted((HERE / suite).glob("*.yaml"))]
    if only:
        apps = [app for app in apps if app.name in only]
    return apps
