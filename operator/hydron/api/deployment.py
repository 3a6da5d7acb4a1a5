"""Deployment (deployments.hydron.dev): the services of an Application running on a Server."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import ConfigDict, Field, model_validator

from hydron.api.base import (
    AGE_COLUMN,
    MAP_BY_NAME,
    ApiModel,
    DeletionPolicy,
    Domain,
    EnvVar,
    LocalObjectReference,
    StatusBase,
    cel,
    ready_columns,
    validations,
)
from hydron.api.dns import DnsSettings, DnsStatus, outside_zone, zone_rule
from hydron.api.checks import COMMIT, CONTAINER_PATH, IMAGE, NAME, RELATIVE_PATH
from hydron.api.infraplan import BuildArg, HealthCheck


class ImageExpectations(ApiModel):
    """What the built image must hold besides its start command's program (always
    checked), checked on the server before anything is rolled out."""

    port: int | None = Field(default=None, ge=1, le=65535, description="A port the image must EXPOSE.")
    non_root: bool = Field(default=False, description="The image's USER must not be root.")


class BuildSpec(ApiModel):
    """Build the image on the server from the pinned source revision."""

    context: RELATIVE_PATH.type() = Field(default=".", description="Build context, relative to the repository root.")
    dockerfile: str | None = Field(
        default=None, description="Dockerfile text, or a path inside the context. Default: Dockerfile."
    )
    origin: Literal["Repository", "Generated"] | None = Field(
        default=None, description="Where the Dockerfile comes from, as the plan says: Generated means "
        "`dockerfile` is its text, Repository a path. Unset: told apart by its content.",
    )
    args: list[BuildArg] = Field(
        default_factory=list, max_length=64, description="Build arguments (compose's build.args).",
        json_schema_extra=MAP_BY_NAME,
    )
    expect: ImageExpectations | None = Field(
        default=None, description="What the plan says the image holds (Hydron's generated Dockerfiles: their "
                                  "EXPOSE and non-root USER).",
    )


class ImagePull(ApiModel):
    """Pull the image from its registry on the server and run it by digest."""

    secret_ref: LocalObjectReference | None = Field(
        default=None,
        description="Secret of type kubernetes.io/dockerconfigjson with the login for the image's registry.",
    )


class ResourceLimits(ApiModel):
    """Limits applied to the container."""

    cpus: float | None = Field(default=None, gt=0, description="CPU limit, e.g. 0.5.")
    memory_mi_b: int | None = Field(default=None, alias="memoryMiB", ge=4, description="Memory limit in MiB.")


class DeployService(ApiModel):
    """One service to run."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            cel("has(self.build) != has(self.image)", "set exactly one of build or image")
        )
    )

    name: NAME.type() = Field(description="Service name.")
    build: BuildSpec | None = Field(default=None, description="Build from source; exclusive with image.")
    image: IMAGE.type() | None = Field(default=None, description="Run this image as it is; exclusive with build.")
    image_pull: ImagePull | None = Field(
        default=None,
        description="Pull `image` from its registry and pin its digest: the tag is looked up again only when "
                    "spec.imageRefresh changes (or the server lacks it).",
    )
    command: list[str] = Field(default_factory=list, description="Override the image's command.")
    port: int | None = Field(default=None, ge=1, le=65535, description="Port the service listens on.")
    env: list[EnvVar] = Field(max_length=256, default_factory=list, description="Environment; secrets via valueFrom.", json_schema_extra=MAP_BY_NAME)
    depends_on: list[NAME.type()] = Field(
        default_factory=list, max_length=64, description="Services that must be healthy first."
    )
    health_check: HealthCheck | None = Field(default=None, description="How to tell the service is healthy.")
    domains: list[Domain] = Field(default_factory=list, max_length=32, description="Public domains routed to this service over TLS.")
    volumes: list[CONTAINER_PATH.type()] = Field(
        default_factory=list, max_length=16, description="Data directories to keep across releases."
    )
    resources: ResourceLimits | None = Field(default=None, description="Container limits.")


class DeploymentSpec(ApiModel):
    """What runs where."""

    model_config = ConfigDict(json_schema_extra=validations(zone_rule(top_level_domains=False)))

    server_ref: LocalObjectReference = Field(description="The Server to run on.")
    application_ref: LocalObjectReference | None = Field(default=None, description="The owning Application.")
    source_revision: COMMIT.type() | None = Field(default=None, description="Commit SHA the images are built from.")
    services: list[DeployService] = Field(max_length=64, 
        min_length=1, description="Services to run, started in dependency order.", json_schema_extra=MAP_BY_NAME
    )
    deletion_policy: DeletionPolicy = Field(
        default="Delete",
        description="What deleting this resource does on the server: Delete stops and removes the containers; Orphan leaves them running.",
    )
    image_refresh: str | None = Field(
        default=None, max_length=128,
        description="A new value looks up the tag of each imagePull service again; a new digest behind it is "
                    "rolled out. The Application copies its refresh.hydron.dev/requested annotation here.",
    )
    rollback_to: int | None = Field(
        default=None, ge=1,
        description="Run this kept release (its images and service configuration, nothing rebuilt) instead of "
                    "the services above; new commits wait until it is cleared. Set by `kubectl hydron rollback`.",
    )
    dns: DnsSettings | None = Field(
        default=None, description="Point the services' domains at the Server (from the Application's spec.dns); "
                                  "a domain's route and certificate wait until its record answers.",
    )

    @model_validator(mode="after")
    def _domains_in_zone(self) -> DeploymentSpec:
        outside = outside_zone(self.dns, [d for s in self.services for d in s.domains])
        if outside:
            raise ValueError(f"domain(s) {', '.join(outside)} are not in dns.rfc2136.zone")
        return self


class ReleaseImage(ApiModel):
    """The image one service ran in a release."""

    name: str = Field(description="Service name.")
    image: str = Field(description="Image tag (hydron/<app>-<service>:<commit12> for built services).")


class BaseImagePin(ApiModel):
    """A base image a release was built from, pinned to what ran."""

    image: str = Field(description="As the Dockerfile names it, e.g. python:3.12-slim.")
    pinned: str = Field(
        description="name@sha256:... as the registry served it, or the image ID (sha256:...) when it came "
                    "without a registry digest (the operator's own copy).",
    )


class Release(ApiModel):
    """One rollout, kept for rollback."""

    number: int = Field(ge=1, description="Release number, counting up.")
    source_revision: str | None = Field(default=None, description="Commit SHA of this release.")
    state: Literal["Pending", "Active", "Superseded", "Failed", "RolledBack"] = Field(
        description="Where this release stands."
    )
    created_at: datetime | None = Field(default=None, description="When the release started.")
    message: str | None = Field(default=None, description="Why it failed or was rolled back.")
    reason: str | None = Field(default=None, description="Machine-readable cause of a failure, e.g. HealthCheckFailed.")
    digest: str | None = Field(default=None, description="Digest of the release's container configuration (no secret values).")
    images: list[ReleaseImage] = Field(
        default_factory=list, max_length=64, description="Image of each service, kept on the server for rollback.",
        json_schema_extra=MAP_BY_NAME,
    )
    services: list[DeployService] = Field(
        default_factory=list, max_length=64, json_schema_extra=MAP_BY_NAME,
        description="The services' configuration in this release (secret references, never values), for rollback.",
    )
    base_images: list[BaseImagePin] = Field(
        default_factory=list, max_length=64,
        description="Base images the release's builds used (every FROM and COPY --from), pinned, so a rebuild "
                    "uses exactly them.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["image"]},
    )
    rollback_of: int | None = Field(default=None, description="The earlier release this one brought back, if any.")


class ServiceStatus(ApiModel):
    """Observed state of one service."""

    name: str = Field(description="Service name.")
    state: Literal["Pending", "Building", "Starting", "Healthy", "Unhealthy", "Stopped"] = Field(
        description="Where the service stands."
    )
    image: str | None = Field(default=None, description="Image the running container uses.")
    restarts: int | None = Field(default=None, description="Container restarts since it started.")
    cpu_percent: float | None = Field(default=None, description="CPU use, percent of one CPU.")
    memory_mi_b: int | None = Field(default=None, alias="memoryMiB", description="Memory in use, MiB.")
    url: str | None = Field(default=None, description="Public URL, for web services.")


class DeploymentStatus(StatusBase):
    """Releases and service health."""

    releases: list[Release] = Field(default_factory=list, description="Release history, newest last.")
    services: list[ServiceStatus] = Field(
        default_factory=list, description="Per-service state.", json_schema_extra=MAP_BY_NAME
    )
    urls: list[str] = Field(default_factory=list, description="Public URLs of the app.")
    server: str | None = Field(
        default=None,
        description="The Server the services run on now; differs from spec.serverRef while the app moves.",
    )
    dns: DnsStatus | None = Field(default=None, description="The domains' records Hydron published (spec.dns).")
    image_refresh: str | None = Field(default=None, description="The spec.imageRefresh last acted on.")


class Deployment(ApiModel):
    """The services of an Application running on a Server (full name deployments.hydron.dev)."""

    kind: ClassVar[str] = "Deployment"
    plural: ClassVar[str] = "deployments"
    short_names: ClassVar[list[str]] = ["hydeploy", "hydeploys"]
    printer_columns: ClassVar[list[dict]] = [
        {"name": "Server", "type": "string", "jsonPath": ".spec.serverRef.name"},
        {"name": "Revision", "type": "string", "jsonPath": ".spec.sourceRevision", "priority": 1},
        *ready_columns(),
        AGE_COLUMN,
    ]

    spec: DeploymentSpec = Field(description="What runs where.")
    status: DeploymentStatus | None = Field(default=None, description="Observed state, written by Hydron.")
