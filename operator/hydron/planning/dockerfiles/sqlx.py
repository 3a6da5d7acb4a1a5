"""sqlx's compile-time checked queries in a generated Rust image.

The query macros (query!, query_as!) check every query against a database while compiling, or against
the offline data `cargo sqlx prepare` commits. A crate with neither fails to build ("`DATABASE_URL` must
be set to use query macros", realworld-axum). When its repository has the sqlx migrations that build the
schema, the compile step starts a throwaway database of the crate's backend in the build container,
applies them in order and compiles against it: one RUN, so no server outlives the step, and the runtime
stage never sees any of it.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from hydron.analysis.models import Analysis, Service
from hydron.analysis.rust import SQLX_MACROS, SQLX_MIGRATIONS, SQLX_OFFLINE_DATA

from .common import plain_folder

# the Debian package that runs each backend in the builder (SQLite is a file the CLI writes)
_PACKAGES = {"postgres": "postgresql", "sqlite": "sqlite3", "mysql": "mariadb-server", "mariadb": "mariadb-server"}
_PREFERENCE = ("postgres", "mysql", "mariadb", "sqlite")


@dataclass(frozen=True)
class SqlxBuild:
    """What the crate's query macros need at compile time."""

    offline_data: bool  # the repository commits `cargo sqlx prepare` output
    migrations: str | None  # the migrations folder, relative to the repository root
    backend: str | None  # the kind of database the crate's sqlx talks to

    @property
    def needs_database(self) -> bool:
        """No offline data, but a schema the build can make: compile against a throwaway database."""
        return (not self.offline_data and self.migrations is not None and plain_folder(self.migrations)
                and self.backend in _PACKAGES)


def sqlx_build(service: Service, analysis: Analysis) -> SqlxBuild | None:
    """None when the analysis saw no query macro call in the crate."""
    evidence = service.build_command.evidence if service.build_command else []
    if not any(e.detail.startswith(SQLX_MACROS) for e in evidence):
        return None
    migrations = next((e.file for e in evidence if e.detail == SQLX_MIGRATIONS), None)
    return SqlxBuild(offline_data=any(e.detail == SQLX_OFFLINE_DATA for e in evidence),
                     migrations=migrations, backend=_backend(service, analysis))


def _backend(service: Service, analysis: Analysis) -> str | None:
    """The SQL database this service reaches through sqlx (the one the plan runs beside it)."""
    mine = {d.name for d in service.depends_on if d.kind == "backing"}
    kinds = {store.kind for store in analysis.databases
             if store.name in mine and store.alternative_to is None
             and any(e.detail == "depends on sqlx" for e in store.evidence)}
    return next((kind for kind in _PREFERENCE if kind in kinds), None)


def package(build: SqlxBuild) -> str:
    return _PACKAGES[build.backend or ""]


def with_database(build: SqlxBuild, context: str, compile_command: str) -> str | None:
    """The RUN that compiles against a throwaway database with the migrations applied; None when the
    migrations folder cannot be written into a Dockerfile as it is."""
    folder = posixpath.relpath(build.migrations or ".", context or ".")
    if not plain_folder(folder) or folder == ".":
        return None
    # up migrations (N_name.sql or N_name.up.sql) in version order, as `sqlx migrate run` applies them
    each = (f"for f in $(ls {folder} | grep '\\.sql$' | grep -v '\\.down\\.sql$' | sort -n); do \\\n"
            f"       {_APPLY[build.backend or ''].format(folder=folder)} || exit 1; done")
    server = _SERVER[build.backend or ""]
    return ("# sqlx's query macros check each query against a database while compiling, and the repository\n"
            "# commits no `cargo sqlx prepare` data: this step starts a throwaway "
            f"{_NAMES[build.backend or '']} in the build\n"
            f"# container, applies {folder}/ in order and compiles against it; nothing of it reaches the image.\n"
            f"RUN {server['start']} \\\n"
            f"  && {each} \\\n"
            f"  && export DATABASE_URL={server['url']} SQLX_OFFLINE=false \\\n"
            f"  && {compile_command} \\\n"
            f"  && {server['stop']}\n")


_NAMES = {"postgres": "Postgres", "sqlite": "SQLite database", "mysql": "MariaDB", "mariadb": "MariaDB"}
_PG = "$(echo /usr/lib/postgresql/*/bin)"
# UTF-8 as the postgres image's databases are: ICU collations (realworld-axum's case_insensitive) need it
_SERVER = {
    "postgres": {
        "start": (f"su postgres -c \"{_PG}/initdb -D /tmp/sqlx-db -A trust -E UTF8 --locale=C.UTF-8\" > /dev/null \\\n"
                  f"  && su postgres -c \"{_PG}/pg_ctl -D /tmp/sqlx-db -l /tmp/sqlx-db.log "
                  "-o '-k /tmp -c listen_addresses=127.0.0.1' -w -s start\""),
        "url": "postgres://postgres@127.0.0.1/postgres",
        "stop": f"su postgres -c \"{_PG}/pg_ctl -D /tmp/sqlx-db -m fast -s stop\" && rm -rf /tmp/sqlx-db*",
    },
    "sqlite": {
        "start": "touch /tmp/sqlx.db",
        "url": "sqlite:///tmp/sqlx.db",
        "stop": "rm -f /tmp/sqlx.db",
    },
    "mysql": {
        "start": ("mkdir -p /run/mysqld && chown mysql /run/mysqld \\\n"
                  "  && (mariadbd --user=mysql --skip-networking=0 --bind-address=127.0.0.1 > /tmp/sqlx-db.log 2>&1 &) \\\n"
                  "  && for i in $(seq 60); do mariadb-admin ping --silent > /dev/null && break; sleep 1; done \\\n"
                  "  && mariadb -e \"CREATE DATABASE sqlx; CREATE USER sqlx@'%' IDENTIFIED BY 'sqlx'; "
                  "GRANT ALL ON *.* TO sqlx@'%'\""),
        "url": "mysql://sqlx:sqlx@127.0.0.1/sqlx",
        "stop": "mariadb-admin shutdown && rm -f /tmp/sqlx-db.log",
    },
}
_SERVER["mariadb"] = _SERVER["mysql"]
_APPLY = {
    "postgres": 'psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -f "{folder}/$f" > /dev/null',
    "sqlite": 'sqlite3 -bail /tmp/sqlx.db < "{folder}/$f"',
    "mysql": 'mariadb sqlx < "{folder}/$f"',
    "mariadb": 'mariadb sqlx < "{folder}/$f"',
}
