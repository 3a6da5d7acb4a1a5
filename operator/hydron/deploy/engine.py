"""One deployment pass on an opened server: build → move data → roll out → probe.

The Deployment controller opens the server (and the old one when the app moves),
reads secrets, and hands over `Inputs`; this engine does the work and returns a
`Pass` saying what happened, which the controller maps to conditions, releases and
events. No Kubernetes here, and no status: the same engine serves the operator, the
benchmarks and the tests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import docker

from hydron import metrics
from hydron.api.deployment import BaseImagePin, DeployService, Release
from hydron.build.delivery import ImageSources, ensure_base_images, images_for_builds
from hydron.build.services import BuildLine, Note, service_images
from hydron.deploy import keptlogs, releases, rollout
from hydron.deploy.containers import Containers
from hydron.deploy.health import Verdict
from hydron.deploy.move import copy_volume
from hydron.deploy.plan import ContainerPlan, network_name, plan_rollout
from hydron.deploy.proxy import Proxy
from hydron.remote.images import ImageSource
from hydron.remote.runner import CommandRunner

Probe = Callable[[str, str, str], Awaitable[Verdict]]
"""probe(address, domain, path): one HTTPS request through the proxy, as a user makes it."""


@dataclass(frozen=True)
class Host:
    """A server opened for the pass: its containers and its command runner."""

    containers: Containers
    run: CommandRunner


@dataclass
class Inputs:
    """Everything one pass acts on (secret values included: they go only into the
    containers' environment)."""

    app: str
    services: Sequence[DeployService]
    revision: str | None
    history: Sequence[Release]
    secrets: Mapping[tuple[str, str], str]
    secret_versions: Mapping[str, str]
    address: str
    """Where the probe sends its HTTPS requests: the server's public address."""
    probe: Probe
    images: dict[str, str] | None = None
    """A kept release's images (a rollback): nothing is built."""
    archive: Path | None = None
    image_source: ImageSource | None = None
    base_sources: ImageSources | None = None
    """Where the builds' base images come from (the Server's registries, a pull, the operator)."""
    on_build_line: BuildLine | None = None
    note: Note | None = None
    pull_logins: Mapping[str, str] = field(default_factory=dict, repr=False)
    """A pull Secret's name → its .dockerconfigjson (for imagePull services)."""
    refresh_images: bool = False
    """Look up the tags of imagePull services again (spec.imageRefresh changed)."""
    drain_grace: float = rollout.DRAIN_GRACE
    held_domains: frozenset[str] = frozenset()
    """Domains kept off the proxy (and so off the ACME CA) until their DNS record answers."""
    log_retention_days: int = keptlogs.DEFAULT_RETENTION_DAYS
    """How long replaced containers' logs are kept on the server."""


@dataclass
class Pass:
    """What one pass did and found."""

    images: dict[str, str]
    plans: list[ContainerPlan]
    digest: str
    base_images: list[BaseImagePin] = field(default_factory=list)
    """The base images the builds used, pinned (empty when nothing was built)."""
    known_failure: Release | None = None
    """This exact release failed before: nothing was started."""
    rollout: rollout.Outcome = field(default_factory=rollout.Outcome)
    https: Verdict | None = None
    """Every public service answering through the proxy (None when not probed)."""
    moved: list[str] | None = None
    """The data volumes copied from the old server (None unless the app moved)."""
    changes: list[str] = field(default_factory=list)


async def deploy(inputs: Inputs, client: docker.DockerClient, run: CommandRunner, old: Host | None = None) -> Pass:
    """Run one pass. Raises BuildFailed/ContextError when an image cannot be built and
    RemoteError/ProxyUnavailable when the server fails; the old server keeps serving
    (and keeps its data) whenever the new one fails."""
    containers = Containers(client, before_remove=keptlogs.keeper(run, inputs.log_retention_days))
    images = inputs.images
    base: list[BaseImagePin] = []
    if images is None:
        with metrics.stage("base-images"):
            base = await _base_images(inputs, run)
        with metrics.stage("build"):
            images = await service_images(
                client, run, inputs.app, inputs.services, inputs.revision, inputs.archive,
                image_source=inputs.image_source, on_line=inputs.on_build_line, note=inputs.note,
                pull_logins=inputs.pull_logins, refresh=inputs.refresh_images,
            )
    plans = plan_rollout(inputs.app, inputs.services, images, inputs.secrets, inputs.revision, inputs.secret_versions)
    digest = releases.digest(plans)
    done = Pass(images, plans, digest, base, known_failure=releases.known_failure(inputs.history, digest))
    if done.known_failure is not None:
        done.changes = containers.changes
        return done
    paused = await _move_data(inputs.app, plans, old, Host(containers, run), inputs.drain_grace) if old else []
    routed = _without_domains(plans, inputs.held_domains)
    done.rollout = await rollout.roll_out(inputs.app, routed, containers, run, Proxy(run), drain_grace=inputs.drain_grace)
    if old is not None and done.rollout.failure is not None:
        for name in paused:  # the new server failed: the old one serves on with its data
            await old.containers.resume(name)
    elif old is not None:
        await rollout.tear_down(inputs.app, network_name(inputs.app), old.containers, Proxy(old.run))
        done.moved = [volume for plan in plans for volume, _ in plan.volumes]
    done.changes = (containers.changes + (["caddy routes loaded"] if done.rollout.routes_changed else [])
                    + [f"upstream of {s} switched" for s in done.rollout.switched])
    if done.rollout.failure is None and not done.rollout.unhealthy:
        with metrics.stage("https-check"):
            done.https = await answers_over_https(inputs.address, routed, inputs.probe)
    return done


def _without_domains(plans: Sequence[ContainerPlan], held: frozenset[str]) -> list[ContainerPlan]:
    """The plans with the held domains left out of their routes."""
    if not held:
        return list(plans)
    return [replace(p, domains=tuple(d for d in p.domains if d.lower().rstrip(".") not in held)) for p in plans]


async def _base_images(inputs: Inputs, run: CommandRunner) -> list[BaseImagePin]:
    """Every base image the builds need is on the server before the first build starts
    (BaseImageUnavailable, naming the sources tried, when none has one)."""
    builds = [s.build for s in inputs.services if s.build is not None]
    if not builds or inputs.archive is None or inputs.base_sources is None:
        return []
    needed = images_for_builds(inputs.archive, builds)
    report = await ensure_base_images(run, needed, inputs.base_sources, note=inputs.note)
    return report.release_pins()


async def answers_over_https(address: str, plans: Sequence[ContainerPlan], probe: Probe) -> Verdict:
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


def _moved_already(service: str, observed_old: Sequence, observed_new: Sequence) -> bool:
    """The service's data lives on the new server now: it runs there, and the old server has
    no container of it left (a finished move tears the old one down). A pass that finished
    the move but not its status (killed right after, or a pass that read the status from
    before) must not copy the old, stale volume over what the app has written since. A
    move cut off before its tear-down still has the old container, stopped: the old volume
    is the one that counts, and it is copied again."""
    on_old = any(c.service == service for c in observed_old)
    running_new = any(c.service == service and c.running for c in observed_new)
    return running_new and not on_old


async def _move_data(app: str, plans: Sequence[ContainerPlan], old: Host, new: Host, grace: float) -> list[str]:
    """Stop the old server's data services and copy their volumes to the new server.
    Returns the containers stopped, to start again if the new server fails: with those an
    earlier pass stopped and never got to start again (killed mid-copy), so a move that
    fails leaves the old server serving with its data, whichever pass began it."""
    network = network_name(app)
    observed_old = await old.containers.containers(app, network)
    observed_new = await new.containers.containers(app, network)
    paused: list[str] = []
    try:
        for plan in plans:
            if not plan.volumes or _moved_already(plan.service, observed_old, observed_new):
                continue
            olds = [c for c in observed_old if c.service == plan.service]
            for container in olds:
                if container.running:
                    await old.containers.stop(container.name, grace=grace)
                    paused.append(container.name)
                elif len(olds) == 1:  # stopped by an earlier pass that never finished: resumed with the rest
                    paused.append(container.name)
            for container in observed_new:  # an earlier attempt's copy must not run while its files are replaced
                if container.service == plan.service:
                    await new.containers.remove(container.name, grace=grace)
            for volume, _ in plan.volumes:
                await copy_volume(volume, old.run, new.run)
    except Exception:
        for name in paused:
            await old.containers.resume(name)
        raise
    return paused
