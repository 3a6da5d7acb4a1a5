"""Fixtures for provisioning real fresh servers (containers from the Docker test bed).

`hosts(n)` starts fresh servers like `fresh_servers(n)` does and pairs each with its
container, for setup and inspection by the test's own hand.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import docker
import pytest

from hydron.api.server import Server
from hydron.controllers.server import ReconcileResult, ServerRuntime, reconcile
from hydron.provisioning.images import LocalEngine
from hydron.provisioning.settings import ProvisioningSettings
from hydron.remote.pool import ConnectionPool
from tests.support.docker_bed import NETWORK, FreshServer, FreshServers, ensure_network, remove_stale_containers

@dataclass
class Host:
    """A fresh server and the container behind it (for test setup and inspection)."""

    fresh: FreshServer
    container: docker.models.containers.Container

    def sh(self, script: str, check: bool = True) -> str:
        """Run a shell script in the container, as the test's own hand on the machine."""
        code, out = self.container.exec_run(["sh", "-c", script])
        text = out.decode(errors="replace")
        if check:
            assert code == 0, f"`{script}` exited {code}: {text}"
        return text

    @property
    def ip(self) -> str:
        self.container.reload()
        return self.container.attrs["NetworkSettings"]["Networks"][NETWORK]["IPAddress"]

    @property
    def name(self) -> str:
        return self.fresh.name

    def read_secret(self, name: str, key: str) -> str:
        return self.fresh.private_key_pem

    def server(self, **spec) -> Server:
        base = {
            "address": self.fresh.address,
            "port": self.fresh.port,
            "publicAddress": self.ip,  # SSH comes through a mapped port; users reach the container
            "user": self.fresh.user,
            "sshKeySecretRef": {"name": "server-ssh", "key": "ssh-privatekey"},
        }
        return Server.model_validate({"spec": {**base, **spec}})


@pytest.fixture(scope="session")
def hosts(docker_client, base_images) -> Callable[[int], list[Host]]:
    remove_stale_containers(docker_client)
    ensure_network(docker_client)
    factory = FreshServers(docker_client)

    def start(n: int = 1) -> list[Host]:
        made = []
        for fresh in factory(n):
            container = docker_client.containers.get(fresh.container_id)
            made.append(Host(fresh, container))
        return made

    yield start
    factory.close()


class Events(list):
    """Records post_event calls: (type, reason, message)."""

    def __call__(self, type_: str, reason: str, message: str) -> None:
        self.append((type_, reason, message))

    def reasons(self) -> list[str]:
        return [reason for _, reason, _ in self]


def make_runtime(docker_client) -> ServerRuntime:
    return ServerRuntime(pool=ConnectionPool(), settings=ProvisioningSettings(image_source=LocalEngine(docker_client)))


@pytest.fixture
async def runtime(docker_client):
    made = make_runtime(docker_client)
    yield made
    await made.pool.close()


async def run_reconcile(host: Host, server: Server, runtime: ServerRuntime, events: Events | None = None) -> ReconcileResult:
    return await reconcile(server, 1, read_secret=host.read_secret, post_event=events, runtime=runtime)


def with_status(server: Server, result: ReconcileResult) -> Server:
    """The resource as the next reconcile would read it back from the API server."""
    return server.model_copy(update={"status": result.status})


def condition(result: ReconcileResult, type_: str):
    return next(c for c in result.status.conditions if c.type == type_)


def step(result: ReconcileResult, name: str):
    return next(s for s in result.status.steps if s.name == name)


async def eventually(check: Callable[[], bool], timeout: float = 60.0, interval: float = 0.2) -> None:
    """Poll until check() holds, with a deadline (never a fixed sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        if await asyncio.to_thread(check):
            return
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        await asyncio.sleep(interval)
