"""Turns a draft into a Service: reads its sources once and settles role, port, health, commands and env.

Where the repository states a fact in several places, the place that decides what
actually runs wins: compose over the Dockerfile, the Dockerfile over the Procfile and
manifests, stated values over code, and code over framework defaults.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Optional

from . import health, ports, starts
from .fits import fits_generated_image
from .drafts import Draft
from .env import EXAMPLE_ENV_FILES, LIVE_ENV_FILES, EnvCollector, redact_secrets
from .evidence import SourceText, relabel
from .limits import Limits
from .models import Command, Evidence, Framework, HealthCheck, Language, Package, Port, Service, ServiceRole
from .project import DeclaredDependency, Project
from .reader import SourceReader
from .sources import Ownership, scan_list
from .walk import Tree, join

_CONFIG_EXTENSIONS = (".conf", ".yaml", ".yml", ".json", ".toml", ".ini", ".sh", ".js", ".py")
_PORT_VARIABLE = re.compile(r"\$\{?PORT\b")
# programs that consume a queue or a schedule and listen on no port, whatever framework the code uses
_WORKER_COMMAND = re.compile(r"\bcelery\b.*\b(?:worker|beat)\b|\b(?:sidekiq|rqworker|dramatiq|run_huey|good_job|"
                             r"solid_queue:start|resque:work|jobs:work|qcluster|arq)\b|\brq\s+worker\b|(?:^|\s)bin/jobs\b")
_JOB_COMMAND = re.compile(r"\b(?:migrate|db:migrate|db:prepare|seed|ecto\.migrate)\b")


@dataclass
class Usage:
    """What one service reads and declares, kept for the repository-wide passes (databases, links)."""

    service: str
    dependencies: list[DeclaredDependency]
    sources: list[SourceText]
    env: EnvCollector
    draft: Draft
    warnings: list[str] = field(default_factory=list)


def build(draft: Draft, name: str, tree: Tree, reader: SourceReader, ownership: Ownership,
          limits: Limits) -> tuple[Service, Usage]:
    project = draft.project
    owners = ([project] if project else []) + draft.libraries
    paths: list[str] = []
    cut = False
    for owner in owners:  # one more than allowed tells whether the limit cut the reading short
        paths += scan_list(tree, ownership, owner, limits.max_sources_per_service + 1 - len(paths))
        cut = cut or len(paths) > limits.max_sources_per_service
        paths = paths[: limits.max_sources_per_service]
    if project is None and draft.dockerfile:  # an nginx.conf or start script beside it names its upstreams
        paths = [join(draft.path, n) for n in tree.names(draft.path) if n.endswith(_CONFIG_EXTENSIONS)][:50]
    sources = [s for s in (reader.source(p) for p in paths) if s is not None]
    env = _collect_env(draft, tree, reader, sources, limits)
    dependencies = [d for owner in owners for d in owner.dependencies]
    usage = Usage(service=name, dependencies=dependencies, sources=sources, env=env, draft=draft)
    if cut:
        usage.warnings.append(f"{name}: read only the first {limits.max_sources_per_service} source files (nearest "
                              "first); env vars, ports and datastores named only in the others are missing")
    role = _stated_role(draft)
    draft = _without_foreign_command(draft, tree)
    # the repository's own image of a static site is a file server: the port it listens on is its route's
    # (it-tools, astrowind: nginx on the EXPOSEd port)
    serves_own_image = role is not None and role.value == "static" and draft.dockerfile is not None
    port = _port(draft, sources, usage, limits) if role is None or role.value == "web" or serves_own_image else None
    role = role or _role_from_port(draft, port)
    start_command = _start_command(draft, port)
    variables, left_out = env.result(limits.max_env_per_service)
    if left_out:
        usage.warnings.append(f"{name}: {left_out} more environment variables were not listed")
    service = Service(
        name=name,
        path=draft.path or ".",
        role=role,
        language=_language(draft),
        framework=_framework(draft),
        package_manager=project.package_manager if project else None,
        install_command=project.install if project else None,
        build_command=_build_command(draft),
        start_command=start_command,
        start_candidates=starts.candidates(draft, start_command, _commands(draft), tree, limits.max_start_candidates),
        files=starts.runnable_files(draft, tree, limits.max_files_per_service),
        packages=_packages(project, usage, limits),
        entry_point=project.entry_point if project and not _runs_other_command(draft) else None,
        static_root=project.static_root if project else None,
        port=port,
        health_check=_health(draft, sources, tree, reader) if role.value == "web" else None,
        env=variables,
        dockerfile=draft.dockerfile.path if draft.dockerfile else None,
        compose_service=draft.compose.name if draft.compose else None,
        build_args=list(draft.compose.build_args) if draft.compose and draft.dockerfile and draft.compose.build_args
        else None,
        image=draft.image,
        build_context=(draft.build_context or ".") if draft.build_context is not None else None,
    )
    return _redact(_trim_evidence(service, limits.max_evidence_per_fact)), usage


# Node packages the generated image's build acts on (Prisma: its client is generated from the schema)
_NODE_BUILD_PACKAGES = frozenset({"@prisma/client"})


def _packages(project: Optional[Project], usage: Usage, limits: Limits) -> Optional[list[Package]]:
    """Python's declared packages: the generated image picks its interpreter and build tools from them.
    Node's: only those the image build acts on."""
    if project is not None and project.ecosystem == "node":
        node = [Package(name=d.name, file=d.evidence.file) for d in project.dependencies if d.name in _NODE_BUILD_PACKAGES]
        return node or None
    if project is None or project.ecosystem != "python" or not project.dependencies:
        return None
    found: dict[str, Package] = {}
    for dependency in project.dependencies:
        # an extra stays a package of its own: it may install one that compiles (psycopg[c] → psycopg-c)
        name = dependency.name
        if name not in found or (dependency.version and not found[name].version):
            found[name] = Package(name=name, version=dependency.version, file=dependency.evidence.file)
    packages = list(found.values())
    if len(packages) > limits.max_packages_per_service:
        usage.warnings.append(f"{usage.service}: {len(packages) - limits.max_packages_per_service} more declared "
                              "packages were not listed")
    return packages[:limits.max_packages_per_service]


def _collect_env(draft: Draft, tree: Tree, reader: SourceReader, sources: list[SourceText],
                 limits: Limits) -> EnvCollector:
    """Compose and Dockerfile first: when they set a value, that is the default the service runs with."""
    env = EnvCollector(limits.max_evidence_per_fact)
    if draft.compose:
        for variable, value in draft.compose.environment:
            env.declare(variable, draft.compose.evidence(draft.compose.environment_line, "compose environment"), value)
    if draft.dockerfile:
        for variable, value, line in draft.dockerfile.env:
            env.declare(variable, draft.dockerfile.evidence(line, "Dockerfile ENV"), value)
    for text, evidence in _commands(draft):
        if _PORT_VARIABLE.search(text):  # the command binds whatever PORT says, so PORT must be set
            env.declare("PORT", relabel(evidence, "start command binds $PORT"), None)
    for variable, evidence in draft.project.implied_env if draft.project else []:
        env.declare(variable, evidence, None)
    env_files = [join(draft.path, n) for n in EXAMPLE_ENV_FILES + LIVE_ENV_FILES]
    env_files += draft.compose.env_files if draft.compose else []
    for path in dict.fromkeys(env_files):
        source = reader.source(path) if tree.has_file(path) else None
        if source:
            env.scan_dotenv(source)
    for source in sources:
        env.scan_source(source)
    return env


def _stated_role(draft: Draft) -> Optional[ServiceRole]:
    """The role the repository states; None when only finding a port can tell."""
    project = draft.project
    if draft.worker_command:
        return ServiceRole(value="worker", evidence=draft.worker_command.evidence, confidence="medium")
    if draft.compose:
        if draft.compose.command and _JOB_COMMAND.search(draft.compose.command):
            evidence = [draft.compose.evidence(draft.compose.command_line, "compose command runs a task")]
            return ServiceRole(value="job", evidence=evidence, confidence="medium")
        if draft.compose.command and _WORKER_COMMAND.search(draft.compose.command) and not draft.compose.ports:
            evidence = [draft.compose.evidence(draft.compose.command_line, "compose command runs a queue worker")]
            return ServiceRole(value="worker", evidence=evidence, confidence="high")
        if draft.compose.ports and project and project.role and project.role.value == "static":
            return project.role  # astrowind: the published port is that of the server of the built files
        if draft.compose.ports:
            evidence = [draft.compose.evidence(draft.compose.ports_line, "compose publishes ports")]
            return ServiceRole(value="web", evidence=evidence, confidence="high")
    if draft.process:
        return ServiceRole(value=draft.process.role, evidence=[_procfile_evidence(draft)], confidence="high")
    if project and project.role:
        return project.role
    if draft.dockerfile and draft.dockerfile.exposed:
        port, line = draft.dockerfile.exposed[0]
        return ServiceRole(value="web", evidence=[draft.dockerfile.evidence(line, f"EXPOSE {port}")],
                           confidence="high")
    if project and project.framework and project.default_port:
        return ServiceRole(value="web", evidence=project.framework.evidence, confidence="high")
    return None


def _role_from_port(draft: Draft, port: Optional[Port]) -> ServiceRole:
    if port:
        return ServiceRole(value="web", evidence=port.evidence[:1], confidence=port.confidence)
    project = draft.project
    file = (project.language.evidence[0].file if project and project.language else
            draft.dockerfile.path if draft.dockerfile else draft.compose.file if draft.compose else draft.path)
    evidence = [Evidence(file=file, detail="no listening port in code, Dockerfile or compose")]
    return ServiceRole(value="worker", evidence=evidence, confidence="medium")


def _port(draft: Draft, sources: list[SourceText], usage: Usage, limits: Limits) -> Optional[Port]:
    """The first stated port in order of authority; agreeing statements add evidence."""
    stated: list[Port] = []
    compose, dockerfile, project = draft.compose, draft.dockerfile, draft.project
    if compose and compose.ports:
        stated.append(Port(value=compose.ports[0], evidence=[compose.evidence(
            compose.ports_line, f"compose container port {compose.ports[0]}")], confidence="high"))
    aspnet = _aspnet_default_port(draft)
    if aspnet:
        stated.append(aspnet)
    elif dockerfile:
        stated += [Port(value=p, evidence=[dockerfile.evidence(line, f"EXPOSE {p}")], confidence="high")
                   for p, line in dockerfile.exposed]
    if dockerfile:
        stated += [Port(value=int(v), evidence=[dockerfile.evidence(line, f"ENV PORT={v}")], confidence="high")
                   for k, v, line in dockerfile.env if k == "PORT" and v and v.isdigit()]
    if compose:
        stated += [Port(value=int(v), evidence=[compose.evidence(compose.environment_line, f"PORT={v}")],
                        confidence="high") for k, v in compose.environment if k == "PORT" and v and v.isdigit()]
    for text, evidence in _commands(draft):
        value = ports.in_command(text)
        if value:
            stated.append(Port(value=value, evidence=[evidence], confidence="high"))
    in_code = ports.in_sources(sources)
    candidates = stated + in_code + ([project.default_port] if project and project.default_port else [])
    if not candidates:
        return None
    best = candidates[0]
    if best.confidence == "high" and stated:
        conflicting = next((p for p in in_code if p.confidence == "high" and p.value != best.value
                            and not ports.follows_port_variable(p)), None)
        if conflicting:
            where = conflicting.evidence[0]
            usage.warnings.append(
                f"{usage.service}: runs on port {best.value} ({best.evidence[0].file}) but "
                f"{where.file}:{where.line} says {conflicting.value}"
            )
    agreeing = [e for p in candidates if p.value == best.value for e in p.evidence]
    return Port(value=best.value, evidence=_unique(agreeing)[: limits.max_evidence_per_fact],
                confidence=best.confidence)


def _aspnet_default_port(draft: Draft) -> Optional[Port]:
    """ASP.NET Core images of .NET 8 and later listen on 8080 (ASPNETCORE_HTTP_PORTS), whatever an EXPOSE
    left over from the .NET 6 template says, unless the Dockerfile sets the listening URL itself."""
    dockerfile, project = draft.dockerfile, draft.project
    if not (dockerfile and project and project.framework and project.framework.name == "ASP.NET Core"):
        return None
    if any(k in ("ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "HTTP_PORTS") for k, _, _ in dockerfile.env):
        return None
    for image, line in dockerfile.base_images:
        match = re.search(r"dotnet/aspnet:(\d+)", image)
        if match and int(match.group(1)) >= 8:
            return Port(value=8080, evidence=[dockerfile.evidence(
                line, f"ASP.NET Core {match.group(1)} image listens on 8080 (ASPNETCORE_HTTP_PORTS)")], confidence="high")
    return None


def _without_foreign_command(draft: Draft, tree: Tree) -> Draft:
    """The draft without its compose command where Hydron generates the image and the command was written
    for the layout of the one the compose file builds (healthchecks' `uwsgi /opt/healthchecks/...`):
    the framework's own start runs instead. The role the command states still holds."""
    compose, project = draft.compose, draft.project
    if draft.dockerfile or draft.image or not compose or not compose.command or project is None:
        return draft
    if fits_generated_image(compose.command, project.ecosystem, [d.name for d in project.dependencies], tree,
                            draft.path):
        return draft
    return replace(draft, compose=replace(compose, command=None))


def _commands(draft: Draft) -> list[tuple[str, Evidence]]:
    """Command lines the service runs with, as written in the repository."""
    found = []
    if draft.compose and draft.compose.command:
        found.append((draft.compose.command, draft.compose.evidence(draft.compose.command_line, "compose command")))
    if draft.process:
        found.append((draft.process.command, _procfile_evidence(draft)))
    if draft.dockerfile and draft.dockerfile.command:
        text, line = draft.dockerfile.command
        found.append((text, draft.dockerfile.evidence(line, f"Dockerfile {draft.dockerfile.command_instruction}")))
    if draft.project and draft.project.runs and draft.project.start:
        found.append((draft.project.runs, draft.project.start.evidence[0]))
    return found


def _procfile_evidence(draft: Draft) -> Evidence:
    return Evidence(file=join(draft.path, "Procfile"), line=draft.process.line,
                    detail=f"Procfile {draft.process.name}")


def _start_command(draft: Draft, port: Optional[Port]) -> Optional[Command]:
    if draft.worker_command:
        return draft.worker_command
    if draft.compose and draft.compose.command:
        return Command(value=draft.compose.command, evidence=[draft.compose.evidence(
            draft.compose.command_line, "compose command")], confidence="high")
    if draft.process and (draft.process.name != "web" or not draft.dockerfile):
        return Command(value=draft.process.command, evidence=[_procfile_evidence(draft)], confidence="high")
    if draft.dockerfile and draft.dockerfile.command:
        text, line = draft.dockerfile.command
        evidence = [draft.dockerfile.evidence(line, f"Dockerfile {draft.dockerfile.command_instruction}")]
        return Command(value=text, evidence=evidence, confidence="high")
    project = draft.project
    if project and project.start:
        if project.start_uses_port:
            value = project.start.value.replace("{port}", str(port.value if port else project.default_port.value
                                                              if project.default_port else 8000))
            return project.start.model_copy(update={"value": value})
        return project.start
    return None


def _framework(draft: Draft) -> Optional[Framework]:
    """The project's framework; for a queue worker, the queue library (Sidekiq) that runs it."""
    project = draft.project
    if draft.worker_command and draft.worker_label:
        return Framework(name=draft.worker_label, evidence=draft.worker_command.evidence, confidence="high")
    return project.framework if project else None


def _runs_other_command(draft: Draft) -> bool:
    """A compose command or a non-web Procfile process runs something other than the project's entry point."""
    return bool((draft.compose and draft.compose.command) or (draft.process and draft.process.name != "web")
                or draft.worker_command)


def _build_command(draft: Draft) -> Optional[Command]:
    """The project's build, preceded by the asset build of a package.json beside it (Rails, Laravel)."""
    project, assets = draft.project, draft.asset_builder
    if assets and assets.build and assets.install:
        value = f"{assets.install.value} && {assets.build.value}"
        if project and project.build:
            value = f"{value} && {project.build.value}"
        evidence = assets.build.evidence + (project.build.evidence if project and project.build else [])
        return Command(value=value, evidence=evidence, confidence="high")
    return project.build if project else None


def _health(draft: Draft, sources: list[SourceText], tree: Tree, reader: SourceReader) -> Optional[HealthCheck]:
    if draft.compose and draft.compose.health_path:
        return HealthCheck(path=draft.compose.health_path, evidence=[draft.compose.evidence(
            draft.compose.health_line, "compose healthcheck")], confidence="high")
    if draft.dockerfile and draft.dockerfile.health_path:
        path, line = draft.dockerfile.health_path
        return HealthCheck(path=path, evidence=[draft.dockerfile.evidence(line, "Dockerfile HEALTHCHECK")],
                           confidence="high")
    if draft.dockerfile and draft.dockerfile.health_script:
        found = _health_from_script(draft, tree, reader)
        if found:
            return found
    if draft.project and draft.project.health:
        return draft.project.health
    return health.find_route(sources)


def _health_from_script(draft: Draft, tree: Tree, reader: SourceReader) -> Optional[HealthCheck]:
    """The path probed by the script the Dockerfile's HEALTHCHECK runs, found in the build context by
    what the Dockerfile copies (healthchecks: COPY docker/fetchstatus.py) or by the script's own path
    (mealie: $MEALIE_HOME/mealie/scripts/healthcheck.py)."""
    script, line = draft.dockerfile.health_script
    context = draft.build_context if draft.build_context is not None else draft.path
    context = "" if context in (".", "./") else context
    base = script.rsplit("/", 1)[-1]
    candidates = [join(context, source.rstrip("/")) for source, _ in draft.dockerfile.copies
                  if source.rstrip("/").rsplit("/", 1)[-1] == base]
    parts = [p for p in script.split("/") if p and p != "." and "$" not in p and "{" not in p]
    candidates += [join(context, "/".join(parts[i:])) for i in range(len(parts))]
    for rel in candidates:
        if not tree.has_file(rel):
            continue
        source = reader.source(rel)
        found = health.path_from_script(source.text) if source else None
        if found:
            path, offset = found
            evidence = [draft.dockerfile.evidence(line, f"Dockerfile HEALTHCHECK runs {script}"),
                        source.evidence(f"requests {path}", offset)]
            return HealthCheck(path=path, evidence=evidence, confidence="high")
    return None


def _language(draft: Draft) -> Optional[Language]:
    """The project's language; its version from the Dockerfile's base image when the manifests give none."""
    found = draft.dockerfile.language() if draft.dockerfile else None
    project = draft.project
    if project and project.language:
        if project.language.version or not found or found[0] != project.language.name or not found[1]:
            return project.language
        _, version, image, line = found
        evidence = project.language.evidence + [draft.dockerfile.evidence(line, f"base image {image}")]
        return project.language.model_copy(update={"version": version, "evidence": evidence})
    if found is None or found[0] == "static":
        return None
    name, version, image, line = found
    return Language(name=name, version=version, evidence=[draft.dockerfile.evidence(line, f"base image {image}")],
                    confidence="medium")


def _unique(evidence: list[Evidence]) -> list[Evidence]:
    """One piece of evidence per place: a line matched by two patterns is still one line."""
    return list({(e.file, e.line if e.line is not None else e.detail): e for e in reversed(evidence)}.values())[::-1]


def _redact(service: Service) -> Service:
    """Commands come from Procfiles, compose files and scripts, which sometimes inline a password."""
    for command in (service.install_command, service.build_command, service.start_command, *service.start_candidates):
        if command is not None:
            command.value = redact_secrets(command.value)
    for fact in (service.install_command, service.build_command, service.start_command, service.entry_point,
                 service.port, service.role, *service.start_candidates):
        for evidence in fact.evidence if fact else []:
            evidence.detail = redact_secrets(evidence.detail)
    return service


def _trim_evidence(service: Service, limit: int) -> Service:
    """Bound every evidence list so the status object stays small."""
    for fact in (service.role, service.language, service.framework, service.package_manager, service.install_command,
                 service.build_command, service.start_command, service.entry_point, service.port,
                 service.health_check, *service.start_candidates):
        if fact is not None:
            fact.evidence = _unique(fact.evidence)[:limit]
    return service
