"""Driving the controllers in-process against test-bed servers, with no API server:
Server deps wired to this machine's Docker engine, a Server reconcile with the Host's
key, Deployment deps over a provisioned server and a source archive, the resource as
the next reconcile reads it back, and what the outcome says."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import docker

from hydron.api.server import Server
from hydron.controllers.common import Event, Outcome
from hydron.controllers.deployment import DeploymentDeps
from hydron.controllers.server import ServerDeps, reconcile
from hydron.remote.images import LocalEngine
from hydron.provisioning.settings import ProvisioningSettings
from hydron.remote.pool import ConnectionPool
from hydron_testbed.servers import Host


class Events(list):
    """Records the Event effects a controller emits, as (type, reason, message)."""

    def __call__(self, effect) -> None:
        if isinstance(effect, Event):
            self.append((effect.type, effect.reason, effect.message))

    def reasons(self) -> list[str]:
        return [reason for _, reason, _ in self]


def make_runtime(docker_client: docker.DockerClient, compose: bool = False) -> ServerDeps:
    """Server deps whose base images come from this machine's engine (no registry
    here), with their own connection pool; close it when done. Compose only when asked:
    on Debian 12 it costs a minute or more per server here (see operator_process)."""
    settings = ProvisioningSettings(image_source=LocalEngine(docker_client), compose=compose)
    return ServerDeps(pool=ConnectionPool(), settings=settings)


async def run_reconcile(host: Host, server: Server, runtime: ServerDeps, events: Events | None = None) -> Outcome:
    return await reconcile(server, 1, replace(runtime, read_secret=host.read_secret, emit=events))


def with_status(server, result: Outcome):
    """The resource as the next reconcile would read it back from the API server."""
    return server.model_copy(update={"status": result.status})


def condition(result: Outcome, type_: str):
    return next(c for c in result.status.conditions if c.type == type_)


def step(result: Outcome, name: str):
    return next(s for s in result.status.steps if s.name == name)


def changed_steps(result: Outcome) -> list[str]:
    """The provisioning steps a pass changed (or repaired), in order."""
    return [change.split(": ", 1)[0] for change in result.changes]


def source_archive(tree: Path, revision: str) -> Path:
    """The tree of `revision` in the Git repository at `tree`, archived as the
    Application stage hands it over (one archive per commit, kept next to the repository)."""
    dest = tree.parent / "archives" / f"{revision}.tar"
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "-C", str(tree), "archive", "--format=tar", "-o", str(dest), revision],
                       capture_output=True, check=True)
    return dest


def deploy_deps(name: str = "app", server: Server | None = None, read_secret=None, runtime: ServerDeps | None = None,
                *, source_dir: Path | None = None, post_event: Events | None = None,
                servers: dict[str, Server] | None = None, **changes) -> DeploymentDeps:
    """Deployment deps over test-bed servers: `server` answers for any name, or
    `servers` by name (an app moving between them); the source is the HEAD of
    `source_dir`, archived; the connection pool and image source are the Server deps'."""

    async def get_server(wanted: str) -> Server | None:
        return servers.get(wanted) if servers is not None else server

    archive = None
    if source_dir is not None:
        archive = lambda revision: source_archive(source_dir, revision) if revision else None  # noqa: E731
    runtime = runtime or ServerDeps()
    return DeploymentDeps(
        name=name, get_server=get_server, read_secret=read_secret, source_archive=archive,
        pool=runtime.pool, image_source=runtime.settings.image_source, emit=post_event, **changes,
    )
