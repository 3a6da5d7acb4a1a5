"""Node.js and Bun services: npm, yarn, pnpm, bun; Next.js, Nuxt, Remix, NestJS, Express and friends."""

from __future__ import annotations

import posixpath
import re

from hydron.analysis.nodepm import EXEC

from . import images
from .common import (
    Context, cmd, copy_optional, env_lines, expose, header, healthcheck, missing_start, node_check, owned_workdir,
    port_env,
)

MANIFESTS = {
    "npm": ("package.json", "package-lock.json", "npm-shrinkwrap.json", ".npmrc"),
    "yarn": ("package.json", "yarn.lock", ".yarnrc.yml", ".yarnrc", ".npmrc"),
    "pnpm": ("package.json", "pnpm-lock.yaml", "pnpm-workspace.yaml", ".npmrc"),
    "bun": ("package.json", "bun.lock", "bun.lockb", "bunfig.toml", ".npmrc"),
}
DEFAULT_INSTALL = {
    "npm": ("npm ci", "npm install"),
    "yarn": ("yarn install --frozen-lockfile", "yarn install"),
    "pnpm": ("pnpm install --frozen-lockfile", "pnpm install"),
    "bun": ("bun install --frozen-lockfile", "bun install"),
}
PRUNE = {"npm": "npm prune --omit=dev", "pnpm": "pnpm prune --prod"}
_RUN_SCRIPT = re.compile(
    r"^(?:npm run|npm|yarn run|yarn|pnpm run|pnpm)\s+(?!(?:install|exec|dlx|node|add|x)\b)([\w:.-]+)(.*)$"
)
BUILD_ENV = {"Next.js": {"NEXT_TELEMETRY_DISABLED": "1"}}
# Frameworks whose server reads these to listen on all interfaces and the planned port.
FRAMEWORK_ENV = {
    "Next.js": {"HOSTNAME": "0.0.0.0", "NEXT_TELEMETRY_DISABLED": "1"},
    "Nuxt": {"HOST": "0.0.0.0", "NITRO_HOST": "0.0.0.0"},
    "Remix": {"HOST": "0.0.0.0"},
    "SvelteKit": {"HOST": "0.0.0.0"},
}


def manager(ctx: Context) -> str:
    name = ctx.service.package_manager.name if ctx.service.package_manager else "npm"
    if name not in MANIFESTS:
        return "bun" if ctx.service.language and ctx.service.language.name == "bun" else "npm"
    return name


def install_command(ctx: Context, pm: str) -> str:
    """The frozen install of the lock; when the lock no longer matches package.json (real repositories
    commit such locks), the build says so and resolves afresh rather than failing."""
    locked, unlocked = DEFAULT_INSTALL[pm]
    command = ctx.install or (locked if ctx.lockfile else unlocked)
    if command == locked and pm in ("npm", "yarn", "pnpm"):
        lock = posixpath.basename(ctx.lockfile) if ctx.lockfile else "the lockfile"
        return (f"{command} \\\n || (echo 'hydron: {lock} is out of date with package.json; updating it in the image "
                f"(commit an updated lock for reproducible builds)' >&2 && {unlocked})")
    return command


def runtime_start(command: str, pm: str) -> str:
    """`yarn start` / `pnpm run start:prod` → `npm run …`: npm ships with every node image and
    runs a package.json script without the package manager, so the runtime stage needs no
    corepack download as a non-root user."""
    if pm == "bun":
        return command
    match = _RUN_SCRIPT.match(command.strip())
    if match is None:
        return command
    script, rest = match.group(1), match.group(2)
    return f"npm run {script}{' --' + rest if rest.strip() else ''}"


def _is_workspace_member(ctx: Context) -> bool:
    return bool(ctx.lockfile and ctx.lockfile.startswith("../"))


def dependency_stages(ctx: Context, base: str, pm: str, prune: bool = True) -> str:
    """deps (install from manifests only) and build (sources, build, prune) stages."""
    # Node 25 and images built without it ship no corepack: fetch it with npm then (it-tools' pnpm build).
    # Without a packageManager field corepack would fetch the newest pnpm/yarn on the registry, which the
    # image's Node or corepack may not run (umami: pnpm 12's layout, "Cannot find module .../pnpm.cjs");
    # the release the image's corepack ships as its default is the one made for that Node.
    # Yarn 2+ comes from the npm registry the install uses anyway (@yarnpkg/cli-dist), not from Yarn's own
    # host: a build needs one registry reachable (a mirror, an egress allow-list), not two (nx-examples).
    corepack = ("ENV COREPACK_DEFAULT_TO_LATEST=0 \\\n    COREPACK_NPM_REGISTRY=https://registry.npmjs.org\n"
                "RUN corepack enable || (npm install -g corepack && corepack enable)\n") if pm in ("yarn", "pnpm") else ""
    install = _or_build_tools(install_command(ctx, pm))
    if _is_workspace_member(ctx):
        # The lockfile belongs to a workspace root: install there, with every member's manifest.
        copy_manifests = ("# A workspace member: the whole workspace is the build context, so install needs\n"
                          "# every member's package.json; the lockfile still pins every version.\n"
                          "COPY . .\n")
        workdir = f"WORKDIR /app/{_member_path(ctx)}\n"
    else:
        copy_manifests = f"COPY {copy_optional(*MANIFESTS[pm])} ./\n"
        workdir = ""
    build_command = _without_repeated_install(ctx.build) if ctx.build else None
    at_root = bool(workdir and build_command and _WORKSPACE_BUILD.match(build_command))
    manifest = f"{_member_path(ctx)}/package.json" if at_root else "package.json"
    build = f"RUN {_without_env_validation(build_command, manifest)}\n" if build_command else ""
    # before NODE_ENV=production: under it an install would leave out the dev dependencies the build needs
    adapter = _node_adapter(pm) if build and ctx.framework == "SvelteKit" and ctx.service.role.value == "web" else ""
    build_env = env_lines({"NODE_ENV": "production", **BUILD_ENV.get(ctx.framework or "", {}),
                           **_prisma_build_url(ctx)}) if ctx.build else ""
    member_steps = f"{_prisma_generate(ctx, pm)}{adapter}"
    if at_root:
        # Nx and Turborepo build a member from the workspace root, where the workspace's own CLI is installed
        # (nx-examples: Yarn 2+ runs only a member's own bins, "Couldn't find a script named nx" in apps/cart)
        member_steps = f"{workdir}{member_steps}WORKDIR /app\n" if member_steps else ""
        build = f"{member_steps}{build_env}{_ROOT_BUILD_NOTE}{build}"
    else:
        build = f"{workdir}{member_steps}{build_env}{build}"
    # Dev dependencies go after the build; yarn and bun have no lockfile-respecting prune, so they stay.
    prune_step = f"RUN {PRUNE[pm]}\n" if prune and pm in PRUNE and not _is_workspace_member(ctx) else ""
    return (
        f"FROM {base} AS deps\n"
        "WORKDIR /app\n"
        # Cypress' postinstall downloads its test browser: end-to-end tests never run in the image
        # (nx-examples, remix-indie-stack: the download failed the install)
        "ENV CYPRESS_INSTALL_BINARY=0\n"
        f"{corepack}"
        f"{copy_manifests}"
        f"RUN {install}\n"
        "\n"
        f"FROM {base} AS build\n"
        "WORKDIR /app\n"
        f"{corepack}"
        "COPY --from=deps /app ./\n"
        "COPY . .\n"
        f"{build}"
        f"{prune_step}"
    )


def _prisma_generate(ctx: Context, pm: str) -> str:
    """Prisma's client is generated from the schema, which the deps stage's install (manifests only) did not have,
    so @prisma/client's own postinstall generated nothing (remix-indie-stack: "@prisma/client did not initialize
    yet" at start). A build that generates it again does no harm."""
    if not any(p.name == "@prisma/client" for p in ctx.service.packages or ()):
        return ""
    return f"RUN {EXEC[pm]} prisma generate\n"


_PRISMA_CONFIG = re.compile(r"(?:^|/)prisma\.config\.[cm]?[jt]s$")


def _prisma_build_url(ctx: Context) -> dict[str, str]:
    """Prisma 7's prisma.config reads DATABASE_URL with env(), which throws when it is unset, so `prisma generate`
    in the build fails without one (umami); generating never connects: a placeholder of the planned engine does.
    Build stage only: the runtime gets the real URL from the plan."""
    if not any(v.name == "DATABASE_URL" for v in ctx.service.env) or not any(
            _PRISMA_CONFIG.search(f) for f in ctx.service.files):
        return {}
    scheme = "mysql" if ctx.backing_kinds & {"mysql", "mariadb"} and "postgres" not in ctx.backing_kinds else "postgresql"
    return {"DATABASE_URL": f"{scheme}://build@localhost:5432/build"}


# a workspace tool run through the package manager: `yarn nx build cart`, `npx turbo run build --filter=web`
_WORKSPACE_BUILD = re.compile(r"^(?:npx|yarn(?: run)?|pnpm(?: exec)?|bunx)\s+(?:nx|turbo)\s")
_ROOT_BUILD_NOTE = "# The workspace's build tool runs at its root, where it is installed.\n"


def _without_env_validation(build: str, manifest: str = "package.json") -> str:
    """The build with t3-env's check of the runtime variables skipped (SKIP_ENV_VALIDATION by create-t3-app's
    convention, CI by create-t3-turbo's): the secrets and URLs it checks exist only when the service runs, where
    the check still happens (create-t3-turbo: "Invalid environment variables" while loading next.config.js)."""
    return f"{{ ! grep -qs '\"@t3-oss/env-' {manifest} || export SKIP_ENV_VALIDATION=1 CI=1; }} \\\n && {build}"


ADD_DEV = {"npm": "npm install --no-save", "yarn": "yarn add -D", "pnpm": "pnpm add -D", "bun": "bun add -d"}


def _node_adapter(pm: str) -> str:
    """SvelteKit builds for the platform its adapter names (vercel, netlify, auto: realworld-sveltekit), which
    writes no server the image can start; adapter-node writes the build/ that `node build` serves."""
    return ("# The server in a container is adapter-node's: an app configured for a hosting platform builds with it.\n"
            "RUN grep -q '\"@sveltejs/adapter-node\"' package.json || (echo 'hydron: building with "
            "@sveltejs/adapter-node in place of the hosting platform adapter svelte.config names' >&2 \\\n"
            "    && sed -i -E \"s#(from +['\\\"])@sveltejs/adapter-[a-z-]+#\\\\1@sveltejs/adapter-node#\" "
            "svelte.config.* \\\n"
            # the adapter's major follows Kit's: 5 for Kit 2, 6 for Kit 3 (6 under Kit 2: "reading 'base'")
            "    && kit=$(node -p \"require('@sveltejs/kit/package.json').version.split('.')[0]\") \\\n"
            f"    && {ADD_DEV[pm]} \"@sveltejs/adapter-node@$(case $kit in 1) echo 1;; 2) echo 5;; *) echo latest;; esac)\")\n")


def _or_build_tools(install: str) -> str:
    """The install, and where it fails, again with node-gyp's tools: a native module without a prebuilt
    binary for this Node compiles (realworld-nestjs' argon2 0.26: "Could not find any Python installation")."""
    if "\n" in install:
        install = f"({install})"
    # node-gyp compiles against the headers the Node image ships (/usr/local/include/node) rather than downloading
    # them from Node's release site: one host fewer for the build to reach (realworld-nestjs' argon2)
    return (f"{install} \\\n || (echo 'hydron: a native module compiles (no prebuilt binary for this Node); installing "
            "python3, make and g++ and retrying' >&2 \\\n     && apt-get update && apt-get install -y "
            "--no-install-recommends python3 make g++ \\\n"
            "     && { [ ! -f /usr/local/include/node/common.gypi ] || export npm_config_nodedir=/usr/local; } \\\n"
            f"     && {install})")


_ROOT_INSTALL = re.compile(r"^\s*(?:npm (?:ci|install|i)|yarn(?: install)?|pnpm (?:install|i)|bun (?:install|i))"
                           r"(?:\s+--?[\w-]+(?:=\S+)?)*\s*(?:&&\s*|$)")


def _without_repeated_install(build: str) -> str:
    """The build without a leading install of the root package: the deps stage installed it already, with
    dev dependencies, while here NODE_ENV=production would make `npm ci` leave out the build tools
    (realworld-express: `npm ci && npx nx build api` found no Nx). An install elsewhere (`cd web && npm ci`) stays."""
    return _ROOT_INSTALL.sub("", build, count=1).strip()


def _member_path(ctx: Context) -> str:
    depth = ctx.lockfile.count("../") if ctx.lockfile else 0
    parts = ctx.service.path.strip("/").split("/")
    return "/".join(parts[len(parts) - depth:])


def base_image(ctx: Context) -> str:
    if ctx.service.language and ctx.service.language.name == "bun" or manager(ctx) == "bun":
        return images.bun(ctx.version if ctx.service.language and ctx.service.language.name == "bun" else None)
    return images.node(ctx.version)


def server(ctx: Context) -> str:
    """A Node/Bun server: deps → build → slim runtime running the start command as `node`/`bun`."""
    pm = manager(ctx)
    base = base_image(ctx)
    bun = base.startswith("oven/bun")
    user = "bun" if bun else "node"
    workdir = f"WORKDIR /app/{_member_path(ctx)}\n" if _is_workspace_member(ctx) else ""
    environment = {"NODE_ENV": "production", **port_env(ctx), **FRAMEWORK_ENV.get(ctx.framework or "", {})}
    start = cmd(runtime_start(ctx.start_command, pm)) if ctx.start_command else missing_start(ctx.service.name)
    check = node_check(ctx.port, ctx.health_path, "bun" if bun else "node")
    return (
        header(ctx, f"{'bun' if bun else 'node'}, {pm}{', ' + ctx.framework if ctx.framework else ''}")
        + "\n"
        + dependency_stages(ctx, base, pm)
        + "\n"
        f"FROM {base} AS runtime\n"
        f"{env_lines(environment)}"
        f"{owned_workdir('/app', user, ctx.writable)}"
        f"COPY --from=build --chown={user}:{user} /app ./\n"
        f"{workdir}"
        f"USER {user}\n"
        f"{expose(ctx)}"
        f"{healthcheck(check, ctx.check)}"
        f"{start}\n"
    )
