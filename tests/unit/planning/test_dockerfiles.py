"""Generated Dockerfiles, one snapshot per ecosystem, plus the properties every one must have.

Snapshots live in snapshots/; after an intended change, regenerate them with
UPDATE_SNAPSHOTS=1 and review the diff like any other code change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hydron.analysis.models import Package
from hydron.planning.dockerfiles import generate_dockerfile, recipe
from tests.unit.planning.factories import analysis, backing, service

SNAPSHOTS = Path(__file__).parent / "snapshots"

CASES = {
    "node-npm-express": service(),
    "node-yarn-nextjs": service("web", version="20", framework="Next.js", pm="yarn", lockfile="yarn.lock",
                                install="yarn install --immutable", build="yarn build", start="yarn start",
                                health="/api/health"),
    "node-pnpm-nestjs": service("billing", version=">=20.10", framework="NestJS", pm="pnpm", lockfile="pnpm-lock.yaml",
                                install="pnpm install --frozen-lockfile", build="pnpm run build",
                                start="pnpm run start:prod", health="/health"),
    "node-npm-nuxt": service("docs", version="20", framework="Nuxt", install="npm ci", build="npm run build",
                             start="node .output/server/index.mjs", health="/api/health"),
    "node-npm-remix": service("shop", version="20", framework="Remix", build="npm run build",
                              start="npm run start", health="/healthz"),
    "bun-hono": service("links", language="bun", version="1.1", framework="Hono", pm="bun", lockfile="bun.lock",
                        install="bun install --frozen-lockfile", start="bun run start", port=8787, health="/health"),
    "static-vite": service("site", role="static", framework="Vite + React", pm="pnpm", lockfile="pnpm-lock.yaml",
                           build="pnpm run build", start=None, port=None, health=None, static_root="dist"),
    "static-plain": service("landing", role="static", language=None, framework="Static HTML", pm=None, lockfile=None,
                            start=None, port=None, health=None, static_root="."),
    "python-pip-flask": service("web", language="python", version="3.11.9", framework="Flask", pm="pip", lockfile=None,
                                install="pip install -r requirements.txt",
                                start="gunicorn app:app --bind 0.0.0.0:$PORT --workers 3", port=5000,
                                health="/health"),
    "python-pip-native-pins": service(
        "legacy", language="python", version=">=3.8", framework="Django", pm="pip", lockfile=None,
        install="pip install -r requirements.txt", start="gunicorn legacy.wsgi --bind 0.0.0.0:8000", port=8000,
    ).model_copy(update={"packages": [
        Package(name="django", version="==4.2.7", file="requirements/base.txt"),
        Package(name="psycopg2", version="==2.9.3", file="requirements/base.txt"),
        Package(name="numpy", version="==1.24.4", file="requirements/production.txt"),
    ]}),
    "python-poetry-django": service("mysite", language="python", version="3.12.2", framework="Django", pm="poetry",
                                    lockfile="poetry.lock", install="poetry install --no-interaction --no-root --only main",
                                    build="python manage.py collectstatic --noinput",
                                    start="gunicorn mysite.wsgi:application --bind 0.0.0.0:8000", port=8000),
    "python-uv-fastapi": service("assistant", language="python", version=">=3.12", framework="FastAPI", pm="uv",
                                 lockfile="uv.lock", install="uv sync --frozen --no-dev",
                                 start="uvicorn app.main:app --host 0.0.0.0 --port 8000", port=8000),
    "python-pipenv-celery": service("worker", role="worker", language="python", version="3.11", framework="Celery",
                                    pm="pipenv", lockfile="Pipfile.lock", install="pipenv install --system --ignore-pipfile",
                                    start="celery -A tasks worker --loglevel=INFO", port=None, health=None),
    "ruby-rails": service("app", language="ruby", version="3.3.0", framework="Rails", pm="bundler",
                          lockfile="Gemfile.lock", build="bundle exec rails assets:precompile",
                          start="bundle exec puma -C config/puma.rb", health="/up",
                          depends=[("postgres", "backing")]),
    "go-gin": service("api", language="go", version="1.22", framework="Gin", pm="go", lockfile="go.sum",
                      install="go mod download", build="go build -o bin/api ./cmd/api", start="./bin/api", port=8080,
                      health="/healthz"),
    "rust-axum": service("inventory", language="rust", version="1.79", framework="Axum", pm="cargo",
                         lockfile="Cargo.lock", build="cargo build --release --locked",
                         start="./target/release/inventory", port=3000, health="/health"),
    "java-maven-spring": service("orders", language="java", version="17", framework="Spring Boot", pm="maven",
                                 lockfile=None, build="mvn -B package -DskipTests", start="java -jar target/*.jar",
                                 port=8080, health="/actuator/health"),
    "java-gradle-quarkus": service("catalog", language="java", version="21", framework="Quarkus", pm="gradle",
                                   lockfile=None, build="gradle build -x test",
                                   start="java -jar build/quarkus-app/quarkus-run.jar", port=8080, health="/q/health"),
    "php-laravel": service("helpdesk", language="php", version="^8.2", framework="Laravel", pm="composer",
                           lockfile="composer.lock", start="php artisan serve --host=0.0.0.0 --port=8000", port=8000,
                           health="/up", depends=[("mysql", "backing")]),
    "php-symfony": service("booking", language="php", version=">=8.1", framework="Symfony", pm="composer",
                           lockfile="composer.lock", start="php -S 0.0.0.0:8000 -t public", port=8000,
                           health="/health", depends=[("postgres", "backing")]),
    "dotnet-aspnet": service("Api", language="dotnet", version="8.0", framework="ASP.NET Core", pm="dotnet",
                             lockfile=None, install="dotnet restore", build="dotnet publish Api.csproj -c Release -o out",
                             start="dotnet out/Api.dll", port=8080, health="/health"),
    "elixir-phoenix": service("chat", language="elixir", version="1.16", framework="Phoenix", pm="mix",
                              lockfile="mix.lock", install="mix deps.get --only prod",
                              build="MIX_ENV=prod mix compile && mix assets.deploy", start="MIX_ENV=prod mix phx.server",
                              port=4000, health="/health"),
}
DATABASES = [backing("postgres", used_by=["app", "booking"]), backing("mysql", used_by=["helpdesk"])]


def generated(name: str) -> str:
    svc = CASES[name]
    text = generate_dockerfile(svc, analysis(svc, databases=DATABASES))
    assert text is not None
    return text


@pytest.mark.parametrize("name", sorted(CASES))
def test_generated_dockerfile_matches_snapshot(name):
    text = generated(name)
    path = SNAPSHOTS / f"{name}.Dockerfile"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed; review and run with UPDATE_SNAPSHOTS=1"


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_generated_dockerfile_is_multi_stage_non_root_and_checked(name):
    text = generated(name)
    lines = text.splitlines()
    froms = [line for line in lines if line.startswith("FROM ")]
    assert len(froms) >= 2 or name == "static-plain", "multi-stage: build tools stay out of the runtime image"
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), "the runtime stage runs as a non-root user"
    svc = CASES[name]
    checks = [line for line in lines if "CMD [" in line and lines[lines.index(line) - 1].startswith("HEALTHCHECK")]
    if svc.role.value in ("web", "static"):
        assert checks, "web services carry a HEALTHCHECK"
        assert "curl" not in checks[0], "slim runtime images have no curl"
    assert generated(name) == text, "generation is deterministic"


@pytest.mark.parametrize("name", [n for n in sorted(CASES) if n != "static-plain"])
def test_dependency_manifests_are_copied_before_the_sources(name):
    lines = generated(name).splitlines()
    first_full_copy = next(i for i, line in enumerate(lines) if line.strip() == "COPY . .")
    manifest_copies = [i for i, line in enumerate(lines) if line.startswith("COPY ") and " . ." not in line
                       and "--from" not in line]
    if CASES[name].install_command and "pip install ." == CASES[name].install_command.value:
        return
    assert manifest_copies and manifest_copies[0] < first_full_copy, "cache-friendly: manifests first"


@pytest.mark.parametrize(("case", "image"), [
    ("node-npm-express", "node:18-slim"),
    ("node-yarn-nextjs", "node:20-slim"),
    ("node-pnpm-nestjs", "node:22-slim"),  # >=20.10: the current LTS satisfies the bound
    ("python-pip-flask", "python:3.11-slim"),
    ("python-uv-fastapi", "python:3.12-slim"),
    ("ruby-rails", "ruby:3.3-slim"),
    ("go-gin", "golang:1.23-bookworm"),  # go 1.22 is a minimum
    ("rust-axum", "rust:1-slim-bookworm"),  # rust-version is a minimum
    ("java-maven-spring", "eclipse-temurin:17-jre"),
    ("php-laravel", "php:8.3-apache"),
    ("dotnet-aspnet", "mcr.microsoft.com/dotnet/aspnet:8.0"),
    ("elixir-phoenix", "elixir:1.16-slim"),
])
def test_base_image_follows_the_analysed_language_version(case, image):
    assert f"FROM {image}" in generated(case)


def test_lockfile_respecting_install_is_used():
    assert "RUN (npm ci \\\n" in generated("node-npm-express")
    assert "pnpm install --frozen-lockfile" in generated("node-pnpm-nestjs")
    assert "uv sync --frozen --no-dev --no-install-project" in generated("python-uv-fastapi")
    assert "cargo build --release --locked" in generated("rust-axum")


def test_a_lock_out_of_date_with_package_json_still_builds_and_says_so():
    """Real repositories commit locks that no longer match package.json; a frozen install alone fails."""
    text = generated("node-npm-express")
    assert "RUN (npm ci \\\n || (echo 'hydron: package-lock.json is out of date with package.json" in text
    assert ">&2 && npm install)" in text


def test_runtime_start_runs_scripts_through_npm_not_the_package_manager():
    """yarn/pnpm are not in the runtime image; npm runs the same package.json script."""
    assert 'CMD ["npm", "run", "start:prod"]' in generated("node-pnpm-nestjs")
    assert 'CMD ["npm", "run", "start"]' in generated("node-yarn-nextjs")


def test_shell_syntax_in_the_start_command_goes_through_sh_with_exec():
    text = generated("python-pip-flask")
    assert 'CMD ["/bin/sh", "-c", "exec gunicorn app:app --bind 0.0.0.0:$PORT --workers 3"]' in text
    assert "PORT=5000" in text


def test_php_is_served_by_apache_not_the_dev_server():
    text = generated("php-laravel")
    assert "artisan serve" not in text
    assert "apache2-foreground" in text and "pdo_mysql" in text


def test_missing_start_command_fails_loudly_instead_of_guessing():
    svc = service("mystery", language="python", framework=None, pm="pip", install="pip install -r requirements.txt",
                  start=None, lockfile=None)
    text = generate_dockerfile(svc, analysis(svc))
    assert "exit 64" in text and "startCommand" in text


def test_start_command_override_replaces_the_analysed_one():
    svc = CASES["go-gin"]
    text = generate_dockerfile(svc, analysis(svc), start_command="/usr/local/bin/api --listen :8080")
    assert 'CMD ["/usr/local/bin/api", "--listen", ":8080"]' in text


def test_the_repository_dockerfile_wins():
    svc = service("api", path="services/api", dockerfile="services/api/Dockerfile")
    built = recipe(svc, analysis(svc))
    assert built.origin == "Repository"
    assert built.context == "services/api" and built.dockerfile == "Dockerfile"


def test_workspace_member_builds_from_the_workspace_root():
    svc = service("web", path="apps/web", lockfile="package-lock.json")
    built = recipe(svc, analysis(svc))
    assert built.context == "."
    assert "WORKDIR /app/apps/web" in built.dockerfile


def test_unknown_language_gets_no_dockerfile():
    svc = service("odd", language="cobol", framework=None, pm=None)
    assert generate_dockerfile(svc, analysis(svc)) is None


@pytest.mark.parametrize("name", [n for n in sorted(CASES) if not n.startswith("static-")])
def test_runtime_working_directory_is_writable_by_the_user_the_service_runs_as(name):
    """An app that writes logs, uploads or a SQLite file beside its code must not crash on a root-owned directory."""
    runtime = generated(name).split(" AS runtime\n")[1]
    workdir = next(line.split()[1] for line in runtime.splitlines() if line.startswith("WORKDIR "))
    user = next(line.split()[1] for line in runtime.splitlines() if line.startswith("USER "))
    assert f"RUN chown {user}:{user} {workdir}\n" in runtime


def test_a_build_that_starts_by_installing_again_does_not_lose_the_dev_dependencies():
    """realworld-express: the analysed build is `npm ci && npx nx build api`; under the build stage's
    NODE_ENV=production a second `npm ci` removed Nx (a dev dependency) and the build failed. The deps
    stage installed everything already; an install of another folder stays."""
    text = generate_dockerfile(service(build="npm ci && npx nx build api && npm run build"), analysis())
    assert " && npx nx build api && npm run build\n" in text
    assert "RUN npm ci && npx" not in text

    other = generate_dockerfile(service(build="npm ci --prefix client && npm run build --prefix client"), analysis())
    assert " && npm ci --prefix client && npm run build --prefix client\n" in other


def test_a_native_module_without_a_prebuilt_binary_gets_node_gyps_tools_and_a_retry():
    """realworld-nestjs: argon2 0.26 has no prebuilt binary for Node 22 and node-gyp found no Python."""
    text = generated("node-npm-express")
    deps = text.split("FROM node:22-slim AS build")[0]
    assert "apt-get install -y --no-install-recommends python3 make g++ \\\n" in deps
    assert "npm_config_nodedir=/usr/local; } \\\n     && (npm ci" in deps
    assert "make g++" not in text.split("AS runtime")[1]


def test_corepack_comes_from_npm_where_the_node_image_has_none():
    """it-tools' pnpm build: a Node image without corepack (Node 25 dropped it) failed at `corepack enable`."""
    assert "RUN corepack enable || (npm install -g corepack && corepack enable)\n" in generated("node-pnpm-nestjs")


def test_apache_serves_the_folder_the_php_app_serves_from_not_always_public():
    plain = service("shortener", language="php", version="^8.1", framework=None, pm="composer",
                    lockfile="composer.lock", start="php -S 0.0.0.0:8000 -t .", port=8000, health=None)
    text = generate_dockerfile(plain, analysis(plain))
    assert "/var/www/html/public" not in text  # the pages are at the top: Apache's default root serves them
    assert "apache2-foreground" in text
    assert "sed -ri 's!/var/www/html!/var/www/html/public!g'" in generated("php-laravel")
    assert "sed -ri 's!/var/www/html!/var/www/html/public!g'" in generated("php-symfony")



def test_a_dev_server_root_that_is_not_a_plain_folder_below_the_app_never_reaches_the_images_shell():
    for hostile in ("\"x';touch${IFS}/pwned;'\"", "../../etc", "/srv/www"):
        php = service("shortener", language="php", version="^8.1", framework=None, pm="composer",
                      lockfile="composer.lock", start=f"php -S 0.0.0.0:8000 -t {hostile}", port=8000, health=None)
        text = generate_dockerfile(php, analysis(php))
        assert "pwned" not in text
        assert "sed -ri 's!/var/www/html!/var/www/html/public!g'" in text, hostile

def test_a_cargo_workspace_member_builds_its_binary_from_the_workspace_root():
    member = service("sync-server", path="crates/sync-server", language="rust", version=None, framework="Axum",
                     pm="cargo", lockfile="Cargo.lock", start="/usr/local/bin/sync-server", port=8888, health=None)
    made = recipe(member, analysis(member))
    assert made.context == "."  # the root manifest the member inherits from is in the context
    assert "cargo build --release --locked --bin sync-server" in made.dockerfile
    assert "fn main() {}" not in made.dockerfile  # no stub: a member's manifest alone does not build


def test_a_root_package_that_is_also_a_cargo_workspace_builds_without_a_stub():
    from hydron.analysis.models import Monorepo
    root = service("vault", language="rust", version=None, framework="Rocket", pm="cargo", lockfile="Cargo.lock",
                   start="/usr/local/bin/vault", port=8000, health=None)
    found = analysis(root).model_copy(update={"monorepo": Monorepo(tools=["cargo-workspace"], evidence=[])})
    text = generate_dockerfile(root, found)
    assert "cargo build --release --locked --bin vault" in text
    assert "fn main() {}" not in text  # the stub build would not find the workspace's members


def test_without_a_package_manager_field_pnpm_is_the_release_the_images_corepack_ships_not_the_newest():
    """umami (no packageManager): corepack fetched the newest pnpm, whose layout the image's corepack
    could not run ("Cannot find module .../pnpm/12.23.0/bin/pnpm.cjs")."""
    text = generated("node-pnpm-nestjs")
    for stage in ("AS deps", "AS build"):
        body = text.split(stage, 1)[1].split("FROM ", 1)[0]
        assert body.index("ENV COREPACK_DEFAULT_TO_LATEST=0") < body.index("corepack enable"), stage


def test_a_workspace_members_static_output_at_the_workspace_root_is_copied_from_there():
    """nx-examples' cart builds to the workspace's dist/apps/cart; the image copied /app/../../dist/apps/cart."""
    cart = service("cart", role="static", path="apps/cart", framework="React", pm="yarn", lockfile="yarn.lock",
                   build="yarn nx build cart", start=None, port=None, health=None, static_root="dist/apps/cart")
    text = generate_dockerfile(cart, analysis(cart))
    assert "COPY --from=build --chown=101:101 /app/dist/apps/cart /usr/share/nginx/html\n" in text
    inside = cart.model_copy(update={"static_root": "apps/cart/dist"})
    assert "/app/apps/cart/dist /usr/share/nginx/html" in generate_dockerfile(inside, analysis(inside))


def test_a_sveltekit_app_configured_for_a_hosting_platform_builds_with_the_node_adapter_the_image_starts():
    """realworld-sveltekit uses adapter-vercel: its build writes no build/ for `node build` to start."""
    kit = service("web", framework="SvelteKit", pm="pnpm", lockfile="pnpm-lock.yaml", build="pnpm run build",
                  start="node build")
    build = generate_dockerfile(kit, analysis(kit)).split("AS build\n", 1)[1].split("FROM ", 1)[0]
    swap = build.index("@sveltejs/adapter-node#\" svelte.config.*")
    assert build.index('pnpm add -D "@sveltejs/adapter-node@$(case $kit in 1) echo 1;; 2) echo 5;;') > swap
    assert swap < build.index("ENV NODE_ENV=production") < build.index(" && pnpm run build\n")  # dev deps stay
    assert "adapter-node" not in generated("node-npm-express")


def test_a_prisma_config_gets_a_placeholder_database_url_in_the_build_stage_only():
    """umami: prisma.config.ts reads env('DATABASE_URL'), which throws when unset, so `prisma generate` failed."""
    from tests.unit.planning.factories import env
    stats = service("stats", framework="Next.js", pm="pnpm", lockfile="pnpm-lock.yaml", build="pnpm run build-docker",
                    start="next start", env_vars=[env("DATABASE_URL", secret=True)])
    stats = stats.model_copy(update={"files": ["next.config.ts", "prisma.config.ts"]})
    text = generate_dockerfile(stats, analysis(stats))
    build, runtime = text.split("AS build\n", 1)[1].split("AS runtime\n")
    assert 'DATABASE_URL="postgresql://build@localhost:5432/build"' in build
    assert "DATABASE_URL" not in runtime
    plain = stats.model_copy(update={"files": ["next.config.ts"]})
    assert "DATABASE_URL" not in generate_dockerfile(plain, analysis(plain))


def test_native_modules_compile_against_the_images_node_headers_and_yarn_comes_from_the_npm_registry():
    """realworld-nestjs: node-gyp downloaded the headers from Node's release site, which a build cannot always reach;
    nx-examples: corepack fetched Yarn 4 from Yarn's own host rather than the registry the install uses."""
    deps = generated("node-yarn-nextjs").split("AS build")[0]
    retry = deps.split("installing python3, make and g++ and retrying")[1]
    assert retry.index("export npm_config_nodedir=/usr/local") < retry.index("yarn install")
    assert "COREPACK_NPM_REGISTRY=https://registry.npmjs.org" in deps


def test_a_build_skips_t3_envs_check_of_the_variables_only_the_running_service_has():
    """create-t3-turbo: next.config.js loads the t3-env schema, which failed the build on the runtime's
    AUTH_SECRET and POSTGRES_URL ("Invalid environment variables")."""
    build = generated("node-yarn-nextjs").split("AS build\n", 1)[1].split("FROM ", 1)[0]
    assert ("RUN { ! grep -qs '\"@t3-oss/env-' package.json || export SKIP_ENV_VALIDATION=1 CI=1; } \\\n"
            " && yarn build\n") in build


def test_the_install_never_downloads_cypress_test_browser():
    """nx-examples and remix-indie-stack: Cypress' postinstall download of its browser failed the install."""
    deps = generated("node-npm-express").split("AS build")[0]
    assert deps.index("ENV CYPRESS_INSTALL_BINARY=0") < deps.index("RUN (npm ci")


def test_a_compose_command_naming_no_program_is_the_arguments_of_the_go_binary():
    """shiori's compose `command: [server, --log-level, debug]` is for an image whose ENTRYPOINT is the binary;
    dropped, the binary prints its help and exits 0."""
    from hydron.analysis.models import Command, Evidence

    def go_service(start: str, detail: str):
        made = service("shiori", language="go", version="1.22", framework=None, pm="go", lockfile="go.sum",
                       start=start, port=8080, health=None)
        return made.model_copy(update={"start_command": Command(
            value=start, evidence=[Evidence(file="docker-compose.yaml", line=9, detail=detail)], confidence="high")})

    cli = go_service("server --log-level debug", "compose command")
    assert 'CMD ["/usr/local/bin/shiori", "server", "--log-level", "debug"]' in generate_dockerfile(cli, analysis(cli))
    named = go_service("shiori server", "compose command")
    assert 'CMD ["/usr/local/bin/shiori", "server"]' in generate_dockerfile(named, analysis(named))
    other = go_service("gotify-app serve", "Dockerfile CMD")  # another program's name: not arguments
    assert 'CMD ["/usr/local/bin/shiori"]' in generate_dockerfile(other, analysis(other))
    runner = go_service("go run .", "compose command")
    assert 'CMD ["/usr/local/bin/shiori"]' in generate_dockerfile(runner, analysis(runner))


def test_a_go_service_on_a_cgo_sqlite_driver_builds_with_cgo():
    """gotify (gorm's sqlite driver, mattn/go-sqlite3): built with CGO_ENABLED=0 it exits with 'go-sqlite3
    requires cgo to work. This is a stub'. A pure-Go driver (modernc.org/sqlite) keeps a static build."""
    from hydron.analysis.models import Evidence

    def with_driver(module: str) -> str:
        app = service("notify", language="go", version="1.22", framework="Gin", pm="go", lockfile="go.sum",
                      start="./bin/notify", port=8080, health=None, depends=[("sqlite", "backing")])
        store = backing("sqlite", used_by=("notify",)).model_copy(update={"evidence": [
            Evidence(file="go.mod", line=5, detail=f"requires {module}")]})
        return generate_dockerfile(app, analysis(app, databases=[store]))

    assert "ENV CGO_ENABLED=1" in with_driver("gorm.io/driver/sqlite")
    assert "gcc libc6-dev" in with_driver("gorm.io/driver/sqlite")
    assert "ENV CGO_ENABLED=0" in with_driver("modernc.org/sqlite")


def test_a_rust_build_keeps_the_analysed_features_and_rocket_listens_on_every_interface():
    """vaultwarden builds only with a database feature, and Rocket binds 127.0.0.1 unless ROCKET_ADDRESS says."""
    vault = service("vault", language="rust", version=None, framework="Rocket", pm="cargo", lockfile="Cargo.lock",
                    build="cargo build --release --locked --features sqlite", start="./target/release/vault",
                    port=8000, health=None)
    text = generate_dockerfile(vault, analysis(vault))
    assert "cargo build --release --locked --features sqlite &&" in text
    assert "ROCKET_ADDRESS=0.0.0.0" in text and "ROCKET_PORT=8000" in text


def test_only_plain_repository_folders_are_written_into_a_generated_dockerfile():
    """A folder name is the repository's text: a newline would start an instruction, a quote or ';' a command."""
    from hydron.planning.dockerfiles.common import plain_folder
    assert plain_folder("web") and plain_folder("ui/build") and plain_folder(".")
    for hostile in ("web\nRUN curl x | sh", "web app", "a';rm -rf /'", "../outside", "..", "/abs"):
        assert not plain_folder(hostile), hostile


def test_an_nx_or_turborepo_workspace_member_is_built_by_the_workspace_tool_at_the_workspace_root():
    """nx-examples' cart: `yarn nx build cart` ran in apps/cart, where Yarn 2+ sees only the member's own bins
    ("Couldn't find a script named nx"); Nx and Turborepo are the workspace root's tools, for every manager."""
    for pm, lock, command in (("yarn", "yarn.lock", "yarn nx build cart"), ("npm", "package-lock.json", "npx nx build cart"),
                              ("pnpm", "pnpm-lock.yaml", "pnpm exec turbo run build --filter=cart")):
        cart = service("cart", role="static", path="apps/cart", framework="React", pm=pm, lockfile=lock,
                       build=command, start=None, port=None, health=None, static_root="dist/apps/cart")
        build = generate_dockerfile(cart, analysis(cart)).split("AS build\n", 1)[1].split("FROM ", 1)[0]
        lines = build.splitlines()
        run = next(i for i, line in enumerate(lines) if line.endswith(f"&& {command}"))
        workdirs = [line for line in lines[:run] if line.startswith("WORKDIR ")]
        assert workdirs[-1] == "WORKDIR /app", pm
        assert "apps/cart/package.json ||" in build, pm  # t3-env's check still reads the member's manifest

    # a member's own script still runs in the member; the runtime starts a server there either way
    for command in ("npm run build", "npx turbo run build --filter=web"):
        web = service("web", path="apps/web", lockfile="package-lock.json", build=command)
        build, runtime = generate_dockerfile(web, analysis(web)).split("AS build\n", 1)[1].split("AS runtime\n")
        in_member = "WORKDIR /app/apps/web" in build and build.index("WORKDIR /app/apps/web") < build.index(command)
        assert in_member == (command == "npm run build"), command
        assert "WORKDIR /app/apps/web\nUSER node\n" in runtime


def test_an_app_using_prismas_client_generates_it_in_the_build_stage_where_the_schema_is():
    """remix-indie-stack: the deps stage installs from package.json alone, so @prisma/client's postinstall found no
    schema and the started app threw "@prisma/client did not initialize yet. Please run prisma generate"."""
    remix = service("shop", version="20", framework="Remix", lockfile=None, build="npm run build",
                    start="npm run start").model_copy(
        update={"packages": [Package(name="@prisma/client", file="package.json")]})
    build = generate_dockerfile(remix, analysis(remix)).split("AS build\n", 1)[1].split("FROM ", 1)[0]
    assert build.index("COPY . .") < build.index("RUN npx prisma generate\n") < build.index("npm run build")
    assert "prisma generate" not in generated("node-npm-remix")
