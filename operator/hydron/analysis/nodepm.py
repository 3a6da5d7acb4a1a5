"""Which JavaScript package manager a project uses, and the commands that respect its lockfile."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .evidence import SourceText, presence
from .models import Command, Evidence, PackageManager
from .project import DirContext

_LOCKFILES = (
    ("pnpm-lock.yaml", "pnpm"),
    ("bun.lock", "bun"),
    ("bun.lockb", "bun"),
    ("yarn.lock", "yarn"),
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
)
_FIELD = re.compile(r"^(npm|yarn|pnpm|bun)@(\d+)")
# how each manager runs a tool its install put in node_modules/.bin
EXEC = {"npm": "npx", "yarn": "yarn", "pnpm": "pnpm exec", "bun": "bunx"}


@dataclass(frozen=True)
class NodeTool:
    """The package manager plus how to spell its commands."""

    manager: PackageManager
    berry: bool

    @property
    def name(self) -> str:
        return self.manager.name

    def install(self) -> Command:
        locked = self.manager.lockfile is not None
        name = self.name
        if name == "npm":
            value = "npm ci" if locked else "npm install"
        elif name == "yarn":
            value = "yarn install --immutable" if self.berry else "yarn install --frozen-lockfile"
            value = value if locked else "yarn install"
        else:
            value = f"{name} install --frozen-lockfile" if locked else f"{name} install"
        return Command(value=value, evidence=self.manager.evidence, confidence="high")

    def run(self, script: str) -> str:
        return f"yarn {script}" if self.name == "yarn" else f"{self.name} run {script}"

    def exec(self, tool: str) -> str:
        return f"{EXEC[self.name]} {tool}"


def detect_tool(ctx: DirContext, package: Optional[SourceText], declared: Optional[str]) -> NodeTool:
    """packageManager field first, then the nearest lockfile (a workspace keeps it at its root)."""
    lock_path, lock_tool = _nearest_lockfile(ctx)
    evidence: list[Evidence] = []
    name = None
    major = None
    match = _FIELD.match(declared or "")
    if match and package is not None:
        name, major = match.group(1), int(match.group(2))
        evidence.append(package.evidence(f"packageManager is {declared}", needle='"packageManager"'))
    if lock_path and (name is None or name == lock_tool):
        name = lock_tool
        evidence.append(presence(lock_path, f"{lock_tool} lockfile"))
    else:
        lock_path = None
    if name is None:
        name = "npm"
        evidence.append(presence(ctx.rel("package.json"), "no lockfile; npm is the default"))
    berry = name == "yarn" and ((major or 1) >= 2 or ctx.find_up(".yarnrc.yml") is not None)
    confidence = "high" if lock_path or match else "medium"
    manager = PackageManager(name=name, lockfile=lock_path, evidence=evidence, confidence=confidence)
    return NodeTool(manager=manager, berry=berry)


def _nearest_lockfile(ctx: DirContext) -> tuple[Optional[str], Optional[str]]:
    best: tuple[Optional[str], Optional[str]] = (None, None)
    best_depth = -1
    for filename, tool in _LOCKFILES:
        path = ctx.find_up(filename)
        if path is not None:
            depth = path.count("/")
            if depth > best_depth:
                best, best_depth = (path, tool), depth
    return best
