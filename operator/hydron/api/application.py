"""Application: what a user writes. Points Hydron at code and says how to run it."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import ConfigDict, Field, model_validator

from hydron.analysis.models import Analysis
from hydron.api.base import (
    AGE_COLUMN,
    MAP_BY_NAME,
    ApiModel,
    DeletionPolicy,
    Domain,
    EnvVar,
    LocalObjectReference,
    SecretKeyReference,
    StatusBase,
    cel,
    ready_columns,
    validations,
)
from hydron.api.dns import DnsSettings, outside_zone, zone_rule
from hydron.api.server import ProxySettings
from hydron.api.checks import GIT_REF, GIT_URL, IMAGE, NAME, RELATIVE_PATH, URL_PATH

class GitSource(ApiModel):
    """A Git repository to build from."""

    url: GIT_URL.type() = Field(description="Clone URL: https://, ssh://, git@host:org/repo.git, git:// or file://.")
    ref: GIT_REF.type() | None = Field(
        default=None, description="Branch, tag or commit to deploy. Default: the repository's default branch."
    )
    path: RELATIVE_PATH.type() | None = Field(
        default=None, description="Subdirectory of the repository that holds the app (monorepos)."
    )
    credentials_secret_ref: LocalObjectReference | None = Field(
        default=None,
        description=(
            "Secret with access to a private repository: key `token` (and optional `username`) for "
            "HTTPS, or `ssh-privatekey` (and optional `known_hosts`) for SSH."
        ),
    )
    submodules: bool = Field(default=False, description="Also fetch the repository's submodules.")
    poll_interval_seconds: int = Field(
        default=300,
        ge=30,
        description="How often to look for new commits on the tracked branch; they are deployed automatically.",
    )


class ImageSource(ApiModel):
    """A ready-made container image; analysis is skipped."""

    name: IMAGE.type() = Field(description="Image reference, e.g. ghcr.io/acme/api:1.4.2.")
    port: int | None = Field(default=None, ge=1, le=65535, description="Port the image listens on.")
    pull_secret_ref: LocalObjectReference | None = Field(
        default=None,
        description=(
            "Secret of type kubernetes.io/dockerconfigjson with the registry login "
            "(`kubectl create secret docker-registry`). Used for each pull on the server and not left there."
        ),
    )


class TemplateParameter(ApiModel):
    """A named value for a template."""

    name: str = Field(
        description="Parameter name as the template lists it.", pattern=r"^[A-Za-z_][A-Za-z0-9_-]*$", max_length=63
    )
    value: str = Field(description="Parameter value.")


class TemplateSource(ApiModel):
    """A pre-configured stack from the template gallery (e.g. wordpress, ghost, plausible)."""

    name: NAME.type() = Field(description="Template name; `hydron templates` lists them.")
    parameters: list[TemplateParameter] = Field(
        default_factory=list,
        description="Values for the template's parameters.",
        json_schema_extra=MAP_BY_NAME,
    )


class Source(ApiModel):
    """Where the application comes from: exactly one of git, image or template."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            cel(
                "[has(self.git), has(self.image), has(self.template)].filter(x, x).size() == 1",
                "set exactly one of git, image or template",
            )
        )
    )

    git: GitSource | None = Field(default=None, description="Build from a Git repository.")
    image: ImageSource | None = Field(default=None, description="Run a container image as it is.")
    template: TemplateSource | None = Field(default=None, description="Start from a template in the gallery.")


class ServiceOverride(ApiModel):
    """Corrections to what analysis found for one service."""

    name: NAME.type() = Field(description="Service name as analysis reports it (status.analysis.services[].name).")
    port: int | None = Field(default=None, ge=1, le=65535, description="Port the service listens on.")
    health_check_path: URL_PATH.type() | None = Field(default=None, description="HTTP path that answers 2xx when healthy.")
    start_command: str | None = Field(default=None, description="Command that starts the service.")
    domains: list[Domain] = Field(
        default_factory=list, max_length=32, description="Public domains routed to this service."
    )
    env: list[EnvVar] = Field(max_length=256, 
        default_factory=list,
        description="Environment for this service only.",
        json_schema_extra=MAP_BY_NAME,
    )
    disabled: bool = Field(default=False, description="Do not deploy this service.")


class ProviderAccount(ApiModel):
    """A provider account the approved plan's server is ordered with: Hydron then writes
    the Server itself (named after the Application, owned by it)."""

    provider: Literal["hetzner", "ovh"] = Field(
        description="Which provider the account is at (the plan's offer must be from it).")
    account_secret_ref: SecretKeyReference = Field(description="Secret key holding the provider's API token.")
    ssh_key_secret_ref: SecretKeyReference = Field(
        description="Secret key holding the SSH private key Hydron logs in with (its public half goes to the machine).",
    )
    image: str = Field(default="debian-12", pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$",
                       description="Operating system image to install, e.g. debian-12.")
    deletion_policy: DeletionPolicy = Field(
        default="Orphan",
        description="The Server's deletionPolicy, which deleting the Application follows: Delete deletes the machine "
                    "at the provider, Orphan leaves it running (and billed).",
    )
    proxy: ProxySettings | None = Field(
        default=None,
        description="The ordered Server's spec.proxy: the ACME CA (and its root) its certificates come from, for a "
                    "private or company CA. Unset: Let's Encrypt.",
    )


class PlanningPolicy(ApiModel):
    """How the InfraPlan is made and approved."""

    auto_approve: bool = Field(
        default=False, description="Approve each plan revision without waiting for a person (for CI and demos)."
    )
    monthly_budget: float | None = Field(
        default=None, ge=0, description="Upper bound for the server's monthly price, in EUR."
    )
    location: str | None = Field(default=None, description="Preferred location, e.g. fsn1, Frankfurt, EU.")
    server_ref: LocalObjectReference | None = Field(
        default=None, description="Use this existing Server instead of recommending a new one."
    )
    provider_account: ProviderAccount | None = Field(
        default=None,
        description="Order the approved plan's server with this account (within monthlyBudget): Hydron creates the "
                    "Server from the plan's offer, location, firewall and SSH settings. Edits a person makes on that "
                    "Server's fields win over the plan, and are listed in the plan's findings.",
    )


class ApplicationSpec(ApiModel):
    """What to run and how."""

    model_config = ConfigDict(json_schema_extra=validations(zone_rule(top_level_domains=True)))

    source: Source = Field(description="Where the application comes from.")
    domains: list[Domain] = Field(
        default_factory=list,
        max_length=32,
        description="Public domains of the main web service; TLS certificates are issued for each.",
    )
    env: list[EnvVar] = Field(max_length=256, 
        default_factory=list,
        description="Environment shared by every service.",
        json_schema_extra=MAP_BY_NAME,
    )
    services: list[ServiceOverride] = Field(max_length=64, 
        default_factory=list,
        description="Per-service corrections to the analysis.",
        json_schema_extra=MAP_BY_NAME,
    )
    planning: PlanningPolicy = Field(
        default_factory=PlanningPolicy, description="How the infrastructure plan is made and approved."
    )
    dns: DnsSettings | None = Field(
        default=None, description="Publish the domains: records pointing at the Server the app runs on "
                                  "(RFC 2136 or external-dns). Unset: you point DNS at the server yourself.",
    )

    @model_validator(mode="after")
    def _domains_in_zone(self) -> ApplicationSpec:
        outside = outside_zone(self.dns, [*self.domains, *(d for s in self.services for d in s.domains)])
        if outside:
            raise ValueError(f"domain(s) {', '.join(outside)} are not in dns.rfc2136.zone")
        return self


class SourceStatus(ApiModel):
    """The source revision pinned for this generation."""

    url: str | None = Field(default=None, description="Git URL the commit was fetched from.")
    path: str | None = Field(default=None, description="Subdirectory analysed, for monorepos.")
    commit: str | None = Field(default=None, description="Full commit SHA that was fetched.")
    ref: str | None = Field(default=None, description="The ref that was resolved to the commit.")
    requested_ref: str | None = Field(default=None, description="spec.source.git.ref when the commit was pinned.")
    analyzed_commit: str | None = Field(default=None, description="The commit status.analysis describes.")
    image: str | None = Field(default=None, description="Image reference, for image sources.")
    template: str | None = Field(default=None, description="Template name, for template sources.")
    fetched_at: datetime | None = Field(default=None, description="When the source was last fetched.")
    refresh: str | None = Field(
        default=None, description="The refresh request (annotation refresh.hydron.dev/requested) last acted on.",
    )


class ApplicationStatus(StatusBase):
    """What Hydron has made of the Application so far."""

    source: SourceStatus | None = Field(default=None, description="The pinned source revision.")
    analysis: Analysis | None = Field(
        default=None, description="What the code needs to run: services, ports, env, databases, with evidence."
    )
    plan_ref: LocalObjectReference | None = Field(default=None, description="The InfraPlan made for this app.")
    deployment_ref: LocalObjectReference | None = Field(
        default=None, description="The Deployment that runs this app."
    )
    url: str | None = Field(default=None, description="Where the app answers, once it does (over HTTPS).")
    server: PlanServerStatus | None = Field(
        default=None, description="The Server ordered from the plan, when spec.planning.providerAccount is set.",
    )


class PlanServerStatus(ApiModel):
    """The Server Hydron wrote from the approved plan (spec.planning.providerAccount)."""

    name: str | None = Field(default=None, description="The Server's name.")
    applied: list[str] = Field(
        default_factory=list, max_length=32,
        description="field=digest of each Server field as Hydron last wrote it from the plan; a field that no longer "
                    "matches was edited by a person and is left as the person wrote it.",
    )
    overrides: list[str] = Field(
        default_factory=list, max_length=32, description="Server fields a person set that differ from the plan.",
    )


class Application(ApiModel):
    """An app to run on your own server, from a Git repository, an image or a template."""

    kind: ClassVar[str] = "Application"
    plural: ClassVar[str] = "applications"
    short_names: ClassVar[list[str]] = ["hyapp", "hyapps"]
    printer_columns: ClassVar[list[dict]] = [
        *ready_columns(),
        {"name": "URL", "type": "string", "jsonPath": ".status.url"},
        {"name": "Commit", "type": "string", "jsonPath": ".status.source.commit", "priority": 1},
        AGE_COLUMN,
    ]

    spec: ApplicationSpec = Field(description="What to run and how.")
    status: ApplicationStatus | None = Field(default=None, description="Observed state, written by Hydron.")
