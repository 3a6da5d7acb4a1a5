"""The analysis result: what a repository needs to run, each fact with its evidence.

These models are embedded in the Application CRD's status schema, which is generated
from their JSON schema. So every field carries a description, the shapes are closed
(no free-form dicts, no recursion) and names are camelCase in JSON.
"""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

# How sure the analysis is: high = stated by the repository (manifest, lockfile, Dockerfile, compose,
# an explicit route or listen call), medium = inferred from code or names, low = a framework default.
Confidence = Literal["high", "medium", "low"]

Role = Literal["web", "worker", "static", "job"]

BackingKind = Literal[
    "postgres",
    "mysql",
    "mariadb",
    "mongodb",
    "redis",
    "memcached",
    "rabbitmq",
    "kafka",
    "nats",
    "elasticsearch",
    "opensearch",
    "clickhouse",
    "minio",
    "sqlite",
    "mssql",
    "libsql",
    "boltdb",
    "deno-kv",
]

# Kinds that are a file inside the service's own container, not a server beside it: nothing to run, but the
# file must live on a persistent volume or the next release starts with an empty database.
FILE_DATABASES: frozenset[str] = frozenset({"sqlite", "boltdb", "deno-kv"})
SQL_ENGINES: tuple[str, ...] = ("postgres", "mysql", "mariadb", "mssql", "sqlite")
"""Engines an app picks one of; a plan prefers them in this order when nothing else decides."""

IntegrationCategory = Literal[
    "payments", "email", "sms", "storage", "ai", "monitoring", "search", "auth", "analytics", "cloud"
]

MonorepoTool = Literal[
    "npm-workspaces",
    "yarn-workspaces",
    "pnpm-workspaces",
    "bun-workspaces",
    "turborepo",
    "nx",
    "lerna",
    "go-workspace",
    "cargo-workspace",
    "dotnet-solution",
    "compose",
    "procfile",
    "multi",
]

SkipReason = Literal[
    "ignored-directory",
    "symlink",
    "symlink-outside-root",
    "special-file",
    "too-large",
    "binary",
    "too-deep",
    "file-limit",
    "directory-limit",
    "time-limit",  # written by analyses before the limits counted work instead of seconds; kept valid in stored status
    "read-budget",
    "unreadable",
]

# Why a place that looks runnable is not proposed as a service (see pruning.py).
NotServiceReason = Literal[
    "library",
    "documentation",
    "example",
    "build-tooling",
    "development",
    "tool-image",
    "own-image",
    "duplicate",
    "bundled",
    "datastore-process",
    "client-app",
    "not-in-compose",
]

CONFIDENCE_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2}


class Model(BaseModel):
    """camelCase in JSON, snake_case in Python; unknown fields are an error."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Evidence(Model):
    file: str = Field(description="File the fact was read from, relative to the repository root.")
    line: Optional[int] = Field(
        default=None, description="1-based line in that file; absent when the file's presence is the evidence."
    )
    detail: str = Field(description="What was seen there, in a few words.")


class Language(Model):
    name: str = Field(description="Language or runtime, e.g. node, python, ruby, java, go, php, rust, dotnet, elixir.")
    version: Optional[str] = Field(
        default=None, description="Requested version or range as the repository states it, e.g. 20, >=3.11, 1.22."
    )
    runtime: Optional[str] = Field(
        default=None, description="What runs the code, where the language does not say it: node, bun or deno for "
        "JavaScript and TypeScript, java (the JVM) for Kotlin.",
    )
    evidence: list[Evidence] = Field(description="Manifests and version files that name the language and version.")
    confidence: Confidence = Field(description="How sure the analysis is about this language.")


class Framework(Model):
    name: str = Field(description="Framework, e.g. Express, Next.js, Django, Rails, Spring Boot, Phoenix.")
    evidence: list[Evidence] = Field(description="Dependencies and files that show the framework.")
    confidence: Confidence = Field(description="How sure the analysis is about this framework.")


class PackageManager(Model):
    name: str = Field(description="Package manager, e.g. npm, pnpm, poetry, uv, bundler, maven, cargo, mix.")
    lockfile: Optional[str] = Field(default=None, description="Lockfile the install respects, relative to the root.")
    evidence: list[Evidence] = Field(description="Lockfiles and manifests that select this package manager.")
    confidence: Confidence = Field(description="How sure the analysis is about this package manager.")


class Command(Model):
    value: str = Field(
        description="Shell command, run from the service's directory with its dependencies installed "
        "(a Python virtualenv or node_modules/.bin on PATH)."
    )
    evidence: list[Evidence] = Field(description="Where the command was found or what it was derived from.")
    confidence: Confidence = Field(description="high when the repository states it, lower when derived.")


class EntryPoint(Model):
    file: str = Field(description="Source file the process starts from, relative to the repository root.")
    evidence: list[Evidence] = Field(description="What points at this file.")
    confidence: Confidence = Field(description="How sure the analysis is about the entry point.")


class ServiceRole(Model):
    value: Role = Field(
        description="web: serves HTTP; worker: long-running without a port; static: built files served as-is; "
        "job: runs to completion (release tasks, cron)."
    )
    evidence: list[Evidence] = Field(description="Why the service has this role.")
    confidence: Confidence = Field(description="How sure the analysis is about the role.")


class Port(Model):
    value: int = Field(ge=1, le=65535, description="TCP port the service listens on inside its container.")
    evidence: list[Evidence] = Field(description="Where the port was found.")
    confidence: Confidence = Field(
        description="high when stated (compose, Dockerfile, config, a listen call), medium when guessed from a "
        "`port = N` in code, low for a framework default."
    )


class HealthCheck(Model):
    path: str = Field(description="HTTP path that answers when the service is healthy, e.g. /healthz.")
    evidence: list[Evidence] = Field(description="Route, dependency or healthcheck that defines the path.")
    confidence: Confidence = Field(description="How sure the analysis is that this path exists.")


class EnvVar(Model):
    name: str = Field(description="Environment variable name. Values from .env files are never recorded.")
    secret: bool = Field(description="The name looks like a credential or connection string; store it as a Secret.")
    required: bool = Field(description="No default is given anywhere the variable is read or declared.")
    default: Optional[str] = Field(
        default=None, description="Default from code, Dockerfile, compose or an example env file; never for secrets."
    )
    evidence: list[Evidence] = Field(description="Where the variable is read or declared (a bounded sample).")


class Package(Model):
    name: str = Field(description="Package name as the registry normalises it, e.g. psycopg2, numpy.")
    version: Optional[str] = Field(
        default=None, description="Version constraint as the manifest declares it, e.g. ==2.8.6, >=1.24,<2, ^4.2."
    )
    file: str = Field(description="Manifest that declares it, relative to the repository root.")


class Dependency(Model):
    name: str = Field(description="Name of a sibling service or of an entry in databases.")
    kind: Literal["service", "backing"] = Field(
        description="service: another service of this repository; backing: a database, cache or broker."
    )
    evidence: list[Evidence] = Field(description="Why this service needs the other one.")
    confidence: Confidence = Field(description="high for compose depends_on, lower for names and URLs.")


class Service(Model):
    name: str = Field(description="Service name, a DNS label unique within the analysis.")
    path: str = Field(description="Directory of the service relative to the repository root; '.' for the root.")
    role: ServiceRole = Field(description="What kind of process this is.")
    language: Optional[Language] = Field(default=None, description="Language and requested version.")
    framework: Optional[Framework] = Field(default=None, description="Web or application framework.")
    package_manager: Optional[PackageManager] = Field(default=None, description="Package manager and lockfile.")
    install_command: Optional[Command] = Field(default=None, description="Installs dependencies.")
    build_command: Optional[Command] = Field(default=None, description="Builds the service after install.")
    start_command: Optional[Command] = Field(default=None, description="Starts the service.")
    start_candidates: list[Command] = Field(
        default_factory=list,
        description="Start commands the repository offers for this service, the chosen one first: what compose, "
        "the Procfile, the Dockerfile and start-like scripts state, then conventional ways to run its files.",
    )
    files: list[str] = Field(
        default_factory=list,
        description="Source files and scripts a start command may run, relative to the service's directory "
        "(a bounded sample, nearest first).",
    )
    packages: Optional[list[Package]] = Field(
        default=None,
        description="Packages the manifests declare, with their constraints, where the image build depends on them "
        "(Python: which need a compiler, which Python versions have wheels); a bounded list.",
    )
    entry_point: Optional[EntryPoint] = Field(default=None, description="Source file the process starts from.")
    static_root: Optional[str] = Field(
        default=None, description="For static services, the directory to serve after the build, relative to the root."
    )
    port: Optional[Port] = Field(default=None, description="Listening port; absent for workers and jobs.")
    health_check: Optional[HealthCheck] = Field(default=None, description="HTTP health endpoint, if one was found.")
    env: list[EnvVar] = Field(default_factory=list, description="Environment variables the service reads.")
    dockerfile: Optional[str] = Field(
        default=None, description="Existing Dockerfile for this service, relative to the root; it is the source of truth."
    )
    compose_service: Optional[str] = Field(default=None, description="Name of the matching compose service.")
    build_args: Optional[list[str]] = Field(
        default=None, description="Build arguments for the repository's Dockerfile, NAME=value (compose's "
        "build.args; values compose would take from the shell are left to the ARG's default).",
    )
    image: Optional[str] = Field(default=None, description="Prebuilt image to run instead of building from source.")
    build_context: Optional[str] = Field(
        default=None,
        description="Directory the repository's own Dockerfile builds from, relative to the root, when it is not "
        "the service's path (a compose build whose context is the repository root).",
    )
    depends_on: list[Dependency] = Field(
        default_factory=list, description="Sibling services and backing services this one needs, start those first."
    )


class BackingService(Model):
    name: str = Field(description="Name used in dependsOn: the compose service name, else the kind.")
    kind: BackingKind = Field(description="What sort of database, cache, broker or store this is.")
    version: Optional[str] = Field(default=None, description="Version from a compose image tag, when stated.")
    image: Optional[str] = Field(default=None, description="Image the repository runs it from, when stated.")
    evidence: list[Evidence] = Field(description="Drivers, ORMs, images, URLs and env names that show the need.")
    confidence: Confidence = Field(description="high for a driver, image or explicit URL; medium for an env name.")
    used_by: list[str] = Field(description="Services that use it.")
    required: bool = Field(
        default=True, description="false when it is only named in an optional configuration (a profile or "
        "environment the app does not run with by default): the app runs without it.",
    )
    alternative_to: Optional[str] = Field(
        default=None, description="Set on an engine the app supports beside the one it uses by default (a driver "
        "for postgres in an app that starts on SQLite): the name of that default. Such an entry is not required.",
    )
    file_database: bool = Field(
        default=False, description="A database kept in a file inside the service (SQLite): nothing runs beside "
        "the service, but the file needs a persistent volume that survives releases.",
    )
    file_path: Optional[str] = Field(
        default=None, description="Where the code puts the database file by default, as it names it (e.g. "
        "data/app.db), when visible.",
    )


class Integration(Model):
    name: str = Field(description="External service, e.g. Stripe, AWS S3, SendGrid, OpenAI, Sentry.")
    category: IntegrationCategory = Field(description="What the external service is for.")
    evidence: list[Evidence] = Field(description="SDK dependencies that show the integration.")
    used_by: list[str] = Field(description="Services that use it.")


class SkippedService(Model):
    name: str = Field(description="Name the service would have; an entry with this name in spec.services "
                      "deploys it after all.")
    path: str = Field(description="Directory of the candidate relative to the repository root; '.' for the root.")
    reason: NotServiceReason = Field(description="Which rule decided it is not a service of its own.")
    detail: str = Field(description="Why, in a sentence a person can check.")
    evidence: list[Evidence] = Field(description="Files that show it.")
    suggestion: bool = Field(
        default=False, description="A tool beside the app (an admin UI, a mail catcher, a proxy) a person may want."
    )
    service: Optional[Service] = Field(
        default=None, description="The service as it would be deployed, used when an override adds it back."
    )


class SkippedPath(Model):
    path: str = Field(description="Path relative to the repository root.")
    reason: SkipReason = Field(description="Why the analysis did not read it.")


class SkipCount(Model):
    reason: SkipReason = Field(description="Why the analysis did not read these paths.")
    count: int = Field(ge=0, description="How many paths were skipped for this reason.")


class Monorepo(Model):
    tools: list[MonorepoTool] = Field(description="How the repository is split into several projects.")
    evidence: list[Evidence] = Field(description="Files that declare the split.")


class Analysis(Model):
    services: list[Service] = Field(description="Deployable services, sorted by path then name.")
    databases: list[BackingService] = Field(
        description="Databases, caches, brokers and search engines the services need."
    )
    integrations: list[Integration] = Field(description="External SaaS the services talk to.")
    skipped_services: list[SkippedService] = Field(
        default_factory=list,
        description="Places that look runnable but are not services of their own (libraries, docs, development "
        "compose entries, tools, frontends built into another image), each with its reason.",
    )
    monorepo: Optional[Monorepo] = Field(default=None, description="How the repository holds several projects.")
    template: Optional[str] = Field(default=None, description="Gallery template this analysis was expanded from.")
    files_scanned: int = Field(ge=0, description="Files the walk saw (read or not).")
    truncated: bool = Field(description="The walk stopped early at a file, time or read limit; facts may be missing.")
    skipped: list[SkippedPath] = Field(description="A bounded sample of skipped paths.")
    skipped_counts: list[SkipCount] = Field(description="How many paths were skipped, per reason.")
    warnings: list[str] = Field(description="Things a person should know when reviewing the analysis.")


def as_document(model: BaseModel) -> dict:
    """The JSON shape used in the CRD status, the CLI and the snapshots: camelCase, no nulls."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)
