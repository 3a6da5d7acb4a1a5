"""The app's containers on the server's Docker engine, through the docker SDK on the
forwarded socket (see hydron.build.tunnel).

Secret values travel inside the API request that creates the container, never in a
command line, label or log. Every call that changes the engine is recorded in
`changes`, so "a second reconcile starts/stops nothing" is a number a test reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import docker
import docker.errors

from hydron.deploy.plan import APP_LABEL, DIGEST_LABEL, SERVICE_LABEL, ContainerPlan


@dataclass(frozen=True)
class Observed:
    """One of the app's containers as the engine reports it."""

    name: str
    service: str
    digest: str
    running: bool
    health: str | None
    """Docker's own health status when the image declares one."""
    ip: str | None
    restarts: int
    image: str
    exit_code: int | None


@dataclass
class Containers:
    client: docker.DockerClient
    changes: list[str] = field(default_factory=list)
    before_remove: Callable[[str, str, str], Awaitable[None]] | None = None
    """Called with (name, app, service) before a replaced container is removed: its logs are kept."""

    async def _call(self, fn, *args, **kwargs):
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def ensure_network(self, name: str, app: str) -> None:
        found = await self._call(self.client.networks.list, names=[name])
        if any(n.name == name for n in found):
            return
        self.changes.append(f"create network {name}")
        await self._call(self.client.networks.create, name, driver="bridge", labels={APP_LABEL: app})

    async def containers(self, app: str, network: str) -> list[Observed]:
        found = await self._call(self.client.containers.list, all=True, filters={"label": f"{APP_LABEL}={app}"})
        return [_observed(c, network) for c in found]

    async def get(self, name: str, network: str) -> Observed | None:
        try:
            return _observed(await self._call(self.client.containers.get, name), network)
        except docker.errors.NotFound:
            return None

    async def start(self, plan: ContainerPlan) -> None:
        """Create and start the container (a leftover of the same name is removed)."""
        await self.remove(plan.name, grace=0, record=False)
        self.changes.append(f"start {plan.name}")
        kwargs = dict(
            image=plan.image, name=plan.name, command=list(plan.command) or None, environment=dict(plan.env),
            labels=plan.labels, detach=True, network=plan.network, restart_policy={"Name": "unless-stopped"},
            volumes={vol: {"bind": path, "mode": "rw"} for vol, path in plan.volumes} or None,
            # The service name as a DNS alias on the app network: other services say `db`.
            networking_config={plan.network: self.client.api.create_endpoint_config(aliases=[plan.service])},
        )
        if plan.memory_mib:
            kwargs["mem_limit"] = f"{plan.memory_mib}m"
        if plan.cpus:
            kwargs["nano_cpus"] = int(plan.cpus * 1e9)
        container = await self._call(self.client.containers.create, **kwargs)
        await self._call(container.start)

    async def remove(self, name: str, grace: float = 10, record: bool = True) -> bool:
        """Stop (SIGTERM, then SIGKILL after `grace` seconds) and remove."""
        try:
            container = await self._call(self.client.containers.get, name)
        except docker.errors.NotFound:
            return False
        if record:
            self.changes.append(f"remove {name}")
            if self.before_remove is not None:
                labels = container.labels or {}
                await self.before_remove(name, labels.get(APP_LABEL, ""), labels.get(SERVICE_LABEL, ""))
        if container.status == "running":
            await self._call(container.stop, timeout=int(grace))
        await self._call(container.remove, force=True)
        return True

    async def stop(self, name: str, grace: float = 10) -> None:
        """Stop but keep (a data service's old container, until its successor is healthy)."""
        container = await self._call(self.client.containers.get, name)
        self.changes.append(f"stop {name}")
        await self._call(container.stop, timeout=int(grace))

    async def resume(self, name: str) -> None:
        container = await self._call(self.client.containers.get, name)
        self.changes.append(f"start {name}")
        await self._call(container.start)

    async def log_tail(self, name: str, lines: int = 20) -> str:
        try:
            container = await self._call(self.client.containers.get, name)
            raw = await self._call(container.logs, tail=lines)
        except docker.errors.NotFound:
            return ""
        return raw.decode("utf-8", "replace").strip()

    async def stats(self, name: str) -> dict:
        """One sample of the container's CPU and memory (the engine samples twice, about a
        second apart, so CPU is a rate); empty when the container is gone."""
        try:
            return await self._call(self.client.api.stats, name, stream=False)
        except docker.errors.NotFound:
            return {}

    async def exec_status(self, name: str, command: list[str], timeout: float) -> int:
        """Run a command in the container; its exit status (output is never kept: a
        health command may print what it connected with)."""
        container = await self._call(self.client.containers.get, name)
        result = await asyncio.wait_for(self._call(container.exec_run, command), timeout + 5)
        return result.exit_code


def _observed(container, network: str) -> Observed:
    attrs = container.attrs
    state = attrs.get("State") or {}
    labels = (attrs.get("Config") or {}).get("Labels") or {}
    nets = (attrs.get("NetworkSettings") or {}).get("Networks") or {}
    return Observed(
        name=container.name,
        service=labels.get(SERVICE_LABEL, ""),
        digest=labels.get(DIGEST_LABEL, ""),
        running=bool(state.get("Running")) and not state.get("Restarting"),
        health=(state.get("Health") or {}).get("Status"),
        ip=(nets.get(network) or {}).get("IPAddress") or None,
        restarts=int(attrs.get("RestartCount") or 0),
        image=(attrs.get("Config") or {}).get("Image", ""),
        exit_code=None if state.get("Running") else state.get("ExitCode"),
    )
