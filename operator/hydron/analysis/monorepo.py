"""Names how a repository holds several projects: workspaces, build orchestrators, compose, Procfile."""

from __future__ import annotations

from typing import Optional

from .discover import Findings
from .manifest import json_object, toml_document
from .models import Evidence, Monorepo, MonorepoTool, Service
from .reader import SourceReader
from .walk import Tree

_ROOT_MARKERS: tuple[tuple[str, MonorepoTool], ...] = (
    ("pnpm-workspace.yaml", "pnpm-workspaces"),
    ("turbo.json", "turborepo"),
    ("nx.json", "nx"),
    ("lerna.json", "lerna"),
    ("go.work", "go-workspace"),
)


def detect(tree: Tree, reader: SourceReader, found: Findings, services: list[Service]) -> Optional[Monorepo]:
    tools: list[MonorepoTool] = []
    evidence: list[Evidence] = []

    def mark(tool: MonorepoTool, file: str, detail: str) -> None:
        if tool not in tools:
            tools.append(tool)
            evidence.append(Evidence(file=file, detail=detail))

    if "workspaces" in json_object(reader.source("package.json") if tree.has("", "package.json") else None):
        mark(_workspace_tool(tree), "package.json", "package.json workspaces")
    for marker, tool in _ROOT_MARKERS:
        if tree.has("", marker):
            mark(tool, marker, marker)
    if "workspace" in toml_document(reader.source("Cargo.toml") if tree.has("", "Cargo.toml") else None):
        mark("cargo-workspace", "Cargo.toml", "[workspace]")
    if found.solution_files and sum(1 for s in services if s.language and s.language.name == "dotnet") > 1:
        mark("dotnet-solution", found.solution_files[0], "solution with several projects")
    composed = [c for c in found.compose_services if any(s.compose_service == c.name for s in services)]
    if len(composed) > 1:
        mark("compose", composed[0].file, f"compose runs {len(composed)} services")
    for directory, processes in sorted(found.procfiles.items()):
        if len(processes) > 1:
            mark("procfile", f"{directory}/Procfile" if directory else "Procfile", f"{len(processes)} process types")
    paths = sorted({s.path for s in services})
    if not tools and len(paths) > 1:
        tools.append("multi")
        evidence += [Evidence(file=path, detail="a project of its own") for path in paths[:3]]
    return Monorepo(tools=tools, evidence=evidence) if tools else None


def _workspace_tool(tree: Tree) -> MonorepoTool:
    if tree.has("", "yarn.lock"):
        return "yarn-workspaces"
    if tree.has("", "bun.lock") or tree.has("", "bun.lockb"):
        return "bun-workspaces"
    return "npm-workspaces"
