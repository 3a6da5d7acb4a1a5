"""Finds every project, Dockerfile, compose file and Procfile in the walked tree.

Each detector is asked only about directories holding one of its manifests, so the
cost is one pass over the file names plus a few reads per project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Optional

from . import compose, deno, docker, dotnet, elixir, go, java, node, nx, php, procfile, python, ruby, rust, static
from .project import DirContext, Project
from .reader import SourceReader
from .sources import Ownership, in_test_dir
from .walk import Tree, join

Detector = Callable[[DirContext], list[Project]]

_DETECTORS: tuple[tuple[tuple[str, ...], Detector], ...] = (
    (node.MANIFESTS, node.detect),
    (deno.MANIFESTS, deno.detect),
    (nx.MANIFESTS, nx.detect),
    (python.MANIFESTS, python.detect),
    (ruby.MANIFESTS, ruby.detect),
    (java.MANIFESTS, java.detect),
    (go.MANIFESTS, go.detect),
    (php.MANIFESTS, php.detect),
    (rust.MANIFESTS, rust.detect),
    (elixir.MANIFESTS, elixir.detect),
)
_BY_MANIFEST: dict[str, list[Detector]] = {}
for _manifests, _detector in _DETECTORS:
    for _manifest in _manifests:
        _BY_MANIFEST.setdefault(_manifest, []).append(_detector)
_RUNTIME_FILES = frozenset(docker.DOCKERFILE_NAMES + compose.COMPOSE_NAMES + ("Procfile",))
_TRIGGERS = frozenset(_BY_MANIFEST) | _RUNTIME_FILES | {"index.html"}
_SUFFIXED = re.compile(r"^.+\.(?:csproj|fsproj|vbproj|sln)$", re.MULTILINE)


@dataclass
class Findings:
    """Everything the detectors saw, before it is arranged into services."""

    projects: list[Project] = field(default_factory=list)
    dockerfiles: dict[str, docker.Dockerfile] = field(default_factory=dict)  # by file path
    compose_services: list[compose.ComposeService] = field(default_factory=list)
    procfiles: dict[str, list[procfile.Process]] = field(default_factory=dict)  # by directory
    solution_files: list[str] = field(default_factory=list)

    def dockerfile_in(self, directory: str) -> Optional[docker.Dockerfile]:
        return next((self.dockerfiles.get(join(directory, n)) for n in docker.DOCKERFILE_NAMES
                     if join(directory, n) in self.dockerfiles), None)


def discover(tree: Tree, reader: SourceReader) -> Findings:
    found = Findings()
    index_dirs: list[str] = []
    for directory, names in tree.files.items():
        hits = _TRIGGERS.intersection(names)  # set operations keep this pass at C speed
        suffixed = _SUFFIXED.findall("\n".join(names))
        variants = not hits and directory.rpartition("/")[2] in _TOOLING_FOLDERS
        if not hits and not suffixed and not variants or in_test_dir(directory):
            continue
        detectors = list(dict.fromkeys(d for name in sorted(hits) for d in _BY_MANIFEST.get(name, ())))
        if any(name.endswith(dotnet.PROJECT_SUFFIXES) for name in suffixed):
            detectors.append(dotnet.detect)
        found.solution_files += [join(directory, name) for name in suffixed if name.endswith(".sln")]
        if detectors or hits & _RUNTIME_FILES or variants:
            _read_directory(tree, reader, directory, detectors, found)
        if "index.html" in hits:
            index_dirs.append(directory)
    found.projects += _static_sites(tree, reader, found.projects, index_dirs)
    for service in found.compose_services:  # compose may name Dockerfile.worker and the like
        path = service.dockerfile
        source = reader.source(path) if path and path not in found.dockerfiles and tree.has_file(path) else None
        if source:
            found.dockerfiles[path] = docker.parse(source)
    return found


def _read_directory(tree: Tree, reader: SourceReader, directory: str, detectors: list[Detector],
                    found: Findings) -> None:
    ctx = DirContext(tree, reader, directory)
    for detect in detectors:
        found.projects += detect(ctx)
    if not _hidden(directory):
        dockerfile_name = next((n for n in docker.DOCKERFILE_NAMES if ctx.has(n)), None) or _variant(directory, ctx)
        source = ctx.source(dockerfile_name) if dockerfile_name else None
        if source:
            found.dockerfiles[source.path] = docker.parse(source)
        for name in compose.COMPOSE_NAMES:
            source = ctx.source(name) if ctx.has(name) else None
            if source:
                found.compose_services += compose.parse(source)
                break
    source = ctx.source("Procfile")
    if source:
        found.procfiles[directory] = procfile.parse(source)


def _static_sites(tree: Tree, reader: SourceReader, projects: list[Project], index_dirs: list[str]) -> list[Project]:
    """index.html directories that no project owns and no shallower static site already covers."""
    if not index_dirs:
        return []
    ownership = Ownership(tree, [p.path for p in projects])
    sites: list[Project] = []
    for directory in sorted(index_dirs, key=lambda d: (d.count("/"), d)):
        if _hidden(directory) or ownership.owner(directory) is not None:
            continue
        if any(directory.startswith(site.path + "/") or not site.path for site in sites):
            continue
        sites += static.detect(DirContext(tree, reader, directory))
    return sites


_TOOLING_FOLDERS = frozenset({"docker", "deploy", "deployment", "scripts", "build"})
_VARIANT = re.compile(r"^Dockerfile\.(?!dev\b|development\b|test\b|ci\b|local\b|j2$|tmpl$|template$)[\w-]+$")


def _variant(directory: str, ctx: DirContext) -> Optional[str]:
    """docker/Dockerfile.debian when a docker/ folder holds only variants: the repository's production image."""
    if directory.rpartition("/")[2] not in _TOOLING_FOLDERS:
        return None
    return next((n for n in sorted(ctx.names) if _VARIANT.match(n)), None)


def _hidden(directory: str) -> bool:
    """Dotted directories (.devcontainer, .github) hold tooling, not services."""
    return any(part.startswith(".") for part in directory.split("/") if part)
