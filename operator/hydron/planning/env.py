"""A service's environment: what the analysis says it reads, and where each value comes from.

Order of precedence: what a person set on the Application; what Hydron wires (database
URLs, sibling URLs, PORT); a key of the app's user Secret for credentials; the code's
own default. A required variable that nothing sets becomes a finding, not a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hydron.analysis.models import SQL_ENGINES, Service
from hydron.api.base import EnvValueSource, EnvVar, SecretKeyReference
from hydron.api.infraplan import EnvDefinition, Finding
from hydron.planning.backing import SECRET_PARTS, Backing

DESCRIPTIONS = {
    "PORT": "Port the service listens on; Hydron sets it to the planned port.",
    "NODE_ENV": "Node.js environment; production in the generated image.",
}
_SQL_FIRST = {"postgres": 0, "mysql": 0, "mariadb": 0}
# Switches an app reads to migrate its own schema at start (miniflux: RUN_MIGRATIONS; off, it exits with "the
# database schema is not up to date"). Set when the plan runs its SQL database, which starts empty.
MIGRATE_AT_START = frozenset({"RUN_MIGRATIONS", "RUN_DB_MIGRATIONS", "AUTO_MIGRATE", "DB_AUTO_MIGRATE",
                              "MIGRATE_ON_START", "DATABASE_AUTO_MIGRATE"})

# Variables an app reads to choose its SQL engine, and the spellings each family of apps uses.
_LARAVEL = {"postgres": "pgsql", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite"}
_DJANGO = {"postgres": "django.db.backends.postgresql", "mysql": "django.db.backends.mysql",
           "mariadb": "django.db.backends.mysql", "sqlite": "django.db.backends.sqlite3"}
_KNEX = {"postgres": "pg", "mysql": "mysql2", "mariadb": "mysql2", "sqlite": "better-sqlite3"}
_RAILS = {"postgres": "postgresql", "mysql": "mysql2", "mariadb": "mysql2", "sqlite": "sqlite3"}
_SHORT = {"postgres": "postgres", "mysql": "mysql", "mariadb": "mariadb", "sqlite": "sqlite"}
_LONG = {"postgres": "postgresql", "mysql": "mysql", "mariadb": "mariadb", "sqlite": "sqlite3"}
_VOCABULARIES = (_LARAVEL, _DJANGO, _KNEX, _RAILS, _SHORT, _LONG)
ENGINE_SELECTORS: dict[str, dict[str, str]] = {
    "DB": _SHORT, "DB_CONNECTION": _LARAVEL, "DB_CLIENT": _KNEX, "DATABASE_CLIENT": _KNEX, "DB_ADAPTER": _RAILS,
    "DATABASE_ADAPTER": _RAILS, "DB_ENGINE": _SHORT, "DATABASE_ENGINE": _SHORT, "DB_BACKEND": _SHORT,
    "DATABASE_BACKEND": _SHORT, "DB_TYPE": _SHORT, "DATABASE_TYPE": _SHORT, "DB_DIALECT": _SHORT,
    "DATABASE_DIALECT": _SHORT, "DB_DRIVER": _SHORT, "DATABASE_DRIVER": _SHORT, "DB_VENDOR": _SHORT,
    "DB_PROVIDER": _SHORT, "DATABASE_PROVIDER": _SHORT, "TYPEORM_CONNECTION": _SHORT, "TYPEORM_TYPE": _SHORT,
}


def engine_value(name: str, engine: str, default: str | None, framework: str | None) -> str | None:
    """The value of an engine selector for the engine the plan runs, in the spelling the app uses:
    that of its own default when there is one (sqlite3 → postgresql), else the convention of the name."""
    if name not in ENGINE_SELECTORS:
        return None
    spoken = (default or "").strip().lower()
    vocabulary = next((v for v in _VOCABULARIES if spoken and spoken in {w.lower() for w in v.values()}), None)
    if vocabulary is None:
        vocabulary = _DJANGO if framework == "Django" and "ENGINE" in name else ENGINE_SELECTORS[name]
    return vocabulary.get(engine)


@dataclass
class Sibling:
    """Another service of the app this one depends on."""

    name: str
    port: int | None


@dataclass
class ServiceEnv:
    env: list[EnvVar] = field(default_factory=list)
    definitions: list[EnvDefinition] = field(default_factory=list)
    user_secret_keys: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _sibling_env(name: str, siblings: list[Sibling]) -> EnvVar | None:
    """CATALOG_API_URL → http://catalog-api:PORT when the service depends on a sibling named like it."""
    upper = name.upper()
    for sibling in siblings:
        token = re.sub(r"[^A-Z0-9]+", "_", sibling.name.upper())
        if sibling.port and upper.startswith(token + "_") and upper.endswith(("_URL", "_ORIGIN", "_ENDPOINT")):
            return EnvVar(name=name, value=f"http://{sibling.name}:{sibling.port}")
        if upper in (f"{token}_HOST", f"{token}_HOSTNAME"):
            return EnvVar(name=name, value=sibling.name)
    return None


JVM_FRAMEWORKS = frozenset({"Spring Boot", "Quarkus", "Micronaut", "Ktor", "Javalin"})


def _backing_env(name: str, backings: list[Backing], framework: str | None = None,
                 prefix: str = "") -> tuple[EnvVar, Backing] | None:
    """The wiring of a variable named like a connection part, also under the app's own prefix (shiori reads
    SHIORI_DATABASE_URL). A JVM app's database URL is a JDBC URL: its DATABASE_URL placeholder feeds
    spring.datasource.url, which cannot read postgres://."""
    for backing in backings:
        part = backing.managed.env_names.get(name)
        if part is None and prefix and name.startswith(prefix):
            part = backing.managed.env_names.get(name[len(prefix):])
        if part == "url" and backing.managed.jdbc and framework in JVM_FRAMEWORKS:
            part = "jdbc-url"
        if part is not None:
            return backing.value_for(name, part), backing
    return None


def plan_env(
    service: Service,
    *,
    port: int | None,
    backings: list[Backing],
    siblings: list[Sibling],
    person_env: list[EnvVar],
    user_secret: str,
    sql_engine: str | None = None,
    template: str | None = None,
) -> ServiceEnv:
    """Env vars and definitions of one service. `person_env`: the Application's shared env, then
    the service override's (later wins). For a gallery `template`, a default is the template's
    value: set it (the image does not know it), wiring a `{backing.part}` reference."""
    out = ServiceEnv()
    backings = sorted(backings, key=lambda b: _SQL_FIRST.get(b.source.kind, 1))
    person = {e.name: e for e in person_env}
    wired_backings: set[str] = set()
    prefix = own_prefix([v.name for v in service.env])
    field_prefix = f"services[{service.name}].env"
    for var in service.env:
        definition = EnvDefinition(name=var.name, secret=var.secret, required=var.required,
                                   description=DESCRIPTIONS.get(var.name))
        if var.name in person:
            out.env.append(person[var.name])
            definition.source = "Application"
        elif var.name == "PORT" and port is not None:
            out.env.append(EnvVar(name="PORT", value=str(port)))
            definition.source = "Wired"
        elif template and var.default is not None and (found := _reference(var.name, var.default, backings)):
            env, backing = found
            out.env.append(env)
            wired_backings.add(backing.name)
            definition.source = "Wired"
            definition.description = definition.description or (
                f"Connection to the {backing.source.kind} container {backing.name}, as template {template} asks.")
        elif template and var.default is not None:
            out.env.append(EnvVar(name=var.name, value=var.default))
            definition.description = definition.description or f"Set by template {template}."
        elif sql_engine and (value := engine_value(var.name, sql_engine, var.default, _framework(service))):
            out.env.append(EnvVar(name=var.name, value=value))
            definition.source = "Wired"
            definition.description = definition.description or (
                f"Selects the SQL engine; set to the {sql_engine} the plan runs.")
        elif var.name in MIGRATE_AT_START and any(b.source.kind in SQL_ENGINES for b in backings):
            out.env.append(EnvVar(name=var.name, value="1" if var.default in ("0", "1") else "true"))
            definition.source = "Wired"
            definition.description = definition.description or (
                "Runs the app's schema migrations when it starts: the database the plan runs starts empty.")
        elif (found := _backing_env(var.name, backings, _framework(service), prefix)) is not None:
            env, backing = found
            out.env.append(env)
            wired_backings.add(backing.name)
            definition.source = "Wired"
            definition.description = definition.description or (
                f"Connection to the {backing.source.kind} container {backing.name} (generated credentials).")
        elif (env := _sibling_env(var.name, siblings)) is not None:
            out.env.append(env)
            definition.source = "Wired"
            definition.description = definition.description or f"Address of the sibling service {env.value}."
        elif var.secret and var.required:
            out.env.append(EnvVar(name=var.name, value_from=EnvValueSource(
                secret_key_ref=SecretKeyReference(name=user_secret, key=var.name))))
            out.user_secret_keys.append(var.name)
            definition.source = "UserSecret"
        elif var.required:
            definition.source = "Unset"
            out.findings.append(Finding(
                severity="Warning", source="Planning", field=f"{field_prefix}[{var.name}]",
                message=f"{service.name} reads {var.name} without a default and nothing sets it: set it in the "
                        "Application's env (or the service's override), or the service may fail to start."))
        out.definitions.append(definition)
    _conventional_urls(service, backings, wired_backings, person, out)
    _plain_postgres_for_lib_pq(backings, person, out)
    _complete_credentials(backings, person, out)
    for name, env in person.items():  # what a person set that the analysis did not see
        if all(d.name != name for d in out.definitions):
            out.env.append(env)
            out.definitions.append(EnvDefinition(name=name, secret=env.value_from is not None, source="Application"))
    out.env.sort(key=lambda e: e.name)
    out.definitions.sort(key=lambda d: d.name)
    return out


_REFERENCE = re.compile(r"^\{([a-z0-9-]+)\.(url|host|port|username|password|database)\}$")


def _reference(name: str, value: str, backings: list[Backing]) -> tuple[EnvVar, Backing] | None:
    """A template's `{backing.part}` value, wired to that part of the backing's connection."""
    match = _REFERENCE.match(value)
    backing = next((b for b in backings if match and b.source.name == match.group(1)), None)
    if backing is None:
        return None
    return backing.value_for(name, match.group(2)), backing  # type: ignore[union-attr, arg-type]


def _conventional_urls(service: Service, backings: list[Backing], wired: set[str], person: dict[str, EnvVar],
                       out: ServiceEnv) -> None:
    """A dependency the code reaches under a name the analysis did not see still gets its conventional URL."""
    taken = {e.name for e in out.env} | set(person)
    for backing in backings:
        own = backing.managed.framework_env.get(_framework(service) or "")
        names = own or ({backing.managed.default_env: "url"} if backing.managed.default_env else {})
        if backing.name in wired and not own:  # a framework's own names are all set: its defaults never match
            continue
        for name, part in names.items():
            if name in taken:
                continue
            out.env.append(backing.value_for(name, part))
            taken.add(name)
            out.definitions.append(EnvDefinition(
                name=name, secret=part in SECRET_PARTS and backing.secret is not None, source="Wired",
                description=f"Connection to the {backing.source.kind} container {backing.name}; added by Hydron "
                            "because the service uses it."))


def own_prefix(names: list[str]) -> str:
    """`SHIORI_` when most of what a service reads shares that first word (envconfig's and viper's prefixes)."""
    firsts = [n.split("_", 1)[0] + "_" for n in names if "_" in n]
    if not firsts:
        return ""
    best = max(sorted(set(firsts)), key=firsts.count)
    return best if firsts.count(best) >= 3 and firsts.count(best) * 3 >= len(names) else ""


def _plain_postgres_for_lib_pq(backings: list[Backing], person: dict[str, EnvVar], out: ServiceEnv) -> None:
    """Go's lib/pq asks for TLS unless told otherwise (miniflux: 'pq: SSL is not enabled on the server'); the
    PostgreSQL the plan runs on its private network has none. PGSSLMODE tells lib/pq without touching the URL
    other services of the app share."""
    if "PGSSLMODE" in person or any(e.name == "PGSSLMODE" for e in out.env):
        return
    if any(b.source.kind == "postgres" and any(e.detail.endswith("github.com/lib/pq") for e in b.source.evidence)
           for b in backings):
        out.env.append(EnvVar(name="PGSSLMODE", value="disable"))
        out.definitions.append(EnvDefinition(
            name="PGSSLMODE", secret=False, source="Wired",
            description="lib/pq asks for TLS by default; the PostgreSQL container beside the app speaks plain "
                        "connections on the private network."))


_ADDRESS_SUFFIXES = ("HOST", "HOSTNAME", "USER", "USERNAME")


def _complete_credentials(backings: list[Backing], person: dict[str, EnvVar], out: ServiceEnv) -> None:
    """A service wired to DB_HOST and DB_USER also reads DB_PASSWORD, even where the analysis did not see
    it read (a helper such as envsecret('DB_PASSWORD')): the generated password is no default it knows."""
    taken = {e.name for e in out.env} | set(person)
    for backing in backings:
        names = backing.managed.env_names
        for wired in [e.name for e in out.env if names.get(e.name) in ("host", "username")]:
            prefix = next((wired[: -len(s)] for s in _ADDRESS_SUFFIXES if wired.endswith(s)), None)
            password = f"{prefix}PASSWORD" if prefix is not None else None
            if password and names.get(password) == "password" and password not in taken:
                out.env.append(backing.value_for(password, "password"))
                taken.add(password)
                out.definitions.append(EnvDefinition(
                    name=password, secret=True, source="Wired",
                    description=f"Password of the {backing.source.kind} container {backing.name}; added by Hydron "
                                f"beside {wired}."))


def _framework(service: Service) -> str | None:
    return service.framework.name if service.framework else None
