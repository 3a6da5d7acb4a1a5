"""What an ecosystem detector hands back about one directory, before services are assembled."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

from .evidence import SourceText
from .models import (
    Command,
    EntryPoint,
    Evidence,
    Framework,
    HealthCheck,
    Language,
    PackageManager,
    Port,
    ServiceRole,
)
from .reader import SourceReader
from .walk import Tree, join, parent


@dataclass(frozen=True)
class DeclaredDependency:
    """A package the manifest asks for, with the manifest line that asks."""

    name: str
    evidence: Evidence
    version: Optional[str] = None  # the constraint as declared (==2.8.6, ^1.24), when the manifest gives one


@dataclass
class Project:
    """One ecosystem's view of one directory: the raw material of a Service."""

    path: str
    name: str
    ecosystem: str
    language: Optional[Language]
    framework: Optional[Framework] = None
    package_manager: Optional[PackageManager] = None
    install: Optional[Command] = None
    build: Optional[Command] = None
    start: Optional[Command] = None
    runs: Optional[str] = None  # the command line behind start, e.g. the text of scripts.start
    alternatives: list[Command] = field(default_factory=list)  # other start-like scripts of the manifest
    start_uses_port: bool = False  # start contains "{port}", filled in once the port is known
    entry_point: Optional[EntryPoint] = None
    static_root: Optional[str] = None
    role: Optional[ServiceRole] = None
    default_port: Optional[Port] = None
    health: Optional[HealthCheck] = None
    dependencies: list[DeclaredDependency] = field(default_factory=list)
    implied_env: list[tuple[str, Evidence]] = field(default_factory=list)  # the framework needs these in production
    source_extensions: tuple[str, ...] = ()
    source_root: Optional[str] = None  # narrower than path when several services share a module (Go cmd/*)
    scan_first: list[str] = field(default_factory=list)
    builds: list[tuple[str, Evidence]] = field(default_factory=list)  # other folders its build scripts build
    writes_outside: Optional[tuple[str, Evidence]] = None  # its build output goes to ../elsewhere
    deployable: bool = True
    not_deployable_reason: str = ""


@dataclass
class DirContext:
    """A directory as a detector sees it: its file names, and safe reads of its files."""

    tree: Tree
    reader: SourceReader
    path: str

    @property
    def names(self) -> list[str]:
        return self.tree.names(self.path)

    def has(self, name: str) -> bool:
        return self.tree.has(self.path, name)

    def has_dir(self, sub: str) -> bool:
        return join(self.path, sub) in self.tree.files

    def rel(self, name: str) -> str:
        return join(self.path, name)

    def local(self, rel: str) -> str:
        """A root-relative path made relative to this directory."""
        return rel[len(self.path) + 1 :] if self.path else rel

    def exists(self, relative: str) -> bool:
        """Whether a file at a path relative to this directory was seen by the walk."""
        return self.tree.has_file(self.rel(relative))

    def source(self, name: str) -> Optional[SourceText]:
        return self.reader.source(self.rel(name)) if self.exists(name) else None

    def find_up(self, name: str) -> Optional[str]:
        """Path of the nearest file called name in this directory or an ancestor, within the root."""
        directory = self.path
        while True:
            if self.tree.has(directory, name):
                return join(directory, name)
            if not directory:
                return None
            directory = parent(directory)

    def basename(self) -> str:
        """The directory's own name; for the root, the checkout's folder name."""
        return self.path.rpartition("/")[2] or self.tree.name or os.path.basename(self.tree.root)
