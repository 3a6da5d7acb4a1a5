"""Driving the controllers in-process against test-bed servers, with no API server:
a runtime wired to this machine's Docker engine, a Server reconcile with the Host's
key, the resource as the next reconcile reads it back, and what the result says."""

from __future__ import annotations

import docker

from hydron.api.server import Server
from hydron.controllers.server import ReconcileResult, ServerRuntime, reconcile
from hydron.provisioning.images import LocalEngine
from hydron.provisioning.settings import ProvisioningSettings
from hydron.remote.pool import ConnectionPool
from hydron_testbed.servers import Host


class Events(list):
    """Records post_event calls: (type, reason, message)."""

    def __call__(self, type_: str, reason: str, message: str) -> None:
        self.append((type_, reason, message))

    def reasons(self) -> list[str]:
        return [reason for _, reason, _ in self]


def make_runtime(docker_client: docker.DockerClient) -> ServerRuntime:
    """A runtime whose base images come from this machine's engine (no registry here);
    close its pool when done."""
    return ServerRuntime(pool=ConnectionPool(), settings=ProvisioningSettings(image_source=LocalEngine(docker_client)))


async def run_reconcile(host: Host, server: Server, runtime: ServerRuntime, events: Events | None = None) -> ReconcileResult:
    return await reconcile(server, 1, read_secret=host.read_secret, post_event=events, runtime=runtime)


def with_status(server: Server, result: ReconcileResult) -> Server:
    """The resource as the next reconcile would read it back from the API server."""
    return server.model_copy(update={"status": result.status})


def condition(result: ReconcileResult, type_: str):
    return next(c for c in result.status.conditions if c.type == type_)


def step(result: ReconcileResult, name: str):
    return next(s for s in result.status.steps if s.name == name)
