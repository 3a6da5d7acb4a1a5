"""Elixir projects: mix.exs; Phoenix."""

from __future__ import annotations

import re
from typing import Optional

from .evidence import SourceText, presence
from .models import Command, EntryPoint, Evidence, Framework, PackageManager, Port
from .project import DeclaredDependency, DirContext, Project
from .versions import Version, language, tool_version

MANIFESTS = ("mix.exs",)
SOURCE_EXTENSIONS = (".ex", ".exs")

_APP = re.compile(r"\bapp:\s*:(\w+)")
_ELIXIR = re.compile(r"\belixir:\s*\"([^\"]+)\"")
_DEP = re.compile(r"\{\s*:(\w+)\s*,")
_CONFIG_FILES = ("config/runtime.exs", "config/prod.exs", "config/config.exs")


def detect(ctx: DirContext) -> list[Project]:
    source = ctx.source("mix.exs")
    if source is None:
        return []
    app = next(source.matches(_APP), None)
    manifest = Evidence(file=source.path, detail="mix.exs")
    project = Project(
        path=ctx.path, name=app.group(1).replace("_", "-") if app else ctx.basename(), ecosystem="elixir",
        language=language("elixir", manifest, tool_version(ctx, "elixir"), _mix_elixir(source)),
        source_extensions=SOURCE_EXTENSIONS,
        scan_first=[ctx.rel(f) for f in _CONFIG_FILES if ctx.exists(f)],
    )
    project.dependencies = [
        DeclaredDependency(m.group(1), source.evidence(f"depends on {m.group(1)}", m.start()))
        for m in source.matches(_DEP)
    ]
    lock = ctx.rel("mix.lock") if ctx.has("mix.lock") else None
    evidence = [presence(lock or source.path, "mix")]
    project.package_manager = PackageManager(name="mix", lockfile=lock, evidence=evidence, confidence="high")
    project.install = Command(value="mix deps.get --only prod", evidence=evidence, confidence="high")
    assets = " && mix assets.deploy" if ctx.has_dir("assets") else ""
    project.build = Command(value=f"MIX_ENV=prod mix compile{assets}", evidence=evidence, confidence="medium")
    deps = {d.name: d.evidence for d in project.dependencies}
    if "phoenix" in deps:
        project.framework = Framework(name="Phoenix", evidence=[deps["phoenix"]], confidence="high")
        project.default_port = Port(value=4000, evidence=[Evidence(
            file=source.path, detail="Phoenix listens on 4000 by default")], confidence="low")
        project.start = Command(value="MIX_ENV=prod mix phx.server", evidence=[deps["phoenix"]], confidence="medium")
        application = f"lib/{app.group(1)}/application.ex" if app else ""
        if app and ctx.exists(application):
            project.entry_point = EntryPoint(file=ctx.rel(application), evidence=[presence(
                ctx.rel(application), "OTP application")], confidence="high")
    elif "plug_cowboy" in deps or "bandit" in deps:
        project.start = Command(value="MIX_ENV=prod mix run --no-halt", evidence=evidence, confidence="medium")
    else:
        project.deployable = False
        project.not_deployable_reason = "mix project with no Phoenix or Plug server"
    return [project]


def _mix_elixir(source: SourceText) -> Optional[Version]:
    match = next(source.matches(_ELIXIR), None)
    return (match.group(1), source.evidence(f"elixir {match.group(1)}", match.start())) if match else None
