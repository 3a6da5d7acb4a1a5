"""The build context: the checkout at the pinned commit, as a tar stream.

Only the tree at that commit travels (`git archive`), never the history; a checkout
without .git (an unpacked tarball) is tarred as it is, .git excluded. A generated
Dockerfile (text, not a path) is added to the tar under its own name, so the
repository's own files are never overwritten.
"""

from __future__ import annotations

import io
import subprocess
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


def _git_archive(checkout: Path, commit: str, subdir: str) -> bytes:
    treeish = commit if subdir == "." else f"{commit}:{subdir}"
    result = subprocess.run(
        ["git", "-C", str(checkout), "archive", "--format=tar", "--", treeish],
        capture_output=True, check=False, timeout=300,
    )
    if result.returncode != 0:
        raise ContextError(f"git archive {treeish} failed: {result.stderr.decode(errors='replace').strip()[-300:]}")
    return result.stdout


def _tar_dir(root: Path) -> bytes:
    if not root.is_dir():
        raise ContextError(f"build context {root.name!r} is not a directory in the checkout")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if ".git" in rel.parts:
                continue
            tar.add(path, arcname=str(rel), recursive=False)
    return buffer.getvalue()


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


def build_context(checkout: Path, commit: str | None, context: str = ".", dockerfile: str | None = None) -> tuple[bytes, str]:
    """(tar bytes, dockerfile name inside it) for one service's build."""
    subdir = _safe_subdir(context)
    if commit and (checkout / ".git").exists():
        data = _git_archive(checkout, commit, subdir)
    else:
        data = _tar_dir(checkout / subdir)
    if is_dockerfile_text(dockerfile):
        return _append(data, GENERATED_DOCKERFILE, dockerfile or ""), GENERATED_DOCKERFILE
    return data, dockerfile or "Dockerfile"
