"""Datastores the code needs: file databases that need a volume, optional ones, and where the schema hides."""

from __future__ import annotations

import json
from pathlib import Path

from hydron.analysis import analyze
from tests.unit.files import write


def test_sqlite_is_a_file_database_that_needs_a_volume(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": json.dumps({"name": "notes", "dependencies": {
                         "express": "4", "better-sqlite3": "11"}, "scripts": {"start": "node app.js"}}),
                     "app.js": "const db = require('better-sqlite3')('data/notes.db');\n"
                               "require('express')().listen(3000)\n"})
    [store] = analyze(tmp_path).databases
    assert (store.kind, store.file_database, store.file_path, store.required) == ("sqlite", True, "data/notes.db", True)
    assert store.used_by == ["notes"]


def test_sqlite_from_a_django_engine_setting(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "django\n", "manage.py": "import django\n",
                     "site/settings.py": "DATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', "
                                         "'NAME': BASE_DIR / 'db.sqlite3'}}\n"})
    assert [d.kind for d in analyze(tmp_path).databases] == ["sqlite"]


def test_a_datastore_named_only_in_a_profile_config_is_optional(tmp_path: Path) -> None:
    write(tmp_path, {"pom.xml": "<project><artifactId>clinic</artifactId><dependencies><dependency><groupId>"
                                "org.springframework.boot</groupId><artifactId>spring-boot-starter-webmvc</artifactId>"
                                "</dependency></dependencies></project>\n",
                     "src/main/java/App.java": "@SpringBootApplication class App {}\n",
                     "src/main/resources/application.properties": "spring.application.name=clinic\n",
                     "src/main/resources/application-mysql.properties":
                         "spring.datasource.url=jdbc:mysql://localhost/clinic\n"})
    [store] = analyze(tmp_path).databases
    assert (store.kind, store.required) == ("mysql", False)


def test_sql_server_images_and_drivers_are_mssql(tmp_path: Path) -> None:
    write(tmp_path, {"Api/Api.csproj": '<Project Sdk="Microsoft.NET.Sdk.Web"><ItemGroup><PackageReference '
                                       'Include="Microsoft.EntityFrameworkCore.SqlServer" Version="8" /></ItemGroup>'
                                       '</Project>\n',
                     "Api/Program.cs": "var app = WebApplication.Create(args);\napp.Run();\n",
                     "compose.yaml": "services:\n  api: {build: Api, ports: ['8080:8080'], depends_on: [db]}\n"
                                     "  db: {image: 'mcr.microsoft.com/mssql/server:2022-latest'}\n"})
    analysis = analyze(tmp_path)
    assert [(d.name, d.kind) for d in analysis.databases] == [("db", "mssql")]
    assert [s.name for s in analysis.services] == ["api"]


def test_prisma_schema_at_the_path_package_json_declares(tmp_path: Path) -> None:
    write(tmp_path, {"package.json": json.dumps({"name": "api", "dependencies": {"express": "4", "@prisma/client": "5"},
                                                 "prisma": {"schema": "src/db/schema.prisma"},
                                                 "scripts": {"start": "node main.js"}}),
                     "main.js": "require('express')().listen(3000)\n",
                     "src/db/schema.prisma": 'datasource db {\n  provider = "postgresql"\n  url = env("DATABASE_URL")\n}\n'})
    analysis = analyze(tmp_path)
    assert "postgres" in {d.kind for d in analysis.databases}
    assert "DATABASE_URL" in {v.name for v in analysis.services[0].env}


def test_quarkus_extensions_name_their_datastores(tmp_path: Path) -> None:
    write(tmp_path, {"pom.xml": "<project><artifactId>heroes</artifactId><dependencies>"
                                + "".join(f"<dependency><groupId>io.quarkus</groupId><artifactId>{a}</artifactId>"
                                          "</dependency>" for a in ("quarkus-rest", "quarkus-jdbc-mariadb",
                                                                    "quarkus-mongodb-panache",
                                                                    "quarkus-messaging-kafka"))
                                + "</dependencies></project>\n",
                     "src/main/java/Hero.java": "class Hero {}\n"})
    assert {d.kind for d in analyze(tmp_path).databases} == {"mariadb", "mongodb", "kafka"}


def test_every_driver_feature_inherited_from_the_workspace_makes_each_database_optional(tmp_path: Path) -> None:
    write(tmp_path, {"Cargo.toml": """
                         [workspace]
                         members = ["server"]

                         [workspace.dependencies.sea-orm]
                         version = "1"
                         features = ["macros", "sqlx-all"]
                         """,
                     "Cargo.lock": "",
                     "server/Cargo.toml": """
                         [package]
                         name = "server"
                         version = "0.1.0"

                         [dependencies]
                         actix-web = "4"
                         sea-orm = { workspace = true }
                         """,
                     "server/src/main.rs": "fn main() {}\n"})
    stores = {d.kind: d.required for d in analyze(tmp_path).databases}
    assert stores == {"postgres": False, "mysql": False, "sqlite": False}


def test_python_standard_library_sqlite_is_a_file_database(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "flask\n",
                     "app.py": "import sqlite3\nfrom flask import Flask\napp = Flask(__name__)\n"
                               "db = sqlite3.connect('data/guestbook.db')\n"})
    [store] = analyze(tmp_path).databases
    assert (store.kind, store.file_database, store.file_path) == ("sqlite", True, "data/guestbook.db")


MICROBLOG = {
    "requirements.txt": "flask==3.0\nelasticsearch==8.15\nredis==5.0\nrq==1.16\n",
    "config.py": """
        import os
        class Config:
            ELASTICSEARCH_URL = os.environ.get('ELASTICSEARCH_URL')
            REDIS_URL = os.environ.get('REDIS_URL') or 'redis://'
        """,
    "app/__init__.py": """
        from elasticsearch import Elasticsearch
        from flask import Flask
        app = Flask(__name__)
        app.elasticsearch = Elasticsearch([app.config['ELASTICSEARCH_URL']]) if app.config['ELASTICSEARCH_URL'] else None
        """,
}


def test_a_search_engine_whose_variable_has_no_default_is_optional(tmp_path: Path) -> None:
    """microblog (`os.environ.get("ELASTICSEARCH_URL")`) and bakerydemo (`getenv("ELASTICSEARCH_ENDPOINT", "")`): search
    indexes data another store keeps; the app runs without it,
    so the plan should not start an Elasticsearch (the redis queue stays required)."""
    stores = {d.kind: d.required for d in analyze(write(tmp_path, MICROBLOG)).databases}

    assert stores == {"elasticsearch": False, "redis": True}


def test_a_search_engine_the_compose_file_runs_beside_the_app_is_required(tmp_path: Path) -> None:
    stores = {d.kind: d.required for d in analyze(write(tmp_path, MICROBLOG | {
        "Dockerfile": "FROM python:3.12-slim\nCOPY . .\nEXPOSE 5000\nCMD [\"flask\", \"run\"]\n",
        "docker-compose.yml": "services:\n  web:\n    build: .\n    ports: ['5000:5000']\n    depends_on: [search]\n"
                              "  search:\n    image: elasticsearch:8.15.3\n"})).databases}

    assert stores["elasticsearch"] is True


def test_a_search_engine_read_with_a_default_url_is_required(tmp_path: Path) -> None:
    """An indexer that always connects (`environ.get("ELASTICSEARCH_URL", "http://localhost:9200")`) needs it."""
    stores = {d.kind: d.required for d in analyze(write(tmp_path, MICROBLOG | {"config.py": """
        import os
        class Config:
            ELASTICSEARCH_URL = os.environ.get('ELASTICSEARCH_URL', 'http://localhost:9200')
            REDIS_URL = os.environ.get('REDIS_URL') or 'redis://'
        """})).databases}

    assert stores["elasticsearch"] is True


GORM_APP = {"go.mod": "module example.com/board\n\ngo 1.22\n\nrequire (\n\tgorm.io/gorm v1.25.0\n"
                      "\tgorm.io/driver/mysql v1.5.0\n\tgorm.io/driver/postgres v1.5.0\n\tgorm.io/driver/sqlite v1.5.0\n)\n",
            "main.go": "package main\n\nimport (\n\t\"net/http\"\n\n\t_ \"gorm.io/driver/mysql\"\n"
                       "\t_ \"gorm.io/driver/postgres\"\n\t_ \"gorm.io/driver/sqlite\"\n)\n\n"
                       "func main() { http.ListenAndServe(\":8080\", nil) }\n"}


def test_an_app_with_drivers_for_several_sql_engines_starts_on_sqlite_and_the_servers_are_alternatives(
        tmp_path: Path) -> None:
    write(tmp_path, GORM_APP)
    stores = {d.kind: d for d in analyze(tmp_path).databases}
    assert {k: (d.required, d.alternative_to) for k, d in stores.items()} == {
        "sqlite": (True, None), "mysql": (False, "sqlite"), "postgres": (False, "sqlite")}


def test_the_engine_a_default_url_names_is_the_apps_default(tmp_path: Path) -> None:
    write(tmp_path, {"requirements.txt": "flask\nsqlalchemy\npsycopg2-binary\npymysql\n",
                     "app.py": "import os\nfrom flask import Flask\napp = Flask(__name__)\n"
                               "URL = os.environ.get('DATABASE_URL', 'postgresql://localhost/board')\n"})
    stores = {d.kind: d for d in analyze(tmp_path).databases}
    assert (stores["postgres"].required, stores["mysql"].required, stores["mysql"].alternative_to) == (
        True, False, "postgres")


def test_the_engine_the_compose_file_runs_beside_the_app_is_its_default(tmp_path: Path) -> None:
    write(tmp_path, {**GORM_APP, "compose.yaml": "services:\n  app:\n    build: .\n    depends_on: [db]\n"
                                                 "  db:\n    image: postgres:16\n"})
    stores = {d.kind: d for d in analyze(tmp_path).databases}
    assert {k: d.required for k, d in stores.items()} == {"postgres": True, "mysql": False, "sqlite": False}


def test_engines_a_compose_file_runs_side_by_side_are_a_test_matrix_of_alternatives(tmp_path: Path) -> None:
    write(tmp_path, {**GORM_APP, "compose.yaml": "services:\n  app:\n    build: .\n"
                                                 "  pg:\n    image: postgres:16\n  my:\n    image: mysql:8.0\n"})
    stores = {d.name: d for d in analyze(tmp_path).databases}
    assert {n: d.required for n, d in stores.items() if d.kind in ("postgres", "mysql", "sqlite")} == {
        "pg": False, "my": False, "sqlite": True}


def test_a_cache_the_code_turns_on_only_when_its_url_is_set_is_optional(tmp_path: Path) -> None:
    """bakerydemo: `REDIS_URL = os.environ.get("REDIS_TLS_URL", os.environ.get("REDIS_URL"))`, then `if REDIS_URL:`."""
    write(tmp_path, {"requirements.txt": "django\nredis\n", "manage.py": "import django\n",
                     "site/settings.py": "import os\nREDIS_URL = os.environ.get('REDIS_TLS_URL', "
                                         "os.environ.get('REDIS_URL'))\nif REDIS_URL:\n    CACHES = {}\n"})
    assert {d.kind: d.required for d in analyze(tmp_path).databases} == {"redis": False}


def node_app(code: str) -> dict[str, str]:
    return {"package.json": json.dumps({"name": "stats", "dependencies": {"express": "4", "redis": "4", "kafkajs": "2"},
                                        "scripts": {"start": "node app.js"}}),
            "app.js": "require('express')().listen(3000)\n" + code}


def test_brokers_and_caches_enabled_by_a_presence_test_in_javascript_are_optional(tmp_path: Path) -> None:
    """umami: `const enabled = !!process.env.REDIS_URL`, `Boolean(process.env.KAFKA_URL && process.env.KAFKA_BROKER)`."""
    write(tmp_path, node_app("const cache = !!process.env.REDIS_URL;\n"
                             "const queue = Boolean(process.env.KAFKA_URL && process.env.KAFKA_BROKER);\n"))
    assert {d.kind: d.required for d in analyze(tmp_path).databases} == {"redis": False, "kafka": False}


def test_a_cache_with_a_default_url_in_javascript_is_required(tmp_path: Path) -> None:
    write(tmp_path, node_app("const cache = !!process.env.REDIS_URL;\n"
                             "const url = process.env.REDIS_URL || 'redis://localhost:6379';\n"))
    assert {d.kind: d.required for d in analyze(tmp_path).databases}["redis"] is True


def test_an_engine_another_service_uses_alone_stays_required(tmp_path: Path) -> None:
    """board starts on SQLite with drivers for the servers; reports (its own folder) uses only postgres."""
    write(tmp_path, {**{f"board/{k}": v for k, v in GORM_APP.items()},
                     "reports/go.mod": "module example.com/reports\n\ngo 1.22\n\nrequire github.com/lib/pq v1.10.9\n",
                     "reports/main.go": "package main\n\nimport (\n\t\"net/http\"\n\n\t_ \"github.com/lib/pq\"\n)\n\n"
                                        "func main() { http.ListenAndServe(\":8081\", nil) }\n"})
    stores = {d.kind: d for d in analyze(tmp_path).databases}
    assert sorted(stores["postgres"].used_by) == ["board", "reports"]
    assert (stores["postgres"].required, stores["postgres"].alternative_to) == (True, None)
    assert (stores["mysql"].required, stores["mysql"].alternative_to) == (False, "sqlite")


def test_a_datastore_the_compose_environment_points_at_is_used_without_depends_on(tmp_path: Path) -> None:
    """openstatus' private-location: depends_on names only another app service, `DB_URL=http://libsql:8080` names
    the libSQL server it pings in /health. Without the link the plan runs no libSQL and leaves DB_URL unset (503)."""
    write(tmp_path, {
        "probe/go.mod": "module example.com/probe\n\ngo 1.22\n\nrequire github.com/tursodatabase/libsql-client-go v0.0.0\n",
        "probe/main.go": "package main\n\nfunc main() {}\n",
        "api/package.json": json.dumps({"name": "api", "dependencies": {"express": "4", "@libsql/client": "0.14"},
                                        "scripts": {"start": "node app.js"}}),
        "api/app.js": "require('express')().listen(3000)\n",
        "compose.yaml": "services:\n  libsql:\n    image: ghcr.io/tursodatabase/libsql-server:latest\n"
                        "  api:\n    build: api\n    depends_on: [libsql]\n"
                        "  probe:\n    build: probe\n    depends_on: [api]\n    environment:\n"
                        "      - DB_URL=http://libsql:8080\n"})
    [store] = [d for d in analyze(tmp_path).databases if d.kind == "libsql"]
    assert store.used_by == ["api", "probe"]
