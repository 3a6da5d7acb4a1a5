""".NET projects: one service per web or worker .csproj/.fsproj; ASP.NET Core."""

from __future__ import annotations

import re
from typing import Optional

from .evidence import SourceText, presence
from .manifest import json_object, text_value
from .models import Command, EntryPoint, Evidence, Framework, PackageManager, Port, ServiceRole
from .project import DeclaredDependency, DirContext, Project
from .versions import Version, language

PROJECT_SUFFIXES = (".csproj", ".fsproj", ".vbproj")
SOURCE_EXTENSIONS = (".cs", ".fs", ".vb")

_SDK = re.compile(r"<Project\s+Sdk=\"([\w.]+)\"")
_TARGET = re.compile(r"<TargetFrameworks?>\s*net(?:coreapp)?(\d+\.\d+)")
_ASSEMBLY = re.compile(r"<AssemblyName>\s*([\w.-]+)\s*</AssemblyName>")
_OUTPUT_EXE = re.compile(r"<OutputType>\s*Exe\s*</OutputType>", re.IGNORECASE)
_PACKAGE = re.compile(r"<PackageReference\s+Include=\"([\w.-]+)\"")


def detect(ctx: DirContext) -> list[Project]:
    projects = (_project(ctx, name) for name in ctx.names if name.endswith(PROJECT_SUFFIXES))
    return [project for project in projects if project is not None]


def _project(ctx: DirContext, filename: str) -> Optional[Project]:
    source = ctx.source(filename)
    if source is None:
        return None
    assembly = next(source.matches(_ASSEMBLY), None)
    name = assembly.group(1) if assembly else filename.rsplit(".", 1)[0]
    manifest = Evidence(file=source.path, detail=filename)
    project = Project(
        path=ctx.path, name=name, ecosystem="dotnet",
        language=language("dotnet", manifest, _target_framework(source), _global_json(ctx)),
        source_extensions=SOURCE_EXTENSIONS,
    )
    project.dependencies = [
        DeclaredDependency(m.group(1).lower(), source.evidence(f"package {m.group(1)}", m.start()))
        for m in source.matches(_PACKAGE)
    ]
    lock = ctx.rel("packages.lock.json") if ctx.has("packages.lock.json") else None
    evidence = [presence(source.path, "dotnet project")]
    project.package_manager = PackageManager(name="dotnet", lockfile=lock, evidence=evidence, confidence="high")
    project.install = Command(value=f"dotnet restore{' --locked-mode' if lock else ''}", evidence=evidence,
                              confidence="high")
    project.build = Command(value=f"dotnet publish {filename} -c Release -o out", evidence=evidence, confidence="high")
    project.start = Command(value=f"dotnet out/{name}.dll", evidence=evidence, confidence="high")
    for entry in ("Program.cs", "Program.fs"):
        if ctx.has(entry):
            project.entry_point = EntryPoint(file=ctx.rel(entry), evidence=[presence(ctx.rel(entry), "top-level program")],
                                             confidence="high")
            project.scan_first.append(ctx.rel(entry))
    sdk = next(source.matches(_SDK), None)
    sdk_name = sdk.group(1) if sdk else ""
    if sdk_name == "Microsoft.NET.Sdk.Web":
        evidence = [source.evidence("Sdk Microsoft.NET.Sdk.Web", sdk.start())]
        project.framework = Framework(name="ASP.NET Core", evidence=evidence, confidence="high")
        project.default_port = Port(value=8080, evidence=[Evidence(
            file=source.path, detail="ASP.NET Core containers listen on 8080 by default (.NET 8+)")], confidence="low")
    elif sdk_name == "Microsoft.NET.Sdk.Worker":
        evidence = [source.evidence("Sdk Microsoft.NET.Sdk.Worker", sdk.start())]
        project.framework = Framework(name=".NET Worker Service", evidence=evidence, confidence="high")
        project.role = ServiceRole(value="worker", evidence=evidence, confidence="high")
    elif "microsoft.net.test.sdk" in {d.name for d in project.dependencies} or not next(
            source.matches(_OUTPUT_EXE), None):
        project.deployable = False
        project.not_deployable_reason = ".NET library or test project"
    return project


def _target_framework(source: SourceText) -> Optional[Version]:
    match = next(source.matches(_TARGET), None)
    return (match.group(1), source.evidence(f"targets net{match.group(1)}", match.start())) if match else None


def _global_json(ctx: DirContext) -> Optional[Version]:
    path = ctx.find_up("global.json")
    source = ctx.reader.source(path) if path else None
    value = text_value(json_object(source), "sdk", "version")
    return (value, source.evidence(f"global.json sdk {value}", needle='"version"')) if value and source else None
