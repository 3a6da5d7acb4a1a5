"""The small readers analysis is built from, each checked on the inputs people actually write."""

from __future__ import annotations

import pytest

from hydron.analysis import catalog, compose, docker, health, ports, procfile
from hydron.analysis.env import EnvCollector, is_secret_name, looks_secret_value
from hydron.analysis.evidence import SourceText
from hydron.analysis.reader import decode


@pytest.mark.parametrize("name", [
    "SECRET_KEY", "NEXTAUTH_SECRET", "DB_PASSWORD", "GITHUB_TOKEN", "STRIPE_API_KEY", "APP_KEY", "SENTRY_DSN",
    "DATABASE_URL", "REDIS_URL", "MONGODB_URI", "CELERY_BROKER_URL", "ConnectionStrings__Default", "JWT_PRIVATE_KEY",
    "AWS_SECRET_ACCESS_KEY", "GOOGLE_APPLICATION_CREDENTIALS",
])
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", [
    "PORT", "NODE_ENV", "API_URL", "REDIS_HOST", "DB_CONNECTION", "LOG_LEVEL", "KEYCLOAK_URL",
    "STRIPE_PUBLISHABLE_KEY", "NEXT_PUBLIC_SUPABASE_ANON_KEY",
])
def test_plain_names(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize("value, secret", [
    ("postgres://app:hunter2@db:5432/app", True),
    ("sk_live_51H8xYzAbCdEf", True),
    ("ghp_abcdefghijklmnopqrstuvwxyz0123456789", True),
    ("-----BEGIN PRIVATE KEY-----", True),
    ("redis://cache:6379/0", False),
    ("info", False),
    ("https://status.example.com", False),
])
def test_secret_looking_values(value: str, secret: bool) -> None:
    assert looks_secret_value(value) is secret


def read(path: str, text: str) -> dict:
    collector = EnvCollector(max_evidence=3)
    collector.scan_source(SourceText(path, text))
    return {v.name: (v.required, v.default) for v in collector.result(100)[0]}


@pytest.mark.parametrize("path, text, expected", [
    ("a.js", "const u = process.env.API_URL;", {"API_URL": (True, None)}),
    ("a.ts", "const p = process.env['PORT'] ?? 3000;", {"PORT": (False, "3000")}),
    ("a.js", "const { A, B = 'b', C: c } = process.env;", {"A": (True, None), "B": (False, "b"), "C": (True, None)}),
    ("a.tsx", "import.meta.env.VITE_KEY; import.meta.env.MODE;", {"VITE_KEY": (True, None)}),
    ("a.py", "os.environ['A']\nos.environ.get('B', 'x')\nos.getenv('C')", {"A": (True, None), "B": (False, "x"),
                                                                          "C": (True, None)}),
    ("a.rb", "ENV.fetch('A') { 5 }\nENV['B'] || 'b'\nENV.fetch('C')", {"A": (False, "5"), "B": (False, "b"),
                                                                     "C": (True, None)}),
    ("A.java", 'System.getenv("A")', {"A": (True, None)}),
    ("main.go", 'os.Getenv("A")', {"A": (True, None)}),
    ("a.php", "env('A', 'x'); getenv('B'); $_ENV['C'];", {"A": (False, "x"), "B": (True, None), "C": (True, None)}),
    ("main.rs", 'env::var("A").unwrap_or_else(|_| "a".into())', {"A": (False, "a")}),
    ("P.cs", 'Environment.GetEnvironmentVariable("A") ?? "d"', {"A": (False, "d")}),
    ("r.exs", 'System.get_env("A") || raise "missing"\nSystem.fetch_env!("B")', {"A": (True, None),
                                                                                "B": (True, None)}),
    ("application.properties", "server.port=${PORT:8080}", {"PORT": (False, "8080")}),
    ("doctrine.yaml", "url: '%env(resolve:DATABASE_URL)%'", {"DATABASE_URL": (True, None)}),
    ("schema.prisma", 'url = env("DATABASE_URL")', {"DATABASE_URL": (True, None)}),
])
def test_env_references_per_language(path: str, text: str, expected: dict) -> None:
    assert read(path, text) == expected


def test_env_files_give_names_and_only_example_files_give_defaults() -> None:
    collector = EnvCollector(max_evidence=3)
    collector.scan_dotenv(SourceText(".env.example", "LEVEL=info\nexport QUOTED=\"a b\" # note\nTOKEN=abc\n"))
    collector.scan_dotenv(SourceText(".env", "LIVE=do-not-keep\n"))
    found = {v.name: (v.secret, v.default) for v in collector.result(100)[0]}
    assert found == {"LEVEL": (False, "info"), "QUOTED": (False, "a b"), "TOKEN": (True, None), "LIVE": (False, None)}


def test_env_listing_is_bounded() -> None:
    collector = EnvCollector(max_evidence=3)
    collector.scan_source(SourceText("a.py", "\n".join(f"os.environ['V{i}']" for i in range(30))))
    variables, left_out = collector.result(10)
    assert (len(variables), left_out) == (10, 20)


@pytest.mark.parametrize("command, port", [
    ("gunicorn app:app --bind 0.0.0.0:8000", 8000),
    ("bundle exec rails server -b 0.0.0.0 -p 3000", 3000),
    ("uvicorn main:app --port=9000", 9000),
    ("php -S 0.0.0.0:8080 -t public", 8080),
    ("next start --port 4000", 4000),
    ("gunicorn app:app --bind 0.0.0.0:$PORT", None),
    ("celery -A tasks worker", None),
])
def test_ports_in_commands(command: str, port) -> None:
    assert ports.in_command(command) == port


@pytest.mark.parametrize("text, port", [
    ("app.listen(3000)", 3000),
    ("const port = process.env.PORT || 8080", 8080),
    ("port = int(os.getenv('PORT', '5000'))", 5000),
    ('log.Fatal(http.ListenAndServe(":9090", nil))', 9090),
    ('HttpServer::new(f).bind(("0.0.0.0", 8081))', 8081),
    ("server:\n  port: 7070\n", 7070),
    ("const db = { host, port: 5432 }", None),  # a client's database port, not ours
])
def test_ports_in_code(text: str, port) -> None:
    found = ports.in_sources([SourceText("f", text)])
    assert (found[0].value if found else None) == port


@pytest.mark.parametrize("text, path", [
    ('app.get("/healthz", handler)', "/healthz"),
    ('get "up" => "rails/health#show"', "/up"),
    ('path("health/", views.health)', "/health/"),
    ('mux.HandleFunc("GET /readyz", ready)', "/readyz"),
    ("@GetMapping(\"/api/health\")", "/api/health"),
    ('fetch("/health")', None),  # calling a health endpoint is not serving one
])
def test_health_routes(text: str, path) -> None:
    found = health.find_route([SourceText("f", text)])
    assert (found.path if found else None) == path


def test_dockerfile_facts_with_continuations_args_and_exec_form() -> None:
    parsed = docker.parse(SourceText("Dockerfile", """
ARG PY=3.12
FROM python:${PY}-slim AS base
ENV APP_HOME=/app \\
    PORT=8000
EXPOSE ${PORT}/tcp 9100
HEALTHCHECK CMD curl -fsS http://localhost:8000/healthz || exit 1
CMD ["sh", "-c", "gunicorn app:app --bind 0.0.0.0:$PORT"]
"""))
    assert parsed.base_images == [("python:3.12-slim", 3)]
    assert parsed.language() == ("python", "3.12", "python:3.12-slim", 3)
    assert parsed.exposed == [(8000, 6), (9100, 6)]
    assert [(n, v) for n, v, _ in parsed.env] == [("APP_HOME", "/app"), ("PORT", "8000")]
    assert parsed.health_path == ("/healthz", 7)
    assert parsed.command == ("sh -c 'gunicorn app:app --bind 0.0.0.0:$PORT'", 8)


def test_compose_ports_environment_and_builds() -> None:
    services = compose.parse(SourceText("deploy/compose.yaml", """
services:
  web:
    build:
      context: ../app
      dockerfile: Dockerfile.prod
    ports: ["127.0.0.1:8080:3000/tcp", {target: 9229, published: 9229}]
    environment:
      - LOG_LEVEL=${LOG_LEVEL:-info}
      - API_TOKEN=${API_TOKEN}
      - BARE
    depends_on: {db: {condition: service_healthy}}
  db:
    image: postgres:16
"""))
    web, db = services
    assert (web.build_context, web.dockerfile) == ("app", "app/Dockerfile.prod")
    assert web.ports == [3000, 9229]
    assert web.environment == [("LOG_LEVEL", "info"), ("API_TOKEN", None), ("BARE", None)]
    assert web.depends_on == ["db"]
    assert (db.image, db.line) == ("postgres:16", 13)


def test_compose_build_args_keep_literal_values_only() -> None:
    dict_form, list_form = compose.parse(SourceText("compose.yaml", """
services:
  web:
    build: {context: ., args: {NODE_ENV: production, DEBUG: false, TOKEN: "${TOKEN}", EMPTY: null, "bad name": 1}}
  api:
    build: {context: ., args: ["GREETING=hello world", "FROM_SHELL", "V=1"]}
"""))
    assert dict_form.build_args == ["NODE_ENV=production", "DEBUG=false"]
    assert list_form.build_args == ["GREETING=hello world", "V=1"]


def test_procfile_process_roles() -> None:
    processes = procfile.parse(SourceText("Procfile", "web: puma\nworker: sidekiq\nrelease: rails db:migrate\n"))
    assert [(p.name, p.role, p.line) for p in processes] == [("web", "web", 1), ("worker", "worker", 2),
                                                             ("release", "job", 3)]


@pytest.mark.parametrize("image, expected", [
    ("postgres:16-alpine", ("postgres", "16")),
    ("bitnami/redis:7.2", ("redis", "7.2")),
    ("registry.local:5000/mysql", ("mysql", None)),
    ("docker.elastic.co/elasticsearch/elasticsearch:8.13.0", ("elasticsearch", "8.13.0")),
    ("nginx:1.27", None),
])
def test_backing_services_from_images(image: str, expected) -> None:
    assert catalog.backing_for_image(image) == expected


@pytest.mark.parametrize("package, kind, integration", [
    ("github.com/jackc/pgx/v5", "postgres", None),
    ("psycopg2-binary", "postgres", None),
    ("org.springframework.kafka:spring-kafka", "kafka", None),
    ("@sentry/nextjs", None, "Sentry"),
    ("github.com/stripe/stripe-go/v76", None, "Stripe"),
    ("left-pad", None, None),
])
def test_package_catalog(package: str, kind, integration) -> None:
    assert catalog.backing_for_package(package) == kind
    found = catalog.integration_for_package(package)
    assert (found[0] if found else None) == integration


@pytest.mark.parametrize("data, text", [
    (b"plain", "plain"),
    (b"\xef\xbb\xbfbom", "bom"),
    ("caf\u00e9".encode("utf-16"), "caf\u00e9"),
    (b"caf\xe9", "caf\ufffd"),
    (b"\x00\x01binary", None),
])
def test_decoding(data: bytes, text) -> None:
    assert decode(data) == text
