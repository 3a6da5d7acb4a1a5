"""Deployment controller: build on the server, roll out, record releases.

Plain async functions, no kopf (hydron.main wires them):

- `reconcile` builds every `build` service on the server (skipped when the image for
  the same commit and Dockerfile is already there), resolves secrets, rolls out in
  dependency order with the zero-downtime switch, and returns the status with Built,
  Available and Ready and the release history;
- `rollback` returns the Deployment pointed back at a kept release;
- `tear_down` removes the app's routes and containers (deletionPolicy Delete).

A release whose health check fails is rolled back on the spot (the old containers
keep serving) and is not retried for the same configuration until the spec changes:
the status says why. Secret values go only into the containers' environment.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hydron.api.conditions import now, set_condition, summarize_ready
from hydron.api.deployment import Deployment, DeploymentStatus, Release, ReleaseImage, ServiceStatus
from hydron.api.server import Server, ServerStatus
from hydron.build.context import ContextError, build_context
from hydron.build.image import BuildFailed, build_image, image_tag
from hydron.build.tunnel import docker_client
from hydron.controllers.common import with_pending
from hydron.controllers.server import PostEvent, ServerRuntime, default_runtime, open_session, target_of
from hydron.deploy import rollout
from hydron.deploy.engine import Engine
from hydron.deploy.plan import PlanError, network_name, plan_rollout, secret_refs
from hydron.deploy.proxy import Proxy, ProxyUnavailable
from hydron.provisioning.engine import call
from hydron.remote import keys
from hydron.remote.errors import RemoteError
from hydron.remote.keys import ReadSecret
from hydron.remote.runner import CommandLog, CommandRunner

log = logging.getLogger(__name__)

BUILT, AVAILABLE = "Built", "Available"
DEPENDS_ON = [BUILT, AVAILABLE]
CONDITIONS = {
    BUILT: "Waiting for the images to be built on the server.",
    AVAILABLE: "Waiting for the services to pass their health checks.",
}
KEEP_RELEASES = 10

BuildLine = Callable[[str, str], None]
"""on_build_line(service, line): build output as it arrives (`kubectl hydron logs --build -f`)."""


@dataclass
class ReconcileResult:
    status: DeploymentStatus
    retryable: bool = False
    message: str = ""
    changes: list[str] = field(default_factory=list)
    """What changed on the server: containers started/removed, networks, route loads."""
    commands: CommandLog = field(default_factory=CommandLog)

    def to_api(self) -> dict:
        return self.status.to_api()


def app_name(deployment: Deployment, name: str) -> str:
    ref = deployment.spec.application_ref
    return ref.name if ref is not None else name


async def reconcile(
    deployment: Deployment,
    generation: int | None,
    *,
    name: str = "app",
    server: Server | None = None,
    read_secret: ReadSecret | None = None,
    post_event: PostEvent | None = None,
    runtime: ServerRuntime | None = None,
    source_dir: Path | None = None,
    on_build_line: BuildLine | None = None,
    drain_grace: float = rollout.DRAIN_GRACE,
) -> ReconcileResult:
    """Bring the server in line with the Deployment and return the status to write.

    `server` is the Server named by spec.serverRef (with its status: the pinned host
    key); `source_dir` the Application's checkout holding spec.sourceRevision (needed
    only when an image must be built).
    """
    status = (deployment.status or DeploymentStatus()).model_copy(update={"observed_generation": generation})
    if server is None:
        return ReconcileResult(with_pending(status, generation, CONDITIONS, list(CONDITIONS)))
    app = app_name(deployment, name)
    spec = deployment.spec
    commands = CommandLog()

    def conclude(status: DeploymentStatus, **kwargs) -> ReconcileResult:
        conditions = status.conditions
        for type_, message in CONDITIONS.items():
            if not any(c.type == type_ for c in conditions):
                conditions = set_condition(conditions, type_, "Unknown", "Pending", message, generation)
        conditions = summarize_ready(conditions, DEPENDS_ON, generation, "The services are healthy and routed.")
        return ReconcileResult(status.model_copy(update={"conditions": conditions}), commands=commands, **kwargs)

    def cond(status: DeploymentStatus, type_: str, value: str, reason: str, message: str) -> DeploymentStatus:
        return status.model_copy(update={"conditions": set_condition(status.conditions, type_, value, reason, message, generation)})

    async def event(type_: str, reason: str, message: str) -> None:
        await call(post_event, type_, reason, message)

    if not _server_ready(server.status):
        status = cond(status, AVAILABLE, "False", "ServerNotReady", f"Server {spec.server_ref.name} is not Ready yet.")
        return conclude(status, retryable=True, message="waiting for the Server")
    try:
        plan_rollout(app, spec.services, {s.name: "" for s in spec.services}, _dummy_secrets(spec.services))
    except PlanError as error:
        status = cond(status, AVAILABLE, "False", error.reason, str(error))
        return conclude(status, message=str(error))
    try:
        secrets = {ref: await keys.read(read_secret, *ref) for ref in secret_refs(spec.services)}
    except RemoteError as error:
        status = cond(status, AVAILABLE, "False", error.reason, error.message)
        return conclude(status, retryable=True, message=error.message)

    runtime = runtime or default_runtime()
    try:
        session = await open_session(server.spec, server.status or ServerStatus(), read_secret, runtime)
        async with runtime.pool.lock(target_of(server.spec)):
            run = CommandRunner(session, server.spec.user, record=commands)
            async with docker_client(session) as client:
                engine = Engine(client)
                try:
                    images = await _build_all(client, app, deployment, source_dir, on_build_line, event)
                except (BuildFailed, ContextError) as error:
                    status = cond(status, BUILT, "False", "BuildFailed", str(getattr(error, "message", error)))
                    return conclude(status, message=str(error))
                status = cond(status, BUILT, "True", "ImagesBuilt", _built_message(deployment, images))
                plans = plan_rollout(app, spec.services, images, secrets, spec.source_revision)
                digest = _release_digest(plans)
                known_bad = _failed_digest(status.releases, digest)
                if known_bad is not None:
                    status = cond(status, AVAILABLE, "False", known_bad.reason or "HealthCheckFailed",
                                  f"Release {known_bad.number} failed and was rolled back: {known_bad.message}")
                    return conclude(status, changes=engine.changes)
                outcome = await rollout.roll_out(
                    app, plans, engine, run, Proxy(run), drain_grace=drain_grace,
                    note=lambda t, r, m: log.info("%s: %s", r, m),
                )
                changes = engine.changes + (["caddy routes loaded"] if outcome.routes_changed else [])
    except ProxyUnavailable as error:
        status = cond(status, AVAILABLE, "False", ProxyUnavailable.reason, str(error))
        return conclude(status, retryable=True, message=str(error))
    except RemoteError as error:
        status = cond(status, AVAILABLE, "False", error.reason, error.message)
        return conclude(status, retryable=error.retryable, message=error.message)

    releases = list(status.releases)
    if outcome.failure is not None:
        f = outcome.failure
        releases = _append(releases, Release(
            number=_next(releases), source_revision=spec.source_revision, state="Failed", created_at=now(),
            message=f.message[:1000], reason=f.reason, digest=digest, images=_images(plans),
        ))
        await event("Warning", f.reason, f.message)
        status = status.model_copy(update={"releases": releases})
        status = cond(status, AVAILABLE, "False", f.reason, f.message)
        return conclude(status, message=f.message, changes=changes)
    active = next((r for r in releases if r.state == "Active"), None)
    if active is None or active.digest != digest:
        releases = [r.model_copy(update={"state": "Superseded"}) if r.state == "Active" else r for r in releases]
        releases = _append(releases, Release(
            number=_next(releases), source_revision=spec.source_revision, state="Active", created_at=now(),
            digest=digest, images=_images(plans),
        ))
        await event("Normal", "Released", f"release {releases[-1].number} ({spec.source_revision or 'images'}) is live")
    services = [ServiceStatus(name=s.name, state="Healthy", image=s.image.split("@")[0], restarts=s.restarts, url=s.url)
                for s in outcome.services]
    urls = [s.url for s in outcome.services if s.url]
    status = status.model_copy(update={"releases": releases, "services": services, "urls": urls})
    status = cond(status, AVAILABLE, "True", "Healthy", f"{len(services)} service(s) healthy.")
    return conclude(status, changes=changes)


def rollback(deployment: Deployment, to_release: int) -> Deployment:
    """The Deployment pointed back at a kept release: its source revision (and so its
    images, still on the server under their commit tags; nothing is rebuilt). Apply
    the returned spec; the next reconcile rolls it out with the same zero-downtime
    switch. Raises ValueError for a release that is not in the history."""
    releases = (deployment.status.releases if deployment.status else [])
    release = next((r for r in releases if r.number == to_release), None)
    if release is None:
        raise ValueError(f"release {to_release} is not in the history (kept: {[r.number for r in releases]})")
    spec = deployment.spec.model_copy(update={"source_revision": release.source_revision})
    return deployment.model_copy(update={"spec": spec})


async def tear_down(
    deployment: Deployment, *, name: str = "app", server: Server, read_secret: ReadSecret | None,
    runtime: ServerRuntime | None = None,
) -> None:
    """Remove the app's routes and containers (deletionPolicy Delete); images stay."""
    if deployment.spec.deletion_policy == "Orphan":
        return
    runtime = runtime or default_runtime()
    app = app_name(deployment, name)
    session = await open_session(server.spec, server.status or ServerStatus(), read_secret, runtime)
    async with runtime.pool.lock(target_of(server.spec)):
        run = CommandRunner(session, server.spec.user)
        async with docker_client(session) as client:
            await rollout.tear_down(app, network_name(app), Engine(client), Proxy(run))


# --- helpers -----------------------------------------------------------------------


async def _build_all(client, app: str, deployment: Deployment, source_dir: Path | None, on_line: BuildLine | None, event) -> dict[str, str]:
    """service → image to run: the verified built tag, or the spec's image."""
    spec = deployment.spec
    images: dict[str, str] = {}
    for service in spec.services:
        if service.build is None:
            images[service.name] = service.image or ""
            continue
        build = service.build

        def make_context(build=build) -> tuple[bytes, str]:
            if source_dir is None:
                raise ContextError(f"no checkout of {spec.source_revision} to build {image_tag(app, service.name, spec.source_revision)} from")
            return build_context(source_dir, spec.source_revision, build.context, build.dockerfile)

        built = await build_image(
            client, app=app, service=service.name, revision=spec.source_revision, context=build.context,
            dockerfile=build.dockerfile, make_context=make_context,
            on_line=(lambda line, n=service.name: on_line(n, line)) if on_line else None,
        )
        if built.built:
            await event("Normal", "Built", f"built {built.tag}")
        images[service.name] = built.tag
    return images


def _built_message(deployment: Deployment, images: dict[str, str]) -> str:
    built = [s.name for s in deployment.spec.services if s.build is not None]
    if not built:
        return f"{len(images)} service(s) run images as given; nothing to build."
    return f"{len(built)} image(s) built and verified for {deployment.spec.source_revision or 'the source'}."


def _server_ready(status: ServerStatus | None) -> bool:
    return status is not None and any(c.type == "Ready" and c.status == "True" for c in status.conditions)


def _dummy_secrets(services) -> dict:
    return {ref: "" for ref in secret_refs(services)}


def _release_digest(plans) -> str:
    return hashlib.sha256("|".join(f"{p.service}={p.digest}" for p in plans).encode()).hexdigest()[:16]


def _failed_digest(releases: list[Release], digest: str) -> Release | None:
    """The newest release with this digest, if it failed (and nothing newer succeeded with it)."""
    for release in reversed(releases):
        if release.digest == digest:
            return release if release.state == "Failed" else None
    return None


def _images(plans) -> list[ReleaseImage]:
    return [ReleaseImage(name=p.service, image=p.image) for p in plans]


def _next(releases: list[Release]) -> int:
    return max((r.number for r in releases), default=0) + 1


def _append(releases: list[Release], release: Release) -> list[Release]:
    return [*releases, release][-KEEP_RELEASES:]
