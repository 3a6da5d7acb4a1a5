"""Make a fresh checkout safe to hand to the later stages, and measure it.

Git keeps symlinks (``core.symlinks``), and a repository can hold one to
``/etc/passwd`` or ``../../..``. Analysis and the build read files by path; a link
that resolves outside the checkout would let a repository make the operator read (or
upload to a server) files of the operator's own machine. Such links are deleted and
reported. Links that stay inside the checkout are kept: monorepos use them.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .models import RemovedSymlink


@dataclass
class TreeReport:
    files: int = 0
    bytes: int = 0
    removed: list[RemovedSymlink] = field(default_factory=list)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def escapes(root: Path, link: Path) -> bool:
    """True when symlink ``link`` (inside ``root``) resolves outside ``root``.

    Absolute targets always count as escaping: even one that names a place inside the
    checkout today stops doing so once the checkout is moved into place. Relative
    targets are checked twice: lexically (``../`` climbing out, whatever exists on
    disk) and as the kernel would resolve them, following other links on the way.
    """
    target = os.readlink(link)
    if os.path.isabs(target):
        return True
    rel_dir = posixpath.dirname(link.relative_to(root).as_posix())
    lexical = posixpath.normpath(posixpath.join(rel_dir, target))
    if lexical == ".." or lexical.startswith("../"):
        return True
    real_root = os.path.realpath(root)
    return not _inside(os.path.realpath(link), real_root)


def _entries(top: Path) -> Iterator[os.DirEntry[str]]:
    """Every entry under ``top`` without following symlinks, ``.git`` skipped: git
    refuses to check out such paths, so any ``.git`` here is git's own (the repository,
    or a submodule's gitdir file)."""
    stack = [top]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                if entry.name == ".git":
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                yield entry


def sanitize(root: Path) -> TreeReport:
    """Delete the symlinks under ``root`` that leave it; count what stays.

    One pass is enough: a link found to stay inside cannot start escaping when another
    link is removed (that only leaves it dangling)."""
    report = TreeReport()
    for entry in _entries(root):
        path = Path(entry.path)
        if entry.is_symlink():
            if escapes(root, path):
                report.removed.append(RemovedSymlink(path=path.relative_to(root).as_posix(), target=os.readlink(path)))
                os.unlink(path)
                continue
        elif entry.is_dir(follow_symlinks=False):
            continue
        report.files += 1
        report.bytes += entry.stat(follow_symlinks=False).st_size
    return report


def measure(top: Path) -> tuple[int, int]:
    """``(files, bytes)`` under ``top``; symlinks count as files of their own size."""
    files = size = 0
    for entry in _entries(top):
        if not entry.is_dir(follow_symlinks=False):
            files += 1
            size += entry.stat(follow_symlinks=False).st_size
    return files, size


def disk_usage(top: Path) -> int:
    """Bytes of regular files under ``top`` (the .git directory while a fetch writes it)."""
    total = 0
    stack = [str(top)]
    while stack:
        try:
            it = os.scandir(stack.pop())
        except FileNotFoundError:
            continue
        with it:
            for entry in it:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
                except FileNotFoundError:
                    continue  # git renames temporary packs while we look
    return total
