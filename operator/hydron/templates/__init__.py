"""The template gallery: ready-made stacks kept as YAML data beside this module.

A template expands into the same Analysis an analysed repository produces, so planning
and deployment treat a gallery stack and a user's repository alike. Each fact cites the
template file as its evidence.

Parameters: a template lists the values a person may (or must) give in
spec.source.template.parameters; `{name}` in an env value or a parameter default is
replaced by the parameter's value (`{domain}` is the Application's first domain). An env
value that is exactly `{backing.part}` (e.g. `{mysql.password}`) is left for the planner,
which wires that part of the backing's generated connection. A template whose code is
the user's (`source:`) names the Git repository through its parameters; the repository
gives the files, the template the stack.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
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


class TemplateParameterInfo(BaseModel):
    name: str = Field(description="Name to set in spec.source.template.parameters.")
    description: str = Field(description="What the value is for.")
    default: str | None = Field(default=None, description="Used when the parameter is not given.")
    required: bool = Field(description="The template cannot be deployed without it.")


class TemplateSummary(BaseModel):
    name: str = Field(description="Name to pass to expand_template.")
    title: str = Field(description="Human-readable name.")
    description: str = Field(description="What the stack is.")
    parameters: list[TemplateParameterInfo] = Field(default_factory=list, description="What a person may set.")


class UnknownTemplate(LookupError):
    """The gallery has no template of that name."""


class TemplateParameterError(ValueError):
    """A parameter is missing, unknown or unusable; the message says which and what to do."""


@dataclass(frozen=True)
class TemplateRepository:
    """The Git repository a template's code comes from (its parameters name it)."""

    url: str
    ref: str


_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_-]*)\}")


def list_templates() -> list[TemplateSummary]:
    return [
        TemplateSummary(name=name, title=data["title"], description=data["description"],
                        parameters=[_parameter_info(p) for p in data.get("parameters", [])])
        for name, data in sorted(_load_all().items())
    ]


def resolve_parameters(name: str, given: dict[str, str], domain: str | None = None) -> dict[str, str]:
    """Every parameter's value: given, else its default (which may use {domain} and earlier
    parameters). Raises TemplateParameterError for an unknown or missing one."""
    data = _template(name)
    declared = [_parameter_info(p) for p in data.get("parameters", [])]
    known = {p.name for p in declared}
    unknown = sorted(set(given) - known)
    if unknown:
        raise TemplateParameterError(
            f"template {name} has no parameter {', '.join(unknown)}; it takes "
            f"{', '.join(sorted(known)) or 'none'}. Fix spec.source.template.parameters.")
    values = {"domain": domain or "localhost"}
    for parameter in declared:
        if parameter.name in given:
            values[parameter.name] = given[parameter.name]
        elif parameter.default is not None:
            values[parameter.name] = _fill(parameter.default, values)
        else:
            raise TemplateParameterError(
                f"template {name} needs the parameter {parameter.name} ({parameter.description}). "
                "Set it in spec.source.template.parameters.")
    return values


def template_repository(name: str, values: dict[str, str]) -> TemplateRepository | None:
    """Where the template's code comes from, when the code is the user's."""
    source = _template(name).get("source")
    if not source:
        return None
    return TemplateRepository(url=_fill(source["repository"], values), ref=_fill(source.get("ref", "main"), values))


def expand_template(name: str, values: dict[str, str] | None = None) -> Analysis:
    """The template as an Analysis, env values filled from `values` (resolve_parameters;
    when not given, the defaults, and a required parameter left as its {placeholder})."""
    data = _template(name)
    if values is None:
        values = {"domain": "localhost"}
        for parameter in (_parameter_info(p) for p in data.get("parameters", [])):
            if parameter.default is not None:
                values[parameter.name] = _fill(parameter.default, values)
    evidence = [Evidence(file=f"{name}.yaml", detail=f"gallery template {name}")]
    databases = [_backing(entry, evidence) for entry in data.get("databases", [])]
    services = [_service(entry, evidence, {d.name for d in databases}, values) for entry in data["services"]]
    for database in databases:
        database.used_by = sorted(s.name for s in services if any(d.name == database.name for d in s.depends_on))
    return Analysis(
        services=services, databases=databases, integrations=[], template=name, files_scanned=0, truncated=False,
        skipped=[], skipped_counts=[], warnings=[],
    )


def _template(name: str) -> dict[str, Any]:
    templates = _load_all()
    if name not in templates:
        raise UnknownTemplate(f"no template {name!r}; the gallery has {', '.join(sorted(templates))}")
    return templates[name]


def _parameter_info(entry: dict[str, Any]) -> TemplateParameterInfo:
    default = entry.get("default")
    return TemplateParameterInfo(name=entry["name"], description=entry["description"],
                                 default=None if default is None else str(default), required=default is None)


def _fill(text: str, values: dict[str, str]) -> str:
    """{parameter} replaced by its value; {backing.part} and unknown names left as they are."""
    return _PARAMETER.sub(lambda m: values.get(m.group(1), m.group(0)), text)



@functools.cache
def _load_all() -> dict[str, dict[str, Any]]:
    """The gallery, parsed once per process (read-only: callers build models from it).
    Parsing six YAML files took ~60 ms, on every resync of every template app."""
    folder = resources.files(__name__)
    return {
        entry.name.removesuffix(".yaml"): yaml.safe_load(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir() if entry.name.endswith(".yaml")
    }


def _service(entry: dict[str, Any], evidence: list[Evidence], databases: set[str], values: dict[str, str]) -> Service:
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
        static_root=_fill(entry["staticRoot"], values) if "staticRoot" in entry else None,
        port=Port(value=entry["port"], evidence=evidence, confidence="high") if "port" in entry else None,
        health_check=HealthCheck(path=entry["healthPath"], evidence=evidence, confidence="high")
        if "healthPath" in entry else None,
        env=[_env(variable, evidence, values) for variable in entry.get("env", [])],
        image=entry.get("image"),
        depends_on=[
            Dependency(name=name, kind="backing" if name in databases else "service", evidence=evidence,
                       confidence="high")
            for name in entry.get("dependsOn", [])
        ],
    )


def _env(variable: dict[str, Any], evidence: list[Evidence], values: dict[str, str]) -> EnvVar:
    """`value`: what the template sets (parameters filled; a {backing.part} reference is no
    secret, the planner wires it); `default`: the image's own default, for the record."""
    if "value" in variable:
        value = _fill(str(variable["value"]), values)
        return EnvVar(name=variable["name"], secret=False, required=False, default=value, evidence=evidence)
    secret = variable.get("secret", is_secret_name(variable["name"]))
    default = variable.get("default")
    return EnvVar(name=variable["name"], secret=secret, required=default is None,
                  default=None if secret else default, evidence=evidence)


def _backing(entry: dict[str, Any], evidence: list[Evidence]) -> BackingService:
    return BackingService(name=entry["name"], kind=entry["kind"], version=entry.get("version"),
                          image=entry.get("image"), evidence=evidence, confidence="high", used_by=[])
