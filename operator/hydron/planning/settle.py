"""Corrections the planner makes to an analysed service before planning it, each with a finding.

The analysis reports what the repository states; some of it does not hold for the image
Hydron builds: a web framework that leaves the port to its default, a single-page app
whose only start script is its development server, a start command written for the image
of a compose file. Pure: a service in, a service and findings out.
"""

from __future__ import annotations

import posixpath
import re
import shlex

from hydron.analysis.models import Command, Evidence, Port, Service, ServiceRole
from hydron.api.infraplan import Finding
from hydron.planning.frameworks import default_port, is_web_framework, spa_output

_FOREIGN_SOURCES = re.compile(r"(?:^|/)(?:(?:docker-)?compose[\w.-]*\.ya?ml|[\w.-]*Dockerfile[\w.-]*|Containerfile)$")
_ENV_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_SHELLS = ("sh", "bash", "/bin/sh", "/bin/bash")
_SYSTEM_PROGRAMS = ("/bin/sh", "/bin/bash", "/usr/bin/env")
_CUSTOM_SERVER = re.compile(r"^(?:node|bun|deno(?:\s+run)?)\s+(?:-\S+\s+)*[\w./-]+\.(?:m?js|cjs|ts)\b")
_WORKDIR = "/app/"
# Start commands that run a queue worker or a scheduler: a web framework among the dependencies does not
# make them listen.
_WORKER_COMMAND = re.compile(r"\b(?:celery|rq|rqworker|dramatiq|arq|sidekiq|huey_consumer|qcluster|procrastinate|"
                             r"good_job|resque|worker|workers|beat|scheduler|cron|consume|consumer)\b")  # where every generated image keeps the sources


def settle(service: Service) -> tuple[Service, list[Finding]]:
    """The service as the plan builds and runs it, and what was changed."""
    findings: list[Finding] = []
    for rule in (_spa_as_static, _foreign_start, _web_port):
        service, found = rule(service)
        findings += found
    return service, findings


def _generated(service: Service) -> bool:
    return service.dockerfile is None and service.image is None


def _where(service: Service, field: str) -> str:
    return f"services[{service.name}].{field}"


def _framework_evidence(service: Service) -> list[Evidence]:
    if service.framework and service.framework.evidence:
        return service.framework.evidence[:1]
    return [Evidence(file=posixpath.join(service.path, "."), detail="service directory")]


def _web_port(service: Service) -> tuple[Service, list[Finding]]:
    """A web framework with no stated port listens on its default; a web app with no port at all is
    a finding, never a silent worker."""
    role = service.role
    start = service.start_command.value if service.start_command else None
    stated_worker = role.value == "worker" and (role.confidence == "high" or _runs_worker(start))
    if service.port or role.value not in ("web", "worker") or stated_worker:
        return service, []
    framework = service.framework.name if service.framework else None
    port = default_port(framework, start)
    if port is not None:
        what = framework or "its server"
        evidence = [Evidence(file=e.file, line=e.line, detail=f"{what} listens on {port} by default")
                    for e in _framework_evidence(service)]
        return service.model_copy(update={
            "port": Port(value=port, evidence=evidence, confidence="low"),
            "role": ServiceRole(value="web", evidence=evidence, confidence="low"),
        }), []
    if is_web_framework(framework) or role.value == "web":
        what = f"uses {framework}, a web framework," if framework else "is a web service"
        return service, [Finding(
            severity="Warning", source="Planning", field=_where(service, "port"),
            message=f"{service.name} {what} but no port was found in the repository, so it is planned "
                    "without a route or an HTTP health check. Set services[].port on the Application to the "
                    "port it listens on.")]
    return service, []


def _runs_worker(start: str | None) -> bool:
    """The command names a worker: as its program, a subcommand or an option's value (--services=worker),
    not as an option's name (--workers 4)."""
    words = [w.partition("=")[2] if w.startswith("-") else w for w in (start or "").split()]
    return bool(_WORKER_COMMAND.search(" ".join(words)))


def _spa_as_static(service: Service) -> tuple[Service, list[Finding]]:
    """A single-page app (no server-side rendering) run by its development server becomes a static build."""
    framework = service.framework.name if service.framework else None
    output = spa_output(framework)
    if output is None or service.role.value != "web" or not _generated(service):
        return service, []
    start = service.start_command.value if service.start_command else ""
    if any(_CUSTOM_SERVER.search(text) for text in _runs(service.start_command)):
        return service, []  # the repository serves the build with its own server
    evidence = _framework_evidence(service)
    build = service.build_command
    if build is None:
        manager = service.package_manager.name if service.package_manager else "npm"
        build = Command(value=f"{manager} run build", evidence=evidence, confidence="medium")
    root = service.static_root or posixpath.normpath(posixpath.join(service.path or ".", output))
    was = f" ({start!r}, a development server)" if start else ""
    finding = Finding(
        severity="Info", source="Planning", field=_where(service, "role"),
        message=f"{service.name} is a {framework} single-page app{was}: the plan builds it with "
                f"{build.value!r} and serves {root}/ with the static file server instead.")
    return service.model_copy(update={
        "role": ServiceRole(value="static", evidence=[*evidence, Evidence(
            file=evidence[0].file, detail=f"{framework} builds a single-page app")], confidence="medium"),
        "build_command": build, "static_root": root, "start_command": None, "port": None, "health_check": None,
    }), [finding]


def _runs(command: Command | None) -> list[str]:
    """The command and, for a package script, the script's own text (its evidence quotes it)."""
    if command is None:
        return []
    scripts = [e.detail.split(": ", 1)[1] for e in command.evidence
               if e.detail.startswith("scripts.") and ": " in e.detail]
    return [command.value, *scripts]


def _foreign_start(service: Service) -> tuple[Service, list[Finding]]:
    """A start command from a compose file or a Dockerfile the plan does not build runs a program of that
    image's layout; the generated image may not have it."""
    command = service.start_command
    if command is None or not _generated(service) or not _foreign(command) or _runnable(command.value, service):
        return service, []
    replacement = next((c for c in service.start_candidates if c.value != command.value
                        and not (_foreign(c) and not _runnable(c.value, service))), None)
    source = command.evidence[0].file
    instead = (f"the plan starts it with {replacement.value!r} instead" if replacement else
               "set services[].startCommand on the Application")
    finding = Finding(
        severity="Warning", source="Planning", field=_where(service, "startCommand"),
        message=f"{service.name}'s start command {command.value!r} comes from {source}, written for an image "
                f"with another layout: the image Hydron builds does not have {_program(command.value)}; {instead}.")
    return service.model_copy(update={"start_command": replacement}), [finding]


def _foreign(command: Command) -> bool:
    return bool(command.evidence) and all(_FOREIGN_SOURCES.search(e.file) for e in command.evidence)


def _program(command: str) -> str:
    """The file the command runs: past VAR=value prefixes, exec, and a shell running a script."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    words = [w for w in words if not _ENV_ASSIGNMENT.match(w)]
    if words and words[0] == "exec":
        words = words[1:]
    if len(words) > 1 and words[0] in _SHELLS and not words[1].startswith("-"):
        words = words[1:]
    return words[0] if words else ""


def _runnable(command: str, service: Service) -> bool:
    """Bare programs come from PATH (the runtime and the installed dependencies); an absolute path
    only when it is a system shell or a repository file under the generated image's /app."""
    program = _program(command)
    if not program.startswith("/") or program in _SYSTEM_PROGRAMS:
        return True
    if program.startswith(_WORKDIR):
        return program[len(_WORKDIR):] in service.files
    return False
