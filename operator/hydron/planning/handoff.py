"""The approved plan as a Deployment spec: what the Application hands to the
deploy stage once a person (or autoApprove) said yes.

Pure: the plan in, the spec out. Secrets stay references (valueFrom); one-off
jobs (release tasks) are not long-running containers and are left out.
"""

from __future__ import annotations

from hydron.api.application import ImageSource
from hydron.api.base import LocalObjectReference
from hydron.api.deployment import (
    BuildSpec,
    DeploymentSpec,
    DeployService,
    ImageExpectations,
    ImagePull,
    ResourceLimits,
)
from hydron.api.infraplan import InfraPlanSpec, PlannedService

RUN_ROLES = {"web", "worker", "static", "database", "cache", "broker"}


def deploy_service(planned: PlannedService) -> DeployService:
    """One planned service as the deploy stage runs it."""
    build = None
    if planned.image is None:
        generated = planned.dockerfile_origin == "Generated"  # Hydron wrote its EXPOSE and non-root USER
        build = BuildSpec(context=planned.context or ".", dockerfile=planned.dockerfile, origin=planned.dockerfile_origin,
                          args=list(planned.build_args),
                          expect=ImageExpectations(port=planned.port, non_root=True) if generated else None)
    resources = None
    if planned.resources is not None:
        resources = ResourceLimits(cpus=planned.resources.cpus, memory_mi_b=planned.resources.memory_mi_b)
    return DeployService(
        name=planned.name,
        build=build,
        image=planned.image,
        command=list(planned.command),
        port=planned.port,
        env=list(planned.env),
        depends_on=list(planned.depends_on),
        health_check=planned.health_check,
        domains=list(planned.domains) if planned.public else [],
        volumes=[volume.path for volume in planned.volumes],
        resources=resources,
    )


def deployment_spec(plan: InfraPlanSpec, app_name: str, source_revision: str | None) -> DeploymentSpec | None:
    """The Deployment for this plan, or None while the plan names no Server to run on."""
    server = plan.server.server_ref
    if server is None:
        return None
    services = [deploy_service(s) for s in plan.services if s.role in RUN_ROLES]
    running = {s.name for s in services}
    services = [s.model_copy(update={"depends_on": [d for d in s.depends_on if d in running]}) for s in services]
    return DeploymentSpec(
        server_ref=LocalObjectReference(name=server.name),
        application_ref=LocalObjectReference(name=app_name),
        source_revision=source_revision,
        services=services,
    )


def pulled_from_registry(spec: DeploymentSpec, source: ImageSource, refresh: str | None) -> DeploymentSpec:
    """An image source's service is pulled by the server with the source's login and
    pinned to a digest; `refresh` (the Application's refresh annotation) asks for the
    tag to be looked up again."""
    pull = ImagePull(secret_ref=source.pull_secret_ref)
    services = [s.model_copy(update={"image_pull": pull}) if s.image == source.name and s.build is None else s
                for s in spec.services]
    return spec.model_copy(update={"services": services, "image_refresh": refresh})
