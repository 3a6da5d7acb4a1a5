"""A built image holds what the plan runs, checked before anything is rolled out.

- the start command's program (the service's command, else the image's ENTRYPOINT
  and CMD; for `sh -c SCRIPT`, the script's first program too) is a file in the image,
  found the way the kernel and the shell would (an absolute path, the working
  directory, or the image's PATH) and executable;
- the port the plan says it EXPOSEs, and a non-root USER, where the plan says so
  (BuildSpec.expect: Hydron's generated Dockerfiles).

The image is never run: a container is created (not started) and the engine is asked
for each candidate path's metadata (HEAD /containers/ID/archive). That works for
images without a shell or any tools (distroless, scratch) and costs no file transfer.
A failure raises ImageCheckFailed naming what is missing.
"""

from __future__ import annotations

import asyncio
import base64
import json
import posixpath
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import docker
import docker.errors

from hydron.api.deployment import ImageExpectations
from hydron.build.image import BuildFailed

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SHELLS = {"sh", "bash", "ash", "dash", "/bin/sh", "/bin/bash", "/bin/ash", "/bin/dash", "/usr/bin/bash"}
BUILTINS = {"cd", "exec", "export", "set", "if", "[", "test", "echo", ":", "true", ".", "source", "umask", "ulimit",
            "trap", "eval", "while", "for", "case", "{", "(", "!"}
MODE_DIR, MODE_SYMLINK = 1 << 31, 1 << 27
MAX_LINKS = 8
_SEEN: dict[tuple, list[str]] = {}
"""(image ID, command, expectations) → what was found: an image never changes, so each
is checked once per operator process, not at every resync."""
_SEEN_MAX = 512


class ImageCheckFailed(BuildFailed):
    """The built image lacks what the plan runs; nothing was rolled out."""

    reason = "ImageCheckFailed"


@dataclass(frozen=True)
class Stat:
    mode: int
    link_target: str = ""


Lookup = Callable[[str], Stat | None]
"""lookup(path) -> the path's metadata in the image, or None when it is not there."""


# --- pure ---------------------------------------------------------------------------


def programs(command: Sequence[str]) -> list[str]:
    """The programs a command line starts: argv[0], and a shell script's first word."""
    if not command:
        return []
    found = [command[0]]
    if command[0] in SHELLS and len(command) >= 3 and command[1] in ("-c", "-lc", "-ec"):
        try:
            words = shlex.split(command[2])
        except ValueError:
            words = []
        while words and ("=" in words[0] and not words[0].startswith("=") or words[0] == "exec"):
            words = words[1:]  # VAR=value prefixes, exec
        if words and words[0] not in BUILTINS and not any(c in words[0] for c in "$`;&|<>(){}"):
            found.append(words[0])
    return found


def candidates(program: str, path_env: str | None, workdir: str | None) -> list[str]:
    """Where `program` may be: itself when absolute, under the working directory when
    relative with a slash, else each PATH directory."""
    if program.startswith("/"):
        return [posixpath.normpath(program)]
    if "/" in program:
        return [posixpath.normpath(posixpath.join(workdir or "/", program))]
    return [posixpath.join(d or ".", program) for d in (path_env or DEFAULT_PATH).split(":") if d.startswith("/")]


def find_program(program: str, path_env: str | None, workdir: str | None, lookup: Lookup) -> str | None:
    """None when the program is there and executable, else what is wrong."""
    places = candidates(program, path_env, workdir)
    for place in places:
        stat = _follow(place, lookup)
        if stat is None:
            continue
        if stat.mode & MODE_DIR:
            return f"{place} is a directory, not a program"
        if not stat.mode & 0o111:
            return f"{place} is not executable"
        return None
    where = places[0] if len(places) == 1 else f"PATH {':'.join(posixpath.dirname(p) for p in places)}"
    return f"{program} is not in the image (looked in {where})"


def _follow(path: str, lookup: Lookup) -> Stat | None:
    for _ in range(MAX_LINKS):
        stat = lookup(path)
        if stat is None or not stat.mode & MODE_SYMLINK or not stat.link_target:
            return stat
        path = posixpath.normpath(posixpath.join(posixpath.dirname(path), stat.link_target))
    return None


def is_root(user: str | None) -> bool:
    name = (user or "").split(":", 1)[0].strip()
    return name in ("", "root", "0")


def problems(config: dict, command: Sequence[str], expect: ImageExpectations | None, lookup: Lookup) -> list[str]:
    """What the image (its inspect Config) lacks for the plan; empty when nothing."""
    found: list[str] = []
    run = list(command) or [*(config.get("Entrypoint") or []), *(config.get("Cmd") or [])]
    env = dict(e.split("=", 1) for e in config.get("Env") or [] if "=" in e)
    if not run:
        found.append("it has no command to start (no CMD or ENTRYPOINT, and the plan sets none)")
    for program in programs(run):
        missing = find_program(program, env.get("PATH"), config.get("WorkingDir"), lookup)
        if missing:
            found.append(f"its start command `{shlex.join(run)[:120]}` cannot run: {missing}")
            break
    if expect is not None and expect.port is not None:
        exposed = sorted((config.get("ExposedPorts") or {}).keys())
        if f"{expect.port}/tcp" not in exposed:
            found.append(f"it does not EXPOSE port {expect.port} the plan routes to (exposes: {', '.join(exposed) or 'none'})")
    if expect is not None and expect.non_root and is_root(config.get("User")):
        found.append(f"it runs as root (USER {config.get('User') or 'unset'}), and the plan runs it as a non-root user")
    return found


def decode_stat(header: str | None) -> Stat | None:
    """The engine's X-Docker-Container-Path-Stat header."""
    if not header:
        return None
    data = json.loads(base64.b64decode(header))
    return Stat(int(data.get("mode") or 0), str(data.get("linkTarget") or ""))


# --- I/O ----------------------------------------------------------------------------


def _check(client: docker.DockerClient, tag: str, command: Sequence[str], expect: ImageExpectations | None) -> list[str]:
    api = client.api
    config = api.inspect_image(tag).get("Config") or {}
    container = api.create_container(tag, command=["hydron-image-check"], network_disabled=True,
                                     labels={"dev.hydron.check": "1"})["Id"]
    try:
        def lookup(path: str) -> Stat | None:
            answer = api.head(api._url("/containers/{0}/archive", container), params={"path": path})  # noqa: SLF001
            if answer.status_code == 404:
                return None
            answer.raise_for_status()
            return decode_stat(answer.headers.get("X-Docker-Container-Path-Stat"))

        return problems(config, command, expect, lookup)
    finally:
        api.remove_container(container, force=True)


async def verify_image(client: docker.DockerClient, tag: str, command: Sequence[str],
                       expect: ImageExpectations | None, image_id: str = "") -> None:
    """Raise ImageCheckFailed naming what `tag` lacks for the plan."""
    key = (image_id, tuple(command), expect.model_dump_json() if expect else "") if image_id else None
    found = _SEEN.get(key) if key else None
    if found is None:
        try:
            found = await asyncio.to_thread(_check, client, tag, command, expect)
        except docker.errors.APIError as error:
            raise BuildFailed(f"image {tag} could not be checked: {error.explanation or error}") from None
        if key:
            if len(_SEEN) >= _SEEN_MAX:
                _SEEN.pop(next(iter(_SEEN)))
            _SEEN[key] = found
    if found:
        raise ImageCheckFailed(f"Image {tag} was built, but {'; '.join(found)}. Nothing was rolled out: fix the "
                               "Dockerfile (or the service's start command) and push.")
