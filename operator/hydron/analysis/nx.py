"""Nx applications: a project.json inside an Nx workspace, often without its own package.json."""

from __future__ import annotations

import posixpath
import re
from typing import Optional

from .manifest import json_object, table, text_value
from .models import Command, EntryPoint, Evidence, Framework, Port, ServiceRole
from .nodepm import detect_tool
from .project import DirContext, Project
from .versions import language, tool_version, version_file

MANIFESTS = ("project.json",)
SOURCE_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs")

# build executor fragment -> (framework, static)
_EXECUTORS = (("next", "Next.js", False), ("vite", "Vite", True), ("angular", "Angular", True), ("react", "React", True),
              ("webpack", None, False), ("esbuild", None, False), ("js:tsc", None, False))
_IMPORTS = (("@nestjs/core", "NestJS"), ("express", "Express"), ("fastify", "Fastify"), ("koa", "Koa"))


def detect(ctx: DirContext) -> list[Project]:
    nx_json = ctx.find_up("nx.json")
    source = ctx.source("project.json")
    if nx_json is None or source is None:
        return []
    config = json_object(source)
    name = text_value(config, "name") or ctx.basename()
    manifest = Evidence(file=source.path, detail=f"Nx project {name}")
    tool = detect_tool(ctx, None, None)
    project = Project(
        path=ctx.path, name=name, ecosystem="node",
        language=language("node", manifest, version_file(ctx, ".nvmrc"), version_file(ctx, ".node-version"),
                          tool_version(ctx, "nodejs", "node")),
        package_manager=tool.manager,
        install=tool.install(),
        source_extensions=SOURCE_EXTENSIONS,
    )
    if text_value(config, "projectType") != "application":
        project.deployable = False
        project.not_deployable_reason = "Nx library"
        return [project]
    to_workspace = posixpath.relpath(posixpath.dirname(nx_json) or ".", ctx.path or ".")
    build = table(config, "targets", "build")
    executor = text_value(build, "executor") or ""
    output = text_value(build, "options", "outputPath") or _declared_output(build, ctx.path) or f"dist/{ctx.path}"
    evidence = [source.evidence(f"build executor {executor}", needle='"executor"')]
    framework, static = next(((f, s) for fragment, f, s in _EXECUTORS if fragment in executor), (None, False))
    inferred = None if executor else _inferred_build(ctx)
    if inferred:  # Nx plugins infer the build target from the tool's own config file (nx-examples' cart)
        framework, static, config_file = inferred
        evidence = [Evidence(file=posixpath.join(ctx.path, config_file) if ctx.path else config_file,
                             detail=f"Nx infers the build target from {config_file}")]
    project.build = Command(value=f"{tool.exec('nx')} build {name}", evidence=evidence, confidence="high")
    main = text_value(build, "options", "main")
    if main and ctx.tree.has_file(main):
        project.entry_point = EntryPoint(file=main, evidence=evidence, confidence="high")
        project.scan_first.append(main)
        framework = framework or _framework_from_imports(ctx, main)
    if framework:
        project.framework = Framework(name=framework, evidence=evidence, confidence="high")
    if static:
        project.static_root = output
        project.role = ServiceRole(value="static", evidence=evidence, confidence="high")
    elif framework == "Next.js":
        project.start = Command(value=f"{tool.exec('next')} start {posixpath.join(to_workspace, output)}",
                                evidence=evidence, confidence="medium")
        project.default_port = _default_port(source.path, framework)
    else:
        project.start = Command(value=f"node {posixpath.join(to_workspace, output, 'main.js')}", evidence=evidence,
                                confidence="medium")
        project.default_port = _default_port(source.path, framework) if framework else None
    return [project]


# config file prefix -> (framework, static); a bundler whose output targets node builds a server
_INFERRED = (("rsbuild.config", "Rsbuild", True), ("vite.config", "Vite", True), ("next.config", "Next.js", False))
_NODE_TARGET = re.compile(r"\btarget\s*:\s*['\"]node['\"]")


def _inferred_build(ctx: DirContext) -> Optional[tuple[str, bool, str]]:
    for prefix, framework, static in _INFERRED:
        for name in ctx.tree.names(ctx.path):
            if name.startswith(prefix + ".") and name.endswith((".ts", ".js", ".mjs", ".mts", ".cjs")):
                config = ctx.source(name)
                return framework, static and not (config and _NODE_TARGET.search(config.text)), name
    return None


def _declared_output(build: dict, project_root: str) -> Optional[str]:
    """targets.build.outputs[0], e.g. {workspaceRoot}/dist/apps/cart, as a path from the workspace root."""
    outputs = build.get("outputs") if isinstance(build, dict) else None
    first = outputs[0] if isinstance(outputs, list) and outputs and isinstance(outputs[0], str) else None
    if not first or "{options." in first:
        return None
    return first.replace("{workspaceRoot}/", "").replace("{projectRoot}", project_root or ".")


def _framework_from_imports(ctx: DirContext, main: str) -> Optional[str]:
    source = ctx.reader.source(main)
    for module, framework in _IMPORTS:
        if source and re.search(rf"from\s+['\"]{re.escape(module)}['\"]|require\(['\"]{re.escape(module)}['\"]\)",
                                source.text):
            return framework
    return None


def _default_port(path: str, framework: str) -> Port:
    return Port(value=3000, evidence=[Evidence(file=path, detail=f"{framework} listens on 3000 by default")],
                confidence="low")
