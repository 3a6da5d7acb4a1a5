"""Ruby projects: Gemfile; Rails, Sinatra, Rack, Jekyll; Sidekiq workers."""

from __future__ import annotations

import re
from typing import Optional

from .evidence import presence, relabel
from .models import Command, EntryPoint, Evidence, Framework, PackageManager, Port, ServiceRole
from .project import DeclaredDependency, DirContext, Project
from .versions import Version, language, tool_version, version_file

MANIFESTS = ("Gemfile",)
SOURCE_EXTENSIONS = (".rb", ".ru")

_GEM = re.compile(r"^[ \t]*gem[ \t(]+['\"]([\w.-]+)['\"]", re.MULTILINE)
_RUBY = re.compile(r"^[ \t]*ruby[ \t(]+['\"]([^'\"]+)['\"]", re.MULTILINE)
_LOCK_RUBY = re.compile(r"^RUBY VERSION\s*\n\s*ruby (\d+(?:\.\d+)*)", re.MULTILINE)
_CONFIG_FILES = ("config/puma.rb", "config/routes.rb", "config/database.yml", "config/cable.yml", "config/application.rb",
                 "config.ru", "app.rb", "config/sidekiq.yml")


def detect(ctx: DirContext) -> list[Project]:
    gemfile = ctx.source("Gemfile")
    if gemfile is None:
        return []
    manifest = Evidence(file=gemfile.path, detail="Gemfile")
    project = Project(
        path=ctx.path, name=ctx.basename(), ecosystem="ruby",
        language=language("ruby", manifest, version_file(ctx, ".ruby-version"), _gemfile_ruby(ctx),
                          tool_version(ctx, "ruby")),
        source_extensions=SOURCE_EXTENSIONS,
        scan_first=[ctx.rel(f) for f in _CONFIG_FILES if ctx.exists(f)],
    )
    project.dependencies = [
        DeclaredDependency(m.group(1), gemfile.evidence(f"gem {m.group(1)}", m.start())) for m in gemfile.matches(_GEM)
    ]
    lock = ctx.rel("Gemfile.lock") if ctx.has("Gemfile.lock") else None
    project.package_manager = PackageManager(
        name="bundler", lockfile=lock, evidence=[presence(lock or gemfile.path, "bundler")], confidence="high"
    )
    project.install = Command(
        value="bundle config set --local frozen true && bundle install" if lock else "bundle install",
        evidence=project.package_manager.evidence, confidence="high",
    )
    project.dependencies += _gemspec_dependencies(ctx, gemfile)
    gems = {d.name: d.evidence for d in project.dependencies}
    if not _framework(ctx, project, gems):
        project.deployable = False
        project.not_deployable_reason = "Gemfile with no Rails, Sinatra, Rack app or worker"
    return [project]


_GEMSPEC_LINE = re.compile(r"^[ \t]*gemspec\b", re.MULTILINE)
_GEMSPEC_DEPENDENCY = re.compile(r"\.add_(?:runtime_)?dependency[ \t(]+['\"]([\w.-]+)['\"]")


def _gemspec_dependencies(ctx: DirContext, gemfile) -> list[DeclaredDependency]:
    """A Gemfile that says `gemspec` takes its gems from the *.gemspec beside it (a gem that is also an app)."""
    if not next(gemfile.matches(_GEMSPEC_LINE), None):
        return []
    spec = next((n for n in sorted(ctx.names) if n.endswith(".gemspec")), None)
    source = ctx.source(spec) if spec else None
    if source is None:
        return []
    return [DeclaredDependency(m.group(1), source.evidence(f"gemspec depends on {m.group(1)}", m.start()))
            for m in source.matches(_GEMSPEC_DEPENDENCY)]


def _gemfile_ruby(ctx: DirContext) -> Optional[Version]:
    for name, pattern in (("Gemfile", _RUBY), ("Gemfile.lock", _LOCK_RUBY)):
        source = ctx.source(name)
        match = next(source.matches(pattern), None) if source else None
        if source and match:
            return match.group(1), source.evidence(f"{name} asks for ruby {match.group(1)}", match.start())
    return None


def _framework(ctx: DirContext, project: Project, gems: dict[str, Evidence]) -> bool:
    def use(name: str, gem: str, port: Optional[int], command: Optional[str], entry: Optional[str]) -> None:
        evidence = [gems[gem]]
        project.framework = Framework(name=name, evidence=evidence, confidence="high")
        if port:
            project.default_port = Port(value=port, evidence=[Evidence(file=gems[gem].file,
                                        detail=f"{name} default port {port}")], confidence="low")
        if command:
            project.start = Command(value=command, evidence=evidence, confidence="medium")
            project.start_uses_port = "{port}" in command
        if entry and ctx.exists(entry):
            project.entry_point = EntryPoint(file=ctx.rel(entry), evidence=evidence, confidence="high")

    if "rails" in gems or "railties" in gems:
        use("Rails", "rails" if "rails" in gems else "railties", 3000,
            "bundle exec rails server -b 0.0.0.0 -p {port}", "config.ru")
        master_key = ctx.exists("config/credentials.yml.enc")
        needed = "RAILS_MASTER_KEY" if master_key else "SECRET_KEY_BASE"
        project.implied_env.append((needed, relabel(project.framework.evidence[0], f"Rails in production needs {needed}")))
        if ctx.has_dir("app/assets") or ctx.has_dir("app/javascript"):
            project.build = Command(value="bundle exec rails assets:precompile",
                                    evidence=[Evidence(file=ctx.rel("app"), detail="app has assets")], confidence="medium")
        return True
    if "jekyll" in gems:
        use("Jekyll", "jekyll", None, None, None)
        project.build = Command(value="bundle exec jekyll build", evidence=[gems["jekyll"]], confidence="high")
        project.static_root = ctx.rel("_site")
        project.role = ServiceRole(value="static", evidence=[gems["jekyll"]], confidence="high")
        return True
    for gem, name in (("sinatra", "Sinatra"), ("hanami", "Hanami"), ("roda", "Roda"), ("grape", "Grape")):
        if gem in gems:
            if ctx.has("config.ru"):
                use(name, gem, 9292, "bundle exec rackup -o 0.0.0.0 -p {port}", "config.ru")
            else:
                entry = next((f for f in ("app.rb", "server.rb", "main.rb") if ctx.exists(f)), "app.rb")
                use(name, gem, 4567, f"bundle exec ruby {entry} -o 0.0.0.0 -p {{port}}", entry)
            return True
    if ctx.has("config.ru") and ("rack" in gems or "puma" in gems):
        use("Rack", "rack" if "rack" in gems else "puma", 9292, "bundle exec rackup -o 0.0.0.0 -p {port}", "config.ru")
        return True
    if "sidekiq" in gems:
        use("Sidekiq", "sidekiq", None, "bundle exec sidekiq", None)
        project.role = ServiceRole(value="worker", evidence=[gems["sidekiq"]], confidence="medium")
        return True
    script = next((f for f in ("app.rb", "main.rb", "server.rb") if ctx.exists(f)), None)
    if script:
        evidence = [Evidence(file=ctx.rel(script), detail="top-level script")]
        project.start = Command(value=f"bundle exec ruby {script}", evidence=evidence, confidence="low")
        project.entry_point = EntryPoint(file=ctx.rel(script), evidence=evidence, confidence="medium")
        return True
    return False
