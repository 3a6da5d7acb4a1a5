"""The rollout executor: new containers in dependency order, each healthy before the
next; upstreams switched only once the whole release is healthy (an nftables change per
service; Caddy's configuration is loaded only when routes themselves change, see
hydron.deploy.upstreams); the old containers stopped only after the switch. A release with a service that fails
its health check is rolled back on the spot: every container it started is removed,
and the old ones never stopped serving.

Kamal's order (start new beside old → wait healthy → switch the proxy upstream
atomically → stop old with a bounded grace so requests in flight finish), applied to
the release as a whole rather than service by service. Services with data volumes
are the exception: two copies must not share the files, so the old one stops first
(a short outage, as for Kamal's accessories) and starts again if the release fails.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hydron import metrics
from hydron.deploy import routes, upstreams
from hydron.deploy.containers import Containers, Observed
from hydron.deploy.health import wait_healthy
from hydron.deploy.plan import ContainerPlan
from hydron.deploy.proxy import Proxy, Upstreams
from hydron.remote.runner import CommandRunner

DRAIN_GRACE = 10
"""Seconds an old container gets after SIGTERM to finish requests in flight."""
LOG_LINES = 15

Note = Callable[[str, str, str], None]
"""note(type, reason, message): progress for events."""


@dataclass(frozen=True)
class Failure:
    service: str
    reason: str
    message: str


@dataclass(frozen=True)
class ServiceState:
    name: str
    container: str
    image: str
    healthy: bool
    restarts: int
    url: str | None = None


@dataclass
class Outcome:
    services: list[ServiceState] = field(default_factory=list)
    failure: Failure | None = None
    started: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    routes_changed: bool = False
    """Caddy's configuration was loaded (a route or domain appeared, changed or went)."""
    switched: list[str] = field(default_factory=list)
    """Services whose upstream now leads to another container."""
    unhealthy: list[Failure] = field(default_factory=list)
    """Containers already running this release that do not pass their check (stuck,
    or restarted and failing). They are left as they are; the rest rolls out."""


def url_for(plan: ContainerPlan, https: bool = True) -> str | None:
    return f"{'https' if https else 'http'}://{plan.domains[0]}/" if plan.domains else None


@dataclass
class _Step:
    """One service in this rollout: its container to serve, and what it replaces."""

    plan: ContainerPlan
    current: Observed
    old: list[Observed]
    started: bool = False
    paused: list[str] = field(default_factory=list)
    healthy: bool = True


async def roll_out(
    app: str,
    plans: Sequence[ContainerPlan],
    engine: Containers,
    run: CommandRunner,
    proxy: Proxy,
    *,
    drain_grace: float = DRAIN_GRACE,
    note: Note | None = None,
) -> Outcome:
    """Bring the server's containers and routes to `plans`; see the module docstring.

    The release is all or nothing: every new container is started and healthy (in
    dependency order) before any route moves, so a release whose third service fails
    leaves the first two on their old containers too.
    """
    outcome = Outcome()
    say = note or (lambda *_: None)
    if not plans:
        return outcome
    network = plans[0].network
    await engine.ensure_network(network, app)
    observed = await engine.containers(app, network)
    steps: list[_Step] = []
    for plan in plans:  # 1. start what is new, each healthy before the next
        mine = [o for o in observed if o.service == plan.service]
        current = next((o for o in mine if o.digest == plan.digest and o.running), None)
        # A stopped container under the new name is replaced by start(); never drain it later.
        old = [o for o in mine if o is not current and o.name != plan.name]
        if current is not None:
            # Running already, perhaps only just restarted (with a new address): route
            # to it once it answers.
            verdict = await wait_healthy(plan, engine, run, restarts_before=current.restarts)
            seen = await engine.get(plan.name, network) if verdict.healthy else None
            if seen is None:
                outcome.unhealthy.append(Failure(plan.service, verdict.reason, f"service {plan.service}: {verdict.message}"))
            steps.append(_Step(plan, seen or current, old, healthy=seen is not None))
            continue
        step = _Step(plan, current, old, started=True)  # type: ignore[arg-type]
        steps.append(step)
        if plan.shares_data:
            for o in old:
                if o.running:
                    await engine.stop(o.name, grace=drain_grace)
                    step.paused.append(o.name)
        say("Normal", "Starting", f"starting {plan.name} for service {plan.service}")
        with metrics.stage("start"):
            await engine.start(plan)
        outcome.started.append(plan.name)
        with metrics.stage("health"):
            verdict = await wait_healthy(plan, engine, run)
        seen = await engine.get(plan.name, network) if verdict.healthy else None
        if seen is None or (plan.domains and plan.port and seen.ip is None):
            tail = await engine.log_tail(plan.name, LOG_LINES)
            await _undo(engine, steps)
            message = f"service {plan.service}: " + (verdict.message if not verdict.healthy else f"no address on {network}")
            message += "; the previous release keeps serving." if any(o.running for o in old) else "."
            if tail:
                message += f" Last log lines: {tail[-600:]}"
            outcome.failure = Failure(plan.service, verdict.reason if not verdict.healthy else "NoAddress", message)
            return outcome
        step.current = seen
    # 2. every service is ready: switch the upstreams, then load routes only if they changed
    # (and drop routes of services gone from the spec)
    with metrics.stage("switch"):
        await _switch(app, steps, proxy, Upstreams(run), outcome)
    # 3. drain what the new release replaced, and the containers of services gone from the spec
    for step in steps:
        with metrics.stage("drain"):
            await _stop_all(engine, step.old, drain_grace, outcome)
        outcome.services.append(ServiceState(
            step.plan.service, step.current.name, step.plan.image, step.healthy, step.current.restarts, url_for(step.plan),
        ))
    names = {p.service for p in plans}
    await _stop_all(engine, [o for o in observed if o.service not in names], drain_grace, outcome)
    return outcome


async def _switch(app: str, steps: Sequence[_Step], proxy: Proxy, ups: Upstreams, outcome: Outcome) -> None:
    """Point each public service's virtual address at its container, then load Caddy's
    routes if (only if) a route, domain or port changed; forget addresses of routes gone."""
    config = await proxy.config()
    current = routes.app_routes(config, app)
    taken = routes.upstream_hosts(config)
    wanted: dict[str, routes.Config] = {}
    for step in steps:
        plan = step.plan
        if not (plan.domains and plan.port and step.current.ip):
            continue
        virtual = routes.upstream_host(current.get(plan.service))
        if not upstreams.is_virtual(virtual):  # new, or routed straight to a container before
            virtual = upstreams.allocate(app, plan.service, taken)
            taken.add(virtual)
        if await ups.point(app, plan.service, virtual, step.current.ip):  # type: ignore[arg-type]
            outcome.switched.append(plan.service)
        wanted[plan.service] = routes.route(app, plan.service, plan.domains, f"{virtual}:{plan.port}")
    if await proxy.apply(routes.merged(config, app, wanted)):
        outcome.routes_changed = True
    for service, route_config in current.items():
        if service not in wanted and upstreams.is_virtual(virtual := routes.upstream_host(route_config)):
            await ups.forget(app, service, virtual)  # type: ignore[arg-type]


async def _undo(engine: Containers, steps: Sequence[_Step]) -> None:
    """A service of the new release failed: remove every container this rollout
    started and start again the data services it stopped. No route moved yet, so the
    previous release never stopped serving."""
    for step in reversed(steps):
        if step.started:
            await engine.remove(step.plan.name, grace=0)
        for name in step.paused:
            await engine.resume(name)


async def _stop_all(engine: Containers, containers: Sequence[Observed], grace: float, outcome: Outcome) -> None:
    for container in containers:
        if await engine.remove(container.name, grace=grace):
            outcome.stopped.append(container.name)


async def tear_down(app: str, network: str, engine: Containers, proxy: Proxy) -> None:
    """Remove the app's routes, upstream addresses and containers (deletionPolicy Delete)."""
    config = await proxy.config()
    await proxy.apply(routes.merged(config, app, {}))
    ups = Upstreams(proxy.run)
    for service, route_config in routes.app_routes(config, app).items():
        if upstreams.is_virtual(virtual := routes.upstream_host(route_config)):
            await ups.forget(app, service, virtual)  # type: ignore[arg-type]
    for container in await engine.containers(app, network):
        await engine.remove(container.name, grace=DRAIN_GRACE)
