"""Rust projects: Cargo.toml with a binary; Actix Web, Axum, Rocket, Warp."""

from __future__ import annotations

import posixpath
import re
from typing import Optional

from .evidence import SourceText, presence
from .manifest import table, text_value, toml_document
from .models import Command, EntryPoint, Evidence, Framework, PackageManager, Port
from .project import DeclaredDependency, DirContext, Project
from .versions import Version, language, tool_version
from .walk import join

MANIFESTS = ("Cargo.toml",)
SOURCE_EXTENSIONS = (".rs",)

_FRAMEWORKS = (("actix-web", "Actix Web", None), ("axum", "Axum", None), ("rocket", "Rocket", 8000),
               ("warp", "Warp", None), ("poem", "Poem", None))
_CHANNEL = re.compile(r"channel\s*=\s*\"([\w.-]+)\"")


def detect(ctx: DirContext) -> list[Project]:
    source = ctx.source("Cargo.toml")
    if source is None:
        return []
    cargo = toml_document(source)
    manifest = Evidence(file=source.path, detail="Cargo.toml")
    name = text_value(cargo, "package", "name") or ctx.basename()
    project = Project(
        path=ctx.path, name=name, ecosystem="rust",
        language=language("rust", manifest, _toolchain(ctx), tool_version(ctx, "rust"), _rust_version(source, cargo)),
        source_extensions=SOURCE_EXTENSIONS,
    )
    shared = _workspace_dependencies(ctx)
    for crate, spec in table(cargo, "dependencies").items():
        evidence = source.evidence(f"depends on {crate}", needle=crate)
        project.dependencies.append(DeclaredDependency(crate, evidence))
        features = spec.get("features", []) if isinstance(spec, dict) else []
        if isinstance(spec, dict) and spec.get("workspace") is True:
            inherited = shared.get(crate)  # `sea-orm = { workspace = true }`: the root names the features
            features = [*features, *(inherited.get("features", []) if isinstance(inherited, dict) else [])]
        project.dependencies += [DeclaredDependency(f"{crate}/{f}", evidence) for f in features if isinstance(f, str)]
    lock = ctx.find_up("Cargo.lock")
    evidence = [presence(lock or source.path, "cargo")]
    project.package_manager = PackageManager(name="cargo", lockfile=lock, evidence=evidence, confidence="high")
    locked = " --locked" if lock else ""
    project.install = Command(value=f"cargo fetch{locked}", evidence=evidence, confidence="high")
    binary = _binary(ctx, cargo, name)
    if "package" not in cargo or binary is None:
        project.deployable = False
        project.not_deployable_reason = "Cargo workspace root" if "workspace" in cargo else "Rust library without a binary"
        return [project]
    entry = ctx.rel("src/main.rs") if ctx.exists("src/main.rs") else None
    features = _database_feature(source, cargo)
    project.build = Command(value=f"cargo build --release{locked}{features[0] if features else ''}",
                            evidence=evidence + ([features[1]] if features else []) + _sqlx_build(ctx, project, lock),
                            confidence="high")
    workspace = posixpath.dirname(lock) if lock else ctx.path  # members share the workspace's target/
    target = posixpath.relpath(workspace or ".", ctx.path or ".")
    target = "./target" if target == "." else f"{target}/target"
    project.start = Command(value=f"{target}/release/{binary}", evidence=[manifest], confidence="high")
    if entry:
        project.entry_point = EntryPoint(file=entry, evidence=[Evidence(file=entry, detail="binary crate root")],
                                         confidence="high")
        project.scan_first.append(entry)
    crates = {d.name: d.evidence for d in project.dependencies}
    for crate, framework, port in _FRAMEWORKS:
        if crate in crates:
            project.framework = Framework(name=framework, evidence=[crates[crate]], confidence="high")
            if port:
                project.default_port = Port(value=port, evidence=[Evidence(
                    file=source.path, detail=f"{framework} listens on {port} by default")], confidence="low")
            break
    return [project]


# Evidence details the image generator reads off the build command (planning/dockerfiles/sqlx.py).
SQLX_MACROS = "sqlx query macro"
SQLX_OFFLINE_DATA = "sqlx offline data"
SQLX_MIGRATIONS = "sqlx migrations"
# a call outside comments (doc examples show the macros too)
_QUERY_MACRO = re.compile(r"^(?![ \t]*//)[^\n]*?\b(query(?:_file)?(?:_as|_scalar)?(?:_unchecked)?)!\s*\(", re.MULTILINE)
_MIGRATE_PATH = re.compile(r"\bmigrate!\s*\(\s*\"([^\"]+)\"")
_MAX_RUST_FILES = 400


def _sqlx_build(ctx: DirContext, project: Project, lock: Optional[str]) -> list[Evidence]:
    """What compiling sqlx's query macros (query!, query_as!) needs: they check each query against a database
    while compiling, or against the offline data `cargo sqlx prepare` commits (.sqlx/, sqlx-data.json before 0.7).
    Evidence of a macro call, of that data (in the crate or at its workspace root), and of the migrations folder
    that builds the schema (`sqlx::migrate!("dir")`, else migrations/)."""
    if not any(d.name == "sqlx" for d in project.dependencies):
        return []
    macro, migrate = None, None
    for path in _rust_sources(ctx):
        source = ctx.reader.source(path)
        if source is None:
            continue
        if macro is None:
            hit = next(source.matches(_QUERY_MACRO), None)
            macro = source.evidence(f"{SQLX_MACROS} {hit.group(1)}!", hit.start(1)) if hit else None
        if migrate is None:
            migrate = next(source.matches(_MIGRATE_PATH), None)
        if macro and migrate:
            break
    if macro is None:
        return []
    found = [macro]
    workspace = posixpath.dirname(lock) if lock else ctx.path
    for folder in dict.fromkeys((ctx.path, workspace)):
        if join(folder, ".sqlx") in ctx.tree.files:
            found.append(presence(join(folder, ".sqlx"), SQLX_OFFLINE_DATA))
        elif ctx.tree.has(folder, "sqlx-data.json"):
            found.append(presence(join(folder, "sqlx-data.json"), SQLX_OFFLINE_DATA))
    folder = posixpath.normpath(ctx.rel(migrate.group(1))) if migrate else ctx.rel("migrations")
    if any(name.endswith(".sql") for name in ctx.tree.names(folder)) and not folder.startswith(".."):
        found.append(presence(folder, SQLX_MIGRATIONS))
    return found


def _rust_sources(ctx: DirContext) -> list[str]:
    """The crate's .rs files below src/, shallowest first, bounded."""
    top = ctx.rel("src")
    folders = sorted((d for d in ctx.tree.files if d == top or d.startswith(top + "/")), key=lambda d: (d.count("/"), d))
    paths = [join(d, n) for d in folders for n in ctx.tree.names(d) if n.endswith(".rs")]
    return paths[:_MAX_RUST_FILES]


def _database_feature(source: SourceText, cargo: dict) -> Optional[tuple[str, Evidence]]:
    """` --features sqlite` for a crate whose default features enable no database backend of the ones it offers
    (vaultwarden: `default = []`, "Please enable at least one of these DB backends"): SQLite runs without a server."""
    features = table(cargo, "features")
    if not isinstance(features.get("sqlite"), list) or features.get("default"):
        return None
    return " --features sqlite", source.evidence("feature sqlite (no database backend by default)", needle="sqlite")


def _binary(ctx: DirContext, cargo: dict, name: str) -> Optional[str]:
    bins = cargo.get("bin")
    if isinstance(bins, list) and bins and isinstance(bins[0], dict) and isinstance(bins[0].get("name"), str):
        return bins[0]["name"]
    return name if ctx.exists("src/main.rs") else None


def _workspace_dependencies(ctx: DirContext) -> dict:
    """[workspace.dependencies] of the nearest workspace root above this crate."""
    lock = ctx.find_up("Cargo.lock")
    root = posixpath.dirname(lock) if lock else None
    if root is None or root == ctx.path:
        return {}
    manifest = ctx.reader.source(posixpath.join(root, "Cargo.toml") if root else "Cargo.toml")
    if manifest is None:
        return {}
    workspace = toml_document(manifest).get("workspace")
    return workspace.get("dependencies", {}) if isinstance(workspace, dict) else {}


def _toolchain(ctx: DirContext) -> Optional[Version]:
    for name in ("rust-toolchain.toml", "rust-toolchain"):
        path = ctx.find_up(name)
        source = ctx.reader.source(path) if path else None
        if source is None:
            continue
        match = next(source.matches(_CHANNEL), None)
        if match:
            return match.group(1), source.evidence(f"toolchain channel {match.group(1)}", match.start())
        if name == "rust-toolchain" and source.text.strip():
            value = source.text.strip().splitlines()[0]
            return value, Evidence(file=path, line=1, detail=f"toolchain {value}")
    return None


def _rust_version(source: SourceText, cargo: dict) -> Optional[Version]:
    value = text_value(cargo, "package", "rust-version")
    return (value, source.evidence(f"rust-version {value}", needle="rust-version")) if value else None
