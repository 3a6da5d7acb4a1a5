"""Which source files to scan for each project: its own directories, nearest-project-wins, bounded.

A file belongs to the deepest project directory above it, so an app at the root does
not scan the packages of a nested workspace. Tests are left out: they set variables
and start servers on ports the deployed service never uses.
"""

from __future__ import annotations

from typing import Iterable, Optional

from .project import Project
from .walk import Tree, join, parent

TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs", "e2e", "cypress", "playwright", "fixtures",
                       "__mocks__", "testdata"})
_NOT_SCANNED_DIRS = TEST_DIRS | {"examples", "docs"}
_TEST_MARKERS = (".test.", ".spec.", "_test.", "_spec.", ".stories.")


class Ownership:
    """Maps each directory to the nearest directory above it (or itself) that holds a project."""

    def __init__(self, tree: Tree, roots: Iterable[str]) -> None:
        self._roots = set(roots)
        self._owner: dict[str, Optional[str]] = {}
        self.directories: dict[str, list[str]] = {root: [] for root in self._roots}
        for directory in sorted(tree.files, key=lambda d: (d.count("/"), d)):  # parents before children
            owner = self.owner(directory)
            if owner is not None:
                self.directories[owner].append(directory)

    def owner(self, directory: str) -> Optional[str]:
        if directory not in self._owner:
            if directory in self._roots:
                self._owner[directory] = directory
            else:
                above = parent(directory)
                self._owner[directory] = (self._owner[above] if above in self._owner else self.owner(above)
                                          ) if directory else None
        return self._owner[directory]


def scan_list(tree: Tree, ownership: Ownership, project: Project, limit: int) -> list[str]:
    """scan_first, then the project's source files shallowest first, at most limit in all."""
    chosen = list(dict.fromkeys(f for f in project.scan_first if tree.has_file(f)))[:limit]
    seen = set(chosen)
    scopes = [project.source_root, project.path] if project.source_root else [project.path]
    for scope in scopes:
        for directory in ownership.directories.get(scope, []):
            if _is_test_dir(directory, project.path):
                continue
            for name in tree.names(directory):
                if len(chosen) >= limit:
                    return chosen
                if ((name.endswith(project.source_extensions) or _is_script(directory, name))
                        and not any(m in name for m in _TEST_MARKERS)):
                    path = join(directory, name)
                    if path not in seen:
                        seen.add(path)
                        chosen.append(path)
    return chosen


def _is_script(directory: str, name: str) -> bool:
    """An executable without an extension in bin/ or exe/ (Ruby gems start there); its #! line names its language."""
    return "." not in name and directory.rpartition("/")[2] in ("bin", "exe")


def in_test_dir(directory: str) -> bool:
    """Apps under tests/ or fixtures/ exercise the code; nobody deploys them."""
    return any(part in TEST_DIRS for part in directory.split("/")) if directory else False


def _is_test_dir(directory: str, project_path: str) -> bool:
    relative = directory[len(project_path) + 1:] if project_path else directory
    return any(part in _NOT_SCANNED_DIRS for part in relative.split("/")) if relative else False
