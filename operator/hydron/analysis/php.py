"""PHP projects: composer.json; Laravel, Symfony, Slim, or a plain public/index.php."""

from __future__ import annotations

from typing import Optional

from .evidence import SourceText, presence
from .manifest import json_object, table, text_value
from .models import Command, EntryPoint, Evidence, Framework, Language, PackageManager, Port
from .project import DeclaredDependency, DirContext, Project
from .versions import Version, language, tool_version, version_file

MANIFESTS = ("composer.json", "index.php")
SOURCE_EXTENSIONS = (".php", ".yaml")

_FRAMEWORKS = (
    ("laravel/framework", "Laravel", "php artisan serve --host=0.0.0.0 --port={port}", "artisan"),
    ("symfony/framework-bundle", "Symfony", "php -S 0.0.0.0:{port} -t public", "public/index.php"),
    ("slim/slim", "Slim", "php -S 0.0.0.0:{port} -t public", "public/index.php"),
)
_CONFIG_FILES = ("bootstrap/app.php", "routes/web.php", "routes/api.php", "config/database.php",
                 "config/routes.yaml", "config/packages/doctrine.yaml")


def detect(ctx: DirContext) -> list[Project]:
    source = ctx.source("composer.json")
    if source is None:
        return _lone_index(ctx)
    composer = json_object(source)
    manifest = Evidence(file=source.path, detail="composer.json")
    name = (text_value(composer, "name") or "").rsplit("/", 1)[-1] or ctx.basename()
    project = Project(
        path=ctx.path, name=name, ecosystem="php",
        language=language("php", manifest, version_file(ctx, ".php-version"), tool_version(ctx, "php"),
                          _required_php(source, composer)),
        source_extensions=SOURCE_EXTENSIONS,
        scan_first=[ctx.rel(f) for f in _CONFIG_FILES if ctx.exists(f)],
    )
    project.dependencies = [
        DeclaredDependency(dep.lower(), source.evidence(f"requires {dep}", needle=f'"{dep}"'))
        for dep in table(composer, "require") if dep != "php"
    ]
    lock = ctx.rel("composer.lock") if ctx.has("composer.lock") else None
    evidence = [presence(lock or source.path, "composer")]
    project.package_manager = PackageManager(name="composer", lockfile=lock, evidence=evidence, confidence="high")
    project.install = Command(value="composer install --no-dev --optimize-autoloader --no-interaction",
                              evidence=evidence, confidence="high")
    required = {d.name: d.evidence for d in project.dependencies}
    for package, framework, command, entry in _FRAMEWORKS:
        if package in required:
            _use(ctx, project, framework, [required[package]], command, entry)
            return [project]
    if ctx.exists("public/index.php") or ctx.exists("index.php"):
        entry = "public/index.php" if ctx.exists("public/index.php") else "index.php"
        docroot = "public" if entry.startswith("public/") else "."
        _use(ctx, project, None, [Evidence(file=ctx.rel(entry), detail="front controller")],
             f"php -S 0.0.0.0:{{port}} -t {docroot}", entry)
        return [project]
    scripts = sorted(n for n in ctx.names if n.endswith(".php"))
    if scripts:  # a plain PHP app whose pages sit at the top: yourls-loader.php, admin.php
        _use(ctx, project, None, [Evidence(file=ctx.rel(scripts[0]), detail="PHP pages at the top level")],
             "php -S 0.0.0.0:{port} -t .", scripts[0])
        return [project]
    project.deployable = False
    project.not_deployable_reason = "composer.json with no framework and no PHP pages"
    return [project]


def _lone_index(ctx: DirContext) -> list[Project]:
    """index.php with no composer.json: plain PHP, unless a folder above is already a PHP app (admin/index.php)."""
    directory = ctx.path
    while directory:
        directory = directory.rpartition("/")[0]
        if ctx.tree.has(directory, "index.php") or ctx.tree.has(directory, "composer.json"):
            return []
    evidence = Evidence(file=ctx.rel("index.php"), detail="index.php without composer.json")
    project = Project(path=ctx.path, name=ctx.basename(), ecosystem="php",
                      language=Language(name="php", evidence=[evidence], confidence="high"),
                      source_extensions=SOURCE_EXTENSIONS)
    _use(ctx, project, None, [evidence], "php -S 0.0.0.0:{port} -t .", "index.php")
    return [project]


def _required_php(source: SourceText, composer: dict) -> Optional[Version]:
    value = text_value(composer, "require", "php") or text_value(composer, "config", "platform", "php")
    return (value, source.evidence(f"requires php {value}", needle='"php"')) if value else None


def _use(ctx: DirContext, project: Project, framework: Optional[str], evidence: list[Evidence], command: str,
         entry: str) -> None:
    if framework:
        project.framework = Framework(name=framework, evidence=evidence, confidence="high")
    project.default_port = Port(value=8000, evidence=[Evidence(file=evidence[0].file,
                                detail="PHP built-in server on 8000 by default")], confidence="low")
    project.start = Command(value=command, evidence=evidence, confidence="medium")
    project.start_uses_port = True
    if ctx.exists(entry):
        project.entry_point = EntryPoint(file=ctx.rel(entry), evidence=evidence, confidence="high")
