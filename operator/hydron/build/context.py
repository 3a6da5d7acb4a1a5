"""The build context: one service's folder of the source archive, as a tar stream.

The Application stage hands over the pinned commit as an archive (the tree only,
never the history; see hydron.source.artifacts); a service builds from its folder of
it. A generated Dockerfile (text, not a path) is added under its own name, so the
repository's own files are never overwritten.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path, PurePosixPath

GENERATED_DOCKERFILE = "Dockerfile.hydron"


class ContextError(Exception):
    """The context cannot be made (bad path, unknown commit): a spec problem."""


def is_dockerfile_text(dockerfile: str | None) -> bool:
    """Text (has a newline or starts with FROM/ARG/#) rather than a path."""
    if not dockerfile:
        return False
    head = dockerfile.lstrip().split(None, 1)[0].upper() if dockerfile.strip() else ""
    return "\n" in dockerfile or head in ("FROM", "ARG", "#", "#SYNTAX=DOCKER/DOCKERFILE:1")


def _safe_subdir(context: str) -> str:
    path = PurePosixPath(context or ".")
    if path.is_absolute() or ".." in path.parts:
        raise ContextError(f"build context {context!r} must be a path inside the repository")
    return str(path)


def _subtree(archive: bytes, subdir: str) -> bytes:
    """The members of `archive` under `subdir`, re-rooted there."""
    if subdir in (".", ""):
        return archive
    prefix = subdir.rstrip("/") + "/"
    source = tarfile.open(fileobj=io.BytesIO(archive), mode="r")
    out = io.BytesIO()
    found = False
    with tarfile.open(fileobj=out, mode="w") as tar:
        for member in source.getmembers():
            name = member.name.removeprefix("./")
            if not name.startswith(prefix):
                found = found or name == subdir.rstrip("/")
                continue
            found = True
            member.name = name[len(prefix):]
            if member.name:
                tar.addfile(member, source.extractfile(member) if member.isfile() else None)
    if not found:
        raise ContextError(f"build context {subdir!r} is not a directory in the source")
    return out.getvalue()


def _append(tar_bytes: bytes, name: str, text: str) -> bytes:
    source = tarfile.open(fileobj=io.BytesIO(tar_bytes), mode="r")
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for member in source.getmembers():
            if member.name.lstrip("./") == name:
                continue
            tar.addfile(member, source.extractfile(member) if member.isfile() else None)
        data = text.encode()
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def context_from_archive(archive: Path, context: str = ".", dockerfile: str | None = None,
                         origin: str | None = None) -> tuple[bytes, str]:
    """(tar bytes, dockerfile name inside it) for one service's build. `origin` is the
    plan's word for what `dockerfile` is (Generated text, a Repository path); only a
    hand-written spec without it is told apart by content."""
    subdir = _safe_subdir(context)
    try:
        data = archive.read_bytes()
    except OSError as error:
        raise ContextError(f"the source archive {archive.name} cannot be read: {error.strerror}") from None
    data = _subtree(data, subdir)
    generated = origin == "Generated" if origin is not None else is_dockerfile_text(dockerfile)
    if generated:
        return _append(data, GENERATED_DOCKERFILE, dockerfile or ""), GENERATED_DOCKERFILE
    return data, dockerfile or "Dockerfile"


def dockerfile_text(archive: Path, context: str = ".", dockerfile: str | None = None, origin: str | None = None) -> str:
    """The Dockerfile one service's build will use, as text, read from the source archive
    (the pinned commit), so its base images can be fetched before the build."""
    generated = origin == "Generated" if origin is not None else is_dockerfile_text(dockerfile)
    if generated:
        return dockerfile or ""
    path = str(PurePosixPath(_safe_subdir(context)) / _safe_subdir(dockerfile or "Dockerfile"))
    try:
        with tarfile.open(archive, mode="r") as tar:
            member = next((m for m in tar.getmembers() if m.name.removeprefix("./") == path and m.isfile()), None)
            if member is None:
                raise ContextError(f"no {path} in the source")
            return tar.extractfile(member).read().decode(errors="replace")  # type: ignore[union-attr]
    except (OSError, tarfile.TarError) as error:
        raise ContextError(f"the source archive {archive.name} cannot be read: {error}") from None


safe_subdir = _safe_subdir
"""A service's context folder, checked to stay inside the repository (builds on the server use it too)."""
