"""InfraPlan: the reviewable plan for an Application, owned by it.

The plan lives in `spec` so a person can read it, edit it and commit it to Git;
approval names a revision, so approving a stale revision approves nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from hydron.api.base import (
    AGE_COLUMN,
    MAP_BY_NAME,
    ApiModel,
    Domain,
    EnvVar,
    LocalObjectReference,
    StatusBase,
    ready_columns,
)
from hydron.api.checks import CIDR, CONTAINER_PATH, IMAGE, NAME, RELATIVE_PATH, URL_PATH

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
MAP_BY_KEY = {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["key"]}


class ResourceNeed(ApiModel):
    """What the application needs from a server, headroom included."""

    cpus: float = Field(ge=0, description="vCPUs needed.")
    memory_mi_b: int = Field(alias="memoryMiB", ge=0, description="Memory needed in MiB.")
    disk_gi_b: int = Field(alias="diskGiB", ge=0, description="Disk needed in GiB.")

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
    prices_as_of: date | None = Field(default=None, description="Date the catalog price was checked.")
    architecture: Literal["x86_64", "arm64"] | None = Field(
        default=None, description="CPU architecture of the offer; images must exist for it."
    )
    kind: Literal["cloud", "dedicated"] | None = Field(
        default=None, description="cloud: a virtual server; dedicated: a physical machine."
    )
    required: ResourceNeed | None = Field(default=None, description="What the plan needs, headroom included.")
    next_size_up: str | None = Field(default=None, description="The next larger offer, should the app outgrow this one.")
    rationale: str | None = Field(default=None, description="Why this offer: sizing, cost, headroom, next size up.")


class HealthCheck(ApiModel):
    """How to tell a service is healthy."""

    path: URL_PATH.type() | None = Field(default=None, description="HTTP path that answers 2xx; unset means TCP connect.")
    port: int | None = Field(default=None, ge=1, le=65535, description="Port to check; default the service port.")
    interval_seconds: int = Field(default=5, ge=1, description="Seconds between checks.")
    timeout_seconds: int = Field(default=3, ge=1, description="Seconds before a check counts as failed.")
    retries: int = Field(default=10, ge=1, description="Failed checks in a row before the service is unhealthy.")
    command: list[str] = Field(
        default_factory=list,
        max_length=32,
        description="Command run inside the container instead of an HTTP check (databases); exit 0 means healthy.",
    )


class ServiceResources(ApiModel):
    """What one service is sized for; also its container limits."""

    cpus: float = Field(gt=0, description="CPU cores, e.g. 0.5.")
    memory_mi_b: int = Field(alias="memoryMiB", ge=4, description="Memory in MiB.")


class Volume(ApiModel):
    """A named Docker volume: data that outlives releases (database files)."""

    name: str = Field(pattern=DNS_LABEL, max_length=63, description="Volume name on the server.")
    path: CONTAINER_PATH.type() = Field(description="Mount path inside the container.")


class EnvDefinition(ApiModel):
    """What the analysis knows about one variable, and where the plan takes its value from."""

    name: str = Field(description="Variable name.", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    secret: bool = Field(default=False, description="The value is a credential; it only ever comes from a Secret.")
    required: bool = Field(default=False, description="The code reads it without a default.")
    source: Literal["Default", "Application", "UserSecret", "Wired", "Unset"] = Field(
        default="Default",
        description="Default: the code's own default; Application: set in the Application; UserSecret: a key "
        "of the app's Secret that a person fills; Wired: Hydron connects it to a database or sibling "
        "service; Unset: required, yet nothing sets it.",
    )
    description: str | None = Field(default=None, max_length=300, description="What the variable is for.")


class BuildArg(ApiModel):
    """One `--build-arg`."""

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128, description="The ARG's name.")
    value: str = Field(default="", max_length=4096, description="Its value (not a secret: it is kept in the image).")


class PlannedService(ApiModel):
    """One service of the application, as it will be built and run."""

    name: NAME.type() = Field(description="Service name.")
    role: Literal["web", "worker", "static", "job", "database", "cache", "broker"] = Field(
        default="web", description="What the service does; web services get proxy routes."
    )
    runtime: str | None = Field(default=None, description="Language, version and framework, e.g. node 20 (Express).")
    image: IMAGE.type() | None = Field(default=None, description="Image to run as it is (databases, image sources).")
    context: RELATIVE_PATH.type() | None = Field(default=None, description="Build context, relative to the repository root.")
    dockerfile: str | None = Field(
        default=None, description="Dockerfile text (generated) or path of the repository's own Dockerfile."
    )
    dockerfile_origin: Literal["Repository", "Generated"] | None = Field(
        default=None, description="Repository: the repository's own Dockerfile (a path); Generated: text made by Hydron."
    )
    build_args: list[BuildArg] = Field(
        default_factory=list, max_length=64, description="Build arguments for the repository's Dockerfile "
        "(compose's build.args).", json_schema_extra=MAP_BY_NAME,
    )
    start_command: str | None = Field(
        default=None, description="Command the service starts with; the generated Dockerfile's CMD."
    )
    command: list[str] = Field(
        default_factory=list, max_length=64, description="Overrides the image's command (managed containers)."
    )
    port: int | None = Field(default=None, ge=1, le=65535, description="Port the service listens on.")
    public: bool = Field(default=False, description="Reachable from the internet through the proxy.")
    domains: list[Domain] = Field(default_factory=list, max_length=32, description="Domains routed to this service.")
    health_check: HealthCheck | None = Field(default=None, description="How to tell the service is healthy.")
    env: list[EnvVar] = Field(max_length=256, default_factory=list, description="Environment of the service.", json_schema_extra=MAP_BY_NAME)
    env_definitions: list[EnvDefinition] = Field(
        default_factory=list,
        max_length=256,
        description="Every variable the service reads: secret or plain, required or defaulted, and its source.",
        json_schema_extra=MAP_BY_NAME,
    )
    depends_on: list[NAME.type()] = Field(
        default_factory=list, max_length=64, description="Services that must be healthy first."
    )
    resources: ServiceResources | None = Field(default=None, description="What the service is sized for.")
    volumes: list[Volume] = Field(
        default_factory=list, max_length=16, description="Named volumes: data kept across releases."
    )


class Route(ApiModel):
    """A reverse proxy route: requests for domain and path go to a service's port."""

    domain: Domain = Field(description="Public domain name.")
    path: URL_PATH.type() = Field(default="/", description="Path prefix; / routes everything.")
    service: NAME.type() = Field(description="Service that answers.")
    port: int = Field(ge=1, le=65535, description="Port of the service inside the app network.")
    tls: Literal["acme", "none"] = Field(
        default="acme", description="acme: a certificate from the ACME CA, HTTP redirected to HTTPS; none: plain HTTP."
    )


class NetworkPlan(ApiModel):
    """The application's own network: services reach each other by name, nothing is published on the host."""

    name: str = Field(pattern=DNS_LABEL, max_length=63, description="Docker network name on the server.")
    internal: bool = Field(
        default=True, description="Only the reverse proxy joins from outside; no container port is published."
    )


class SshHardening(ApiModel):
    """sshd settings provisioning enforces."""

    password_authentication: bool = Field(default=False, description="Allow password logins.")
    permit_root_login: Literal["no", "prohibit-password"] = Field(
        default="prohibit-password", description="Root may log in with a key only, or not at all."
    )
    kbd_interactive_authentication: bool = Field(default=False, description="Allow keyboard-interactive logins.")
    x11_forwarding: bool = Field(default=False, description="Allow X11 forwarding.")
    allow_agent_forwarding: bool = Field(default=False, description="Allow SSH agent forwarding.")
    max_auth_tries: int = Field(default=3, ge=1, le=10, description="Authentication attempts per connection.")


class SecurityPlan(ApiModel):
    """Host security: firewall policy, SSH hardening, updates."""

    firewall_default: Literal["deny"] = Field(
        default="deny", description="Inbound policy: only SSH, 80/443 and spec.firewall openings are accepted."
    )
    ssh_port: int = Field(default=22, ge=1, le=65535, description="Port sshd listens on (kept open).")
    ssh: SshHardening = Field(default_factory=SshHardening, description="sshd hardening.")
    automatic_security_updates: bool = Field(default=True, description="Install security updates unattended.")


class SecretKeyPlan(ApiModel):
    """One key of a Secret the plan references, and how its value is made. Values never live in the plan."""

    key: str = Field(pattern=r"^[-._a-zA-Z0-9]+$", description="Key inside the Secret.")
    generate: Literal["Password", "Literal", "Template", "User"] = Field(
        description="Password: a random password; Literal: the fixed, non-secret text in `literal`; "
        "Template: `template` filled from the other keys; User: a person fills it."
    )
    literal: str | None = Field(default=None, description="The value, for non-secret Literal keys (user names).")
    template: str | None = Field(default=None, description="e.g. postgres://{username}:{password}@postgres:5432/{database}.")
    description: str | None = Field(default=None, description="What the key is for.")


class PlannedSecret(ApiModel):
    """A Secret the plan's services take values from."""

    name: str = Field(pattern=r"^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$", max_length=253, description="Secret name.")
    purpose: Literal["Generated", "User"] = Field(
        description="Generated: Hydron creates missing keys (database credentials); User: a person fills it."
    )
    keys: list[SecretKeyPlan] = Field(
        default_factory=list, max_length=256, description="Keys of the Secret.", json_schema_extra=MAP_BY_KEY
    )


class PlanBasis(ApiModel):
    """What the plan was made from; a revision's "why" comes from how this changed."""

    source_revision: str | None = Field(default=None, description="Commit the analysis read.")
    analysis_digest: str | None = Field(default=None, description="Digest of the analysis the plan was made from.")
    application_digest: str | None = Field(default=None, description="Digest of the Application spec it honours.")
    change_requests: int = Field(default=0, ge=0, description="How many of spec.changeRequests the plan reflects.")
    planner: Literal["Rules", "RulesAndLLM"] = Field(
        default="Rules", description="Rules: deterministic planner only; RulesAndLLM: the LLM filled fields too."
    )


class FirewallRule(ApiModel):
    """An inbound opening on the server's firewall."""

    port: int = Field(ge=1, le=65535, description="Destination port.")
    protocol: Literal["tcp", "udp"] = Field(default="tcp", description="tcp or udp.")
    source: CIDR.type() = Field(
        default="0.0.0.0/0", description="Source address range in CIDR form, e.g. 203.0.113.0/24 or 2001:db8::/32."
    )
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
        default_factory=list, max_length=64, description="Inbound openings beyond SSH and the proxy's 80/443."
    )
    network: NetworkPlan | None = Field(default=None, description="The application's internal network.")
    routes: list[Route] = Field(
        default_factory=list, max_length=128, description="Reverse proxy routes: domain and path to service and port."
    )
    security: SecurityPlan = Field(default_factory=SecurityPlan, description="Firewall policy and SSH hardening.")
    secrets: list[PlannedSecret] = Field(
        default_factory=list,
        max_length=64,
        description="Secrets the services take values from (referenced by name and key, never copied).",
        json_schema_extra=MAP_BY_NAME,
    )
    basis: PlanBasis | None = Field(default=None, description="What the plan was made from; set by Hydron.")
    approval: Approval | None = Field(default=None, description="Approval of a plan revision.")
    change_requests: list[ChangeRequest] = Field(
        default_factory=list, description="Plain-language requests for a revised plan, oldest first."
    )


class Finding(ApiModel):
    """Something a reviewer should know about the plan."""

    severity: Literal["Info", "Warning", "Error"] = Field(description="Info, Warning or Error.")
    source: Literal["Analysis", "Planning", "Validation", "LLM"] | None = Field(
        default=None, description="What raised it: the analysis, the planner, validation of the spec, or the LLM step."
    )
    field: str | None = Field(default=None, description="Path of the field concerned, e.g. services[api].port.")
    message: str = Field(description="What is wrong or worth knowing, and what to do.")


ReplyLine = Annotated[str, Field(max_length=300)]


class AssistantReply(ApiModel):
    """The LLM's answer to the plan's change requests, as the reviewer reads it."""

    change_requests: int = Field(ge=0, description="How many of spec.changeRequests it answers (the first N).")
    summary: str = Field(max_length=600, description="What the LLM says it changed, and why.")
    declined: list[ReplyLine] = Field(
        default_factory=list, max_length=16, description="Requests the LLM says it could not carry out, and why."
    )
    not_applied: list[ReplyLine] = Field(
        default_factory=list, max_length=16,
        description="What the LLM proposed that policy did not apply (or applied otherwise), and why.",
    )


class PastRevision(ApiModel):
    """One kept revision's material content, so any two kept revisions can be compared."""

    revision: int = Field(ge=1, description="The revision number.")
    revised_at: datetime | None = Field(default=None, description="When it was made.")
    why: str = Field(default="", max_length=1000, description="Why it was made (the first line of its changes).")
    material: list[str] = Field(default_factory=list, max_length=8192,
                                description="Its fingerprint, one line per material field (as status.material).")


class InfraPlanStatus(StatusBase):
    """Revision history and review state of the plan."""

    revision: int | None = Field(default=None, description="Current revision of the plan; approval names it.")
    changes: list[str] = Field(default_factory=list, description="What changed since the previous revision, and why.")
    findings: list[Finding] = Field(default_factory=list, description="Validation and best-practice findings.")
    revised_at: datetime | None = Field(default=None, description="When the current revision was made.")
    approved_revision: int | None = Field(
        default=None, description="The revision that may be deployed: approved by a person or by autoApprove."
    )
    approved_by: str | None = Field(default=None, description="Who approved it, or autoApprove.")
    basis: PlanBasis | None = Field(default=None, description="What the current revision was made from.")
    assistant: list[AssistantReply] = Field(
        default_factory=list,
        max_length=10,
        description="The LLM's last reply per number of change requests answered, newest last (a few kept).",
    )
    material: list[str] = Field(
        default_factory=list,
        max_length=8192,
        description="Fingerprint of the current revision, one line per material field; the next revision's "
        "changes are computed against it.",
    )
    history: list[PastRevision] = Field(
        default_factory=list,
        max_length=10,
        description="The last revisions' fingerprints, oldest first, the current one last: `kubectl hydron ui` "
        "shows the difference between any two of them.",
    )


class InfraPlan(ApiModel):
    """The infrastructure plan for an Application: reviewed, revised on request, approved."""

    kind: ClassVar[str] = "InfraPlan"
    plural: ClassVar[str] = "infraplans"
    short_names: ClassVar[list[str]] = ["hyplan", "hyplans"]
    printer_columns: ClassVar[list[dict]] = [
        {"name": "Revision", "type": "integer", "jsonPath": ".status.revision"},
        {"name": "Approved", "type": "integer", "jsonPath": ".status.approvedRevision"},
        {"name": "Offer", "type": "string", "jsonPath": ".spec.server.offer", "priority": 1},
        {"name": "EUR/month", "type": "number", "jsonPath": ".spec.server.monthlyPrice", "priority": 1},
        *ready_columns(),
        AGE_COLUMN,
    ]

    spec: InfraPlanSpec = Field(description="The plan.")
    status: InfraPlanStatus | None = Field(default=None, description="Observed state, written by Hydron.")
