"""InfraPlan: the reviewable plan for an Application, owned by it.

The plan lives in `spec` so a person can read it, edit it and commit it to Git;
approval names a revision, so approving a stale revision approves nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from hydron.api.base import AGE_COLUMN, MAP_BY_NAME, ApiModel, Domain, EnvVar, LocalObjectReference, StatusBase, ready_columns

class ServerRecommendation(ApiModel):
    """The server to run on: a catalog offer, or an existing Server."""

    server_ref: LocalObjectReference | None = Field(default=None, description="Use this existing Server.")
    provider: str | None = Field(default=None, description="Offer's provider, e.g. hetzner, ovh.")
    offer: str | None = Field(default=None, description="Offer name in the catalog, e.g. KS-LE-B.")
    location: str | None = Field(default=None, description="Data centre location of the offer.")
    cpus: int | None = Field(default=None, ge=1, description="vCPUs of the offer.")
    memory_mi_b: int | None = Field(default=None, alias="memoryMiB", ge=1, description="Memory in MiB.")
    disk_gi_b: int | None = Field(default=None, alias="diskGiB", ge=1, description="Disk in GiB.")
    monthly_price: float | None = Field(default=None, ge=0, description="Monthly price in EUR.")
    rationale: str | None = Field(default=None, description="Why this offer: sizing, cost, headroom, next size up.")


class HealthCheck(ApiModel):
    """How to tell a service is healthy."""

    path: str | None = Field(default=None, description="HTTP path that answers 2xx; unset means TCP connect.")
    port: int | None = Field(default=None, ge=1, le=65535, description="Port to check; default the service port.")
    interval_seconds: int = Field(default=5, ge=1, description="Seconds between checks.")
    timeout_seconds: int = Field(default=3, ge=1, description="Seconds before a check counts as failed.")
    retries: int = Field(default=10, ge=1, description="Failed checks in a row before the service is unhealthy.")


class PlannedService(ApiModel):
    """One service of the application, as it will be built and run."""

    name: str = Field(description="Service name.", pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=63)
    role: Literal["web", "worker", "static", "job", "database", "cache", "broker"] = Field(
        default="web", description="What the service does; web services get proxy routes."
    )
    image: str | None = Field(default=None, description="Image to run as it is (databases, image sources).")
    context: str | None = Field(default=None, description="Build context, relative to the repository root.")
    dockerfile: str | None = Field(
        default=None, description="Dockerfile text (generated) or path of the repository's own Dockerfile."
    )
    port: int | None = Field(default=None, ge=1, le=65535, description="Port the service listens on.")
    public: bool = Field(default=False, description="Reachable from the internet through the proxy.")
    domains: list[Domain] = Field(default_factory=list, max_length=32, description="Domains routed to this service.")
    health_check: HealthCheck | None = Field(default=None, description="How to tell the service is healthy.")
    env: list[EnvVar] = Field(max_length=256, default_factory=list, description="Environment of the service.", json_schema_extra=MAP_BY_NAME)
    depends_on: list[str] = Field(default_factory=list, description="Services that must be healthy first.")


class FirewallRule(ApiModel):
    """An inbound opening on the server's firewall."""

    port: int = Field(ge=1, le=65535, description="Destination port.")
    protocol: Literal["tcp", "udp"] = Field(default="tcp", description="tcp or udp.")
    source: str = Field(default="0.0.0.0/0", description="Source address range in CIDR form.")
    reason: str | None = Field(default=None, description="Why this opening is needed.")


class Approval(ApiModel):
    """A person's approval of one plan revision."""

    revision: int = Field(ge=1, description="The plan revision (status.revision) being approved.")
    approved_by: str | None = Field(default=None, description="Who approved it.")


class ChangeRequest(ApiModel):
    """A change asked for in plain words; it produces a revised plan."""

    message: str = Field(min_length=1, max_length=4000, description="The change, in plain words.")
    author: str | None = Field(default=None, description="Who asked.")


class InfraPlanSpec(ApiModel):
    """The plan: server, services, networking and security for one Application."""

    application_ref: LocalObjectReference = Field(description="The Application this plan is for.")
    server: ServerRecommendation = Field(default_factory=ServerRecommendation, description="Where to run.")
    services: list[PlannedService] = Field(max_length=64, 
        default_factory=list, description="Services to build and run.", json_schema_extra=MAP_BY_NAME
    )
    firewall: list[FirewallRule] = Field(
        default_factory=list, description="Inbound openings beyond SSH and the proxy's 80/443."
    )
    approval: Approval | None = Field(default=None, description="Approval of a plan revision.")
    change_requests: list[ChangeRequest] = Field(
        default_factory=list, description="Plain-language requests for a revised plan, oldest first."
    )


class Finding(ApiModel):
    """Something a reviewer should know about the plan."""

    severity: Literal["Info", "Warning", "Error"] = Field(description="Info, Warning or Error.")
    field: str | None = Field(default=None, description="Path of the field concerned, e.g. services[api].port.")
    message: str = Field(description="What is wrong or worth knowing, and what to do.")


class InfraPlanStatus(StatusBase):
    """Revision history and review state of the plan."""

    revision: int | None = Field(default=None, description="Current revision of the plan; approval names it.")
    changes: list[str] = Field(default_factory=list, description="What changed since the previous revision, and why.")
    findings: list[Finding] = Field(default_factory=list, description="Validation and best-practice findings.")
    revised_at: datetime | None = Field(default=None, description="When the current revision was made.")


class InfraPlan(ApiModel):
    """The infrastructure plan for an Application: reviewed, revised on request, approved."""

    kind: ClassVar[str] = "InfraPlan"
    plural: ClassVar[str] = "infraplans"
    short_names: ClassVar[list[str]] = ["hyplan", "hyplans"]
    printer_columns: ClassVar[list[dict]] = [
        {"name": "Revision", "type": "integer", "jsonPath": ".status.revision"},
        {"name": "Approved", "type": "integer", "jsonPath": ".spec.approval.revision"},
        *ready_columns(),
        AGE_COLUMN,
    ]

    spec: InfraPlanSpec = Field(description="The plan.")
    status: InfraPlanStatus | None = Field(default=None, description="Observed state, written by Hydron.")
