"""sqlx's compile-time checked queries: what the analysis sees, how the generated image compiles them, and
what the plan tells the user (realworld-axum: "`DATABASE_URL` must be set to use query macros")."""

from __future__ import annotations

from pathlib import Path

from hydron.analysis import analyze
from hydron.planning import PlanInputs, plan
from hydron.planning.dockerfiles import generate_dockerfile
from tests.unit.files import write
from tests.unit.planning.factories import app_spec

CARGO = """
    [package]
    name = "conduit"
    version = "0.1.0"
    edition = "2021"

    [dependencies]
    axum = "0.7"
    sqlx = {{ version = "0.7", features = ["runtime-tokio", "{backend}"] }}
"""
MAIN = """
    /// ```rust,ignore
    /// let id = sqlx::query_scalar!("select 1").fetch_one(&db).await?;
    /// ```
    async fn user(db: &sqlx::PgPool) -> anyhow::Result<()> {
        let row = sqlx::query_as!(User, r#"select * from "user""#).fetch_one(db).await?;
        Ok(())
    }
    fn main() {}
"""


def crate(root: Path, backend: str = "postgres", **more: str) -> Path:
    return write(root, {"Cargo.toml": CARGO.format(backend=backend), "Cargo.lock": "version = 3\n", "src/main.rs": MAIN,
                        **more})


def dockerfile(root: Path) -> str:
    found = analyze(root)
    return generate_dockerfile(found.services[0], found)


def findings(root: Path) -> list:
    return plan(PlanInputs("shop", app_spec(), analyze(root))).findings


MIGRATIONS = {"migrations/10_article.sql": "create table article (id int);\n",
              "migrations/2_user.up.sql": "create table \"user\" (id int);\n",
              "migrations/2_user.down.sql": "drop table \"user\";\n"}


def test_the_analysis_records_a_query_macro_call_and_the_migrations_not_a_doc_example(tmp_path: Path) -> None:
    found = analyze(crate(tmp_path, **MIGRATIONS))
    details = {(e.file, e.detail) for e in found.services[0].build_command.evidence}
    assert ("src/main.rs", "sqlx query macro query_as!") in details  # the call, not the doc comment's query_scalar!
    assert ("migrations", "sqlx migrations") in details
    assert not any(d == "sqlx offline data" for _, d in details)


def test_query_macros_without_offline_data_compile_against_a_throwaway_postgres_with_the_migrations(tmp_path):
    text = dockerfile(crate(tmp_path, **MIGRATIONS))
    assert "postgresql" in text.split("WORKDIR /app", 1)[0]  # the builder installs the server
    assert "ENV SQLX_OFFLINE=true" not in text  # sqlx 0.7 would ignore DATABASE_URL
    # one RUN starts the server, applies the up migrations in version order, compiles and stops it
    step = next(block for block in text.split("\nRUN ") if "initdb" in block)
    assert step.index("initdb") < step.index("pg_ctl") < step.index("ls migrations") < step.index("cargo build")
    assert "grep -v '\\.down\\.sql$' | sort -n" in step
    assert "-E UTF8" in step  # realworld-axum's ICU collation: "current database's encoding is not supported"
    assert "DATABASE_URL=postgres://postgres@127.0.0.1/postgres" in step
    assert step.index("cargo build --release --locked") < step.index("pg_ctl -D /tmp/sqlx-db -m fast -s stop")
    assert "initdb" not in text.split("AS runtime", 1)[1]
    [finding] = [f for f in findings(tmp_path) if "sqlx" in f.message]
    assert finding.severity == "Info" and "cargo sqlx prepare" in finding.message and "migrations/" in finding.message


def test_a_sqlite_crate_builds_its_schema_into_a_file(tmp_path: Path) -> None:
    text = dockerfile(crate(tmp_path, backend="sqlite", **MIGRATIONS))
    assert "sqlite3" in text.split("WORKDIR /app", 1)[0]
    assert "sqlite3 -bail /tmp/sqlx.db < \"migrations/$f\"" in text
    assert "DATABASE_URL=sqlite:///tmp/sqlx.db" in text
    assert "postgresql" not in text


def test_committed_offline_data_builds_offline_without_a_database(tmp_path: Path) -> None:
    for offline in ({".sqlx/query-1.json": "{}\n"}, {"sqlx-data.json": "{}\n"}):
        root = crate(tmp_path / next(iter(offline)).strip("."), **MIGRATIONS, **offline)
        text = dockerfile(root)
        assert "ENV SQLX_OFFLINE=true" in text and "initdb" not in text and "postgresql" not in text
        assert not [f for f in findings(root) if "sqlx" in f.message]


def test_query_macros_with_no_offline_data_and_no_migrations_warn_that_the_build_fails(tmp_path: Path) -> None:
    text = dockerfile(crate(tmp_path))
    assert "ENV SQLX_OFFLINE=true" in text and "initdb" not in text
    [finding] = [f for f in findings(tmp_path) if "sqlx" in f.message]
    assert finding.severity == "Warning" and "cargo sqlx prepare" in finding.message


def test_a_migrations_folder_named_in_migrate_that_is_not_plain_never_reaches_the_images_shell(tmp_path: Path) -> None:
    main = MAIN + "fn migrate() { sqlx::migrate!(\"db/x';touch${IFS}/pwned;'\"); }\n"
    root = crate(tmp_path, **{"src/main.rs": main, "db/x';touch${IFS}/pwned;'/1_a.sql": "create table a (id int);\n"})
    text = dockerfile(root)
    assert "pwned" not in text and "initdb" not in text
    [finding] = [f for f in findings(root) if "sqlx" in f.message]
    assert finding.severity == "Warning"
