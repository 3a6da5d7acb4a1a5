"""Node.js and Bun projects: package.json, its scripts, dependencies and framework."""

from __future__ import annotations

import re
from typing import Any, Optional

from . import health
from .evidence import SourceText
from .manifest import json_object, table, text_value
from .models import Command, EntryPoint, Evidence, Framework, HealthCheck, Port, ServiceRole
from .nodepm import NodeTool, detect_tool
from .project import DeclaredDependency, DirContext, Project
from .versions import language, tool_version, version_file

MANIFESTS = ("package.json",)
SOURCE_EXTENSIONS = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx", ".vue", ".svelte", ".astro")

# dependency -> (framework, default port); earlier entries win when several are present
_SERVER_FRAMEWORKS = (
    ("@nestjs/core", "NestJS", 3000),
    ("next", "Next.js", 3000),
    ("nuxt", "Nuxt", 3000),
    ("@remix-run/serve", "Remix", 3000),
    ("@remix-run/node", "Remix", 3000),
    ("@react-router/serve", "React Router", 3000),
    ("@sveltejs/adapter-node", "SvelteKit", 3000),
    ("@tanstack/react-start", "TanStack Start", 3000),
    ("@tanstack/solid-start", "TanStack Start", 3000),
    ("@tanstack/start", "TanStack Start", 3000),
    ("@react-router/node", "React Router", 3000),
    ("@astrojs/node", "Astro", 4321),
    ("nitropack", "Nitro", 3000),  # a bare Nitro server (nuxt-movies' proxy) builds .output/server like Nuxt
    ("express", "Express", 3000),
    ("fastify", "Fastify", 3000),
    ("koa", "Koa", 3000),
    ("@hapi/hapi", "hapi", 3000),
    ("hono", "Hono", 3000),
)
# dependency -> (framework, directory the build writes the site to)
_STATIC_BUILDERS = (
    ("@sveltejs/kit", "SvelteKit", "build"),
    ("@angular/core", "Angular", "dist"),
    ("expo", "Expo", "dist"),
    ("astro", "Astro", "dist"),
    ("gatsby", "Gatsby", "public"),
    ("react-scripts", "Create React App", "build"),
    ("vite", "Vite", "dist"),
)
_UI_LIBRARIES = (("react", "React"), ("vue", "Vue"), ("svelte", "Svelte"), ("solid-js", "Solid"), ("preact", "Preact"))
_FRAMEWORK_STARTS = {
    "Next.js": "{exec} next start",
    "Nuxt": "node .output/server/index.mjs",
    "Nitro": "node .output/server/index.mjs",
    "Remix": "{exec} remix-serve ./build/server/index.js",
    "React Router": "{exec} react-router-serve ./build/server/index.js",
    "SvelteKit": "node build",
    "Astro": "node ./dist/server/entry.mjs",
    "TanStack Start": "node .output/server/index.mjs",  # Nitro's server, which its Vite plugin builds
    "NestJS": "node dist/main.js",
}
# start scripts that only serve a development build; a static site needs none of them in production
_DEV_SERVERS = re.compile(r"^\s*(?:ng serve|vite(?:\s+(?:dev|preview|serve))?|react-scripts start|astro (?:dev|preview)|"
                          r"gatsby develop|expo start|serve\b|http-server\b|next dev|svelte-kit dev)")
# Vite's own command line only serves a development build (`vite start` takes "start" for the root folder)
_VITE_DEV = re.compile(r"^\s*vite(?:\s+(?:dev|serve|start|preview)\b|\s*$|\s+-)")
# scripts that start a server in production: each is a start command a reviewer may choose
_START_SCRIPTS = ("start:prod", "start", "start:production", "serve", "server", "web", "prod", "production")
# a workspace root whose start script only starts its members (or runs one of them directly)
_ORCHESTRATES = re.compile(r"\b(?:turbo|nx|lerna)\b|\s-w\s|--workspaces?\b|\s-r\b|--recursive|--filter"
                           r"|(?:^|\s)(?:\./)?(?:apps|packages|services)/")
# a package published for others to import, not run: these fields describe its public surface
_LIBRARY_FIELDS = ("exports", "types", "typings", "files", "bin")
_ENTRY_CANDIDATES = (
    "server.js", "app.js", "index.js", "main.js", "server.ts", "index.ts", "src/main.ts", "src/server.ts",
    "src/index.ts", "src/app.ts", "src/server.js", "src/index.js", "src/app.js", "src/main.js",
)
_SCRIPT_ENTRY = re.compile(
    r"\b(?:node|nodemon|ts-node|tsx|bun(?:\s+run)?)\s+(?:-{1,2}[\w-]+(?:=\S+)?\s+)*([\w./@-]+)"
)
# wrappers that set the environment and then run the real command: cross-env, dotenv-cli, env, VAR=value
_WRAPPER = re.compile(r"^\s*(?:(?:cross-env(?:-shell)?|env)\s+(?:[A-Za-z_]\w*=\S*\s+)*"
                      r"|dotenv(?:-flow)?\s+(?:-[a-z]\s+\S+\s+)*(?:--\s+)?|[A-Za-z_]\w*=\S*\s+)")


def unwrap(script: str) -> str:
    """`cross-env NODE_ENV=production react-scripts start` -> `react-scripts start`."""
    for _ in range(8):
        stripped = _WRAPPER.sub("", script, count=1)
        if stripped == script:
            break
        script = stripped
    return script


_WORKSPACE_ROOT_FILES = ("pnpm-workspace.yaml", "nx.json", "lerna.json")
_CONFIG_FILES = ("prisma/schema.prisma", "next.config.js", "next.config.mjs", "nuxt.config.ts", "ormconfig.json")
_NEXT_EXPORT = re.compile(r"""output\s*:\s*['"]export['"]""")


_DENO_START = re.compile(r"^(?:\s*[A-Za-z_][A-Za-z0-9_]*=\S*)*\s*deno\s+(?:run|task|serve)\b")


def detect(ctx: DirContext) -> list[Project]:
    source = ctx.source("package.json")
    package = json_object(source)
    if source is None:
        return []
    manifest = Evidence(file=source.path, detail="package.json")
    tool = detect_tool(ctx, source, text_value(package, "packageManager"))
    runtime = "bun" if tool.name == "bun" else "node"
    deno_config = next((n for n in ("deno.json", "deno.jsonc") if ctx.has(n)), None)
    lang = language(
        runtime,
        manifest,
        version_file(ctx, ".nvmrc") if runtime == "node" else None,
        version_file(ctx, ".node-version") if runtime == "node" else None,
        tool_version(ctx, "nodejs", "node") if runtime == "node" else tool_version(ctx, "bun"),
        _engine(source, package, runtime) or _workspace_engine(ctx, runtime),
        _bun_release(source, package) if runtime == "bun" else None,
    )
    lang.runtime = runtime
    start_script = text_value(package, "scripts", "start") or ""
    if deno_config:  # package.json beside deno.json: Deno runs it, with npm packages
        lang.name = lang.runtime = "deno"
        lang.evidence.append(Evidence(file=ctx.rel(deno_config), detail=f"{deno_config}: runs on Deno"))
    elif _DENO_START.search(start_script):  # openstatus' workflows: "start": "NODE_ENV=production deno run -A src/serve.ts"
        lang.name = lang.runtime = "deno"
        lang.evidence.append(source.evidence("scripts.start runs deno", needle='"start"'))
    project = Project(
        path=ctx.path,
        name=text_value(package, "name") or ctx.basename(),
        ecosystem="node",
        language=lang,
        package_manager=tool.manager,
        source_extensions=SOURCE_EXTENSIONS,
    )
    runtime_deps = table(package, "dependencies")
    all_deps = {**table(package, "devDependencies"), **runtime_deps}
    project.dependencies = [
        DeclaredDependency(name, source.evidence(f"dependency {name}", needle=f'"{name}"')) for name in runtime_deps
    ]
    scripts = table(package, "scripts")
    project.builds = _built_folders(ctx, source, scripts)
    project.writes_outside = _output_outside(ctx, source, scripts)
    start_script = scripts.get("start") if isinstance(scripts.get("start"), str) else ""
    workspace_root = "workspaces" in package or _declares_members(ctx)
    if workspace_root and (not start_script or _ORCHESTRATES.search(start_script)):
        project.deployable = False
        project.not_deployable_reason = "workspace root: its members are the services"
        return [project]

    _framework(ctx, project, source, all_deps)
    project.install = tool.install()
    _build(ctx, project, source, scripts, tool)
    _start(ctx, project, source, scripts, tool)
    project.health = _file_route_health(ctx, project)
    project.scan_first += [ctx.rel(f) for f in _CONFIG_FILES if ctx.exists(f)]
    schema = text_value(package, "prisma", "schema")  # Prisma's schema where package.json says, not prisma/
    if schema and ctx.exists(schema.removeprefix("./")):
        project.scan_first.append(ctx.rel(schema.removeprefix("./")))
    if project.framework is None and project.start is None:
        _plain_script(ctx, project, package, tool)
    return [project]


def _plain_script(ctx: DirContext, project: Project, package: dict[str, Any], tool: NodeTool) -> None:
    """An app that is just `index.js` (no start script) still runs; a published library does not."""
    entry = project.entry_point
    if entry is None or any(field in package for field in _LIBRARY_FIELDS):
        project.deployable = False
        project.not_deployable_reason = "package.json has no start script and no server or site framework"
        return
    runner = "bun" if tool.name == "bun" else "node"
    project.start = Command(value=f"{runner} {ctx.local(entry.file)}", evidence=entry.evidence, confidence="low")


def _engine(source: SourceText, package: dict[str, Any], runtime: str) -> Optional[tuple[str, Evidence]]:
    value = text_value(package, "engines", runtime)
    if value is None:
        return None
    return value, source.evidence(f"engines.{runtime} is {value}", needle=f'"{runtime}"')


def _bun_release(source: SourceText, package: dict[str, Any]) -> Optional[tuple[str, Evidence]]:
    """Bun is both the package manager and the runtime, so packageManager pins the runtime too."""
    declared = text_value(package, "packageManager") or ""
    if not declared.startswith("bun@"):
        return None
    return declared[4:], source.evidence(f"packageManager is {declared}", needle='"packageManager"')


def _workspace_engine(ctx: DirContext, runtime: str) -> Optional[tuple[str, Evidence]]:
    """Workspace members inherit the engines of the package.json above them."""
    if not ctx.path:
        return None
    above = DirContext(ctx.tree, ctx.reader, ctx.path.rpartition("/")[0]).find_up("package.json")
    source = ctx.reader.source(above) if above else None
    return _engine(source, json_object(source), runtime) if source else None


def _framework(ctx: DirContext, project: Project, source: SourceText, deps: dict[str, Any]) -> None:
    for dependency, name, port in _SERVER_FRAMEWORKS + _ssr_adapters(deps):
        if dependency in deps:
            evidence = [source.evidence(f"depends on {dependency}", needle=f'"{dependency}"')]
            if name == "React Router" and _react_router_spa(ctx, evidence):
                project.framework = Framework(name=name, evidence=evidence, confidence="high")
                _make_static(project, ctx.rel("build/client"), evidence)
                return
            if name == "Next.js" and _next_static_export(ctx, evidence):
                project.framework = Framework(name=name, evidence=evidence, confidence="high")
                _make_static(project, ctx.rel("out"), evidence)
                return
            project.framework = Framework(name=name, evidence=evidence, confidence="high")
            project.default_port = Port(
                value=port, evidence=[Evidence(file=source.path, detail=f"{name} listens on {port} by default")],
                confidence="low",
            )
            return
    for dependency, name, output in _STATIC_BUILDERS:
        if dependency in deps:
            evidence = [source.evidence(f"depends on {dependency}", needle=f'"{dependency}"')]
            ui = next((label for dep, label in _UI_LIBRARIES if dep in deps), None)
            label = f"{name} + {ui}" if name == "Vite" and ui else name
            project.framework = Framework(name=label, evidence=evidence, confidence="high")
            _make_static(project, ctx.rel(output), evidence)
            return


def _ssr_adapters(deps: dict[str, Any]) -> tuple[tuple[str, str, int], ...]:
    """SvelteKit with a server adapter (auto, vercel, netlify...) renders on a server: in a container, Node on 3000."""
    if "@sveltejs/kit" not in deps:
        return ()
    return tuple((d, "SvelteKit", 3000) for d in sorted(deps)
                 if d.startswith("@sveltejs/adapter-") and d != "@sveltejs/adapter-static")


def _react_router_spa(ctx: DirContext, evidence: list[Evidence]) -> bool:
    """react-router.config with ssr: false builds a single-page app to build/client."""
    for config in ("react-router.config.ts", "react-router.config.js", "react-router.config.mjs"):
        source = ctx.source(config)
        match = re.search(r"\bssr\s*:\s*false\b", source.text) if source else None
        if source and match:
            evidence.append(source.evidence("ssr: false builds a static single-page app", match.start()))
            return True
    return False


def _next_static_export(ctx: DirContext, evidence: list[Evidence]) -> bool:
    for config in ("next.config.js", "next.config.mjs", "next.config.ts"):
        source = ctx.source(config)
        match = _NEXT_EXPORT.search(source.text) if source else None
        if source and match:
            evidence.append(source.evidence("output: 'export' builds a static site", match.start()))
            return True
    return False


def _make_static(project: Project, output: str, evidence: list[Evidence]) -> None:
    project.static_root = output
    project.role = ServiceRole(value="static", evidence=evidence, confidence="high")


_BUILD_SCRIPT = re.compile(r"(?:^|[:-])(?:build|postinstall|postbuild|heroku-postbuild|prepare)$")
_FOLDER_IN_SCRIPT = re.compile(r"(?:--prefix[= ]|\bcd\s+|--cwd[= ]|-C\s+)\.?/?([\w.-]+(?:/[\w.-]+)*)")


_OUT_DIR_ARG = re.compile(r"--out-?[dD]ir[= ]+['\"]?(\.\./[\w./-]+)")
_OUT_DIR_CONFIG = re.compile(r"\boutDir\s*:\s*['\"](\.\./[\w./-]+)")


def _output_outside(ctx: DirContext, source: SourceText, scripts: dict) -> Optional[tuple[str, Evidence]]:
    """A build written to ../server/dist goes into another project's tree, which serves or embeds it."""
    for name, text in scripts.items():
        match = _OUT_DIR_ARG.search(text) if isinstance(text, str) else None
        if match:
            return match.group(1), source.evidence(f"scripts.{name} writes to {match.group(1)}", needle=f'"{name}"')
    for config in ("vite.config.ts", "vite.config.js", "vite.config.mts", "vite.config.mjs"):
        text = ctx.source(config) if ctx.exists(config) else None
        match = _OUT_DIR_CONFIG.search(text.text) if text else None
        if match:
            return match.group(1), text.evidence(f"build writes to {match.group(1)}", match.start())
    return None


def _declares_members(ctx: DirContext) -> bool:
    """pnpm-workspace.yaml listing packages, or nx/lerna config, except a standalone Nx app (project.json here).

    A pnpm-workspace.yaml that only holds settings (onlyBuiltDependencies) makes no workspace.
    """
    if ctx.has("pnpm-workspace.yaml"):
        source = ctx.source("pnpm-workspace.yaml")
        if source is not None and re.search(r"^packages\s*:", source.text, re.MULTILINE):
            return True
    return any(ctx.has(f) for f in _WORKSPACE_ROOT_FILES if f != "pnpm-workspace.yaml") and not ctx.has("project.json")


def _built_folders(ctx: DirContext, source: SourceText, scripts: dict) -> list[tuple[str, Evidence]]:
    """Sub-folders the build scripts install and build (`npm run build --prefix frontend`, `cd web && ...`)."""
    found = []
    for name, text in scripts.items():
        if not isinstance(text, str) or not _BUILD_SCRIPT.search(name):
            continue
        for match in _FOLDER_IN_SCRIPT.finditer(text):
            folder = ctx.rel(match.group(1).rstrip("/"))
            if folder != ctx.path and folder in ctx.tree.files:
                found.append((folder, source.evidence(f"scripts.{name} builds {match.group(1)}", needle=f'"{name}"')))
    return found[:8]


# scripts a repository keeps for building inside an image (umami's build-docker leaves out the build script's
# check-env and check-db, which need the database at build time); one that runs docker itself builds the image
_CONTAINER_BUILDS = ("build-docker", "build:docker", "docker-build", "docker:build")
_RUNS_DOCKER = re.compile(r"(?:^|[\s;&|(])(?:docker|podman|docker-compose)\b")


def _build(ctx: DirContext, project: Project, source: SourceText, scripts: dict, tool: NodeTool) -> None:
    if "build" not in scripts:
        return
    name = next((n for n in _CONTAINER_BUILDS if isinstance(scripts.get(n), str) and not _RUNS_DOCKER.search(scripts[n])),
                "build")
    evidence = [source.evidence(f"scripts.{name}: {scripts[name]}", needle=f'"{name}"')]
    turbo = ctx.find_up("turbo.json")
    if turbo and turbo != ctx.rel("turbo.json"):
        evidence.append(Evidence(file=turbo, detail="Turborepo builds workspace dependencies first"))
        value = f"{tool.exec('turbo')} run build --filter={project.name}"
    else:
        value = tool.run(name)
    project.build = Command(value=value, evidence=evidence, confidence="high")


def _start(ctx: DirContext, project: Project, source: SourceText, scripts: dict, tool: NodeTool) -> None:
    script_name = next((s for s in ("start:prod", "start") if isinstance(scripts.get(s), str)), None)
    start_script = scripts[script_name] if script_name else None
    if (start_script and _VITE_DEV.match(unwrap(start_script)) and project.framework
            and project.framework.name in _FRAMEWORK_STARTS):
        script_name = start_script = None  # create-t3-turbo's `vite start` is Vite's dev server: the build has a server
    if project.role is not None and project.role.value == "static":
        if not start_script or _DEV_SERVERS.match(unwrap(start_script)):
            return
        project.role = None  # a static builder with a real server behind it, e.g. SSR
        project.static_root = None
    project.alternatives = [
        Command(value=tool.run(name), confidence="high",
                evidence=[source.evidence(f"scripts.{name}: {scripts[name]}", needle=f'"{name}"')])
        for name in _START_SCRIPTS if isinstance(scripts.get(name), str) and not _DEV_SERVERS.match(unwrap(scripts[name]))
    ]
    entry = _entry_from_script(ctx, start_script) if start_script else None
    if start_script:
        evidence = [source.evidence(f"scripts.{script_name}: {start_script}", needle=f'"{script_name}"')]
        project.start = Command(value=tool.run(script_name), evidence=evidence, confidence="high")
        project.runs = start_script
        if entry:
            project.entry_point = EntryPoint(file=entry, evidence=evidence, confidence="high")
    elif project.framework and project.framework.name in _FRAMEWORK_STARTS:
        value = _FRAMEWORK_STARTS[project.framework.name].format(exec=tool.exec("").strip())
        project.start = Command(value=value, evidence=project.framework.evidence, confidence="medium")
    if project.entry_point is None:
        main = text_value(json_object(source), "main") or text_value(json_object(source), "module")
        candidates = ([main] if main else []) + list(_ENTRY_CANDIDATES)
        entry = next((ctx.rel(c) for c in candidates if ctx.exists(c)), None)
        if entry:
            detail = "package.json main" if entry == ctx.rel(main or "\0") else "conventional entry file"
            project.entry_point = EntryPoint(
                file=entry, evidence=[Evidence(file=entry, detail=detail)], confidence="medium"
            )
    if project.start is None and project.framework and project.entry_point:
        runner = "bun" if tool.name == "bun" else "node"
        project.start = Command(
            value=f"{runner} {ctx.local(project.entry_point.file)}",
            evidence=project.entry_point.evidence, confidence="medium",
        )
    if project.entry_point:
        project.scan_first.append(project.entry_point.file)


def _entry_from_script(ctx: DirContext, script: str) -> Optional[str]:
    """The source file a start script runs; built output (dist/main.js) maps back to src/main.ts."""
    match = _SCRIPT_ENTRY.search(script)
    if not match:
        return None
    target = match.group(1).removeprefix("./")
    stem = re.sub(r"\.(m?[jt]s|c[jt]s)$", "", target)
    candidates = [target] + [f"{stem}{ext}" for ext in (".js", ".ts", ".mjs")]
    if stem.startswith(("dist/", "build/")):
        source_stem = "src/" + stem.split("/", 1)[1]
        candidates += [f"{source_stem}{ext}" for ext in (".ts", ".js")]
    return next((ctx.rel(c) for c in candidates if ctx.exists(c)), None)


def _file_route_health(ctx: DirContext, project: Project) -> Optional[HealthCheck]:
    """Next.js, Nuxt and Remix route by file name: app/api/health/route.ts answers /api/health."""
    if project.framework is None or project.framework.name not in ("Next.js", "Nuxt", "Remix"):
        return None
    for word in health.HEALTH_WORDS:
        for prefix, pattern in (
            ("/api/", "app/api/{w}/route"), ("/api/", "src/app/api/{w}/route"), ("/", "app/{w}/route"),
            ("/api/", "pages/api/{w}"), ("/api/", "src/pages/api/{w}"), ("/api/", "server/api/{w}"),
            ("/", "server/routes/{w}"), ("/", "app/routes/{w}"),
        ):
            for ext in (".ts", ".js", ".tsx"):
                relative = pattern.format(w=word) + ext
                if ctx.exists(relative):
                    evidence = [Evidence(file=ctx.rel(relative), detail="file-based route")]
                    return HealthCheck(path=prefix + word, evidence=evidence, confidence="high")
    return None
