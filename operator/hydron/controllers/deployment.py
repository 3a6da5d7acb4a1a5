"""Deployment controller: map one deployment pass to conditions, releases and events.

`reconcile(deployment, generation, deps) -> Outcome` like every controller: it finds
the Server, reads the Secrets the services use, opens the server (and the old one when
the app moves), lets `hydron.deploy.engine` build, move, roll out and probe, and turns
the pass into Built, Available and Ready, the release history and events. Also:

- `observe` reads each service's state, restarts, CPU and memory (a timer calls it),
  and `health_condition` turns that into Available;
- `tear_down` removes the app's routes and containers (deletionPolicy Delete).

A release whose health check fails is rolled back on the spot (the old containers
keep serving) and is not retried for the same configuration until the spec changes:
the status says why. The Deployment is Available only once every public service
answers over HTTPS through the proxy. Secret values go only into the containers'
environment.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

from hydron import metrics
from hydron.api.conditions import AVAILABLE, BUILT, DNS_READY, now, set_condition
from hydron.api.deployment import Deployment, DeploymentStatus, ServiceStatus
from hydron.api.server import Server
from hydron.build.context import ContextError
from hydron.build.delivery import BaseImageUnavailable, ImageSources
from hydron.build.image import BuildFailed
from hydron.build.pull import ImagePullFailed
from hydron.build.services import BuildLine
from hydron.build.tunnel import docker_client
from hydron.api.dns import DnsStatus
from hydron.controllers import deployment_dns
from hydron.controllers.common import Emit, Event, LiveStatus, Outcome, Retry, conclude, emit, with_condition
from hydron.deploy import https, releases, rollout
from hydron.deploy.containers import Containers
from hydron.deploy.engine import Host, Inputs, Pass, Probe, deploy
from hydron.deploy.observe import cpu_percent, memory_mib, state_of
from hydron.deploy.plan import PlanError, check_services, network_name, secret_refs
from hydron.deploy.proxy import Proxy, ProxyUnavailable
from hydron.dns.publish import Context as DnsContext
from hydron.dns.publish import Endpoints
from hydron.kube.secrets import SecretError
from hydron.remote import keys
from hydron.remote.errors import RemoteError
from hydron.remote.images import ImageSource
from hydron.remote.keys import ReadSecret
from hydron.remote.pool import ConnectionPool
from hydron.remote.runner import CommandLog, CommandRunner
from hydron.remote.servers import is_ready, open_session, target_of

log = logging.getLogger(__name__)

DEPENDS_ON = [BUILT, AVAILABLE]
CONDITIONS = {
    BUILT: "Waiting for the images to be built on the server.",
    AVAILABLE: "Waiting for the services to pass their health checks.",
}
READY_MESSAGE = "The services are healthy and answer over HTTPS."
RETRY_SECONDS = 10.0
PULL_SECRET_KEY = ".dockerconfigjson"

GetServer = Callable[[str], Awaitable[Server | None]]
"""get_server(name): the Server in the Deployment's namespace, with its status; None if missing."""
SecretVersion = Callable[[str], Awaitable[str]]
"""secret_version(name): the Secret's resourceVersion, so a rotated Secret rolls the services that read it."""
SourceArchive = Callable[[str | None], Path | None]
"""source_archive(revision): the archive the Application handed over for that commit, if any."""


@dataclass
class DeploymentDeps:
    """What a Deployment pass needs from outside."""

    name: str
    """The Deployment's own name (the app's name when it has no applicationRef)."""
    get_server: GetServer
    read_secret: ReadSecret | None = None
    secret_version: SecretVersion | None = None
    source_archive: SourceArchive | None = None
    pool: ConnectionPool = field(default_factory=ConnectionPool)
    image_source: ImageSource | None = None
    """Delivers a spec image the server lacks (a managed database's, say)."""
    emit: Emit | None = None
    on_build_line: BuildLine | None = None
    probe: Probe | None = None
    """Defaults to a real HTTPS request to the Server's address."""
    drain_grace: float = rollout.DRAIN_GRACE
    namespace: str = ""
    dns_endpoints: Endpoints | None = None
    """Writes external-dns's DNSEndpoints (spec.dns.externalDNS)."""
    dns_written: dict[str, DnsStatus] | None = None
    """namespace/name → the DNS status this process last wrote. A pass queued behind
    another reads a body from before that pass; without this it would forget the records
    the other pass published, and never remove them."""


def app_name(deployment: Deployment, name: str) -> str:
    ref = deployment.spec.application_ref
    return ref.name if ref is not None else name


async def reconcile(deployment: Deployment, generation: int | None, deps: DeploymentDeps) -> Outcome:
    """Bring the server in line with the Deployment and return the status to write."""
    started_at = time.monotonic()
    spec = deployment.spec
    app = app_name(deployment, deps.name)
    status = (deployment.status or DeploymentStatus()).model_copy(update={"observed_generation": generation})
    commands = CommandLog()
    conditions = {**CONDITIONS, DNS_READY: deployment_dns.PENDING} if spec.dns else CONDITIONS
    if spec.dns is None:
        status = status.model_copy(update={"conditions": [c for c in status.conditions if c.type != DNS_READY]})
    dns_wait: str | None = None

    def done(status: DeploymentStatus, retry: Retry | None = None, changes: list[str] | None = None) -> Outcome:
        status = conclude(status, generation, conditions, READY_MESSAGE)
        if retry is None and dns_wait:
            retry = Retry(dns_wait, RETRY_SECONDS)
        return Outcome(status, retry=retry, changes=changes or [], commands=commands)

    def available(status: DeploymentStatus, value: str, reason: str, message: str) -> DeploymentStatus:
        return with_condition(status, AVAILABLE, value, reason, message, generation)

    async def event(type_: str, reason: str, message: str) -> None:
        await emit(deps.emit, Event(type_, reason, message))

    server = await deps.get_server(spec.server_ref.name)
    if server is None:
        message = (f"Server {spec.server_ref.name} does not exist in this namespace; create it, or point "
                   "spec.serverRef at an existing Server.")
        return done(available(status, "False", "ServerNotFound", message), Retry(message, 30.0))
    if not is_ready(server.status):
        status = available(status, "False", "ServerNotReady", f"Server {spec.server_ref.name} is not Ready yet.")
        return done(status, Retry("waiting for the Server", RETRY_SECONDS))
    try:
        target = releases.target(deployment, status.releases)
        check_services(target.services)
    except (releases.ReleaseNotKept, PlanError) as error:
        reason = "ReleaseNotKept" if isinstance(error, releases.ReleaseNotKept) else error.reason
        return done(available(status, "False", reason, str(error)))
    try:
        secrets = {ref: await keys.read(deps.read_secret, *ref) for ref in secret_refs(target.services)}
        logins = {name: await keys.read(deps.read_secret, name, PULL_SECRET_KEY) for name in pull_secrets(target.services)}
        names = {name for name, _ in secrets}
        versions = {n: await deps.secret_version(n) for n in names} if deps.secret_version else {}
    except (RemoteError, SecretError) as error:
        return done(available(status, "False", error.reason, error.message), Retry(error.message, RETRY_SECONDS))

    moving_from = releases.moving_from(status.server, spec.server_ref.name)
    previous = await deps.get_server(moving_from) if moving_from else None
    if moving_from and previous is None and any(s.volumes for s in target.services):
        message = (f"The app runs on Server {moving_from}, which is gone, so its data volumes cannot be copied to "
                   f"{spec.server_ref.name}. Recreate Server {moving_from}, or point spec.serverRef back at it.")
        return done(available(status, "False", "PreviousServerGone", message), Retry(message, RETRY_SECONDS))

    async def note(reason: str, message: str) -> None:
        await event("Normal", reason, message)

    address = server.spec.public_address or server.spec.address
    status = _with_dns_written(status, deps)
    dns_pass = await deployment_dns.publish(deployment, target.services, address, status, generation,
                                            _dns_context(deps, status))
    status, dns_wait = dns_pass.status, dns_pass.retry
    if deps.dns_written is not None and status.dns is not None:
        deps.dns_written[_key(deps)] = status.dns
    elif deps.dns_written is not None:  # removed with spec.dns: a later pass must not bring them back
        deps.dns_written.pop(_key(deps), None)
    inputs = Inputs(
        app=app, services=target.services, revision=target.revision, history=status.releases, secrets=secrets,
        secret_versions=versions, address=address, held_domains=dns_pass.held,
        probe=deps.probe or https.probe, images=target.images,
        archive=deps.source_archive(target.revision) if deps.source_archive and target.images is None else None,
        image_source=deps.image_source, base_sources=ImageSources.for_server(server.spec, deps.image_source),
        on_build_line=deps.on_build_line, note=note, drain_grace=deps.drain_grace, pull_logins=logins,
        refresh_images=spec.image_refresh is not None and spec.image_refresh != status.image_refresh,
        log_retention_days=server.spec.log_retention_days,
    )
    try:
        session = await open_session(server.spec, server.status, deps.read_secret, deps.pool)
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(deps.pool.lock(target_of(server.spec)))
            run = CommandRunner(session, server.spec.user, record=commands)
            client = await stack.enter_async_context(docker_client(session))
            old = await _open_old(stack, previous, deps) if moving_from and previous else None
            result = await deploy(inputs, client, run, old)
    except ImagePullFailed as error:  # a pushed tag, a fixed Secret or a registry back: retried
        built = with_condition(status, BUILT, "False", error.reason, error.message, generation)
        return done(built, Retry(error.message, 30.0))
    except BaseImageUnavailable as error:  # a source may get it (a mirror added): retried
        built = with_condition(status, BUILT, "False", error.reason, error.message, generation)
        return done(built, Retry(error.message, 30.0))
    except (BuildFailed, ContextError) as error:
        message = str(getattr(error, "message", error))
        reason = getattr(error, "reason", "BuildFailed")  # ImageCheckFailed names what the image lacks
        return done(with_condition(status, BUILT, "False", reason, message, generation))
    except ProxyUnavailable as error:
        return done(available(status, "False", ProxyUnavailable.reason, str(error)), Retry(str(error), RETRY_SECONDS))
    except RemoteError as error:
        retry = Retry(error.message, RETRY_SECONDS) if error.retryable else None
        return done(available(status, "False", error.reason, error.message), retry)

    status = with_condition(status, BUILT, "True", *_built(deployment, target.images, result.images), generation)
    status = status.model_copy(update={"image_refresh": spec.image_refresh})
    if result.known_failure is not None:
        bad = result.known_failure
        status = available(status, "False", bad.reason or "HealthCheckFailed",
                           f"Release {bad.number} failed and was rolled back: {bad.message}")
        return done(status, changes=result.changes)
    return await _record(status, deployment, target, result, moving_from, started_at, event, done, available)


async def _record(status: DeploymentStatus, deployment: Deployment, target: releases.Target, result: Pass,
                  moving_from: str | None, started_at: float, event, done, available) -> Outcome:
    """The pass as conditions, releases and events."""
    spec = deployment.spec
    outcome = result.rollout
    rolled = bool(outcome.started)
    history = list(status.releases)
    if outcome.failure is None:
        status = status.model_copy(update={"server": spec.server_ref.name})
        if moving_from:
            kept = (f"; its data volumes stay on {moving_from} until you remove them: {', '.join(result.moved)}"
                    if result.moved else "")
            await event("Normal", "Moved", f"moved from Server {moving_from} to {spec.server_ref.name}{kept}")
    if outcome.failure is not None:
        f = outcome.failure
        history = releases.failed(history, result.plans, target.revision, f.reason, f.message, spec.rollback_to, now(),
                                  result.base_images)
        _record_release("failed", started_at)
        metrics.ROLLBACKS.labels("automatic").inc()
        await event("Warning", f.reason, f.message)
        status = available(status.model_copy(update={"releases": history}), "False", f.reason, f.message)
        return done(status, changes=result.changes)
    history, released = releases.supersede(history, result.plans, target.services, result.images, target.revision,
                                           spec.rollback_to, now(), result.base_images)
    if released is not None:
        what = f"rollback to release {spec.rollback_to}" if spec.rollback_to else (target.revision or "images")
        await event("Normal", "Released", f"release {released.number} ({what}) is live")
        if spec.rollback_to:
            metrics.ROLLBACKS.labels("manual").inc()
    before = {s.name: s for s in status.services}
    services_status = [
        _carry_usage(ServiceStatus(name=s.name, state="Healthy" if s.healthy else "Unhealthy",
                                   image=s.image.split("@")[0], restarts=s.restarts, url=s.url), before.get(s.name))
        for s in outcome.services
    ]
    urls = [s.url for s in outcome.services if s.url]
    status = status.model_copy(update={"releases": history, "services": services_status, "urls": urls})
    if outcome.unhealthy:  # running this release already, but not answering its check
        if rolled:
            _record_release("unhealthy", started_at)
        message = "; ".join(f.message for f in outcome.unhealthy) + ". Hydron checks again at the next resync."
        return done(available(status, "False", "ServiceUnhealthy", message), Retry(message, RETRY_SECONDS), result.changes)
    answer = result.https
    assert answer is not None
    if not answer.healthy:
        if rolled:
            _record_release("unreachable", started_at)
        return done(available(status, "False", answer.reason, answer.message), Retry(answer.message, RETRY_SECONDS),
                    result.changes)
    if rolled:
        _record_release("succeeded", started_at)
    pinned = f" Pinned to release {spec.rollback_to} by spec.rollbackTo." if spec.rollback_to else ""
    public = f"; {answer.message}" if answer.message else ""
    message = f"{len(services_status)} service(s) healthy{public}.{pinned}"
    return done(available(status, "True", "Healthy", message), changes=result.changes)


async def observe(deployment: Deployment, deps: DeploymentDeps) -> list[ServiceStatus] | None:
    """Each service's state, restarts, CPU and memory as the server sees them now (no
    change on the server); None when there is nothing to look at yet (no Server, or no
    rollout so far). Also sets the per-service gauges."""
    server = await deps.get_server(deployment.spec.server_ref.name)
    if server is None or deployment.status is None or not deployment.status.services:
        return None
    app = app_name(deployment, deps.name)
    namespace = deps.namespace
    previous = {s.name: s for s in deployment.status.services}
    session = await open_session(server.spec, server.status, deps.read_secret, deps.pool)
    async with docker_client(session) as client:
        engine = Containers(client)
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


RESTARTING = "Restarting"


def health_condition(status: DeploymentStatus, services: list[ServiceStatus], generation: int | None) -> DeploymentStatus:
    """Available follows what `observe` saw: False naming the unhealthy services, True
    again once they recover (a condition a rollout set for another reason is left alone).
    Restarting says whether a service's current container has restarted (a crash loop in
    the making); it is no part of Ready, and the next release clears it."""
    sick = [s for s in services if s.state in ("Unhealthy", "Stopped")]
    available = next((c for c in status.conditions if c.type == AVAILABLE), None)
    conditions = restarting_condition(status.conditions, services, generation)
    if sick:
        names = ", ".join(f"{s.name} ({s.state.lower()}, {s.restarts or 0} restart(s))" for s in sick)
        conditions = set_condition(conditions, AVAILABLE, "False", "ServiceUnhealthy",
                                   f"Not serving as it should: {names}. See `kubectl hydron logs <app> SERVICE`.", generation)
    elif available is not None and available.reason == "ServiceUnhealthy":
        conditions = set_condition(conditions, AVAILABLE, "True", "Healthy", f"{len(services)} service(s) healthy again.", generation)
    else:
        return status.model_copy(update={"services": services, "conditions": conditions})
    status = status.model_copy(update={"services": services, "conditions": conditions})
    return conclude(status, generation, CONDITIONS, READY_MESSAGE)


def restarting_condition(conditions: list, services: list[ServiceStatus], generation: int | None) -> list:
    restarted = [s for s in services if (s.restarts or 0) > 0]
    if restarted:
        names = ", ".join(f"{s.name} ({s.restarts} time(s))" for s in restarted)
        return set_condition(conditions, RESTARTING, "True", "ServiceRestarting",
                             f"Restarted since their release: {names}. See `kubectl hydron logs <app> SERVICE`.",
                             generation)
    if any(c.type == RESTARTING for c in conditions) or services:
        return set_condition(conditions, RESTARTING, "False", "NoRestarts",
                             "No service has restarted since its release.", generation)
    return conditions


async def tear_down(deployment: Deployment, deps: DeploymentDeps) -> bool:
    """Remove the app's DNS records, routes and containers (deletionPolicy Delete);
    images stay. False when there was no server to reach (the Server is gone). A DNS
    server refusing to remove the records raises DnsError: the caller retries."""
    if deployment.spec.deletion_policy == "Orphan":
        return True
    current = _with_dns_written(deployment.status or DeploymentStatus(), deps)
    await deployment_dns.withdraw(deployment.model_copy(update={"status": current}), _dns_context(deps, current))
    if deps.dns_written is not None:
        deps.dns_written.pop(_key(deps), None)
    server = await deps.get_server(deployment.spec.server_ref.name)
    if server is None:
        return False
    app = app_name(deployment, deps.name)
    session = await open_session(server.spec, server.status, deps.read_secret, deps.pool)
    async with deps.pool.lock(target_of(server.spec)):
        run = CommandRunner(session, server.spec.user)
        async with docker_client(session) as client:
            await rollout.tear_down(app, network_name(app), Containers(client), Proxy(run))
    return True


# --- helpers -----------------------------------------------------------------------


def _key(deps: DeploymentDeps) -> str:
    return f"{deps.namespace}/{deps.name}"


def _with_dns_written(status: DeploymentStatus, deps: DeploymentDeps) -> DeploymentStatus:
    """The status with the DNS part this process wrote last, when the body predates it."""
    written = deps.dns_written.get(_key(deps)) if deps.dns_written is not None else None
    return status if written is None else status.model_copy(update={"dns": written})


def _dns_context(deps: DeploymentDeps, status: DeploymentStatus | None) -> DnsContext:
    """How the DNS part reads the TSIG Secret, writes DNSEndpoints and records what it
    is about to write (durably: the update must not go out unrecorded)."""

    async def record(dns_status) -> None:
        current = status or DeploymentStatus()
        if deps.dns_written is not None:
            deps.dns_written[_key(deps)] = dns_status
        await emit(deps.emit, LiveStatus(current.model_copy(update={"dns": dns_status}), durable=True))

    return DnsContext(deps.name, deps.read_secret, deps.dns_endpoints, record)


async def _open_old(stack: AsyncExitStack, server: Server, deps: DeploymentDeps) -> Host:
    """The server an app is moving away from, opened for the move."""
    session = await open_session(server.spec, server.status, deps.read_secret, deps.pool)
    client = await stack.enter_async_context(docker_client(session))
    return Host(Containers(client), CommandRunner(session, server.spec.user))


def _built(deployment: Deployment, kept: dict[str, str] | None, images: dict[str, str]) -> tuple[str, str]:
    """Built's reason and message."""
    spec = deployment.spec
    if kept is not None:
        return "ReleaseImages", f"Running the kept images of release {spec.rollback_to}; nothing to build."
    built = [s.name for s in spec.services if s.build is not None]
    pinned = [f"{s.name} {images[s.name]}" for s in spec.services if s.image_pull and s.name in images]
    pins = f" Pulled and pinned: {', '.join(pinned)}." if pinned else ""
    if not built:
        return "ImagesBuilt", f"{len(images)} service(s) run images as given; nothing to build.{pins}"
    return "ImagesBuilt", f"{len(built)} image(s) built and verified for {spec.source_revision or 'the source'}."


def pull_secrets(services) -> list[str]:
    """The pull Secrets (kubernetes.io/dockerconfigjson) the services' imagePull names, once each."""
    names = [s.image_pull.secret_ref.name for s in services if s.image_pull and s.image_pull.secret_ref]
    return list(dict.fromkeys(names))


def _carry_usage(fresh: ServiceStatus, before: ServiceStatus | None) -> ServiceStatus:
    """Keep the last CPU and memory reading `observe` made until it makes the next."""
    if before is None:
        return fresh
    return fresh.model_copy(update={"cpu_percent": before.cpu_percent, "memory_mi_b": before.memory_mi_b})


def _record_release(result: str, started_at: float) -> None:
    metrics.DEPLOY_SECONDS.labels(result).observe(time.monotonic() - started_at)
    metrics.RELEASES.labels(result).inc()


def _current(service: str, observed):
    """The service's container to report on: the running one, else the newest seen."""
    mine = [o for o in observed if o.service == service]
    return next((o for o in mine if o.running), mine[-1] if mine else None)


async def _nothing() -> dict:
    return {}


