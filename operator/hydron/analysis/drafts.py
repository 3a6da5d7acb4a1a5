"""Decides which services exist: projects, then compose and Procfile entries layered on top.

An existing compose file or Procfile is the repository's own statement of what runs,
so it wins over what the manifests suggest: it can split one project into a web and a
worker process, name services, and add services that only exist as images.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Optional

from .catalog import backing_for_image
from .compose import ComposeService
from .discover import Findings
from .docker import DOCKERFILE_NAMES, Dockerfile
from .models import Command, Evidence, SkippedService
from .procfile import Process
from .project import Project
from .pruning import prune
from .walk import Tree
from .workers import add_job_workers

_ECOSYSTEM_RANK = {"node": 0, "static": -1}  # a node project beside a Gemfile usually only builds assets
_SEVERAL_PER_DIRECTORY = ("go", "dotnet")  # one module, several main packages / project files
_TOOLING_DIRS = frozenset({"docker", "deploy", "deployment", "build", "ci", "tools", "scripts", "devcontainer"})


@dataclass
class Draft:
    """A service before its facts are gathered."""

    name: str
    path: str
    project: Optional[Project] = None
    asset_builder: Optional[Project] = None
    libraries: list[Project] = field(default_factory=list)  # workspace packages whose code runs inside it
    dockerfile: Optional[Dockerfile] = None
    compose: Optional[ComposeService] = None
    process: Optional[Process] = None
    image: Optional[str] = None
    build_context: Optional[str] = None  # where its Dockerfile builds from, when not path
    worker_command: Optional[Command] = None  # a queue worker implied by a job library (workers.py)
    worker_label: Optional[str] = None


@dataclass
class Plan:
    """The services to build, the compose databases beside them, and projects nobody deploys (and why)."""

    drafts: list[Draft] = field(default_factory=list)
    backing_compose: list[ComposeService] = field(default_factory=list)
    not_deployable: list[Project] = field(default_factory=list)
    skipped: list[SkippedService] = field(default_factory=list)
    skipped_drafts: list[Optional[Draft]] = field(default_factory=list)  # beside skipped: the draft, to build


def plan(found: Findings, root_name: str, tree: Optional[Tree] = None) -> Plan:
    """Projects become drafts; a directory's primary ecosystem wins (Laravel over its asset package.json)."""
    result = Plan()
    imported = {d.name for p in found.projects for d in p.dependencies}
    by_path: dict[str, list[Project]] = {}
    for project in found.projects:
        if project.deployable and project.name in imported and project.start and project.start.confidence == "low":
            project.deployable = False  # packages/db: only guessed runnable, and other packages import it
            project.not_deployable_reason = "a library other projects of the repository import"
        by_path.setdefault(project.path, []).append(project)
    for path, projects in by_path.items():
        deployable = [p for p in projects if p.deployable]
        result.not_deployable += [p for p in projects if not p.deployable]
        if not deployable and (found.dockerfile_in(path) or found.procfiles.get(path)):
            deployable = [dataclasses.replace(projects[0], deployable=True)]  # its Dockerfile or Procfile runs it
        if not deployable:
            continue
        primary = max(deployable, key=_rank)
        helpers = [p for p in projects if p is not primary and p.ecosystem == "node" and p.build is not None]
        several = primary.ecosystem in _SEVERAL_PER_DIRECTORY
        for project in [p for p in deployable if p.ecosystem == primary.ecosystem] if several else [primary]:
            result.drafts.append(Draft(
                name=project.name, path=path, project=project, asset_builder=helpers[0] if helpers else None,
                dockerfile=found.dockerfile_in(path),
            ))
    for dockerfile in sorted(found.dockerfiles.values(), key=lambda d: d.path):
        path, _, filename = dockerfile.path.rpartition("/")
        standalone = filename in DOCKERFILE_NAMES and path not in by_path
        if standalone and path.rpartition("/")[2] not in _TOOLING_DIRS:
            result.drafts.append(Draft(name=path.rsplit("/", 1)[-1] or root_name, path=path, dockerfile=dockerfile))
    if tree is not None:
        _adopt_tooling_dockerfiles(found, result, tree)
    _attach_libraries(result)
    _apply_compose(found, result)
    _apply_procfiles(found, result)
    _fold_root_builds(result)
    add_job_workers(result, tree)
    prune(result, found, tree)
    return result


def _adopt_tooling_dockerfiles(found: Findings, result: Plan, tree: Tree) -> None:
    """docker/Dockerfile or scripts/Dockerfile that copies go.mod or ./ui from the root builds the root app.

    Such a Dockerfile is run as `docker build -f docker/Dockerfile .`: its COPY sources exist at the
    root, not beside it. The root draft then gets it, with the root as build context.
    """
    root = next((d for d in result.drafts if not d.path and d.project and d.dockerfile is None), None)
    if root is None:
        return
    for dockerfile in sorted(found.dockerfiles.values(), key=lambda d: d.path):
        folder = dockerfile.path.rpartition("/")[0]
        if not folder or "/" in folder or folder not in _TOOLING_DIRS:
            continue
        sources = [s.strip("./") or "." for s, _ in dockerfile.copies]
        named = [s for s in sources if s != "." and "*" not in s and "$" not in s]
        if named and all(_exists(tree, s) and not _exists(tree, f"{folder}/{s}") for s in named):
            root.dockerfile, root.build_context = dockerfile, ""
            return


def _exists(tree: Tree, path: str) -> bool:
    return tree.has_file(path) or path in tree.files


def _attach_libraries(result: Plan) -> None:
    """A service importing a workspace library (packages/db, a Cargo workspace crate) also needs that library's
    drivers and env."""
    libraries = {p.name: p for p in result.not_deployable if p.ecosystem in ("node", "python", "rust")}
    for draft in result.drafts:
        if draft.project:
            names = {d.name for d in draft.project.dependencies}
            draft.libraries = [libraries[n] for n in sorted(names) if n in libraries]


def _rank(project: Project) -> tuple[int, int]:
    return (project.framework is not None, _ECOSYSTEM_RANK.get(project.ecosystem, 1))


def _apply_compose(found: Findings, result: Plan) -> None:
    """The shallowest compose file first: apps/x/docker-compose.yaml often repeats what the root one says."""
    for service in sorted(found.compose_services, key=lambda s: s.file.count("/")):
        if service.build_context is None:
            if service.image and backing_for_image(service.image):
                result.backing_compose.append(service)
            elif service.image:
                result.drafts.append(Draft(name=service.name, path=service.file.rpartition("/")[0],
                                           compose=service, image=service.image))
            continue
        dockerfile = found.dockerfiles.get(service.dockerfile or "") or found.dockerfile_in(service.build_context)
        code = service.build_context
        if dockerfile and any(d.path == dockerfile.path.rpartition("/")[0] and d.project for d in result.drafts):
            code = dockerfile.path.rpartition("/")[0]  # context ".", dockerfile apps/web/Dockerfile: it builds apps/web
        candidates = [d for d in result.drafts if d.path == code and not d.image]
        free = [d for d in candidates if d.compose is None]
        if free:
            draft = next((d for d in free if d.name == service.name), free[0])
        elif any(d.compose.file != service.file and d.dockerfile is dockerfile for d in candidates):
            continue  # a second compose file declaring the same build again
        elif candidates:  # a second process of the same code, e.g. web and worker built from "."
            draft = dataclasses.replace(candidates[0], compose=None, process=None)
            result.drafts.append(draft)
        else:
            draft = Draft(name=service.name, path=code)
            result.drafts.append(draft)
        draft.compose = service
        draft.name = service.name
        draft.dockerfile = dockerfile
        draft.build_context = service.build_context if code != service.build_context else None


def _fold_root_builds(result: Plan) -> None:
    """A root Dockerfile with no app of its own that builds a workspace member is that member's Dockerfile.

    `cargo build --bin server`, `dotnet Conduit.dll`: the root is a second copy of one of its apps. The
    members the same Dockerfile builds but does not start are helper binaries shipped in that image.
    """
    root = next((d for d in result.drafts if not d.path and d.dockerfile and not d.image and
                 (d.project is None or d.project.not_deployable_reason)), None)
    if root is None or root.dockerfile.path.rpartition("/")[0]:
        return
    members = [d for d in result.drafts if d.path and d.project and d.dockerfile is None and d.compose is None]
    named = [d for d in members if root.dockerfile.names(d.project.name)]
    if not named:
        return
    command = set(re.findall(r"[\w.-]+", root.dockerfile.command[0].lower())) if root.dockerfile.command else set()
    started = [d for d in named if d.project.name.lower() in command or f"{d.project.name.lower()}.dll" in command]
    chosen = (started or sorted(named, key=lambda d: len(d.project.name)))[0]
    chosen.dockerfile, chosen.compose, chosen.build_context = root.dockerfile, root.compose, ""
    if root.compose:
        chosen.name = root.compose.name
    result.drafts.remove(root)
    result.skipped_drafts.append(None)  # the same service as chosen: nothing to add back
    evidence = [Evidence(file=root.dockerfile.path, detail=f"builds {chosen.project.name}")]
    result.skipped.append(SkippedService(
        name=root.name, path=".", reason="duplicate", evidence=evidence,
        detail=f"the root Dockerfile builds {chosen.path}, which is listed as that service"))
    for helper in named:
        if helper is not chosen:
            result.drafts.remove(helper)
            result.skipped_drafts.append(helper)
            result.skipped.append(SkippedService(
                name=helper.name, path=helper.path, reason="bundled", evidence=evidence,
                detail=f"a helper binary built into the image of {chosen.path} by {root.dockerfile.path}"))


def _apply_procfiles(found: Findings, result: Plan) -> None:
    for path, processes in sorted(found.procfiles.items()):
        base = next((d for d in result.drafts if d.path == path and d.compose is None and d.project), None)
        if base is None or not processes:
            continue
        web = next((p for p in processes if p.name == "web"), None)
        base.process = web or processes[0]
        for process in processes:
            if process is not base.process:
                result.drafts.append(dataclasses.replace(base, name=f"{base.name}-{process.name}", process=process))
        if web is None:
            base.name = f"{base.name}-{base.process.name}"
