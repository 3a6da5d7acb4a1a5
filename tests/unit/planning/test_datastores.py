"""Which datastores a plan provisions and how it wires them to what the app actually reads."""

from __future__ import annotations

from hydron.planning import PlanInputs, plan, secret_data
from tests.unit.planning.factories import analysis, app_spec, backing, env, service


def make(svc, *databases):
    draft = plan(PlanInputs("shop", app_spec(), analysis(svc, databases=list(databases)), "0" * 40))
    return draft, {s.name: s for s in draft.spec.services}


def env_of(planned):
    return {e.name: e for e in planned.env}


def test_an_app_supporting_several_sql_engines_gets_one_database():
    svc = service("api", env_vars=[env("DATABASE_URL", secret=True, required=True)],
                  depends=[("postgres", "backing"), ("mysql", "backing"), ("redis", "backing")])
    draft, services = make(svc, backing("postgres"), backing("mysql"), backing("redis"))
    assert "postgres" in services and "redis" in services and "mysql" not in services
    assert services["api"].depends_on == ["postgres", "redis"]
    assert env_of(services["api"])["DATABASE_URL"].value_from.secret_key_ref.name == "shop-postgres"
    assert any("several SQL databases" in f.message and "postgres" in f.message for f in draft.findings)
    without_mysql = svc.model_copy(update={"depends_on": [d for d in svc.depends_on if d.name != "mysql"]})
    assert draft.need == make(without_mysql, backing("postgres"), backing("redis"))[0].need, "sized without mysql"


def test_the_engine_the_repository_runs_in_compose_wins():
    svc = service("api", depends=[("postgres", "backing"), ("db", "backing")])
    compose_mysql = backing("mysql", name="db").model_copy(update={"image": "mysql:8.0"})
    _, services = make(svc, backing("postgres"), compose_mysql)
    assert "db" in services and "postgres" not in services


def test_the_engine_selector_is_set_for_the_engine_the_plan_runs():
    svc = service("app", language="php", framework="Laravel", pm="composer", lockfile="composer.lock",
                  env_vars=[env("DB_CONNECTION", default="sqlite"), env("DB_HOST", required=True)],
                  depends=[("postgres", "backing")])
    _, services = make(svc, backing("postgres", used_by=["app"]))
    assert env_of(services["app"])["DB_CONNECTION"].value == "pgsql"


def test_the_engine_selector_keeps_the_spelling_of_the_apps_own_default():
    svc = service("site", language="python", framework="Django", pm="pip", lockfile=None,
                  env_vars=[env("DB_ENGINE", default="django.db.backends.sqlite3")], depends=[("mysql", "backing")])
    _, services = make(svc, backing("mysql", used_by=["site"]))
    assert env_of(services["site"])["DB_ENGINE"].value == "django.db.backends.mysql"


def test_spring_boot_gets_its_own_datasource_variables_with_a_jdbc_url():
    svc = service("orders", language="java", framework="Spring Boot", pm="maven", lockfile=None, port=8080,
                  depends=[("postgres", "backing")])
    draft, services = make(svc, backing("postgres", used_by=["orders"]))
    wired = env_of(services["orders"])
    assert "DATABASE_URL" not in wired
    refs = {n: wired[n].value_from.secret_key_ref.key for n in
            ("SPRING_DATASOURCE_URL", "SPRING_DATASOURCE_USERNAME", "SPRING_DATASOURCE_PASSWORD")}
    assert refs == {"SPRING_DATASOURCE_URL": "jdbc-url", "SPRING_DATASOURCE_USERNAME": "username",
                    "SPRING_DATASOURCE_PASSWORD": "password"}
    data = secret_data(next(s for s in draft.spec.secrets if s.name == "shop-postgres"))
    assert data["jdbc-url"] == "jdbc:postgresql://postgres:5432/app"


def test_a_datastore_only_an_optional_feature_uses_is_not_run():
    svc = service("api", env_vars=[env("ELASTICSEARCH_URL")],
                  depends=[("postgres", "backing"), ("elasticsearch", "backing")])
    search = backing("elasticsearch").model_copy(update={"required": False})
    draft, services = make(svc, backing("postgres"), search)
    assert "elasticsearch" not in services and services["api"].depends_on == ["postgres"]
    assert "ELASTICSEARCH_URL" not in env_of(services["api"])
    assert any("optional feature" in f.message and "elasticsearch" in f.message for f in draft.findings)


def sqlite_app(path: str | None):
    svc = service("notes", language="python", framework="Flask", pm="pip", lockfile=None,
                  install="pip install -r requirements.txt", start="gunicorn app:app", port=8000,
                  depends=[("sqlite", "backing")])
    return make(svc, backing("sqlite", used_by=["notes"]).model_copy(update={"file_path": path, "file_database": True}))


def test_a_sqlite_file_is_kept_on_a_volume_the_service_user_can_write():
    draft, services = sqlite_app("instance/notes.db")
    notes = services["notes"]
    assert [v.path for v in notes.volumes] == ["/app/instance"]
    assert notes.volumes[0].name == "hydron-shop-notes-app-instance"
    assert "RUN mkdir -p /app/instance && chown app:app /app /app/instance\n" in notes.dockerfile
    assert "sqlite" not in services, "a file database is no container"
    assert draft.need.backing_memory_mib == 0, "and needs no memory of its own"


def test_a_sqlite_file_beside_the_code_is_a_warning_not_a_volume_over_the_code():
    draft, services = sqlite_app("notes.db")
    assert services["notes"].volumes == []
    warning = next(f for f in draft.findings if f.field == "services[notes].volumes")
    assert warning.severity == "Warning" and "lost at the next release" in warning.message


def test_a_bare_db_selector_with_no_default_is_set_to_the_engine():
    svc = service("web", language="python", framework="Django", pm="pip", lockfile=None,
                  env_vars=[env("DB"), env("DB_HOST", default=""), env("DB_USER", default="postgres")],
                  depends=[("db", "backing")])
    _, services = make(svc, backing("postgres", name="db", used_by=["web"]))
    assert env_of(services["web"])["DB"].value == "postgres"


def test_a_service_wired_by_host_and_user_also_gets_the_password_beside_them():
    svc = service("web", env_vars=[env("DB_HOST", default=""), env("DB_USER", default="postgres")],
                  depends=[("postgres", "backing")])
    _, services = make(svc, backing("postgres", used_by=["web"]))
    wired = env_of(services["web"])
    assert wired["DB_PASSWORD"].value_from.secret_key_ref.key == "password"
    assert wired["DB_USER"].value_from.secret_key_ref.key == "username"


def test_a_compose_database_name_that_is_no_dns_label_is_made_one():
    svc = service("api", depends=[("rallly_db", "backing")])
    _, services = make(svc, backing("postgres", name="rallly_db"))
    assert "rallly-db" in services and services["api"].depends_on == ["rallly-db"]
    assert services["rallly-db"].volumes[0].name == "hydron-shop-rallly-db-var-lib-postgresql-data"


def test_a_database_url_a_spring_app_reads_is_a_jdbc_url():
    svc = service("orders", language="java", framework="Spring Boot", pm="maven", lockfile=None, port=8080,
                  env_vars=[env("DATABASE_URL", secret=True, required=True)], depends=[("postgres", "backing")])
    _, services = make(svc, backing("postgres", used_by=["orders"]))
    assert env_of(services["orders"])["DATABASE_URL"].value_from.secret_key_ref.key == "jdbc-url"


def engines_app(*env_vars):
    """An app that starts on a SQLite file and has drivers for postgres and mysql too."""
    svc = service("board", language="go", framework=None, pm=None, lockfile=None, port=8080, env_vars=list(env_vars),
                  depends=[("sqlite", "backing"), ("postgres", "backing"), ("mysql", "backing")])
    sqlite = backing("sqlite", used_by=["board"]).model_copy(update={"file_path": "/data/board.db", "file_database": True})
    alternatives = [backing(k, used_by=["board"]).model_copy(update={"required": False, "alternative_to": "sqlite"})
                    for k in ("postgres", "mysql")]
    return make(svc, sqlite, *alternatives)


def test_an_app_configured_no_other_way_runs_on_its_default_sqlite_file_not_a_server_it_would_ignore():
    draft, services = engines_app()
    assert "postgres" not in services and "mysql" not in services
    assert [v.path for v in services["board"].volumes] == ["/data"], "the file it uses is kept"
    assert any("several SQL databases" in f.message and "runs sqlite" in f.message for f in draft.findings)


def test_an_app_that_takes_a_database_url_gets_a_server_engine_instead_of_its_file_fallback():
    draft, services = engines_app(env("DATABASE_URL", secret=True, default="sqlite:///board.db"))
    assert "postgres" in services and "mysql" not in services
    assert env_of(services["board"])["DATABASE_URL"].value_from.secret_key_ref.name == "shop-postgres"
    assert services["board"].volumes == [], "no file database left to keep"


def test_a_libsql_server_runs_beside_the_app_and_its_url_is_wired():
    """openstatus' private-location reads DB_URL and pings libSQL in /health: with no libSQL server planned it
    answered 503 for ever."""
    svc = service("probe", language="go", env_vars=[env("DB_URL", required=True)], depends=[("libsql", "backing")])
    _, services = make(svc, backing("libsql", used_by=("probe",)))
    assert services["libsql"].image.startswith("ghcr.io/tursodatabase/libsql-server:")
    assert env_of(services["probe"])["DB_URL"].value == "http://libsql:8080"


def test_an_app_that_migrates_its_schema_when_told_is_told_when_the_plan_runs_its_database():
    """miniflux reads RUN_MIGRATIONS (off by default): on the empty database the plan runs it exits with 'the
    database schema is not up to date'."""
    svc = service("reader", language="go", env_vars=[env("DATABASE_URL", required=True), env("RUN_MIGRATIONS")],
                  depends=[("postgres", "backing")])
    _, services = make(svc, backing("postgres", used_by=("reader",)))
    assert env_of(services["reader"])["RUN_MIGRATIONS"].value == "true"
    alone = service("reader", language="go", env_vars=[env("RUN_MIGRATIONS")], depends=[])
    assert "RUN_MIGRATIONS" not in env_of(make(alone)[1]["reader"])


def test_a_go_service_on_lib_pq_is_told_the_postgres_beside_it_has_no_tls():
    """miniflux (lib/pq, sslmode=require by default) against the plan's PostgreSQL: 'SSL is not enabled on the
    server'. Other drivers keep the URL as it is."""
    from hydron.analysis.models import Evidence
    svc = service("reader", language="go", env_vars=[env("DATABASE_URL", required=True)],
                  depends=[("postgres", "backing")])
    store = backing("postgres", used_by=("reader",)).model_copy(update={"evidence": [
        Evidence(file="go.mod", line=13, detail="requires github.com/lib/pq")]})
    assert env_of(make(svc, store)[1]["reader"])["PGSSLMODE"].value == "disable"
    assert "PGSSLMODE" not in env_of(make(svc, backing("postgres", used_by=("reader",)))[1]["reader"])


def test_a_connection_variable_under_the_apps_own_prefix_is_wired():
    """shiori reads SHIORI_DATABASE_URL (envconfig, prefix SHIORI_): left to the person as a secret, the bench's
    invented value made it exit with 'unsupported database scheme'."""
    names = ["SHIORI_DATABASE_URL", "SHIORI_HTTP_PORT", "SHIORI_DIR", "SHIORI_DBMS", "LOG_LEVEL"]
    svc = service("bookmarks", language="go", env_vars=[env(n, secret=n.endswith("URL"), required=n.endswith("URL"))
                                                         for n in names], depends=[("postgres", "backing")])
    wired = env_of(make(svc, backing("postgres", used_by=("bookmarks",)))[1]["bookmarks"])["SHIORI_DATABASE_URL"]
    assert wired.value_from.secret_key_ref.name == "shop-postgres"
