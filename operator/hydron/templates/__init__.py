"""The template gallery: ready-made stacks kept as YAML data beside this module.

A template expands into the same Analysis an analysed repository produces, so planning
and deployment treat a gallery stack and a user's repository alike. Each fact cites the
template file as its evidence.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, Field

from hydron.analysis.env import is_secret_name
from hydron.analysis.models import (
    Analysis,
    BackingService,
    Command,
    Dependency,
    EnvVar,
    Evidence,
    Framework,
    HealthCheck,
    Language,
    PackageManager,
    Port,
    Service,
    ServiceRole,
)


class TemplateSummary(BaseModel):
    name: str = Field(description="Name to pass to expand_template.")
    title: str = Field(description="Human-readable name.")
    description: str = Field(description="What the stack is.")


class UnknownTemplate(LookupError):
    """The gallery has no template of that name."""


def list_templates() -> list[TemplateSummary]:
    return [
        TemplateSummary(name=name, title=data["title"], description=data["description"])
        for name, data in sorted(_load_all().items())
    ]


def expand_template(name: str) -> Analysis:
    templates = _load_all()
    if name not in templates:
        raise UnknownTemplate(f"no template {name!r}; the gallery has {', '.join(sorted(templates))}")
    data = templates[name]
    evidence = [Evidence(file=f"{name}.yaml", detail=f"gallery template {name}")]
    databases = [_backing(entry, evidence) for entry in data.get("databases", [])]
    services = [_service(entry, evidence, {d.name for d in databases}) for entry in data["services"]]
    for database in databases:
        database.used_by = sorted(s.name for s in services if any(d.name == database.name for d in s.depends_on))
    return Analysis(
        services=services, databases=databases, integrations=[], template=name, files_scanned=0, truncated=False,
        skipped=[], skipped_counts=[], warnings=[],
    )


@functools.cache
def _load_all() -> dict[str, dict[str, Any]]:
    """The gallery, parsed once per process (read-only: callers build models from it).
    Parsing six YAML files took ~60 ms, on every resync of every template app."""
    folder = resources.files(__name__)
    return {
        entry.name.removesuffix(".yaml"): yaml.safe_load(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir() if entry.name.endswith(".yaml")
    }


def _service(entry: dict[str, Any], evidence: list[Evidence], databases: set[str]) -> Service:
    def command(key: str) -> Command | None:
        return Command(value=entry[key], evidence=evidence, confidence="high") if key in entry else None

    return Service(
        name=entry["name"],
        path=".",
        role=ServiceRole(value=entry["role"], evidence=evidence, confidence="high"),
        language=Language(name=entry["language"], version=entry.get("languageVersion"), evidence=evidence,
                          confidence="high") if "language" in entry else None,
        framework=Framework(name=entry["framework"], evidence=evidence, confidence="high")
        if "framework" in entry else None,
        package_manager=PackageManager(name=entry["packageManager"], evidence=evidence, confidence="high")
        if "packageManager" in entry else None,
        install_command=command("installCommand"),
        build_command=command("buildCommand"),
        start_command=command("startCommand"),
        static_root=entry.get("staticRoot"),
        port=Port(value=entry["port"], evidence=evidence, confidence="high") if "port" in entry else None,
        health_check=HealthCheck(path=entry["healthPath"], evidence=evidence, confidence="high")
        if "healthPath" in entry else None,
        env=[_env(variable, evidence) for variable in entry.get("env", [])],
        image=entry.get("image"),
        depends_on=[
            Dependency(name=name, kind="backing" if name in databases else "service", evidence=evidence,
                       confidence="high")
            for name in entry.get("dependsOn", [])
        ],
    )


def _env(variable: dict[str, Any], evidence: list[Evidence]) -> EnvVar:
    secret = variable.get("secret", is_secret_name(variable["name"]))
    default = variable.get("default")
    return EnvVar(name=variable["name"], secret=secret, required=default is None,
                  default=None if secret else default, evidence=evidence)


def _backing(entry: dict[str, Any], evidence: list[Evidence]) -> BackingService:
    return BackingService(name=entry["name"], kind=entry["kind"], version=entry.get("version"),
                          image=entry.get("image"), evidence=evidence, confidence="high", used_by=[])
