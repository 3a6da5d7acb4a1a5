"""One bounded pass over the checkout that lists file names without opening any file.

Symlinks are never followed, generated and vendored directories are pruned before
they are entered, and the walk stops at the depth, file and directory limits. Detectors
work from the names this produces and open only the few files whose names matter.
"""

from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field

from .limits import Limits
from .skiplog import SkipLog

IGNORED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "bower_components", "vendor", "venv", ".venv",
        "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "target",
        "dist", ".next", ".nuxt", ".output", ".svelte-kit", ".turbo", ".cache", ".parcel-cache",
        ".gradle", ".idea", ".vscode", ".terraform", "coverage", ".nyc_output", "_build", "deps",
        ".bundle", ".yarn", ".pnpm-store", "obj", ".dart_tool", "Pods",
    }
)

@dataclass
class Tree:
    """File names per directory; directory keys are relative POSIX paths, '' for the root."""

    root: str
    files: dict[str, list[str]] = field(default_factory=dict)
    file_count: int = 0
    truncated: bool = False
    name: str = ""  # what to call the root folder's service: the repository's name, never a scratch folder's

    def names(self, directory: str) -> list[str]:
        return self.files.get(directory, [])

    def has(self, directory: str, name: str) -> bool:
        return name in self.files.get(directory, ())

    def has_file(self, rel: str) -> bool:
        directory, _, name = rel.rpartition("/")
        return self.has(directory, name)


def join(directory: str, name: str) -> str:
    """Relative path of name inside directory, with '' meaning the root."""
    return f"{directory}/{name}" if directory else name


def parent(directory: str) -> str:
    return directory.rpartition("/")[0]


def walk(root: str, limits: Limits, skips: SkipLog) -> Tree:
    """Breadth-first, so the manifests near the root survive when a limit cuts the walk short."""
    real_root = os.path.realpath(root)
    tree = Tree(root=real_root)
    queue: deque[tuple[str, str, int]] = deque([("", real_root, 0)])
    visited = 0
    while queue:
        rel, absolute, depth = queue.popleft()
        visited += 1
        if visited > limits.max_directories:  # many empty folders cost time without adding files
            skips.add(rel or ".", "directory-limit")
            tree.truncated = True
            break
        names, subdirs = _scan(rel, absolute, depth, real_root, limits, skips)
        room = limits.max_files - tree.file_count
        if len(names) > room:
            names = names[:room]
            skips.add(rel or ".", "file-limit")
            tree.truncated = True
        tree.files[rel] = names
        tree.file_count += len(names)
        if tree.truncated:
            break
        prefix = f"{rel}/" if rel else ""
        queue.extend((prefix + name, f"{absolute}/{name}", depth + 1) for name in subdirs)
    return tree


def _scan(
    rel: str, absolute: str, depth: int, real_root: str, limits: Limits, skips: SkipLog
) -> tuple[list[str], list[str]]:
    """File names and subdirectories to enter. Most directories hold only files, so those are
    taken in one comprehension and only the rest is looked at one by one."""
    try:
        with os.scandir(absolute) as iterator:
            entries = list(iterator)
    except OSError:
        skips.add(rel or ".", "unreadable")
        return [], []
    names = sorted(e.name for e in entries if e.is_file(follow_symlinks=False))
    subdirs: list[str] = []
    if len(names) < len(entries):
        for entry in entries:
            name = entry.name
            if entry.is_file(follow_symlinks=False):
                continue
            if entry.is_dir(follow_symlinks=False):
                if name in IGNORED_DIRS:
                    skips.add(join(rel, name), "ignored-directory")
                elif depth + 1 > limits.max_depth:
                    skips.add(join(rel, name), "too-deep")
                else:
                    subdirs.append(name)
            elif entry.is_symlink():
                skips.add(join(rel, name), _symlink_reason(entry.path, real_root))
            else:
                skips.add(join(rel, name), "special-file")
        subdirs.sort()
    return names, subdirs


def _symlink_reason(path: str, real_root: str) -> str:
    """Resolve the name only (nothing is opened) to tell a harmless link from an escape."""
    target = os.path.realpath(path)
    inside = target == real_root or target.startswith(real_root + os.sep)
    return "symlink" if inside else "symlink-outside-root"
