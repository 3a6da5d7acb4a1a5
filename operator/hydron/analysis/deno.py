"""Deno projects: deno.json(c), its tasks and imports; Fresh, Hono and Oak; Deno.serve's default port."""

from __future__ import annotations

import json
import re
from typing import Any, Optional

from .models import Command, EntryPoint, Evidence, Framework, Language, Port
from .project import DirContext, Project
from .node import SOURCE_EXTENSIONS

MANIFESTS = ("deno.json", "deno.jsonc")

# import specifier prefix -> framework; Deno.serve and Fresh listen on 8000 unless told otherwise
_FRAMEWORKS = (("$fresh/", "Fresh"), ("@fresh/core", "Fresh"), ("jsr:@fresh/", "Fresh"), ("hono", "Hono"),
               ("jsr:@hono/", "Hono"), ("@oak/oak", "Oak"), ("oak", "Oak"))
_DEFAULT_PORT = 8000
_ENTRIES = ("main.ts", "main.tsx", "server.ts", "src/main.ts", "src/server.ts", "mod.ts", "index.ts")
_DEV_TASK = re.compile(r"--watch\b|\bdev\.ts\b")


def detect(ctx: DirContext) -> list[Project]:
    if ctx.has("package.json"):
        return []  # the package.json detector reads it, with Deno as the runtime
    name = next(n for n in MANIFESTS if ctx.has(n))
    source = ctx.source(name)
    if source is None:
        return []
    config = _jsonc(source.text)
    manifest = Evidence(file=source.path, detail=name)
    project = Project(
        path=ctx.path, name=_text(config.get("name")) or ctx.basename(), ecosystem="deno",
        language=Language(name="deno", runtime="deno", evidence=[manifest], confidence="high"),
        source_extensions=SOURCE_EXTENSIONS,
    )
    if "workspace" in config:
        project.deployable = False
        project.not_deployable_reason = "Deno workspace root: its members are the services"
        return [project]
    imports = config.get("imports") if isinstance(config.get("imports"), dict) else {}
    import_map = _text(config.get("importMap"))
    if not imports and import_map and ctx.exists(import_map.removeprefix("./")):
        mapped = ctx.source(import_map.removeprefix("./"))  # Fresh 1.x keeps its imports in import_map.json
        imports = _jsonc(mapped.text).get("imports", {}) if mapped else {}
        imports = imports if isinstance(imports, dict) else {}
    specifiers = [str(k) for k in imports] + [str(v) for v in imports.values()]
    framework = next(((prefix, label) for prefix, label in _FRAMEWORKS
                      if any(s == prefix or s.startswith(prefix) for s in specifiers)), None)
    if framework:
        evidence = [source.evidence(f"imports {framework[0]}", needle=framework[0])]
        project.framework = Framework(name=framework[1], evidence=evidence, confidence="high")
        project.default_port = Port(value=_DEFAULT_PORT, evidence=[Evidence(
            file=source.path, detail=f"{framework[1]} on Deno listens on {_DEFAULT_PORT} by default")], confidence="low")
    tasks = config.get("tasks") if isinstance(config.get("tasks"), dict) else {}
    if isinstance(tasks.get("build"), str):
        project.build = Command(value="deno task build", confidence="high",
                                evidence=[source.evidence(f"tasks.build: {tasks['build']}", needle='"build"')])
    entry = next((e for e in _ENTRIES if ctx.exists(e)), None)
    start = _text(tasks.get("start"))
    if start and not _DEV_TASK.search(start):
        project.start = Command(value="deno task start", confidence="high",
                                evidence=[source.evidence(f"tasks.start: {start}", needle='"start"')])
    elif entry:
        project.start = Command(value=f"deno run -A {entry}", confidence="medium",
                                evidence=[Evidence(file=ctx.rel(entry), detail="Deno entry module")])
    if entry:
        project.entry_point = EntryPoint(file=ctx.rel(entry), evidence=[Evidence(file=ctx.rel(entry),
                                         detail="Deno entry module")], confidence="medium")
    if project.start is None and not framework:
        project.deployable = False
        project.not_deployable_reason = "deno.json with no start task, entry module or server framework"
    return [project]


def _jsonc(text: str) -> dict[str, Any]:
    """deno.jsonc allows comments and trailing commas."""
    stripped = re.sub(r"(?m)^\s*//.*$|/\*.*?\*/", "", text, flags=re.S)
    stripped = re.sub(r",(\s*[}\]])", r"\1", stripped)
    try:
        value = json.loads(stripped)
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None
