"""Drops candidates that look runnable but are not services of their own, keeping each with its reason.

Every service Hydron proposes becomes a container on the user's server, so a library,
a docs site or a mail catcher proposed as a service costs money and confuses. Each rule
here names one class of such candidate; the candidate stays in the analysis as a
SkippedService, so a person can deploy it after all with one override.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Optional

from .models import Evidence, NotServiceReason, SkippedService

if TYPE_CHECKING:
    from .discover import Findings
    from .drafts import Draft, Plan
    from .walk import Tree

Verdict = Optional[tuple[NotServiceReason, str, list[Evidence], bool]]

_DOC_DIRS = frozenset({"docs", "doc", "documentation"})
_DOC_FRAMEWORKS = frozenset({"Docusaurus", "VitePress", "Nextra", "Starlight", "MkDocs", "Hugo", "mdBook", "Docsify"})
_EXAMPLE_DIR = re.compile(r"^_?(?:examples?|samples?|demos?)$|-examples?$")
_CLI_FOLDER = re.compile(r"^(?:cli|[\w-]+[-_]cli|\w*ctl)$")  # cmd/cli, cmd/woodpecker-cli, cmd/kubectl
_INIT_DIR = re.compile(r"^[\w-]+\.init$")  # remix.init: run by create-remix, then deleted
_TEST_DIR = re.compile(r"[-_.](?:e2e|tests?|specs?|integration|cypress|playwright)$")
_TOOLING_DIRS = frozenset({"packaging", "devcontainer", ".devcontainer"})
_DEV_DIRS = frozenset({"dev", "development", "devcontainer", ".devcontainer", "test", "tests", "e2e", "cypress",
                       "playwright", "example", "examples", "sandbox"})
# images of tools that sit beside an app in a compose file: admin UIs, mail catchers, proxies, dashboards
_TOOL_IMAGES = frozenset({
    "adminer", "phpmyadmin", "pgadmin4", "pgadmin", "mongo-express", "redis-commander", "redisinsight",
    "mailhog", "mailpit", "mailcatcher", "maildev", "smtp4dev", "inbucket", "mailcrab",
    "traefik", "nginx", "caddy", "haproxy", "envoy", "nginx-proxy", "portainer", "watchtower",
    "swagger-ui", "swagger-editor", "kafka-ui", "kafdrop", "dozzle", "grafana", "prometheus", "jaeger",
    "all-in-one", "otel-collector", "opentelemetry-collector", "localstack", "ngrok",
})
# bare language and OS images: with no build, a compose service on one runs mounted code for development
_BASE_IMAGES = frozenset({"node", "python", "ruby", "golang", "php", "alpine", "busybox", "debian", "ubuntu",
                          "bun", "deno", "openjdk", "eclipse-temurin", "rust", "elixir", "bash"})
_CLIENT_DEPENDENCIES = {
    "expo": "a React Native mobile app", "react-native": "a React Native mobile app",
    "@tauri-apps/api": "a Tauri desktop app", "tauri": "a Tauri desktop app", "electron": "an Electron desktop app",
}
_IMAGE_SUFFIX = re.compile(r"[._-](?:io|app|server|web|oss|ce)$")
_BUILD_SCRIPT_DEPENDENCIES = frozenset({"bullseye", "nuke.common", "cake.frosting", "simpleexec"})
_DATASTORE_COMMAND = re.compile(r"^\s*(?:exec\s+)?(?:redis-server|postgres|pg_ctl|mongod|mysqld|mysqld_safe|mariadbd"
                                r"|memcached|rabbitmq-server|elasticsearch|meilisearch|typesense-server|minio)\b")


@dataclass
class _Context:
    plan: Plan
    found: Findings
    tree: Optional[Tree]
    imported: set[str]


def prune(plan: Plan, found: Findings, tree: Optional[Tree] = None) -> None:
    """Moves every draft that a rule rejects from plan.drafts to plan.skipped."""
    ctx = _Context(plan, found, tree, {d.name for p in found.projects for d in p.dependencies})
    kept = []
    for draft in plan.drafts:
        verdict = _verdict(draft, ctx)
        if verdict is None:
            kept.append(draft)
            continue
        reason, detail, evidence, suggestion = verdict
        plan.skipped_drafts.append(draft)
        plan.skipped.append(SkippedService(name=draft.name, path=draft.path or ".", reason=reason, detail=detail,
                                           evidence=evidence, suggestion=suggestion))
    plan.drafts = kept


def _verdict(draft: Draft, ctx: _Context) -> Verdict:
    for rule in _RULES:
        verdict = rule(draft, ctx)
        if verdict is not None:
            return verdict
    return None


def _where(draft: Draft) -> Evidence:
    if draft.compose:
        return draft.compose.evidence(draft.compose.line, f"compose service {draft.compose.name}")
    if draft.process:
        return Evidence(file=f"{draft.path}/Procfile" if draft.path else "Procfile", line=draft.process.line,
                        detail=f"Procfile {draft.process.name}")
    if draft.project and draft.project.language and draft.project.language.evidence:
        return draft.project.language.evidence[0]
    if draft.dockerfile:
        return Evidence(file=draft.dockerfile.path, detail="Dockerfile")
    return Evidence(file=draft.path or ".", detail="directory")


def _stated(draft: Draft) -> bool:
    """A compose entry, Procfile line or Dockerfile of its own says the repository runs it."""
    own_dockerfile = draft.dockerfile is not None and draft.dockerfile.path.rpartition("/")[0] == draft.path
    return bool(draft.compose or draft.process or own_dockerfile)


def _development_compose(draft: Draft, ctx: _Context) -> Verdict:
    compose = draft.compose
    if compose is None:
        return None
    if compose.profiles:
        return ("development", f"compose service {compose.name} only runs with profile {compose.profiles[0]}",
                [compose.evidence(compose.line, "profiles")], False)
    folder = compose.file.rpartition("/")[0]
    if _DEV_DIRS & set(folder.split("/")) and draft.project is None:
        return ("development", f"{compose.file} is a development or test compose file",
                [_where(draft)], False)
    return None


def _tool_image(draft: Draft, ctx: _Context) -> Verdict:
    if draft.compose is None or not draft.image or draft.compose.build_context is not None:
        return None
    repository = _image_name(draft.image)
    if repository in _TOOL_IMAGES:
        return ("tool-image", f"{draft.image} is a tool beside the app, not the app; Hydron routes and watches "
                "the services itself. Deploy it only if you want it.", [_where(draft)], True)
    if repository in _BASE_IMAGES:
        return ("development", f"{draft.image} is a bare base image: with no build, it runs code mounted for "
                "development", [_where(draft)], False)
    return None


def _own_image(draft: Draft, ctx: _Context) -> Verdict:
    """`image: vendor/app` beside the source of app: a deploy example of the same thing Hydron builds."""
    if draft.compose is None or not draft.image or draft.compose.build_context is not None:
        return None
    repository = _squash(_IMAGE_SUFFIX.sub("", _image_name(draft.image)))
    built = {_squash(p.name) for p in ctx.found.projects} | {_squash(d.name) for d in ctx.plan.drafts
                                                         if d is not draft and (d.project or d.dockerfile)}
    if repository and repository in built:
        return ("own-image", f"{draft.image} is the published image of this repository's own app, which Hydron "
                "builds from source", [_where(draft)], False)
    return None


def _path_class(draft: Draft, ctx: _Context) -> Verdict:
    parts = [p for p in (draft.path or "").split("/") if p]
    framework = draft.project.framework.name if draft.project and draft.project.framework else None
    server = draft.project is not None and draft.project.default_port is not None and framework not in _DOC_FRAMEWORKS
    if (_DOC_DIRS & set(parts) and not server) or framework in _DOC_FRAMEWORKS:
        return ("documentation", "a documentation site; deploy it only if you host the docs yourself",
                [_where(draft)], False)
    site = _hugo_site(draft, ctx)
    if site:
        return ("documentation", "a Hugo site beside the app (its website or docs); deploy it only if you host it "
                "yourself", [Evidence(file=site, detail="Hugo configuration")], False)
    if parts and _INIT_DIR.search(parts[-1]) and not _stated(draft):
        return ("build-tooling", "a template initialiser that create-* runs once when the template is copied",
                [_where(draft)], False)
    if any(_EXAMPLE_DIR.search(p) for p in parts):
        return ("example", "an example beside the app, not part of it", [_where(draft)], False)
    if any(_TEST_DIR.search(p) for p in parts):
        return ("development", "an end-to-end or test harness, run against the app rather than deployed",
                [_where(draft)], False)
    if _TOOLING_DIRS & set(parts):
        return ("build-tooling", "packaging or development tooling (builds packages, not a running service)",
                [_where(draft)], False)
    return None


def _hugo_site(draft: Draft, ctx: _Context) -> Optional[str]:
    """The Hugo configuration of a site in a subfolder (a repository that is itself a Hugo site stays a service)."""
    if ctx.tree is None or not draft.path:
        return None
    names = set(ctx.tree.names(draft.path))
    config = next((n for n in ("hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json") if n in names), None)
    if config is None and "config.toml" in names and {"content", "layouts"} <= _subfolders(ctx.tree, draft.path):
        config = "config.toml"
    return f"{draft.path}/{config}" if config else None


def _subfolders(tree: Tree, path: str) -> set[str]:
    return {d[len(path) + 1:].split("/", 1)[0] for d in tree.files if d.startswith(path + "/")}


def _library(draft: Draft, ctx: _Context) -> Verdict:
    project = draft.project
    if project is None or _stated(draft) or project.name not in ctx.imported:
        return None
    importer = next((p for p in ctx.found.projects if p is not project and p.path != project.path
                     and any(d.name == project.name for d in p.dependencies)), None)
    if importer is None:
        return None  # only itself names the package (a crate called like the framework it uses)
    evidence = [d.evidence for d in importer.dependencies if d.name == project.name][:1]
    return ("library", f"a library: {importer.path or 'the root'} imports "
            f"{project.name}, and nothing starts it on its own", evidence or [_where(draft)], False)


def _unstarted_member(draft: Draft, ctx: _Context) -> Verdict:
    """A workspace package with no start script, no server framework and no Dockerfile: shared config or code."""
    project = draft.project
    if project is None or not draft.path or _stated(draft) or project.framework or project.role:
        return None
    if project.start is not None and project.start.confidence != "low":
        return None
    root = next((p for p in ctx.found.projects if "workspace root" in p.not_deployable_reason
                 and (not p.path or draft.path.startswith(p.path + "/"))), None)
    if root is None:
        return None
    return ("library", f"a package of the {root.path or 'root'} workspace that nothing starts (no start script, "
            "server framework or Dockerfile)", [_where(draft)], False)


def _client_app(draft: Draft, ctx: _Context) -> Verdict:
    project = draft.project
    if project is None or draft.compose:
        return None
    entry = project.entry_point.file if project.entry_point else ""
    folder = entry.rpartition("/")[0].rpartition("/")[2]
    if project.ecosystem == "go" and folder and _CLI_FOLDER.search(folder) and not _stated(draft):
        return ("client-app", f"a command-line client ({entry}): people run it against the server, it serves nothing",
                [project.entry_point.evidence[0]], False)
    names = {d.name for d in project.dependencies}
    hit = next((n for n in _CLIENT_DEPENDENCIES if n in names), None)
    if hit is None:
        return None
    evidence = [d.evidence for d in project.dependencies if d.name == hit][:1]
    return ("client-app", f"{_CLIENT_DEPENDENCIES[hit]}, which runs on the user's device, not a server",
            evidence, False)


def _build_script(draft: Draft, ctx: _Context) -> Verdict:
    project = draft.project
    if project is None or _stated(draft):
        return None
    hit = next((d for d in project.dependencies if d.name.lower() in _BUILD_SCRIPT_DEPENDENCIES), None)
    if hit is None:
        return None
    return ("build-tooling", f"a build script project (it depends on {hit.name})", [hit.evidence], False)


def _bundled(draft: Draft, ctx: _Context) -> Verdict:
    """A frontend another service's Dockerfile copies in and builds: it ships inside that image."""
    if not draft.path or draft.dockerfile or draft.compose or draft.project is None:
        return None
    if draft.project.static_root is None and draft.project.ecosystem != "node":
        return None
    for other in ctx.plan.drafts:
        dockerfile = other.dockerfile
        if other is draft or dockerfile is None or other.image:
            continue
        context = other.build_context if other.build_context is not None else other.path
        for source, line in dockerfile.copies:
            copied = _normal(f"{context}/{source}" if context else source)
            if copied and (copied == draft.path or copied.startswith(draft.path + "/")):
                return ("bundled", f"built into the image of {other.name} by {dockerfile.path}",
                        [dockerfile.evidence(line, f"COPY {source}")], False)
    return None


def _quinoa(draft: Draft, ctx: _Context) -> Verdict:
    """Quarkus Quinoa builds src/main/webui of a Quarkus project into that project's jar (quarkus-super-heroes'
    UI): the frontend is served by the Java service, not deployed on its own."""
    if not draft.path or draft.dockerfile or draft.compose or draft.project is None:
        return None
    if draft.project.ecosystem != "node" or not draft.path.endswith("src/main/webui"):
        return None
    owner = draft.path[: -len("src/main/webui")].rstrip("/")
    for project in ctx.found.projects:
        hit = next((d for d in project.dependencies if d.name.endswith(":quarkus-quinoa")), None)
        if project.path == owner and hit is not None:
            return ("bundled", f"built into the Quarkus app of {owner or 'the root'} by Quinoa", [hit.evidence], False)
    return None


def _embedded(draft: Draft, ctx: _Context) -> Verdict:
    """A frontend a Go package names in `//go:embed`, or a frontend folder holding Go code (embed.go, serve.go), is
    compiled into the Go binary. The go:embed evidence tells the image generator to build it before `go build`."""
    if ctx.tree is None or not draft.path or draft.dockerfile or draft.compose or draft.project is None:
        return None
    if draft.project.ecosystem != "node":
        return None
    for project in ctx.found.projects:
        hit = next((e for folder, e in project.builds if folder == draft.path), None) if project.ecosystem == "go" else None
        if hit is not None:
            return ("bundled", f"embedded in the Go binary of {project.path or 'the root'} ({hit.file}: {hit.detail})",
                    [hit], False)
    go_files = [n for n in ctx.tree.names(draft.path) if n.endswith(".go") and not n.endswith("_test.go")]
    if not go_files:
        return None
    return ("bundled", f"a frontend embedded in the Go binary ({go_files[0]} in its folder)",
            [Evidence(file=f"{draft.path}/{go_files[0]}", detail="Go source beside the frontend")], False)


def _built_by_script(draft: Draft, ctx: _Context) -> Verdict:
    """`npm run build --prefix frontend` in another package's scripts: that package builds and serves it."""
    if not draft.path or draft.dockerfile or draft.compose or draft.project is None:
        return None
    for project in ctx.found.projects:
        if project is draft.project:
            continue
        for folder, evidence in project.builds:
            if folder == draft.path:
                return ("bundled", f"built by the scripts of {project.path or 'the root'} package and served by it",
                        [evidence], False)
    return None


def _not_composed(draft: Draft, ctx: _Context) -> Verdict:
    """The root compose file builds the app's services from source: an app folder it leaves out is not one of them.

    A repository that ships a compose file states what a self-hosted deployment runs; the other apps of
    a monorepo (a marketing site, hosted-only workers) are what its authors run elsewhere.
    """
    if draft.compose or draft.process or not draft.path or draft.project is None:
        return None
    composed = [d for d in ctx.plan.drafts if d.compose and not d.image and "/" not in d.compose.file
                and not d.compose.profiles]
    if not composed:
        return None
    first = composed[0].compose
    return ("not-in-compose", f"{first.file} builds the app's services from source and leaves this one out",
            [first.evidence(first.line, f"compose builds {', '.join(sorted(d.name for d in composed)[:4])}")],
            False)


def _writes_elsewhere(draft: Draft, ctx: _Context) -> Verdict:
    """`vite build --outDir=../server/frontend/dist`: another part of the repository serves or embeds the build."""
    project = draft.project
    if project is None or project.writes_outside is None or _stated(draft):
        return None
    target, evidence = project.writes_outside
    return ("bundled", f"its build is written to {target}, outside its folder, where another part of the "
            "repository serves or embeds it", [evidence], False)


def _procfile_datastore(draft: Draft, ctx: _Context) -> Verdict:
    if draft.process and _DATASTORE_COMMAND.search(draft.process.command):
        return ("datastore-process", "a Procfile line that starts a datastore; Hydron runs datastores as "
                "backing services", [_where(draft)], False)
    return None


_RULES: tuple[Callable[..., Verdict], ...] = (
    _development_compose, _tool_image, _own_image, _path_class, _procfile_datastore, _client_app, _build_script,
    _library, _unstarted_member, _bundled, _quinoa, _embedded, _built_by_script, _writes_elsewhere, _not_composed,
)


def _image_name(image: str) -> str:
    return image.split("@", 1)[0].rsplit("/", 1)[-1].partition(":")[0].lower()


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.rpartition("/")[2].lower())


def _normal(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return ""
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)
