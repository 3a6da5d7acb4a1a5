"""Reads docker compose files: services, images, builds, ports, environment and depends_on.

Values are read with yaml.safe_load (anchors and merge keys work; nothing executes).
Line numbers come from searching the text for each key after its service's line,
close enough for a person to find the spot.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field
from typing import Any, Optional

import yaml

from . import health
from .evidence import SourceText
from .models import Evidence

COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
_MAX_ITEMS = 100  # per list in one service; a longer list is hostile or generated


@dataclass
class ComposeService:
    name: str
    file: str
    line: int
    build_context: Optional[str] = None
    dockerfile: Optional[str] = None
    build_args: list[str] = field(default_factory=list)  # NAME=value, literal ones only
    image: Optional[str] = None
    ports: list[int] = field(default_factory=list)
    ports_line: int = 0
    environment: list[tuple[str, Optional[str]]] = field(default_factory=list)
    environment_line: int = 0
    env_files: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    depends_line: int = 0
    command: Optional[str] = None
    command_line: int = 0
    health_path: Optional[str] = None
    health_line: int = 0
    profiles: list[str] = field(default_factory=list)  # only started when one of these is asked for

    def evidence(self, line: int, detail: str) -> Evidence:
        return Evidence(file=self.file, line=line or self.line, detail=detail)


def parse(source: SourceText) -> list[ComposeService]:
    try:
        document = yaml.safe_load(source.text)
    except (yaml.YAMLError, RecursionError, ValueError):
        return []
    services = document.get("services") if isinstance(document, dict) else None
    if not isinstance(services, dict):
        return []
    directory = posixpath.dirname(source.path)
    found = []
    for name, spec in list(services.items())[:_MAX_ITEMS]:
        if isinstance(name, str) and isinstance(spec, dict):
            found.append(_service(source, directory, name, spec))
    return found


def _service(source: SourceText, directory: str, name: str, spec: dict[str, Any]) -> ComposeService:
    start = _key_offset(source, name, 0, indent_min=1)
    service = ComposeService(name=name, file=source.path, line=source.line_of(start) if start >= 0 else 1)

    def line(key: str) -> int:
        offset = _key_offset(source, key, max(start, 0), indent_min=2)
        return source.line_of(offset) if offset >= 0 else service.line

    build = spec.get("build")
    if isinstance(build, str):
        service.build_context = _inside(directory, build)
    elif isinstance(build, dict):
        context = build.get("context", ".")
        service.build_context = _inside(directory, context if isinstance(context, str) else ".")
        if isinstance(build.get("dockerfile"), str) and service.build_context is not None:
            service.dockerfile = _inside(service.build_context, build["dockerfile"])
        service.build_args = _build_args(build.get("args"))
    if isinstance(spec.get("image"), str):
        service.image = spec["image"]
    service.ports = _container_ports(spec.get("ports")) + _container_ports(spec.get("expose"))
    service.ports_line = line("ports") if "ports" in spec else line("expose")
    service.environment = _environment(spec.get("environment"))
    service.environment_line = line("environment")
    env_file = spec.get("env_file")
    env_files = [env_file] if isinstance(env_file, (str, dict)) else env_file if isinstance(env_file, list) else []
    for item in env_files[:_MAX_ITEMS]:
        path = item.get("path") if isinstance(item, dict) else item
        if isinstance(path, str) and _inside(directory, path) is not None:
            service.env_files.append(_inside(directory, path))
    depends = spec.get("depends_on")
    if isinstance(depends, (list, dict)):
        service.depends_on = _scalars(list(depends))
        service.depends_line = line("depends_on")
    command = spec.get("command")
    if isinstance(command, list):
        command = shlex.join(_scalars(command))
    if isinstance(command, str):
        service.command, service.command_line = command, line("command")
    if isinstance(spec.get("profiles"), list):
        service.profiles = _scalars(spec["profiles"])
    test = spec.get("healthcheck", {}).get("test") if isinstance(spec.get("healthcheck"), dict) else None
    test = " ".join(_scalars(test)) if isinstance(test, list) else test
    if isinstance(test, str) and health.path_from_url(test):
        service.health_path, service.health_line = health.path_from_url(test), line("healthcheck")
    return service


def _build_args(value: Any) -> list[str]:
    """`args: {A: 1}` or `[A=1]` -> ['A=1']. Values compose would take from the shell
    (`A` alone, `${VAR}`) are left out: the Dockerfile's ARG default applies."""
    pairs: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        pairs = list(value.items())
    elif isinstance(value, list):
        pairs = [tuple(item.split("=", 1)) for item in value if isinstance(item, str) and "=" in item]
    found = []
    for name, val in pairs[:_MAX_ITEMS]:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            continue
        if val is None or not isinstance(val, (str, int, float, bool)) or "$" in str(val):
            continue
        found.append(f"{name}={str(val).lower() if isinstance(val, bool) else val}")
    return found


def _container_ports(value: Any) -> list[int]:
    """'8080:3000' -> 3000, '127.0.0.1:80:8080/tcp' -> 8080, {target: 80} -> 80, 3000 -> 3000."""
    found = []
    for item in (value if isinstance(value, list) else [])[:_MAX_ITEMS]:
        if isinstance(item, dict):
            target = item.get("target")
        elif isinstance(item, (str, int)):
            target = str(item).split("/")[0].rsplit(":", 1)[-1]
            target = target.split("-")[0]  # a range: the first port
        else:
            continue
        if str(target).isdigit() and 1 <= int(target) <= 65535:
            found.append(int(target))
    return found


def _environment(value: Any) -> list[tuple[str, Optional[str]]]:
    if isinstance(value, dict):
        items = [(str(k), None if v is None else str(v)) for k, v in list(value.items())[:_MAX_ITEMS]
                 if isinstance(v, (str, int, float, bool, type(None)))]
    elif isinstance(value, list):
        items = []
        for entry in _scalars(value):
            name, sign, assigned = entry.partition("=")
            items.append((name.strip(), assigned if sign else None))
    else:
        return []
    return [(name, _interpolated(v)) for name, v in items if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name)]


def _interpolated(value: Optional[str]) -> Optional[str]:
    """`${JWT_SECRET}` comes from the host, so it is no default; `${LOG_LEVEL:-info}` defaults to info."""
    match = re.fullmatch(r"\$\{?\w+(?::?-([^}]*))?\}?", value or "")
    if match:
        return match.group(1)
    return value


def _scalars(items: list[Any]) -> list[str]:
    """The plain values of a list. Printing a nested value could expand an alias bomb into gigabytes."""
    return [str(item) for item in items[:_MAX_ITEMS] if isinstance(item, (str, int, float))]


def _inside(directory: str, relative: str) -> Optional[str]:
    """A compose-relative path as a root-relative one; None if it leaves the repository."""
    if relative.startswith(("/", "http://", "https://", "git@", "ssh://")):
        return None
    joined = posixpath.normpath(posixpath.join(directory, relative))
    if joined == ".":
        return ""
    return None if joined.startswith("..") else joined


def _key_offset(source: SourceText, key: str, start: int, indent_min: int) -> int:
    match = re.compile(rf"^[ \t]{{{indent_min},}}['\"]?{re.escape(key)}['\"]?[ \t]*:", re.MULTILINE).search(
        source.text, start
    )
    return match.start() if match else -1
