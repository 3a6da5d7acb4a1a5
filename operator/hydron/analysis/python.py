"""Python projects: pyproject.toml, requirements.txt or Pipfile; Django, FastAPI, Flask, Celery."""

from __future__ import annotations

import posixpath
import re
from typing import Optional

from .evidence import SourceText, presence
from .manifest import json_object, table, text_value, toml_document
from .models import Command, EntryPoint, Evidence, Framework, PackageManager, Port, ServiceRole
from .project import DeclaredDependency, DirContext, Project
from .versions import Version, language, tool_version, version_file

MANIFESTS = ("pyproject.toml", "requirements.txt", "Pipfile", "setup.py")
# a script with no manifest at all, at the repository root: Nixpacks and Railpack run these too
_LONE_SCRIPTS = ("main.py", "bot.py", "app.py")
_OTHER_MANIFESTS = ("package.json", "go.mod", "Cargo.toml", "Gemfile", "composer.json", "pom.xml", "build.gradle",
                    "build.gradle.kts", "mix.exs", "deno.json", "index.html", "Dockerfile")
MANIFESTS = MANIFESTS + _LONE_SCRIPTS
SOURCE_EXTENSIONS = (".py",)

_REQUIREMENT = re.compile(r"^[ \t]*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?", re.MULTILINE)
_INCLUDE = re.compile(r"^[ \t]*(?:-r|--requirement|-c|--constraint)(?:[ \t]*=[ \t]*|[ \t]+)(\S+)", re.MULTILINE)
_REQUIREMENT_ROOTS = ("requirements.txt", "requirements/production.txt", "requirements/prod.txt",
                      "requirements/base.txt")
_MAX_REQUIREMENT_FILES = 12
_RUNTIME_TXT = re.compile(r"python-(\d+(?:\.\d+)*)")
# (dependency, framework, default port, how the entry object is created)
_WEB_FRAMEWORKS = (
    ("django", "Django", 8000, None),
    ("fastapi", "FastAPI", 8000, r"FastAPI\("),
    ("flask", "Flask", 8000, r"Flask\("),
    ("starlette", "Starlette", 8000, r"Starlette\("),
    ("litestar", "Litestar", 8000, r"Litestar\("),
    ("aiohttp", "aiohttp", 8080, r"web\.Application\("),
    ("sanic", "Sanic", 8000, r"Sanic\("),
    ("streamlit", "Streamlit", 8501, None),
    ("python-fasthtml", "FastHTML", 5001, r"(?:FastHTML|fast_app)\("),  # serve() listens on 5001 by default
)
# (dependency, framework, what marks the module that defines the worker, command that runs it)
_WORKERS = (
    ("celery", "Celery", r"Celery\(", "celery -A {module} worker --loglevel=INFO"),
    ("dramatiq", "Dramatiq", r"@dramatiq\.actor", "dramatiq {module}"),
    ("arq", "arq", r"class\s+WorkerSettings", "arq {module}.WorkerSettings"),
    ("rq", "RQ", None, "rq worker"),
)
_ENTRY_FILES = ("main.py", "app.py", "server.py", "api.py", "asgi.py", "wsgi.py", "run.py", "worker.py",
                "tasks.py", "celery.py", "app/main.py", "app/__init__.py", "app/app.py", "src/main.py", "src/app.py")
_APP_FACTORY = r"(?:[\w.]+\.)?(?:create_app|make_app)\("  # Flask's documented application factory
# top-level scripts that are tools around the app, not the app
_NOT_ENTRY_SCRIPTS = frozenset({"setup.py", "manage.py", "conftest.py", "noxfile.py", "fabfile.py", "tasks.py",
                                "dodo.py"})
_STATIC_ROOT = re.compile(r"^\s*STATIC_ROOT\s*=", re.MULTILINE)
_DJANGO_SETTINGS = re.compile(r"DJANGO_SETTINGS_MODULE['\"]\s*,\s*['\"]([\w.]+)\.settings")
_MAIN_GUARD = re.compile(r"^if\s+__name__\s*==\s*['\"]__main__['\"]", re.MULTILINE)


def detect(ctx: DirContext) -> list[Project]:
    pyproject_source = ctx.source("pyproject.toml")
    pyproject = toml_document(pyproject_source)
    pipfile_source = ctx.source("Pipfile")
    pipfile = toml_document(pipfile_source)
    manifest_name = next((n for n in ("pyproject.toml", "requirements.txt", "Pipfile", "setup.py") if ctx.has(n)), None)
    if manifest_name is None:  # only a lone script: a project at the root, and only when nothing else claims it
        if ctx.path or any(ctx.has(n) for n in _OTHER_MANIFESTS):
            return []
        manifest_name = next(n for n in _LONE_SCRIPTS if ctx.has(n))
    manifest = Evidence(file=ctx.rel(manifest_name), detail=manifest_name)
    project = Project(
        path=ctx.path,
        name=text_value(pyproject, "project", "name") or text_value(pyproject, "tool", "poetry", "name")
        or ctx.basename(),
        ecosystem="python",
        language=language(
            "python", manifest, version_file(ctx, ".python-version"), _runtime_txt(ctx),
            tool_version(ctx, "python"), _requires_python(pyproject_source, pyproject, pipfile_source, pipfile),
        ),
        source_extensions=SOURCE_EXTENSIONS,
    )
    project.dependencies = _dependencies(ctx, pyproject_source, pyproject, pipfile_source, pipfile)
    tool = _package_manager(ctx, pyproject)
    project.package_manager = tool
    project.install = _install(ctx, tool)
    names = {d.name.lower() for d in project.dependencies}
    if not (_web(ctx, project, names) or _worker(ctx, project, names) or _script(ctx, project, pyproject)):
        project.deployable = False
        project.not_deployable_reason = "Python project with no web framework, worker or entry script"
    return [project]


def _runtime_txt(ctx: DirContext) -> Optional[Version]:
    source = ctx.source("runtime.txt")
    match = source.matches(_RUNTIME_TXT) if source else iter(())
    found = next(match, None)
    if source is None or found is None:
        return None
    return found.group(1), source.evidence(f"runtime.txt pins python {found.group(1)}", found.start())


def _requires_python(
    pyproject_source: Optional[SourceText], pyproject: dict, pipfile_source: Optional[SourceText], pipfile: dict
) -> Optional[Version]:
    value = text_value(pyproject, "project", "requires-python")
    if value and pyproject_source:
        return value, pyproject_source.evidence(f"requires-python {value}", needle="requires-python")
    value = text_value(pyproject, "tool", "poetry", "dependencies", "python")
    if value and pyproject_source:
        return value, pyproject_source.evidence(f"poetry python {value}", needle="python =")
    value = text_value(pipfile, "requires", "python_version")
    if value and pipfile_source:
        return value, pipfile_source.evidence(f"Pipfile python_version {value}", needle="python_version")
    return None


def _dependencies(
    ctx: DirContext, pyproject_source: Optional[SourceText], pyproject: dict,
    pipfile_source: Optional[SourceText], pipfile: dict,
) -> list[DeclaredDependency]:
    found: list[DeclaredDependency] = []

    def add(source: SourceText, requirement: str, version: Optional[str] = None) -> None:
        match = _REQUIREMENT.match(requirement)
        if not match or match.group(1).lower() == "python":
            return
        rest = requirement[match.end():]
        if rest[:1] in ("+", ":"):
            return  # a URL (git+https://...), not a package name
        name = match.group(1).lower().replace("_", "-")
        if version is None:
            version = rest.split(";")[0].split("#")[0].strip() or None
            version = None if version and version.startswith("@") else version
        evidence = source.evidence(f"dependency {match.group(1)}", needle=match.group(1))
        found.append(DeclaredDependency(name, evidence, version))
        for extra in (match.group(2) or "[]")[1:-1].split(","):
            if extra.strip():
                found.append(DeclaredDependency(f"{name}[{extra.strip().lower()}]", evidence, version))

    if pyproject_source:
        for requirement in pyproject.get("project", {}).get("dependencies", []) or []:
            if isinstance(requirement, str):
                add(pyproject_source, requirement)
        for name, spec in table(pyproject, "tool", "poetry", "dependencies").items():
            extras = spec.get("extras") if isinstance(spec, dict) else None
            add(pyproject_source, name + (f"[{','.join(extras)}]" if isinstance(extras, list) else ""), _spec(spec))
    for requirements in requirement_files(ctx):
        source = ctx.source(requirements)
        for line in source.text.splitlines() if source else ():
            if _REQUIREMENT.match(line):
                add(source, line.strip())
    if pipfile_source:
        for name, spec in table(pipfile, "packages").items():
            add(pipfile_source, name, _spec(spec))
        # the image installs the lock, which may hold packages the Pipfile no longer names (psycopg2 from source)
        lock = ctx.source("Pipfile.lock")
        default = json_object(lock).get("default")
        for name, spec in (default.items() if isinstance(default, dict) else ()):
            if isinstance(spec, dict) and isinstance(spec.get("version"), str):
                add(lock, name, spec["version"])
    return found


def _spec(spec: object) -> Optional[str]:
    """A poetry or Pipfile constraint: "^1.2", "*" (none) or {version = "..."}."""
    value = spec.get("version") if isinstance(spec, dict) else spec
    return value if isinstance(value, str) and value.strip() not in ("", "*") else None


def requirement_files(ctx: DirContext) -> list[str]:
    """The requirements files pip reads, relative to the directory: the usual roots and every file they
    include (`-r requirements/production.txt`, `-c constraints.txt`), a bounded number."""
    pending = [name for name in _REQUIREMENT_ROOTS if ctx.exists(name)]
    seen: list[str] = []
    while pending and len(seen) < _MAX_REQUIREMENT_FILES:
        name = pending.pop(0)
        if name in seen:
            continue
        seen.append(name)
        source = ctx.source(name)
        for match in source.matches(_INCLUDE) if source else ():
            included = posixpath.normpath(posixpath.join(posixpath.dirname(name), match.group(1)))
            if not included.startswith("../") and ctx.exists(included) and included not in seen:
                pending.append(included)
    return seen


def _package_manager(ctx: DirContext, pyproject: dict) -> PackageManager:
    uv_lock = ctx.find_up("uv.lock")
    if uv_lock:
        return _manager("uv", uv_lock, [presence(uv_lock, "uv lockfile")])
    if ctx.has("poetry.lock") or table(pyproject, "tool", "poetry"):
        lock = ctx.rel("poetry.lock") if ctx.has("poetry.lock") else None
        return _manager("poetry", lock, [presence(lock or ctx.rel("pyproject.toml"), "poetry")])
    if ctx.has("Pipfile"):
        lock = ctx.rel("Pipfile.lock") if ctx.has("Pipfile.lock") else None
        return _manager("pipenv", lock, [presence(lock or ctx.rel("Pipfile"), "pipenv")])
    if ctx.has("pdm.lock"):
        return _manager("pdm", ctx.rel("pdm.lock"), [presence(ctx.rel("pdm.lock"), "pdm lockfile")])
    manifest = "requirements.txt" if ctx.has("requirements.txt") else "pyproject.toml"
    return _manager("pip", None, [presence(ctx.rel(manifest), manifest)])


def _manager(name: str, lockfile: Optional[str], evidence: list[Evidence]) -> PackageManager:
    return PackageManager(name=name, lockfile=lockfile, evidence=evidence, confidence="high")


def _install(ctx: DirContext, tool: PackageManager) -> Command:
    locked = tool.lockfile is not None
    value = {
        "uv": "uv sync --frozen --no-dev" if locked else "uv sync --no-dev",
        "poetry": "poetry install --no-interaction --no-root --only main",
        # the lock, exactly, even when its Pipfile hash is stale (--deploy would refuse to build)
        "pipenv": "pipenv install --system --ignore-pipfile" if locked else "pipenv install --system",
        "pdm": "pdm install --prod --frozen-lockfile",
        "pip": _pip_install(ctx),
    }[tool.name]
    return Command(value=value, evidence=tool.evidence, confidence="high")


def _pip_install(ctx: DirContext) -> str:
    """requirements.txt, else the production requirements file of a requirements/ folder, else the package."""
    root = next((name for name in _REQUIREMENT_ROOTS if ctx.exists(name)), None)
    return f"pip install -r {root}" if root else "pip install ."


def _web(ctx: DirContext, project: Project, names: set[str]) -> bool:
    for dependency, framework, port, constructor in _WEB_FRAMEWORKS:
        if dependency not in names:
            continue
        evidence = [d.evidence for d in project.dependencies if d.name == dependency][:1]
        project.framework = Framework(name=framework, evidence=evidence, confidence="high")
        project.default_port = Port(
            value=port, evidence=[Evidence(file=evidence[0].file, detail=f"{framework} default port {port}")],
            confidence="low",
        )
        if framework == "Django":
            _django(ctx, project, names)
        elif framework == "Streamlit":
            entry = _first_existing(ctx, ("streamlit_app.py", "app.py", "main.py"))
            if entry:
                _set_entry(project, entry, "Streamlit app", f"streamlit run {ctx.local(entry)} --server.port {{port}}")
        elif constructor:
            # the app object itself, else the one an app factory returns (`app = create_app()` in wsgi.py)
            found = _find_object(ctx, project, constructor) or _find_object(ctx, project, _APP_FACTORY)
            if found:
                module, variable, entry, line = found
                target = f"{module}:{variable}"
                command = (f"uvicorn {target} --host 0.0.0.0 --port {{port}}" if _is_asgi(framework)
                           else f"gunicorn {target} --bind 0.0.0.0:{{port}}")
                _set_entry(project, entry, f"{variable} = {framework}(...)", command, line)
            else:
                _lone_main_script(ctx, project)
        return True
    return False


def _lone_main_script(ctx: DirContext, project: Project) -> None:
    """The one top-level script that runs as a program (`if __name__ == "__main__":`), when the app object
    is made elsewhere and served by the script itself (changedetection.py calls its package's main())."""
    found = []
    for name in sorted(ctx.tree.names(ctx.path)):
        if not name.endswith(".py") or name in _NOT_ENTRY_SCRIPTS:
            continue
        source = ctx.source(name)
        guard = next(source.matches(_MAIN_GUARD), None) if source else None
        if guard:
            found.append((name, source, guard))
    if len(found) == 1:
        name, source, guard = found[0]
        _set_entry(project, source.path, "the one top-level script that runs as a program", f"python {name}",
                   line=source.line_of(guard.start()))
        project.start = project.start.model_copy(update={"confidence": "low"})


def _is_asgi(framework: str) -> bool:
    """FastAPI and friends are ASGI apps served by uvicorn; Flask is WSGI, served by gunicorn."""
    return framework in ("FastAPI", "Starlette", "Litestar")


def _django(ctx: DirContext, project: Project, names: set[str]) -> None:
    folder = _manage_folder(ctx)
    if folder is None:
        return
    site = DirContext(ctx.tree, ctx.reader, ctx.rel(folder)) if folder else ctx
    manage = site.source("manage.py")
    match = next(manage.matches(_DJANGO_SETTINGS), None) if manage else None
    if not manage or not match:
        return
    module = match.group(1)
    package_dir = module.replace(".", "/")
    settings = next((site.rel(f"{package_dir}/{s}") for s in ("settings.py", "settings/base.py",
                                                               "settings/__init__.py") if site.exists(f"{package_dir}/{s}")), None)
    if settings:
        project.scan_first.append(settings)
    # the requirements one folder above the Django site (netbox: requirements.txt, netbox/manage.py): the
    # commands run from the service's folder, so they name the site's folder
    prefix = f"{folder}/" if folder else ""
    if "gunicorn" in names:
        chdir = f"--chdir {folder} " if folder else ""
        command = f"gunicorn {chdir}{module}.wsgi:application --bind 0.0.0.0:{{port}}"
    elif "uvicorn" in names and site.exists(f"{package_dir}/asgi.py"):
        app_dir = f"--app-dir {folder} " if folder else ""
        command = f"uvicorn {app_dir}{module}.asgi:application --host 0.0.0.0 --port {{port}}"
    else:
        command = f"python {prefix}manage.py runserver 0.0.0.0:{{port}}"
    _set_entry(project, site.rel("manage.py"), f"DJANGO_SETTINGS_MODULE {module}.settings", command)
    if settings and not _sets_static_root(site, package_dir):
        return  # collectstatic fails without STATIC_ROOT ("ImproperlyConfigured"): the app serves no collected files
    project.build = Command(
        value=f"python {prefix}manage.py collectstatic --noinput",
        evidence=[manage.evidence("Django serves collected static files", match.start())], confidence="medium",
    )


def _manage_folder(ctx: DirContext) -> Optional[str]:
    """Where the Django site's manage.py is: the service's folder (""), else the one folder right below it
    that has one (netbox/manage.py beside the root's requirements.txt); None when there is none or several."""
    if ctx.has("manage.py"):
        return ""
    prefix = f"{ctx.path}/" if ctx.path else ""
    found = [d[len(prefix):] for d in ctx.tree.files if d.startswith(prefix) and d != ctx.path
             and "/" not in d[len(prefix):] and ctx.tree.has(d, "manage.py")]
    return found[0] if len(found) == 1 else None


def _sets_static_root(ctx: DirContext, package_dir: str) -> bool:
    """Whether the settings module (or any file of a settings package) sets STATIC_ROOT."""
    files = [f"{package_dir}/settings.py"] + [f"{package_dir}/settings/{n}" for n in
                                              ctx.tree.names(ctx.rel(f"{package_dir}/settings")) if n.endswith(".py")]
    for name in files:
        source = ctx.source(name) if ctx.exists(name) else None
        if source and next(source.matches(_STATIC_ROOT), None):
            return True
    return False


def _worker(ctx: DirContext, project: Project, names: set[str]) -> bool:
    for dependency, framework, marker, command in _WORKERS:
        if dependency not in names:
            continue
        evidence = [d.evidence for d in project.dependencies if d.name == dependency][:1]
        project.framework = Framework(name=framework, evidence=evidence, confidence="high")
        project.role = ServiceRole(value="worker", evidence=evidence, confidence="medium")
        found = _find_object(ctx, project, marker) if marker else None
        if found:
            module, _, entry, line = found
            _set_entry(project, entry, f"{framework} worker module", command.format(module=module), line)
        elif marker is None:
            project.start = Command(value=command, evidence=evidence, confidence="medium")
        return True
    return False


def _script(ctx: DirContext, project: Project, pyproject: dict) -> bool:
    scripts = table(pyproject, "project", "scripts")
    if scripts:
        name = next(iter(scripts))
        evidence = [Evidence(file=ctx.rel("pyproject.toml"), detail=f"project.scripts.{name}")]
        project.start = Command(value=name, evidence=evidence, confidence="medium")
        return True
    for candidate in ("main.py", "app.py", "worker.py", "run.py", "bot.py", "server.py"):
        source = ctx.source(candidate)
        if source:
            guard = next(source.matches(_MAIN_GUARD), None)
            _set_entry(project, source.path, "runs as a script" if guard else "top-level script", f"python {candidate}",
                       line=source.line_of(guard.start()) if guard else None)
            if not guard:
                project.start = project.start.model_copy(update={"confidence": "low"})
            return True
    return False


def _find_object(ctx: DirContext, project: Project, marker: str) -> Optional[tuple[str, str, str, int]]:
    """(module, variable, file, line) of e.g. `app = FastAPI(...)` in the usual entry files."""
    pattern = re.compile(rf"^(?:(\w+)\s*(?::\s*[\w.]+\s*)?=\s*(?:[\w.]+\.)?)?{marker}", re.MULTILINE)
    for candidate in _ENTRY_FILES + _package_entry_files(ctx):
        source = ctx.source(candidate)
        match = next(source.matches(pattern), None) if source else None
        if source and match:
            module = candidate.removeprefix("src/").removesuffix(".py").removesuffix("/__init__").replace("/", ".")
            return module, match.group(1) or "app", source.path, source.line_of(match.start())
    return None


def _package_entry_files(ctx: DirContext) -> tuple[str, ...]:
    """main.py, app.py ... inside the project's packages, flat or under src/."""
    found = []
    for base in ("", "src/"):
        prefix = ctx.rel(base.rstrip("/")) if base else ctx.path
        for directory in ctx.tree.files:
            if directory.rpartition("/")[0] == prefix and directory != prefix and len(found) < 40:
                package = directory.rpartition("/")[2]
                if ctx.tree.has(directory, "__init__.py"):
                    found += [f"{base}{package}/{name}" for name in ("main.py", "app.py", "__init__.py", "worker.py")]
    return tuple(found)


def _first_existing(ctx: DirContext, candidates: tuple[str, ...]) -> Optional[str]:
    return next((ctx.rel(c) for c in candidates if ctx.exists(c)), None)


def _set_entry(project: Project, entry: str, detail: str, command: str, line: Optional[int] = None) -> None:
    evidence = [Evidence(file=entry, line=line, detail=detail)]
    project.entry_point = EntryPoint(file=entry, evidence=evidence, confidence="high")
    project.start = Command(value=command, evidence=evidence, confidence="medium")
    project.start_uses_port = "{port}" in command
    project.scan_first.append(entry)
