"""Reads an existing Dockerfile: the repository's own answer to how the service runs."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Optional

from . import health
from .evidence import SourceText
from .models import Evidence

DOCKERFILE_NAMES = ("Dockerfile", "Containerfile")

_INSTRUCTION = re.compile(r"^[ \t]*([A-Za-z]+)[ \t]+(.*)$")
_VARIABLE = re.compile(r"\$\{?(\w+)(?::-([^}]*))?\}?")
# base image name -> language; the tag's leading number is the version
_BASE_LANGUAGES = {
    "node": "node", "bun": "bun", "python": "python", "golang": "go", "ruby": "ruby", "php": "php", "rust": "rust",
    "openjdk": "java", "eclipse-temurin": "java", "amazoncorretto": "java", "maven": "java", "gradle": "java",
    "aspnet": "dotnet", "sdk": "dotnet", "elixir": "elixir", "nginx": "static", "httpd": "static", "caddy": "static",
}


@dataclass
class Dockerfile:
    """The facts of one Dockerfile that analysis cares about, each with its line."""

    path: str
    base_images: list[tuple[str, int]] = field(default_factory=list)
    exposed: list[tuple[int, int]] = field(default_factory=list)
    env: list[tuple[str, Optional[str], int]] = field(default_factory=list)
    command: Optional[tuple[str, int]] = None  # what the container runs: ENTRYPOINT and CMD together
    command_instruction: str = "CMD"
    health_path: Optional[tuple[str, int]] = None
    health_script: Optional[tuple[str, int]] = None  # HEALTHCHECK CMD ./check.py: a script of the repo that probes
    copies: list[tuple[str, int]] = field(default_factory=list)  # COPY/ADD sources from the build context
    mentions: set[str] = field(default_factory=set)  # words of RUN, CMD and ENTRYPOINT: which binaries it builds

    def names(self, word: str) -> bool:
        """Whether the build or start commands name this package, binary or assembly."""
        word = word.lower()
        return word in self.mentions or f"{word}.dll" in self.mentions

    def evidence(self, line: int, detail: str) -> Evidence:
        return Evidence(file=self.path, line=line, detail=detail)

    def language(self) -> Optional[tuple[str, Optional[str], str, int]]:
        """Language, version, image and line of the first base image that names one (the build stage)."""
        for image, line in self.base_images:
            repository, _, tag = image.split("@", 1)[0].rsplit("/", 1)[-1].partition(":")
            language = _BASE_LANGUAGES.get(repository.lower())
            if language:
                version = re.match(r"\d+(?:\.\d+)*", tag)
                return language, version.group(0) if version else None, image, line
        return None


def parse(source: SourceText) -> Dockerfile:
    result = Dockerfile(path=source.path)
    variables: dict[str, str] = {}
    entrypoint: Optional[tuple[str, int]] = None
    cmd: Optional[tuple[str, int]] = None
    for line_number, instruction, argument in _instructions(source.text):
        if instruction == "FROM":
            image = argument.split()[0] if argument.split() else ""
            if image and not image.startswith("--"):
                result.base_images.append((_substitute(image, variables), line_number))
        elif instruction in ("ARG", "ENV"):
            for name, value in _assignments(argument, instruction):
                variables[name] = value or ""
                if instruction == "ENV":
                    result.env.append((name, value, line_number))
        elif instruction == "EXPOSE":
            for token in argument.split():
                port = _substitute(token.split("/")[0], variables)
                if port.isdigit() and 1 <= int(port) <= 65535:
                    # `EXPOSE ${LDAP_PORT} ${HTTP_PORT}`: the one named for HTTP is where the web app answers
                    web = re.search(r"\$\{?\w*(?:HTTP(?!S)|WEB)\w*", token) is not None
                    result.exposed.insert(0 if web else len(result.exposed), (int(port), line_number))
        if instruction in ("RUN", "CMD", "ENTRYPOINT") and len(result.mentions) < 2000:
            result.mentions.update(re.findall(r"[\w.-]+", argument.lower().replace("/", " ")))
        if instruction in ("COPY", "ADD"):
            result.copies += [(path, line_number) for path in _copy_sources(argument)]
        elif instruction == "ENTRYPOINT":
            entrypoint = (_command_text(argument), line_number)
        elif instruction == "CMD":
            cmd = (_command_text(argument), line_number)
        elif instruction == "HEALTHCHECK":
            path = health.path_from_url(argument)
            if path:
                result.health_path = (path, line_number)
            elif health.script_in_command(argument):
                result.health_script = (health.script_in_command(argument), line_number)
    if entrypoint and cmd:  # Docker runs CMD as the arguments of ENTRYPOINT
        result.command, result.command_instruction = (f"{entrypoint[0]} {cmd[0]}", entrypoint[1]), "ENTRYPOINT and CMD"
    elif entrypoint:
        result.command, result.command_instruction = entrypoint, "ENTRYPOINT"
    else:
        result.command = cmd
    return result


def _instructions(text: str) -> list[tuple[int, str, str]]:
    """(line, INSTRUCTION, argument) with backslash continuations joined and comments dropped."""
    found = []
    pending: Optional[tuple[int, list[str]]] = None
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and pending is None):
            continue
        start, parts = pending or (number, [])
        if stripped.endswith("\\"):
            parts.append(stripped[:-1])
            pending = (start, parts)
            continue
        parts.append(stripped)
        pending = None
        match = _INSTRUCTION.match(" ".join(parts))
        if match:
            found.append((start, match.group(1).upper(), match.group(2).strip()))
    return found


def _assignments(argument: str, instruction: str) -> list[tuple[str, Optional[str]]]:
    """ENV A=1 B="two" | ENV A 1 | ARG A | ARG A=1"""
    tokens = argument.split(None, 1)
    if not tokens:
        return []
    if "=" not in tokens[0]:
        value = tokens[1].strip("\"'") if len(tokens) > 1 and instruction == "ENV" else None
        return [(tokens[0], value)]
    return [(m.group(1), m.group(2).strip("\"'")) for m in re.finditer(r"(\w+)=(\"[^\"]*\"|'[^']*'|\S*)", argument)]


def _copy_sources(argument: str) -> list[str]:
    """COPY frontend/ ./ -> ['frontend/']; a copy from another stage or image reads no build context."""
    if argument.startswith("["):
        try:
            parts = [str(p) for p in json.loads(argument)]
        except (ValueError, RecursionError, TypeError):
            return []
    else:
        parts = argument.split()
    if any(p.startswith("--from") for p in parts):
        return []
    paths = [p for p in parts if not p.startswith("--")]
    return paths[:-1][:32]


def _command_text(argument: str) -> str:
    """CMD ["node", "server.js"] and CMD node server.js both become 'node server.js'."""
    if argument.startswith("["):
        try:
            parts = json.loads(argument)
        except (ValueError, RecursionError):
            return argument
        if isinstance(parts, list):
            return shlex.join(str(p) for p in parts)
    return argument


def _substitute(text: str, variables: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda m: variables.get(m.group(1)) or m.group(2) or m.group(0), text)
