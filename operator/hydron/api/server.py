"""Server: a dedicated machine Hydron reaches over SSH and turns into an app host."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, PrivateAttr, ValidationError, ValidationInfo, model_validator

from hydron.api.base import (
    AGE_COLUMN,
    IMMUTABLE,
    MAP_BY_NAME,
    ApiModel,
    DeletionPolicy,
    LocalObjectReference,
    SecretKeyReference,
    StatusBase,
    cel,
    is_stored,
    ready_columns,
    validations,
)
from hydron.api.checks import EMAIL, HOST, HOST_KEY, HTTP_URL, IMAGE, USER
from hydron.api.infraplan import FirewallRule, SshHardening


@dataclass(frozen=True)
class RejectedRule:
    """A stored spec.firewall entry that no longer passes the checks (admitted before
    the CRD had them): left closed and named, while the other rules and steps go on."""

    index: int
    summary: str
    problem: str

    def describe(self) -> str:
        return f"spec.firewall[{self.index}] ({self.summary}): {self.problem}; that opening stays closed"


def _rule_summary(raw: Any) -> str:
    if not isinstance(raw, dict):
        return "not a rule"
    source = str(raw.get("source", "0.0.0.0/0"))
    source = source if len(source) <= 64 else source[:63] + "…"
    return f"port {raw.get('port')}/{raw.get('protocol', 'tcp')} from {source!r}"


class ProxySettings(ApiModel):
    """The reverse proxy in front of the apps."""

    acme_email: EMAIL.type() | None = Field(default=None, description="Contact e-mail given to the ACME CA.")
    acme_ca: HTTP_URL.type() | None = Field(
        default=None, description="ACME directory URL. Default: Let's Encrypt production."
    )
    acme_ca_root_secret_ref: SecretKeyReference | None = Field(
        default=None, description="PEM root that signs the ACME server's own TLS (private or test CAs)."
    )


REGISTRY_HOST = r"^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:[0-9]{1,5})?$"
"""A registry as Docker names it: host or host:port, no scheme or path."""


class RegistrySource(ApiModel):
    """A registry the server takes base images from: a Docker Hub mirror or a private registry."""

    host: str = Field(
        pattern=REGISTRY_HOST, max_length=253,
        description="Registry host, with a port when not 443, e.g. mirror.example.com or registry.internal:5000.",
    )
    mirror: bool = Field(
        default=False,
        description="Also a mirror of Docker Hub: listed in the engine's registry-mirrors, and Docker Hub "
                    "images (python:3.12-slim) are looked for here as host/library/python:3.12-slim first.",
    )
    credentials_secret_ref: LocalObjectReference | None = Field(
        default=None,
        description="Secret of type kubernetes.io/dockerconfigjson with the login for this host "
                    "(`kubectl create secret docker-registry`). Written to root's Docker config on the server.",
    )
    ca_secret_ref: SecretKeyReference | None = Field(
        default=None,
        description="PEM certificate of the CA that signs the registry's TLS, when it is a private CA.",
    )


OFFER_NAME = r"^[a-z0-9][a-z0-9._-]{0,62}$"


class KeysSource(ApiModel):
    """Where people's SSH public keys come from (one key per line, as in authorized_keys):
    exactly one of a ConfigMap key or a Secret key."""

    model_config = ConfigDict(json_schema_extra=validations(
        cel("[has(self.configMapKeyRef), has(self.secretKeyRef)].filter(x, x).size() == 1",
            "set exactly one of configMapKeyRef or secretKeyRef"),
    ))

    config_map_key_ref: SecretKeyReference | None = Field(
        default=None, description="A key of a ConfigMap in the same namespace (name, key)."
    )
    secret_key_ref: SecretKeyReference | None = Field(
        default=None, description="A key of a Secret in the same namespace (name, key)."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> KeysSource:
        if (self.config_map_key_ref is None) == (self.secret_key_ref is None):
            raise ValueError("set exactly one of configMapKeyRef or secretKeyRef")
        return self

    def describe(self) -> str:
        if self.config_map_key_ref is not None:
            return f"ConfigMap {self.config_map_key_ref.name} key {self.config_map_key_ref.key}"
        assert self.secret_key_ref is not None
        return f"Secret {self.secret_key_ref.name} key {self.secret_key_ref.key}"


class MachineOrder(ApiModel):
    """What to rent from the provider, and with which account. Hydron orders the machine
    once (idempotent by a label on it), installs the image with the SSH key and a host
    key it generated, and learns the address from the provider's answer."""

    account_secret_ref: SecretKeyReference = Field(
        description="Secret key holding the provider's API token (read with get only, never logged)."
    )
    offer: str = Field(
        pattern=OFFER_NAME, description="The provider's name for the machine type, e.g. cx33 (Hetzner Cloud).",
    )
    location: str = Field(pattern=OFFER_NAME, description="The provider's location, e.g. fsn1, nbg1, hel1 (Hetzner); "
                                                          "a datacenter or its prefix, e.g. gra, rbx8 (OVHcloud).")
    image: str = Field(default="debian-12", pattern=OFFER_NAME, description="Operating system image, e.g. debian-12.")


class ServerSpec(ApiModel):
    """How to reach the server and what Hydron may do to it."""

    model_config = ConfigDict(json_schema_extra=validations(
        cel("self.provider != 'byo' || has(self.address)", "a byo server needs an address"),
        cel("self.provider == 'byo' || has(self.order)", "a server ordered from a provider needs spec.order"),
        cel("self.provider != 'byo' || !has(self.order)", "spec.order is only for a provider other than byo"),
        cel("self.provider != 'byo' || !has(self.reinstall)",
            "spec.reinstall needs a provider: Hydron cannot reinstall a byo server"),
    ))

    address: HOST.type(IMMUTABLE) | None = Field(
        default=None,
        description=(
            "Host name or IP address to connect to. Immutable: a new address is a new Server. "
            "Left out when `provider` orders the machine: Hydron then sets it from the provider's answer."
        ),
    )
    port: int = Field(default=22, ge=1, le=65535, description="SSH port.")
    public_address: HOST.type() | None = Field(
        default=None,
        description="Where users reach the server's proxy on ports 80 and 443, when that is not `address` "
                    "(SSH over a private network or a bastion). Deployments check HTTPS here.",
    )
    user: USER.type() = Field(default="root", description="SSH user; root, or a user with sudo.")
    ssh_key_secret_ref: SecretKeyReference = Field(
        description="Secret key holding the SSH private key (kubernetes.io/ssh-auth uses key ssh-privatekey)."
    )
    host_key: HOST_KEY.type() | None = Field(
        default=None,
        description=(
            "Pinned SSH host public key (`ssh-ed25519 AAAA...`). Unset: the key seen at first contact is "
            "recorded in status and pinned from then on. A changed key stops all work."
        ),
    )
    provider: Literal["byo", "hetzner", "ovh"] = Field(
        default="byo",
        description="byo: a server you already have (give `address`). hetzner: Hydron orders it from Hetzner Cloud "
                    "as `order` says. ovh: Hydron takes a dedicated server of the offer (commercial range, e.g. "
                    "ks-le-b) already delivered to the OVHcloud account and installs it (the account Secret holds "
                    "APPLICATION_KEY:APPLICATION_SECRET:CONSUMER_KEY; the image is an OS template, e.g. debian12_64).",
    )
    order: MachineOrder | None = Field(
        default=None, description="The machine to order, when `provider` is not byo: account, offer, location, image.",
    )
    reinstall: str | None = Field(
        default=None, max_length=63,
        description="Set to a new value (e.g. the date) to reinstall the operating system through the provider's API "
                    "once: the disk is erased, a new host key is pinned, and the server is provisioned again. "
                    "Only for a server Hydron ordered.",
    )
    management: Literal["Full", "ObserveOnly"] = Field(
        default="Full",
        description="Full: Hydron provisions and repairs the server. ObserveOnly: it only reads facts and health.",
    )
    deletion_policy: DeletionPolicy = Field(
        default="Orphan",
        description="What deleting this resource does to the machine. Orphan leaves it as it is. Delete deletes a "
                    "machine Hydron ordered through the provider's API (its disk goes with it; an OVHcloud dedicated "
                    "server is asked to terminate, which the account owner confirms by e-mail). On a byo server "
                    "Delete does the same as Orphan: nothing on the machine is removed (Docker, the proxy, the "
                    "firewall table and the sshd drop-in stay); apps go with their Deployments' own deletionPolicy.",
    )
    firewall: list[FirewallRule] = Field(
        default_factory=list,
        max_length=64,
        description=(
            "Inbound openings beyond SSH and the proxy's 80/443. Also the only container ports "
            "published with `docker run -p` that are reachable from outside."
        ),
    )
    ssh: SshHardening | None = Field(
        default=None,
        description="sshd settings to enforce (a drop-in, checked with a new login before it stays). Unset: key-only "
                    "logins (no passwords, no keyboard-interactive, root by key only). A Server made from a plan "
                    "gets the plan's security.ssh here.",
    )
    base_images: list[IMAGE.type()] = Field(
        default_factory=list,
        max_length=64,
        description="Images to have in the server's Docker before builds need them, e.g. python:3.11-slim.",
    )
    registries: list[RegistrySource] = Field(
        default_factory=list,
        max_length=16,
        description="Registries to take base images from, in order, before a plain pull and before the "
                    "operator's own copy.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["host"]},
    )
    proxy: ProxySettings = Field(default_factory=ProxySettings, description="Reverse proxy and certificates.")
    log_retention_days: int = Field(
        default=7, ge=1, le=3650,
        description="Days the logs of replaced containers are kept on the server (/var/log/hydron/containers), "
                    "for `kubectl hydron logs APP --previous`. A running container's own log is rotated by Docker.",
    )
    authorized_keys: list[KeysSource] = Field(
        default_factory=list,
        max_length=16,
        description="People's own SSH public keys, kept in the SSH user's authorized_keys beside Hydron's key "
                    "(a key removed here is removed there; Hydron's own key is never removed). Re-read at each "
                    "pass and at the drift check.",
    )

    _rejected_firewall: tuple[RejectedRule, ...] = PrivateAttr(default=())

    @property
    def rejected_firewall(self) -> tuple[RejectedRule, ...]:
        """Stored firewall rules set aside as invalid (see RejectedRule)."""
        return self._rejected_firewall

    @model_validator(mode="wrap")
    @classmethod
    def _set_aside_invalid_stored_rules(cls, data: Any, handler, info: ValidationInfo) -> Any:
        """Strict, except for a stored object: there one bad firewall rule must not stop
        provisioning, so it is set aside (the firewall step names it) and the rest is
        checked as usual."""
        rules = data.get("firewall") if isinstance(data, dict) else None
        if not is_stored(info.context) or not isinstance(rules, list):
            return handler(data)
        kept, rejected = [], []
        for index, raw in enumerate(rules):
            try:
                FirewallRule.model_validate(raw)
            except ValidationError as error:
                problem = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'rule'}: {e['msg'].removeprefix('Value error, ')}"
                                    for e in error.errors()[:2])
                rejected.append(RejectedRule(index, _rule_summary(raw), problem))
            else:
                kept.append(raw)
        spec = handler({**data, "firewall": kept})
        spec._rejected_firewall = tuple(rejected)
        return spec

    @model_validator(mode="after")
    def _address_or_order(self) -> ServerSpec:
        """The CEL rules above, for a spec that never went through the API server."""
        if self.provider == "byo" and not self.address:
            raise ValueError("a byo server needs an address")
        if self.provider != "byo" and self.order is None:
            raise ValueError("a server ordered from a provider needs spec.order")
        if self.provider == "byo" and self.order is not None:
            raise ValueError("spec.order is only for a provider other than byo")
        if self.provider == "byo" and self.reinstall is not None:
            raise ValueError("spec.reinstall needs a provider: Hydron cannot reinstall a byo server")
        return self


class ServerFacts(ApiModel):
    """What the server is, as last observed."""

    os: str | None = Field(default=None, description="Distribution ID, e.g. debian, ubuntu.")
    os_version: str | None = Field(default=None, description="Distribution version, e.g. 12, 24.04.")
    kernel: str | None = Field(default=None, description="Kernel release.")
    architecture: str | None = Field(default=None, description="CPU architecture, e.g. x86_64.")
    cpus: int | None = Field(default=None, description="Number of CPUs.")
    memory_mi_b: int | None = Field(default=None, alias="memoryMiB", description="Memory in MiB.")
    disk_gi_b: int | None = Field(default=None, alias="diskGiB", description="Root disk size in GiB.")
    docker_version: str | None = Field(default=None, description="Docker engine version, once installed.")


StepState = Literal["Pending", "Running", "Succeeded", "Failed", "Skipped"]


class ProvisioningStep(ApiModel):
    """One provisioning step: the progress table a person watches."""

    name: str = Field(description="Step name, e.g. docker, firewall, ssh-hardening.")
    state: StepState = Field(description="Pending, Running, Succeeded, Failed or Skipped.")
    started_at: datetime | None = Field(default=None, description="When the step started.")
    finished_at: datetime | None = Field(default=None, description="When the step ended.")
    changed: bool | None = Field(default=None, description="Whether the step had to change anything.")
    message: str | None = Field(default=None, description="What the step found or did.")


class ResourceUsage(ApiModel):
    """Resource use, refreshed by a timer."""

    cpu_percent: float | None = Field(default=None, description="CPU busy, percent of all CPUs.")
    memory_used_mi_b: int | None = Field(default=None, alias="memoryUsedMiB", description="Memory in use, MiB.")
    disk_used_percent: float | None = Field(default=None, description="Root disk in use, percent.")
    memory_total_mi_b: int | None = Field(default=None, alias="memoryTotalMiB", description="Memory installed, MiB.")
    load1: float | None = Field(default=None, description="Load average over 1 minute.")
    load5: float | None = Field(default=None, description="Load average over 5 minutes.")
    load15: float | None = Field(default=None, description="Load average over 15 minutes.")
    source: str | None = Field(
        default=None, description="Where the numbers come from: node-exporter (the monitoring agent) or proc.")
    observed_at: datetime | None = Field(default=None, description="When this was measured.")


class PendingOrder(ApiModel):
    """Written before the create call, so a crash between ordering and recording is
    recovered by looking the machine up, never by ordering again."""

    name: str = Field(description="Name the machine is ordered under.")
    requested_at: datetime = Field(description="When the create call was about to be made.")
    host_key: str = Field(description="Host public key generated for it (its private half went only to the machine).")


class MachineStatus(ApiModel):
    """The machine Hydron ordered from the provider."""

    pending_order: PendingOrder | None = Field(
        default=None, description="An order that may have reached the provider but is not recorded yet.",
    )
    id: str | None = Field(default=None, description="The provider's id of the machine.")
    name: str | None = Field(default=None, description="The machine's name at the provider.")
    offer: str | None = Field(default=None, description="Machine type it was ordered as.")
    location: str | None = Field(default=None, description="Where it runs.")
    ipv4: str | None = Field(default=None, description="Public IPv4 address.")
    ipv6: str | None = Field(default=None, description="Public IPv6 address (or network).")
    state: str | None = Field(default=None, description="Last state the provider reported, e.g. running.")
    ordered_at: datetime | None = Field(default=None, description="When the provider accepted the order.")
    reinstalled: str | None = Field(default=None, description="The spec.reinstall value last acted on.")


class ServerStatus(StatusBase):
    """What Hydron knows of the server."""

    host_key: HOST_KEY.type() | None = Field(default=None, description="Host public key recorded at first contact.")
    host_key_fingerprint: str | None = Field(default=None, description="SHA256 fingerprint of the host key.")
    facts: ServerFacts | None = Field(default=None, description="OS, CPU, memory, disk, Docker.")
    steps: list[ProvisioningStep] = Field(
        default_factory=list,
        description="Provisioning steps in order, with state and timing.",
        json_schema_extra=MAP_BY_NAME,
    )
    usage: ResourceUsage | None = Field(default=None, description="Resource use, refreshed by a timer.")
    machine: MachineStatus | None = Field(
        default=None, description="The machine ordered from the provider (absent for byo servers).",
    )


class Server(ApiModel):
    """A dedicated server reached over SSH, provisioned to host apps."""

    kind: ClassVar[str] = "Server"
    plural: ClassVar[str] = "servers"
    short_names: ClassVar[list[str]] = ["hysrv", "hysrvs"]
    printer_columns: ClassVar[list[dict]] = [
        {"name": "Address", "type": "string", "jsonPath": ".spec.address"},
        {"name": "Provider", "type": "string", "jsonPath": ".spec.provider", "priority": 1},
        *ready_columns(),
        {"name": "OS", "type": "string", "jsonPath": ".status.facts.os", "priority": 1},
        AGE_COLUMN,
    ]

    spec: ServerSpec = Field(description="How to reach the server and what Hydron may do to it.")
    status: ServerStatus | None = Field(default=None, description="Observed state, written by Hydron.")
