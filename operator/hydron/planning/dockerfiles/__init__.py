"""A Dockerfile per service: the repository's own when it has one, otherwise generated.

Generation is a pure function of the analysed service (and the analysis around it):
the same input gives byte-identical text, so plan revisions diff cleanly and the
snapshot tests pin every ecosystem.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Callable, Literal

from hydron.analysis.models import Analysis, Service

from . import compiled, elixir, node, php, python, ruby, static
from hydron.planning.datastores import file_database_dirs

from .common import Check, Context, relative_to

GENERATORS: dict[str, Callable[[Context], str]] = {
    "node": node.server, "bun": node.server, "python": python.generate, "ruby": ruby.generate,
    "go": compiled.go, "rust": compiled.rust, "java": compiled.java, "dotnet": compiled.dotnet,
    "php": php.generate, "elixir": elixir.generate,
}
FIXED_PORTS = {"php": php.PORT}
"""Ecosystems whose generated image decides the port (the analysed one belongs to a dev server)."""


@dataclass(frozen=True)
class BuildRecipe:
    """How to build one service's image."""

    context: str  # build context, relative to the repository root
    dockerfile: str  # text (Generated) or a path inside the repository (Repository)
    origin: Literal["Repository", "Generated"]
    port: int | None  # the port the image listens on


def ecosystem(service: Service) -> str | None:
    """Which generator applies; None when Hydron cannot generate one for this service."""
    if service.role.value == "static":
        return "static-built" if service.build_command else "static"
    language = service.language.name if service.language else None
    if language not in GENERATORS and service.language and service.language.runtime:
        language = service.language.runtime  # Kotlin builds and runs like Java
    return language if language in GENERATORS else None


def image_port(service: Service) -> int | None:
    """The port the service's image listens on: fixed by the generator, else the analysed port."""
    kind = ecosystem(service)
    if service.dockerfile is None and kind in ("static", "static-built"):
        return static.PORT
    if service.dockerfile is None and kind in FIXED_PORTS:
        return FIXED_PORTS[kind]
    return service.port.value if service.port else None


def runtime_workdir(service: Service) -> str | None:
    """Where a generated image runs the service from; None for a repository Dockerfile or a static site."""
    kind = ecosystem(service)
    if service.dockerfile or kind in (None, "static", "static-built"):
        return None
    if kind == "php":
        return "/var/www/html"
    context = build_context(service)
    member = posixpath.relpath(service.path or ".", context) if kind in ("node", "bun") else "."
    return "/app" if member == "." else f"/app/{member}"


def build_context(service: Service) -> str:
    """The service directory, or the workspace root that holds its lockfile (node and Cargo workspaces)."""
    manager = service.package_manager
    if manager and manager.lockfile and ecosystem(service) in ("node", "bun", "static-built", "rust"):
        lock_dir = posixpath.dirname(manager.lockfile) or "."
        if relative_to(manager.lockfile, service.path).startswith("../"):
            return lock_dir
    return service.path or "."


def generate_dockerfile(
    service: Service,
    analysis: Analysis,
    *,
    start_command: str | None = None,
    health_path: str | None = None,
    check: Check | None = None,
) -> str | None:
    """Dockerfile text for a service without one of its own; None for an ecosystem Hydron does not know.

    `start_command` overrides the analysed one (a person's override or the LLM's answer);
    `health_path` overrides the analysed health endpoint.
    """
    kind = ecosystem(service)
    if kind is None:
        return None
    backing = {b.name: b.kind for b in analysis.databases}
    ctx = Context(
        service=service,
        analysis=analysis,
        start_command=start_command or (service.start_command.value if service.start_command else None),
        start_overridden=start_command is not None,
        port=image_port(service),
        health_path=health_path or (service.health_check.path if service.health_check else None),
        check=check or Check(),
        backing_kinds=frozenset(backing[d.name] for d in service.depends_on if d.kind == "backing" and d.name in backing),
        writable=tuple(file_database_dirs(service, analysis, runtime_workdir(service))[0]),
    )
    if kind == "static":
        return static.plain(ctx)
    if kind == "static-built":
        return static.built(ctx)
    return GENERATORS[kind](ctx)


def recipe(service: Service, analysis: Analysis, **overrides) -> BuildRecipe | None:
    """The repository's Dockerfile when there is one (it is the source of truth), else a generated one."""
    if service.dockerfile:
        context = service.build_context or service.path or "."
        return BuildRecipe(context=context, dockerfile=relative_to(service.dockerfile, context),
                           origin="Repository", port=service.port.value if service.port else None)
    text = generate_dockerfile(service, analysis, **overrides)
    if text is None:
        return None
    return BuildRecipe(context=build_context(service), dockerfile=text, origin="Generated", port=image_port(service))
