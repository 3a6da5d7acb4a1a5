"""The start commands a repository offers for one service, and the files a start command may run.

The planner starts a service with the analysed start command. The LLM step may choose
another only among these candidates, or write one that runs nothing but files listed here,
so both are facts of the analysis: what the repository itself states or conventionally runs.
"""

from __future__ import annotations

from typing import Optional

from .drafts import Draft
from .models import Command, Evidence
from .walk import Tree, join

RUNNABLE_EXTENSIONS = (".js", ".mjs", ".cjs", ".ts", ".py", ".rb", ".ru", ".php", ".sh", ".exs", ".ex")
_SKIPPED_DIRS = frozenset({"test", "tests", "spec", "__tests__", "e2e", "docs", "examples", "fixtures"})
_SCRIPTS = ("start.sh", "run.sh", "server.sh", "boot.sh", "bin/start", "bin/server", "bin/web", "bin/www")
_NODE_FILES = (".js", ".mjs", ".cjs")


def candidates(draft: Draft, start: Optional[Command], stated: list[tuple[str, Evidence]], tree: Tree,
               limit: int) -> list[Command]:
    """The chosen start command first, then what the repository states for this service (compose,
    Procfile, Dockerfile, start-like scripts), then the conventional ways to run its files."""
    if draft.image:
        return []
    found: list[Command] = [start.model_copy(deep=True)] if start else []
    found += [Command(value=text, evidence=[evidence], confidence="high") for text, evidence in stated]
    project = draft.project
    if project is not None:
        found += project.alternatives
        entry = project.entry_point
        if project.ecosystem == "node" and entry and entry.file.endswith(_NODE_FILES):
            runner = "bun" if project.package_manager and project.package_manager.name == "bun" else "node"
            found.append(Command(value=f"{runner} {_local(draft.path, entry.file)}", evidence=entry.evidence,
                                 confidence="medium"))
    for script in _SCRIPTS:
        if tree.has_file(join(draft.path, script)):
            runner = "node" if script == "bin/www" else "sh"
            found.append(Command(value=f"{runner} {script}", evidence=[Evidence(
                file=join(draft.path, script), detail="start script in the repository")], confidence="low"))
    unique: dict[str, Command] = {}
    for command in found:
        unique.setdefault(command.value, command)
    return list(unique.values())[:limit]


def runnable_files(draft: Draft, tree: Tree, limit: int) -> list[str]:
    """Source files and scripts of the service, nearest its directory first, relative to it;
    none for a service that runs a prebuilt image."""
    if draft.image:
        return []
    path = draft.path
    prefix = f"{path}/" if path else ""
    directories = sorted((d for d in tree.files if d == path or d.startswith(prefix)),
                         key=lambda d: (d.count("/"), d))
    found: list[str] = []
    for directory in directories:
        local = directory[len(prefix):] if prefix else directory
        if _SKIPPED_DIRS & set(local.split("/")):
            continue
        for name in tree.names(directory):
            if name.endswith(RUNNABLE_EXTENSIONS) or local in ("bin", "scripts"):
                found.append(join(local, name))
                if len(found) >= limit:
                    return found
    return found


def _local(path: str, rel: str) -> str:
    return rel[len(path) + 1:] if path and rel.startswith(path + "/") else rel
