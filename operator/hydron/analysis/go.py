"""Go modules: go.mod, and one service per main package (the root, or each cmd/<name>)."""

from __future__ import annotations

import os
import posixpath
import re
from typing import Optional

from .evidence import SourceText, presence
from .models import Command, EntryPoint, Evidence, Framework, PackageManager, Port
from .project import DeclaredDependency, DirContext, Project
from .versions import Version, language, tool_version, version_file

MANIFESTS = ("go.mod",)
SOURCE_EXTENSIONS = (".go",)

_MODULE = re.compile(r"^module\s+(\S+)", re.MULTILINE)
_GO = re.compile(r"^go\s+(\d+(?:\.\d+)*)", re.MULTILINE)
# a direct requirement; `// indirect` ones are what dependencies need, not what this code uses
_REQUIRE = re.compile(r"^(?:require\s+|\t|[ ]+)([\w.-]+\.[\w.-]+/[\w./-]+)\s+v[\w.+-]+(?![^\n]*// indirect)", re.MULTILINE)
_MAX_GO_FILES = 20
_PACKAGE_MAIN = re.compile(r"^package\s+main\b", re.MULTILINE)
# module path -> (framework, default port when the code gives none)
_FRAMEWORKS = (
    ("github.com/gin-gonic/gin", "Gin", 8080),
    ("github.com/labstack/echo", "Echo", None),
    ("github.com/gofiber/fiber", "Fiber", None),
    ("github.com/go-chi/chi", "chi", None),
    ("github.com/gorilla/mux", "Gorilla mux", None),
)


def detect(ctx: DirContext) -> list[Project]:
    gomod = ctx.source("go.mod")
    if gomod is None:
        return []
    module = next(gomod.matches(_MODULE), None)
    module_name = re.sub(r"/v\d+$", "", module.group(1)).rsplit("/", 1)[-1] if module else ctx.basename()
    dependencies = [
        DeclaredDependency(m.group(1), gomod.evidence(f"requires {m.group(1)}", m.start(1)))
        for m in gomod.matches(_REQUIRE)
    ]
    mains = _main_packages(ctx)
    frontends = _embedded_frontends(ctx) if mains else []
    if not mains:
        project = _project(ctx, gomod, module_name, dependencies)
        project.deployable = False
        project.not_deployable_reason = "Go module without a main package"
        return [project]
    projects = []
    for directory, file in mains:
        name = module_name if directory == "" else directory.rsplit("/", 1)[-1]
        project = _project(ctx, gomod, name, dependencies)
        package = f"./{directory}" if directory else "."
        entry = ctx.rel(f"{directory}/{file}" if directory else file)
        evidence = [Evidence(file=entry, detail="package main")]
        project.entry_point = EntryPoint(file=entry, evidence=evidence, confidence="high")
        project.scan_first.append(entry)
        project.source_root = ctx.rel(directory) if directory else None
        if len(mains) > 1 and project.framework and not _imports_framework(ctx, entry, project):
            project.framework, project.default_port = None, None  # another binary of the module uses it
        project.build = Command(value=f"go build -o bin/{name} {package}", evidence=evidence, confidence="high")
        project.start = Command(value=f"./bin/{name}", evidence=evidence, confidence="high")
        project.builds = list(frontends)
        if any(d.name == "github.com/spf13/cobra" for d in dependencies) and (found := _server_subcommand(ctx)):
            subcommand, where = found
            project.start = Command(value=f"./bin/{name} {subcommand}", evidence=[*evidence, where], confidence="medium")
        projects.append(project)
    return projects


# A cobra CLI whose web server is a subcommand (shiori's `server`): started bare it prints its help and exits.
_SERVER_COMMAND = re.compile(r"\bUse:\s*\"(server|serve|web)\b[^\"\n]*\"")
_SERVER_PREFERENCE = ("server", "serve", "web")
_CMD_DIR = re.compile(r"(?:^|/)cmds?(?:/|$)")


def _server_subcommand(ctx: DirContext) -> Optional[tuple[str, Evidence]]:
    """The subcommand that starts the server, from the `Use:` of the module's cobra commands (in folders named
    cmd). `server` before `serve` (often its deprecated alias) before `web`."""
    prefix = ctx.path + "/" if ctx.path else ""
    found: dict[str, Evidence] = {}
    folders = sorted(d for d in ctx.tree.files if d.startswith(prefix) and _CMD_DIR.search(d[len(prefix):]))
    for folder in folders[:_MAX_GO_FILES]:
        for name in [n for n in ctx.tree.names(folder) if n.endswith(".go") and not n.endswith("_test.go")][:_MAX_GO_FILES]:
            source = ctx.source(f"{ctx.local(folder)}/{name}")
            for match in source.matches(_SERVER_COMMAND) if source else ():
                found.setdefault(match.group(1), source.evidence(f"cobra command {match.group(1)}", match.start()))
    return next(((n, found[n]) for n in _SERVER_PREFERENCE if n in found), None)


_EMBED = re.compile(r"^//go:embed\s+(.+)$", re.MULTILINE)


def _embedded_frontends(ctx: DirContext) -> list[tuple[str, Evidence]]:
    """Folders with a package.json whose build a Go package embeds (`//go:embed build/*` in ui/serve.go,
    `//go:embed all:web/dist` in main.go), each with that directive: `go build` fails until the frontend is
    built. The Go files read are those of each such folder and of its parents up to the module."""
    prefix = ctx.path + "/" if ctx.path else ""
    folders = sorted(d for d, names in ctx.tree.files.items() if "package.json" in names and d.startswith(prefix)
                     and d != ctx.path and "node_modules" not in d.split("/"))[:_MAX_GO_FILES]
    found: list[tuple[str, Evidence]] = []
    directives: dict[str, list[tuple[str, Evidence]]] = {}
    for folder in folders:
        directory = folder
        while True:
            if directory not in directives:
                directives[directory] = _embeds_in(ctx, directory)
            hit = next((evidence for target, evidence in directives[directory]
                        if (target == folder or target.startswith(folder + "/")) and not _present(ctx, target)), None)
            if hit is not None:
                found.append((folder, hit))
                break
            if directory == ctx.path:
                break
            directory = directory.rpartition("/")[0]
    return found


def _present(ctx: DirContext, target: str) -> bool:
    """Whether what a go:embed pattern names is in the repository already (a committed build, webapp/dist). Asked
    of the file system: the walk leaves build folders (dist, build) out of the tree."""
    fixed = re.split(r"[*?\[]", target, maxsplit=1)[0].rstrip("/")
    if fixed in ctx.tree.files or ctx.tree.has_file(fixed):
        return True
    return bool(fixed) and not fixed.startswith("..") and os.path.lexists(os.path.join(ctx.tree.root, fixed))


def _embeds_in(ctx: DirContext, directory: str) -> list[tuple[str, Evidence]]:
    """(root-relative path, evidence) of what each `//go:embed` of one folder's Go files names."""
    targets = []
    names = [n for n in ctx.tree.names(directory) if n.endswith(".go") and not n.endswith("_test.go")]
    for name in names[:_MAX_GO_FILES]:
        source = ctx.source(ctx.local(f"{directory}/{name}" if directory else name))
        for match in source.matches(_EMBED) if source else ():
            evidence = source.evidence(f"//go:embed {match.group(1).strip()}", match.start())
            for pattern in match.group(1).split():
                pattern = pattern.strip('"`').removeprefix("all:")
                target = posixpath.normpath(posixpath.join(directory, pattern)) if directory else posixpath.normpath(pattern)
                targets.append((target, evidence))
    return targets


def _project(ctx: DirContext, gomod: SourceText, name: str, dependencies: list[DeclaredDependency]) -> Project:
    manifest = Evidence(file=gomod.path, detail="go.mod")
    project = Project(
        path=ctx.path, name=name, ecosystem="go",
        language=language("go", manifest, version_file(ctx, ".go-version"), tool_version(ctx, "golang", "go"),
                          _go_directive(gomod)),
        dependencies=list(dependencies),
        source_extensions=SOURCE_EXTENSIONS,
    )
    lock = ctx.rel("go.sum") if ctx.has("go.sum") else None
    evidence = [presence(lock or gomod.path, "go modules")]
    project.package_manager = PackageManager(name="go", lockfile=lock, evidence=evidence, confidence="high")
    project.install = Command(value="go mod download", evidence=evidence, confidence="high")
    for module_path, framework, port in _FRAMEWORKS:
        found = next((d for d in dependencies if re.sub(r"/v\d+$", "", d.name) == module_path), None)
        if found:
            project.framework = Framework(name=framework, evidence=[found.evidence], confidence="high")
            if port:
                project.default_port = Port(value=port, evidence=[Evidence(
                    file=gomod.path, detail=f"{framework} listens on {port} by default")], confidence="low")
            break
    return project


def _imports_framework(ctx: DirContext, entry: str, project: Project) -> bool:
    """Whether the entry's package (any of its files: main.go may only call server.go) imports the framework."""
    module = re.sub(r"/v\d+$", "", next(d.name for d in project.dependencies
                                         if d.evidence == project.framework.evidence[0]))
    folder = entry.rpartition("/")[0]
    names = [n for n in ctx.tree.names(folder) if n.endswith(".go") and not n.endswith("_test.go")][:_MAX_GO_FILES]
    for name in sorted(names, key=lambda n: f"{folder}/{n}" != entry):
        source = ctx.reader.source(f"{folder}/{name}" if folder else name)
        if source and module in source.text:
            return True
    return False


def _go_directive(gomod: SourceText) -> Optional[Version]:
    match = next(gomod.matches(_GO), None)
    return (match.group(1), gomod.evidence(f"go {match.group(1)}", match.start())) if match else None


_NOT_MAIN_DIRS = frozenset({"vendor", "internal", "pkg", "test", "tests", "testdata", "docs", "web", "ui", "scripts"})


def _mains_in(ctx: DirContext, candidates: list[str]) -> list[tuple[str, str]]:
    found = []
    for folder in candidates:
        names = [n for n in ctx.tree.names(ctx.rel(folder) if folder else ctx.path)
                 if n.endswith(".go") and not n.endswith("_test.go")]
        for name in sorted(names, key=lambda n: (n != "main.go", n))[:_MAX_GO_FILES]:
            source = ctx.source(f"{folder}/{name}" if folder else name)
            if source and next(source.matches(_PACKAGE_MAIN), None):
                found.append((folder, name))
                break
            if source and re.search(r"^package\s+\w+", source.text, re.MULTILINE):
                break  # one package per directory: the first file's package is every file's
    return found


def _main_packages(ctx: DirContext) -> list[tuple[str, str]]:
    """(directory relative to the module, file) of each main package: main.go first, else any file saying so.

    `package main` may sit in app.go or server.go; Go names the binary after the directory, not the file.
    """
    found = []
    candidates = [""] + sorted(
        f"cmd/{d[len(ctx.rel('cmd')) + 1:]}" for d in ctx.tree.files
        if d.startswith(ctx.rel("cmd") + "/") and d.count("/") == ctx.rel("cmd").count("/") + 1
    )
    found = _mains_in(ctx, candidates)
    if not found:  # backend/app/main.go: a main package one folder down, named for what it is
        prefix = ctx.path + "/" if ctx.path else ""
        folders = sorted(d[len(prefix):] for d in ctx.tree.files if d.startswith(prefix) and d != ctx.path
                         and "/" not in d[len(prefix):] and d[len(prefix):] not in _NOT_MAIN_DIRS)
        found = _mains_in(ctx, folders[:_MAX_GO_FILES])
    return found
