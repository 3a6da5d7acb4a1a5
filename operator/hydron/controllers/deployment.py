"""Deployment controller: build on the server, roll out, record releases.

Plain async functions, no kopf (hydron.main wires them):

- `reconcile` builds every `build` service on the server (skipped when the image for
  the same commit and Dockerfile is already there), resolves secrets, rolls out in
  dependency order with the zero-downtime switch, and returns the status with Built,
  Available and Ready and the release history;
- `observe` reads each service's state, restarts, CPU and memory (a timer calls it);
- `rollback` returns the Deployment pointed back at a kept release;
- `tear_down` removes the app's routes and containers (deletionPolicy Delete).

A release whose health check fails is rolled back on the spot (the old containers
keep serving) and is not retried for the same configuration until the spec changes:
the status says why. The Deployment is Available only once every public service
answers over HTTPS through the proxy. Secret values go only into the containers'
environment.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import docker.errors

from hydron import metrics
from hydron.api.conditions import now, set_condition, summarize_ready
from hydron.api.deployment import DeployService, Deployment, DeploymentStatus, Release, ReleaseImage, ServiceStatus
from hydron.api.server import Server, ServerStatus
from hydron.build.buildlog import BuildLogWriter, build_log_path
from hydron.build.context import ContextError, build_context
from hydron.build.image import BuildFailed, build_image, image_tag
from hydron.build.tunnel import docker_client
from hydron.controllers.common import with_pending
from hydron.kube.secrets import SecretError
from hydron.controllers.server import PostEvent, ServerRuntime, default_runtime, open_session, target_of
from hydron.deploy import https, rollout
from hydron.deploy.engine import Engine
from hydron.deploy.health import Verdict
from hydron.deploy.move import copy_volume
from hydron.deploy.observe import cpu_percent, memory_mib, state_of
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
READY_MESSAGE = "The services are healthy and answer over HTTPS."

BuildLine = Callable[[str, str], None]
"""on_build_line(service, line): build output as it arrives (`kubectl hydron logs --build -f`)."""
SecretVersion = Callable[[str], Awaitable[str]]
"""secret_version(name): the Secret's resourceVersion, so a rotated Secret rolls the services that read it."""
Probe = Callable[[str, str, str], Awaitable[Verdict]]
"""probe(address, domain, path): one HTTPS request through the proxy, as a user makes it."""


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
    secret_version: SecretVersion | None = None,
    post_event: PostEvent | None = None,
    runtime: ServerRuntime | None = None,
    source_dir: Path | None = None,
    on_build_line: BuildLine | None = None,
    probe: Probe | None = None,
    previous: Server | None = None,
    drain_grace: float = rollout.DRAIN_GRACE,
) -> ReconcileResult:
    """Bring the server in line with the Deployment and return the status to write.

    `server` is the Server named by spec.serverRef (with its status: the pinned host
    key); `source_dir` the Application's checkout holding spec.sourceRevision (needed
    only when an image must be built). `probe` defaults to a real HTTPS request to
    the Server's address. `previous` is the Server named by status.server when
    spec.serverRef has moved away from it: the app moves, data volumes included.
    """
    started_at = time.monotonic()
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
        conditions = summarize_ready(conditions, DEPENDS_ON, generation, READY_MESSAGE)
        return ReconcileResult(status.model_copy(update={"conditions": conditions}), commands=commands, **kwargs)

    def cond(status: DeploymentStatus, type_: str, value: str, reason: str, message: str) -> DeploymentStatus:
        return status.model_copy(update={"conditions": set_condition(status.conditions, type_, value, reason, message, generation)})

    async def event(type_: str, reason: str, message: str) -> None:
        await call(post_event, type_, reason, message)

    if not _server_ready(server.status):
        status = cond(status, AVAILABLE, "False", "ServerNotReady", f"Server {spec.server_ref.name} is not Ready yet.")
        return conclude(status, retryable=True, message="waiting for the Server")
    try:
        target = _target(deployment, status.releases)
    except LookupError as error:
        status = cond(status, AVAILABLE, "False", "ReleaseNotKept", str(error))
        return conclude(status, message=str(error))
    services, revision = target.services, target.revision
    try:
        plan_rollout(app, services, {s.name: "" for s in services}, _dummy_secrets(services))
    except PlanError as error:
        status = cond(status, AVAILABLE, "False", error.reason, str(error))
        return conclude(status, message=str(error))
    try:
        secrets = {ref: await keys.read(read_secret, *ref) for ref in secret_refs(services)}
        versions = {n: await secret_version(n) for n in {n for n, _ in secrets}} if secret_version else {}
    except (RemoteError, SecretError) as error:
        status = cond(status, AVAILABLE, "False", error.reason, error.message)
        return conclude(status, retryable=True, message=error.message)

    runtime = runtime or default_runtime()
    moving_from = status.server if status.server and status.server != spec.server_ref.name else None
    if moving_from and previous is None and any(s.volumes for s in services):
        message = (f"The app runs on Server {moving_from}, which is gone, so its data volumes cannot be copied to "
                   f"{spec.server_ref.name}. Recreate Server {moving_from}, or point spec.serverRef back at it.")
        status = cond(status, AVAILABLE, "False", "PreviousServerGone", message)
        return conclude(status, retryable=True, message=message)
    moved: list[str] | None = None
    try:
        session = await open_session(server.spec, server.status or ServerStatus(), read_secret, runtime)
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(runtime.pool.lock(target_of(server.spec)))
            run = CommandRunner(session, server.spec.user, record=commands)
            client = await stack.enter_async_context(docker_client(session))
            engine = Engine(client)
            if target.images is not None:
                images = target.images
                status = cond(status, BUILT, "True", "ReleaseImages",
                              f"Running the kept images of release {spec.rollback_to}; nothing to build.")
            else:
                try:
                    images = await _build_all(client, run, app, deployment, source_dir, on_build_line, event,
                                              runtime.settings.image_source)
                except (BuildFailed, ContextError) as error:
                    status = cond(status, BUILT, "False", "BuildFailed", str(getattr(error, "message", error)))
                    return conclude(status, message=str(error))
                status = cond(status, BUILT, "True", "ImagesBuilt", _built_message(deployment, images))
            plans = plan_rollout(app, services, images, secrets, revision, versions)
            digest = _release_digest(plans)
            known_bad = _failed_digest(status.releases, digest)
            if known_bad is not None:
                status = cond(status, AVAILABLE, "False", known_bad.reason or "HealthCheckFailed",
                              f"Release {known_bad.number} failed and was rolled back: {known_bad.message}")
                return conclude(status, changes=engine.changes)
            old = await _open_old(stack, previous, read_secret, runtime) if moving_from and previous else None
            paused = await _move_data(app, plans, old, engine, run, drain_grace) if old else []
            outcome = await rollout.roll_out(
                app, plans, engine, run, Proxy(run), drain_grace=drain_grace,
                note=lambda t, r, m: log.info("%s: %s", r, m),
            )
            if old is not None and outcome.failure is not None:
                for name in paused:  # the new server failed: the old one serves on with its data
                    await old.engine.resume(name)
            elif old is not None:
                await rollout.tear_down(app, network_name(app), old.engine, Proxy(old.run))
                moved = [volume for plan in plans for volume, _ in plan.volumes]
            changes = engine.changes + (["caddy routes loaded"] if outcome.routes_changed else [])
    except ProxyUnavailable as error:
        status = cond(status, AVAILABLE, "False", ProxyUnavailable.reason, str(error))
        return conclude(status, retryable=True, message=str(error))
    except RemoteError as error:
        status = cond(status, AVAILABLE, "False", error.reason, error.message)
        return conclude(status, retryable=error.retryable, message=error.message)

    releases = list(status.releases)
    rolled = bool(outcome.started)
    if outcome.failure is None:
        status = status.model_copy(update={"server": spec.server_ref.name})
    if moving_from and outcome.failure is None:
        kept = f"; its data volumes stay on {moving_from} until you remove them: {', '.join(moved)}" if moved else ""
        await event("Normal", "Moved", f"moved from Server {moving_from} to {spec.server_ref.name}{kept}")
    if outcome.failure is not None:
        f = outcome.failure
        releases = _append(releases, Release(
            number=_next(releases), source_revision=revision, state="Failed", created_at=now(),
            message=f.message[:1000], reason=f.reason, digest=digest, images=_images(plans),
            rollback_of=spec.rollback_to,
        ))
        _record_release("failed", started_at)
        metrics.ROLLBACKS.labels("automatic").inc()
        await event("Warning", f.reason, f.message)
        status = status.model_copy(update={"releases": releases})
        status = cond(status, AVAILABLE, "False", f.reason, f.message)
        return conclude(status, message=f.message, changes=changes)
    active = next((r for r in releases if r.state == "Active"), None)
    if active is None or active.digest != digest:
        releases = [r.model_copy(update={"state": "Superseded"}) if r.state == "Active" else r for r in releases]
        releases = _append(releases, Release(
            number=_next(releases), source_revision=revision, state="Active", created_at=now(),
            digest=digest, images=_images(plans), services=_kept_config(services, images), rollback_of=spec.rollback_to,
        ))
        what = f"rollback to release {spec.rollback_to}" if spec.rollback_to else (revision or "images")
        await event("Normal", "Released", f"release {releases[-1].number} ({what}) is live")
        if spec.rollback_to:
            metrics.ROLLBACKS.labels("manual").inc()
    before = {s.name: s for s in status.services}
    services_status = [
        _carry_usage(ServiceStatus(name=s.name, state="Healthy" if s.healthy else "Unhealthy", image=s.image.split("@")[0], restarts=s.restarts, url=s.url),
                     before.get(s.name))
        for s in outcome.services
    ]
    urls = [s.url for s in outcome.services if s.url]
    status = status.model_copy(update={"releases": releases, "services": services_status, "urls": urls})
    if outcome.unhealthy:  # running this release already, but not answering its check
        if rolled:
            _record_release("unhealthy", started_at)
        message = "; ".join(f.message for f in outcome.unhealthy) + ". Hydron checks again at the next resync."
        status = cond(status, AVAILABLE, "False", "ServiceUnhealthy", message)
        return conclude(status, retryable=True, message=message, changes=changes)
    answer = await _answers_over_https(server.spec.public_address or server.spec.address, plans, probe or https.probe)
    if not answer.healthy:
        if rolled:
            _record_release("unreachable", started_at)
        status = cond(status, AVAILABLE, "False", answer.reason, answer.message)
        return conclude(status, retryable=True, message=answer.message, changes=changes)
    if rolled:
        _record_release("succeeded", started_at)
    pinned = f" Pinned to release {spec.rollback_to} by spec.rollbackTo." if spec.rollback_to else ""
    public = f"; {answer.message}" if answer.message else ""
    status = cond(status, AVAILABLE, "True", "Healthy", f"{len(services_status)} service(s) healthy{public}.{pinned}")
    return conclude(status, changes=changes)


async def observe(
    deployment: Deployment, *, name: str = "app", server: Server, read_secret: ReadSecret | None,
    runtime: ServerRuntime | None = None, namespace: str = "",
) -> list[ServiceStatus]:
    """Each service's state, restarts, CPU and memory as the server sees them now (no
    change on the server). Also sets the per-service gauges."""
    runtime = runtime or default_runtime()
    app = app_name(deployment, name)
    previous = {s.name: s for s in (deployment.status.services if deployment.status else [])}
    session = await open_session(server.spec, server.status or ServerStatus(), read_secret, runtime)
    async with docker_client(session) as client:
        engine = Engine(client)
        observed = await engine.containers(app, network_name(app))
        current = {s.name: _current(s.name, observed) for s in deployment.spec.services}
        samples = await asyncio.gather(*(engine.stats(c.name) if c else _nothing() for c in current.values()))
    result = []
    for (service, container), stats in zip(current.items(), samples):
        state = state_of(container)
        before = previous.get(service)
        result.append(ServiceStatus(
            name=service, state=state, image=before.image if before else (container.image if container else None),
            restarts=container.restarts if container else None, url=before.url if before else None,
            cpu_percent=cpu_percent(stats) if stats else None, memory_mi_b=memory_mib(stats) if stats else None,
        ))
        labels = (namespace, app, service)
        metrics.SERVICE_UP.labels(*labels).set(1 if state == "Healthy" else 0)
        metrics.SERVICE_RESTARTS.labels(*labels).set(container.restarts if container else 0)
        if result[-1].cpu_percent is not None:
            metrics.SERVICE_CPU.labels(*labels).set(result[-1].cpu_percent)
        if result[-1].memory_mi_b is not None:
            metrics.SERVICE_MEMORY.labels(*labels).set(result[-1].memory_mi_b * 1024 * 1024)
    return result


def health_condition(status: DeploymentStatus, services: list[ServiceStatus], generation: int | None) -> DeploymentStatus:
    """Available follows what `observe` saw: False naming the unhealthy services, True
    again once they recover (a condition a rollout set for another reason is left alone)."""
    sick = [s for s in services if s.state in ("Unhealthy", "Stopped")]
    available = next((c for c in status.conditions if c.type == AVAILABLE), None)
    conditions = status.conditions
    if sick:
        names = ", ".join(f"{s.name} ({s.state.lower()}, {s.restarts or 0} restart(s))" for s in sick)
        conditions = set_condition(conditions, AVAILABLE, "False", "ServiceUnhealthy",
                                   f"Not serving as it should: {names}. See `kubectl hydron logs <app> SERVICE`.", generation)
    elif available is not None and available.reason == "ServiceUnhealthy":
        conditions = set_condition(conditions, AVAILABLE, "True", "Healthy", f"{len(services)} service(s) healthy again.", generation)
    else:
        return status.model_copy(update={"services": services})
    conditions = summarize_ready(conditions, DEPENDS_ON, generation, READY_MESSAGE)
    return status.model_copy(update={"services": services, "conditions": conditions})


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


@dataclass(frozen=True)
class OldServer:
    """The server an app is moving away from, opened for the move."""

    engine: Engine
    run: CommandRunner


async def _open_old(stack: AsyncExitStack, server: Server, read_secret, runtime: ServerRuntime) -> OldServer:
    session = await open_session(server.spec, server.status or ServerStatus(), read_secret, runtime)
    client = await stack.enter_async_context(docker_client(session))
    return OldServer(Engine(client), CommandRunner(session, server.spec.user))


async def _move_data(app: str, plans, old: OldServer, engine: Engine, run: CommandRunner, grace: float) -> list[str]:
    """Stop the old server's data services and copy their volumes to the new server.
    Returns the containers stopped, to start again if the new server fails."""
    network = network_name(app)
    observed_old = await old.engine.containers(app, network)
    observed_new = await engine.containers(app, network)
    paused: list[str] = []
    try:
        for plan in plans:
            if not plan.volumes:
                continue
            for container in observed_old:
                if container.service == plan.service and container.running:
                    await old.engine.stop(container.name, grace=grace)
                    paused.append(container.name)
            for container in observed_new:  # an earlier attempt's copy must not run while its files are replaced
                if container.service == plan.service:
                    await engine.remove(container.name, grace=grace)
            for volume, _ in plan.volumes:
                await copy_volume(volume, old.run, run)
    except Exception:
        for name in paused:
            await old.engine.resume(name)
        raise
    return paused


@dataclass(frozen=True)
class Target:
    """What to run: the spec's services, or a kept release's (with its images)."""

    services: list[DeployService]
    revision: str | None
    images: dict[str, str] | None = None


def _target(deployment: Deployment, releases: list[Release]) -> Target:
    spec = deployment.spec
    if spec.rollback_to is None:
        return Target(list(spec.services), spec.source_revision)
    release = next((r for r in releases if r.number == spec.rollback_to), None)
    if release is None or not release.images:
        kept = [r.number for r in releases if r.state != "Failed"]
        raise LookupError(f"spec.rollbackTo names release {spec.rollback_to}, which is not kept (kept: {kept}); "
                          "pick one of those or clear it with `kubectl hydron rollback APP --clear`.")
    images = {i.name: i.image for i in release.images}
    return Target(list(release.services) or _kept_config(spec.services, images), release.source_revision, images)


def _kept_config(services: list[DeployService], images: dict[str, str]) -> list[DeployService]:
    """The release's service configuration with the images it ran (no build recipe:
    a rollback never rebuilds, and Dockerfiles would bloat the status)."""
    return [s.model_copy(update={"build": None, "image": images.get(s.name, s.image)}) for s in services]


def _carry_usage(fresh: ServiceStatus, before: ServiceStatus | None) -> ServiceStatus:
    """Keep the last CPU and memory reading `observe` made until it makes the next."""
    if before is None:
        return fresh
    return fresh.model_copy(update={"cpu_percent": before.cpu_percent, "memory_mi_b": before.memory_mi_b})


async def _answers_over_https(address: str, plans, probe: Probe) -> Verdict:
    """Every domain of every public service answers through the proxy; the first that
    does not, says why."""
    said = []
    for plan in plans:
        if not (plan.domains and plan.port):
            continue
        path = plan.health.path if plan.health and plan.health.path else "/"
        for domain in plan.domains:
            answer = await probe(address, domain, path)
            if not answer.healthy:
                return answer
            said.append(answer.message)
    return Verdict(True, message=", ".join(said))


def _record_release(result: str, started_at: float) -> None:
    metrics.DEPLOY_SECONDS.labels(result).observe(time.monotonic() - started_at)
    metrics.RELEASES.labels(result).inc()


def _current(service: str, observed):
    """The service's container to report on: the running one, else the newest seen."""
    mine = [o for o in observed if o.service == service]
    return next((o for o in mine if o.running), mine[-1] if mine else None)


async def _image_present(client, image: str) -> bool:
    try:
        await asyncio.to_thread(client.images.get, image)
    except docker.errors.ImageNotFound:
        return False
    return True


async def _nothing() -> dict:
    return {}


async def _build_all(client, run: CommandRunner, app: str, deployment: Deployment, source_dir: Path | None,
                     on_line: BuildLine | None, event, image_source=None) -> dict[str, str]:
    """service → image to run: the verified built tag, or the spec's image (delivered to the
    server by `image_source` when it is not there yet: a managed database's image is named
    by the plan, not by the Server's baseImages). Build output goes to a file on the server
    (for `kubectl hydron logs --build`) and to `on_line`."""
    spec = deployment.spec
    images: dict[str, str] = {}
    for service in spec.services:
        if service.build is None:
            images[service.name] = service.image or ""
            if service.image and image_source is not None and not await _image_present(client, service.image):
                await image_source.deliver(service.image, run)
                await event("Normal", "ImageDelivered", f"{service.image} {image_source.description}")
            continue
        build = service.build

        def make_context(build=build) -> tuple[bytes, str]:
            if source_dir is None:
                raise ContextError(f"no checkout of {spec.source_revision} to build {image_tag(app, service.name, spec.source_revision)} from")
            return build_context(source_dir, spec.source_revision, build.context, build.dockerfile)

        kept = BuildLogWriter(run, build_log_path(app, service.name))

        def each_line(line: str, name: str = service.name, kept: BuildLogWriter = kept) -> None:
            kept.line(line)
            if on_line is not None:
                on_line(name, line)

        try:
            built = await build_image(
                client, app=app, service=service.name, revision=spec.source_revision, context=build.context,
                dockerfile=build.dockerfile, make_context=make_context, on_line=each_line,
            )
        finally:
            await kept.close()
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
