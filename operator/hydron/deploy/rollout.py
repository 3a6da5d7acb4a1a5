"""The rollout executor: containers in dependency order, each healthy before the next;
routes switched to a new container only once it is healthy; the old one stopped only
after the switch. A service whose new container fails its health check is rolled
back on the spot: the new container is removed, the old one never stopped serving.

Kamal's order, per service: start new beside old → wait healthy → switch the proxy
upstream atomically → stop old (SIGTERM with a bounded grace so requests in flight
finish). Services with data volumes are the exception: two copies must not share
the files, so the old one stops first (a short outage, as for Kamal's accessories).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hydron.deploy import routes
from hydron.deploy.engine import Engine, Observed
from hydron.deploy.health import wait_healthy
from hydron.deploy.plan import ContainerPlan
from hydron.deploy.proxy import Proxy
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


def url_for(plan: ContainerPlan, https: bool = True) -> str | None:
    return f"{'https' if https else 'http'}://{plan.domains[0]}/" if plan.domains else None


async def roll_out(
    app: str,
    plans: Sequence[ContainerPlan],
    engine: Engine,
    run: CommandRunner,
    proxy: Proxy,
    *,
    drain_grace: float = DRAIN_GRACE,
    note: Note | None = None,
) -> Outcome:
    """Bring the server's containers and routes to `plans`; see the module docstring."""
    outcome = Outcome()
    say = note or (lambda *_: None)
    if not plans:
        return outcome
    network = plans[0].network
    await engine.ensure_network(network, app)
    observed = await engine.containers(app, network)
    wanted_routes: dict[str, dict] = {}
    for plan in plans:
        mine = [o for o in observed if o.service == plan.service]
        current = next((o for o in mine if o.digest == plan.digest and o.running), None)
        # A stopped container under the new name is replaced by start(); never drain it later.
        old = [o for o in mine if o is not current and o.name != plan.name]
        paused: list[str] = []
        if current is None:
            if plan.shares_data:
                for o in old:
                    if o.running:
                        await engine.stop(o.name, grace=drain_grace)
                        paused.append(o.name)
            say("Normal", "Starting", f"starting {plan.name} for service {plan.service}")
            await engine.start(plan)
            outcome.started.append(plan.name)
            verdict = await wait_healthy(plan, engine, run)
            if not verdict.healthy:
                tail = await engine.log_tail(plan.name, LOG_LINES)
                await engine.remove(plan.name, grace=0)
                for name in paused:  # a data service stopped for the new one: back it comes
                    await engine.resume(name)
                message = f"service {plan.service}: {verdict.message}"
                message += "; the previous release keeps serving." if any(o.running for o in old) else "."
                if tail:
                    message += f" Last log lines: {tail[-600:]}"
                outcome.failure = Failure(plan.service, verdict.reason, message)
                return outcome
            current = await engine.get(plan.name, network)
            assert current is not None
        if plan.domains and plan.port:
            if current.ip is None:
                outcome.failure = Failure(plan.service, "NoAddress", f"{current.name} has no address on {network}")
                return outcome
            wanted_routes[plan.service] = routes.route(app, plan.service, plan.domains, f"{current.ip}:{plan.port}")
        # Switch this service's route now (others' routes as they are), then drain the old.
        keep = {p.service for p in plans}
        if await proxy.apply(routes.merged(await proxy.config(), app, wanted_routes, keep=keep - set(wanted_routes))):
            outcome.routes_changed = True
        await _stop_all(engine, old, drain_grace, outcome)
        outcome.services.append(ServiceState(
            plan.service, current.name, plan.image, True, current.restarts, url_for(plan),
        ))
    # Services gone from the spec: their routes, then their containers.
    if await proxy.apply(routes.merged(await proxy.config(), app, wanted_routes)):
        outcome.routes_changed = True
    names = {p.service for p in plans}
    await _stop_all(engine, [o for o in observed if o.service not in names], drain_grace, outcome)
    return outcome


async def _stop_all(engine: Engine, containers: Sequence[Observed], grace: float, outcome: Outcome) -> None:
    for container in containers:
        if await engine.remove(container.name, grace=grace):
            outcome.stopped.append(container.name)


async def tear_down(app: str, network: str, engine: Engine, proxy: Proxy) -> None:
    """Remove the app's routes and containers (deletionPolicy Delete)."""
    await proxy.apply(routes.merged(await proxy.config(), app, {}))
    for container in await engine.containers(app, network):
        await engine.remove(container.name, grace=DRAIN_GRACE)
