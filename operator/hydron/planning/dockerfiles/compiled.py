"""Services that compile to an artifact: Go, Rust, JVM (Maven/Gradle; Spring Boot, Quarkus), .NET.

The build stage compiles; the runtime stage is a slim image with the artifact only.
The analysis' start command names the artifact where the build left it (./bin/api,
target/app.jar); here it moves to a fixed place, so the generator writes its own CMD
unless a person or the LLM set the start command.
"""

from __future__ import annotations

import json
import re
import shlex

from hydron.analysis.models import Service

from . import images, node, sqlx
from .common import (
    Context, add_user, apt_install, bash_check, cmd, copy_optional, env_lines, expose, header, healthcheck,
    owned_workdir, plain_folder, port_env, relative_to,
)


def _runtime_tail(ctx: Context, default_cmd: str, user: str = "app") -> str:
    start = cmd(ctx.start_command) if ctx.start_command and ctx.start_overridden else default_cmd
    return (f"USER {user}\n"
            f"{expose(ctx)}"
            f"{healthcheck(bash_check(ctx.port, ctx.health_path), ctx.check)}"
            f"{start}\n")


# programs a compose command may run instead of passing arguments to the image's entrypoint
_PROGRAMS = frozenset({"sh", "bash", "env", "exec", "cargo", "go", "air", "reflex", "watchexec", "dlv"})


def _binary(ctx: Context, fallback: str) -> tuple[str, list[str]]:
    """The executable the analysis' start command runs (its file name) and its arguments. A compose command that
    names no program (`command: [server, --log-level, debug]`, for an image whose ENTRYPOINT is the binary) is
    the binary's arguments: dropped, shiori printed its help and exited."""
    if ctx.start_command:
        argv = shlex.split(ctx.start_command)
        if argv and ("/" in argv[0]):
            return argv[0].rsplit("/", 1)[-1], argv[1:]
        if argv and argv[0] == fallback:
            return fallback, argv[1:]
        if argv and _from_compose(ctx) and argv[0] not in _PROGRAMS and re.fullmatch(r"[a-z][\w-]*", argv[0]):
            return fallback, argv
    return fallback, []


def _from_compose(ctx: Context) -> bool:
    """The analysed start command is a compose `command:` (what compose passes to the image's entrypoint)."""
    start = ctx.service.start_command
    return (not ctx.start_overridden and start is not None and start.value == ctx.start_command
            and any(e.detail == "compose command" for e in start.evidence))


def go(ctx: Context) -> str:
    name, args = _binary(ctx, ctx.service.name)
    build = ctx.build or ""
    package = build.split()[-1] if build.startswith("go build") else "."
    argv = [f"/usr/local/bin/{name}", *args]
    manifests = copy_optional("go.mod", "go.sum")
    frontends = _embedded_frontends(ctx)
    cgo = _needs_cgo(ctx)  # with the C compiler cgo calls: slim and stand-in Go images may have none
    return (
        header(ctx, f"go{', ' + ctx.framework if ctx.framework else ''}")
        + "\n"
        + "".join(_frontend_stage(ctx, folder, frontend) for folder, frontend in frontends)
        + f"FROM {images.golang(ctx.version)} AS build\n"
        + (apt_install("gcc", "libc6-dev") if cgo else "")
        + f"ENV CGO_ENABLED={1 if cgo else 0} GOFLAGS=-trimpath\n"
        "WORKDIR /src\n"
        f"COPY {manifests} ./\n"
        "RUN go mod download\n"
        "COPY . .\n"
        + "".join(f"COPY --from={_stage(folder)} /frontend ./{folder}\n" for folder, _ in frontends)
        + f"RUN go build -ldflags='-s -w' -o /out/{name} {package}\n"
        "\n"
        f"FROM {images.DEBIAN} AS runtime\n"
        f"{apt_install('ca-certificates')}"
        f"{env_lines(port_env(ctx))}"
        f"{add_user()}"
        f"{owned_workdir('/app', writable=ctx.writable)}"
        f"COPY --from=build /out/{name} /usr/local/bin/{name}\n"
        + _runtime_tail(ctx, "CMD " + _json(argv))
    )


# Go database drivers that are C libraries behind cgo: built with CGO_ENABLED=0 they are stubs that fail at the
# first connection (gotify: "go-sqlite3 requires cgo to work. This is a stub").
_CGO_DRIVERS = ("github.com/mattn/go-sqlite3", "gorm.io/driver/sqlite", "github.com/tursodatabase/go-libsql")


def _needs_cgo(ctx: Context) -> bool:
    """A datastore of this service is reached through a cgo driver (the builder and runtime share glibc)."""
    mine = {d.name for d in ctx.service.depends_on if d.kind == "backing"}
    return any(e.detail.endswith(_CGO_DRIVERS) for store in ctx.analysis.databases if store.name in mine
               for e in store.evidence)


def _embedded_frontends(ctx: Context) -> list[tuple[str, Service]]:
    """(folder in the build context, frontend) for each frontend the binary embeds with `//go:embed` and that has a
    build: without its output `go build` fails (gotify: `pattern build/*: no matching files found`)."""
    found = []
    for skipped in ctx.analysis.skipped_services:
        frontend = skipped.service
        if skipped.reason != "bundled" or frontend is None or frontend.build_command is None:
            continue
        if not any(e.file.endswith(".go") and e.detail.startswith("//go:embed") for e in skipped.evidence):
            continue
        folder = relative_to(skipped.path, ctx.service.path or ".")
        if folder not in ("", ".") and plain_folder(folder):
            found.append((folder, frontend))
    return sorted(found, key=lambda pair: pair[0])


def _stage(folder: str) -> str:
    return "frontend-" + re.sub(r"[^a-z0-9]+", "-", folder.lower()).strip("-")


# The stage only makes static files: no test browser downloads in postinstall scripts (gotify's puppeteer), and
# the build, not yarn's engines check of every dependency, says whether this Node builds it.
_FRONTEND_BUILD_ENV = {"PUPPETEER_SKIP_DOWNLOAD": "true", "CYPRESS_INSTALL_BINARY": "0", "YARN_IGNORE_ENGINES": "true"}


def _frontend_stage(ctx: Context, folder: str, frontend: Service) -> str:
    """Installs and builds the frontend alone; its folder, built, replaces the source one in the Go stage."""
    fctx = Context(service=frontend, analysis=ctx.analysis, start_command=None, port=None, health_path=None)
    pm = node.manager(fctx)
    version = frontend.language.version if frontend.language else None
    base = images.bun(version) if pm == "bun" else images.node(version)
    corepack = "RUN corepack enable || (npm install -g corepack && corepack enable)\n" if pm in ("yarn", "pnpm") else ""
    return (f"# {folder} is embedded in the binary (go:embed): built first, without its node_modules.\n"
            f"FROM {base} AS {_stage(folder)}\n"
            "WORKDIR /frontend\n"
            f"{env_lines(_FRONTEND_BUILD_ENV)}"
            f"{corepack}"
            f"COPY {folder}/ ./\n"
            f"RUN {node.install_command(fctx, pm)}\n"
            f"RUN {frontend.build_command.value} && rm -rf node_modules\n"
            "\n")


_FEATURES = re.compile(r"\s--features[ =](\S+)")
# Rocket listens on 127.0.0.1 unless told otherwise: unreachable from outside the container.
_RUST_FRAMEWORK_ENV = {"Rocket": lambda port: {"ROCKET_ADDRESS": "0.0.0.0", **({"ROCKET_PORT": str(port)} if port else {})}}


def rust(ctx: Context) -> str:
    name, args = _binary(ctx, ctx.service.name)
    features = _FEATURES.search(ctx.build or "")
    locked = (" --locked" if ctx.lockfile else "") + (f" --features {features.group(1)}" if features else "")
    framework_env = _RUST_FRAMEWORK_ENV[ctx.framework](ctx.port) if ctx.framework in _RUST_FRAMEWORK_ENV else {}
    argv = [f"/usr/local/bin/{name}", *args]
    monorepo = ctx.analysis.monorepo
    workspace = (ctx.lockfile and ctx.lockfile.startswith("../")) or (monorepo and "cargo-workspace" in monorepo.tools)
    # A workspace member (it inherits from the root manifest and shares its lock and target/), or a root package
    # whose workspace has members (its manifest alone does not load): the whole workspace is the build context
    # and cargo builds just this binary. A single crate builds its dependencies against a stub main first, so a
    # source change reuses that layer; touch: the copied sources may be older than the stub build.
    compile_command = (f"cargo build --release{locked} --bin {name}" if workspace
                       else f"touch src/main.rs && cargo build --release{locked}")
    compile_command += f" && cp target/release/{name} /usr/local/bin/{name}"
    database, compile_run = _sqlx_database(ctx, compile_command)
    if workspace:
        compile_steps = "# A Cargo workspace: the whole workspace is the context; build only this binary.\nCOPY . .\n"
    else:
        compile_steps = (
            f"COPY {copy_optional('Cargo.toml', 'Cargo.lock')} ./\n"
            "# Build the dependencies against a stub main, so a source change reuses this layer.\n"
            f"RUN mkdir src && echo 'fn main() {{}}' > src/main.rs && cargo build --release{locked} && rm -rf src\n"
            "COPY . .\n"
            + ("" if compile_run else "# touch: the copied sources may be older than the stub build.\n"))
    compile_steps += compile_run or f"RUN {compile_command}\n"
    offline = ("" if compile_run else
               "# sqlx's query macros check queries against the offline data the repository commits (.sqlx/,\n"
               "# sqlx-data.json), never against a database: the build cannot reach one.\n"
               "ENV SQLX_OFFLINE=true\n")
    return (
        header(ctx, f"rust, cargo{', ' + ctx.framework if ctx.framework else ''}")
        + "\n"
        f"FROM {images.rust(ctx.version)} AS build\n"
        f"{apt_install('pkg-config', 'libssl-dev', *database)}"
        "WORKDIR /app\n"
        f"{offline}"
        f"{compile_steps}"
        "\n"
        f"FROM {images.DEBIAN} AS runtime\n"
        f"{apt_install('ca-certificates', 'libssl3')}"
        f"{env_lines({**port_env(ctx), **framework_env})}"
        f"{add_user()}"
        f"{owned_workdir('/app', writable=ctx.writable)}"
        f"COPY --from=build /usr/local/bin/{name} /usr/local/bin/{name}\n"
        + _runtime_tail(ctx, "CMD " + _json(argv))
    )


def _sqlx_database(ctx: Context, compile_command: str) -> tuple[tuple[str, ...], str | None]:
    """(the database server package, the RUN that compiles against it) when sqlx's query macros need a database
    the build makes from the repository's migrations; ((), None) otherwise."""
    build = sqlx.sqlx_build(ctx.service, ctx.analysis)
    if build is None or not build.needs_database:
        return (), None
    from . import build_context  # the package imports this module first
    run = sqlx.with_database(build, build_context(ctx.service), compile_command)
    return ((sqlx.package(build),), run) if run else ((), None)


def _json(argv: list[str]) -> str:
    return json.dumps(argv)


JAR_PICK = ("mkdir -p /out && cp \"$(find {dir} -maxdepth 1 -name '*.jar' ! -name '*-plain.jar' "
            "! -name 'original-*' | head -n 1)\" /out/app.jar")


def java(ctx: Context) -> str:
    major = images.java_major(ctx.version)
    maven = (ctx.service.package_manager.name if ctx.service.package_manager else "maven") == "maven"
    quarkus = ctx.framework == "Quarkus"
    if maven:
        builder = f"maven:3.9-eclipse-temurin-{major}"
        resolve = "COPY pom.xml ./\nRUN mvn -B -q dependency:go-offline\n"
        package = "RUN mvn -B -q package -DskipTests\n"
        output = "target"
    else:
        builder = f"gradle:8-jdk{major}"
        resolve = (f"COPY {copy_optional('build.gradle', 'build.gradle.kts', 'settings.gradle', 'settings.gradle.kts', 'gradle.properties')} ./\n"
                   "RUN gradle dependencies --no-daemon -q > /dev/null\n")
        package = "RUN gradle build -x test --no-daemon -q\n"
        output = "build" if quarkus else "build/libs"
    if quarkus:
        collect = f"RUN mkdir -p /out && cp -r {output}/quarkus-app /out/quarkus-app\n"
        copy = "COPY --from=build --chown=app:app /out/quarkus-app /app/quarkus-app\n"
        default = "CMD " + _json(["java", "-jar", "/app/quarkus-app/quarkus-run.jar"])
        port_vars = {"QUARKUS_HTTP_PORT": str(ctx.port), "QUARKUS_HTTP_HOST": "0.0.0.0"} if ctx.port else {}
    else:
        collect = f"RUN {JAR_PICK.format(dir=output)}\n"
        copy = "COPY --from=build --chown=app:app /out/app.jar /app/app.jar\n"
        default = "CMD " + _json(["java", "-jar", "/app/app.jar"])
        port_vars = {"SERVER_PORT": str(ctx.port)} if ctx.port and ctx.framework == "Spring Boot" else {}
    environment = {"JAVA_TOOL_OPTIONS": "-XX:MaxRAMPercentage=75", **port_env(ctx), **port_vars}
    return (
        header(ctx, f"java {major}, {'maven' if maven else 'gradle'}{', ' + ctx.framework if ctx.framework else ''}")
        + "\n"
        f"FROM {builder} AS build\n"
        "WORKDIR /app\n"
        f"{resolve}"
        "COPY . .\n"
        f"{package}"
        f"{collect}"
        "\n"
        f"FROM eclipse-temurin:{major}-jre AS runtime\n"
        f"{env_lines(environment)}"
        f"{add_user()}"
        f"{owned_workdir('/app', writable=ctx.writable)}"
        f"{copy}"
        + _runtime_tail(ctx, default)
    )


_PUBLISH = re.compile(r"dotnet publish\s+(\S+\.(?:cs|fs|vb)proj)")


def dotnet(ctx: Context) -> str:
    version = images.dotnet(ctx.version)
    match = _PUBLISH.search(ctx.build or "")
    project = match.group(1) if match else None
    assembly = project.rsplit(".", 1)[0] if project else ctx.service.name
    if ctx.start_command and ctx.start_command.startswith("dotnet "):
        assembly = shlex.split(ctx.start_command)[1].rsplit("/", 1)[-1].removesuffix(".dll")
    web = ctx.port is not None
    runtime = f"mcr.microsoft.com/dotnet/{'aspnet' if web else 'runtime'}:{version}"
    locked = " --locked-mode" if ctx.lockfile else ""
    target = project or ""
    modern = int(version.split(".")[0]) >= 8
    # .NET 8+ images listen on 8080 and ship a non-root `app` user; older ones need both set up.
    port_vars = ({"ASPNETCORE_HTTP_PORTS": str(ctx.port)} if modern else {"ASPNETCORE_URLS": f"http://+:{ctx.port}"}) if web else {}
    return (
        header(ctx, f"dotnet {version}{', ' + ctx.framework if ctx.framework else ''}")
        + "\n"
        f"FROM mcr.microsoft.com/dotnet/sdk:{version} AS build\n"
        "WORKDIR /src\n"
        f"COPY {project or '*.csproj'} packages.lock.json* NuGet.Config* ./\n"
        f"RUN dotnet restore {target}{locked}\n"
        "COPY . .\n"
        f"RUN dotnet publish {target} -c Release -o /out --no-restore\n"
        "\n"
        f"FROM {runtime} AS runtime\n"
        f"{env_lines({**port_env(ctx), **port_vars})}"
        f"{'' if modern else add_user()}"
        f"{owned_workdir('/app', writable=ctx.writable)}"
        "COPY --from=build --chown=app:app /out ./\n"
        + _runtime_tail(ctx, "CMD " + _json(["dotnet", f"{assembly}.dll"]))
    )
