"""Killing the operator mid-step (here: cancelling its task) and starting again
converges, without redoing side effects that were complete."""

from __future__ import annotations

import asyncio
import io
import tarfile
import uuid

import pytest

from hydron.controllers.server import ServerDeps, reconcile
from hydron.remote.images import LocalEngine
from hydron.provisioning.settings import ProvisioningSettings
from hydron.remote.pool import ConnectionPool
from hydron_testbed.polling import eventually
from hydron_testbed.reconcile import Events, condition, step

pytestmark = pytest.mark.docker


def tiny_image(docker_client, name: str) -> str:
    """A one-file image made locally (nothing can be pulled here)."""
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:
        payload = name.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    repository, tag = name.split(":")
    docker_client.api.import_image_from_data(data.getvalue(), repository=repository, tag=tag)
    return name


class StallsAfterTheFirstImage:
    """Delivers the first image, then hangs on the second until cancelled."""

    description = "copied, then stalled"

    def __init__(self, inner) -> None:
        self.inner = inner
        self.delivered: list[str] = []
        self.stalled = asyncio.Event()

    async def deliver(self, image, run) -> None:
        if self.delivered:
            self.stalled.set()
            await asyncio.Event().wait()
        await self.inner.deliver(image, run)
        self.delivered.append(image)


@pytest.fixture
def images(docker_client):
    run = uuid.uuid4().hex[:8]
    made = [tiny_image(docker_client, f"hydron-test/tiny-{letter}:{run}") for letter in "ab"]
    yield made
    for image in made:
        docker_client.images.remove(image, force=True)


async def test_cancelled_image_delivery_resumes_with_only_the_missing_image(hosts, docker_client, images):
    (host,) = hosts(1)
    server = host.server(baseImages=images)
    stalling = StallsAfterTheFirstImage(LocalEngine(docker_client))
    first_pool = ConnectionPool()
    first = ServerDeps(read_secret=host.read_secret, pool=first_pool, settings=ProvisioningSettings(image_source=stalling, compose=False))
    task = asyncio.create_task(reconcile(server, 1, first))
    await asyncio.wait_for(stalling.stalled.wait(), 600)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await first_pool.close()
    assert stalling.delivered == [images[0]]
    assert host.sh("ls /var/lib/hydron/steps/") == "base-images.pending\n"

    events = Events()
    restarted = ServerDeps(read_secret=host.read_secret, emit=events, pool=ConnectionPool(),
                           settings=ProvisioningSettings(image_source=LocalEngine(docker_client), compose=False))
    result = await reconcile(server, 1, restarted)
    await restarted.pool.close()
    assert condition(result, "Ready").status == "True", result.status.conditions
    assert [line for line in result.commands.mutations if "docker load" in line] == ["docker load"]
    assert step(result, "base-images").changed and images[1] in step(result, "base-images").message
    assert images[0] not in step(result, "base-images").message
    assert ("Normal", "StepResumed") in [e[:2] for e in events]
    listed = host.sh("docker image ls --format '{{.Repository}}:{{.Tag}}'")
    assert all(image in listed for image in images)
    assert host.sh("ls /var/lib/hydron/steps/") == ""


async def test_cancelled_package_install_converges_on_the_next_run(hosts, docker_client):
    (host,) = hosts(1)
    server = host.server()
    pool = ConnectionPool()
    task = asyncio.create_task(reconcile(server, 1, ServerDeps(read_secret=host.read_secret, pool=pool,
                                                           settings=ProvisioningSettings(compose=False))))

    def installing_docker() -> bool:
        return "docker.io" in host.sh("ps -eo args | grep -E '^(/usr/bin/)?(apt-get|dpkg)' || true")

    await eventually(installing_docker, timeout=300, interval=0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await pool.close()
    assert "docker-engine.pending" in host.sh("ls /var/lib/hydron/steps/")

    events = Events()
    restarted = ServerDeps(read_secret=host.read_secret, emit=events, pool=ConnectionPool(),
                           settings=ProvisioningSettings(image_source=LocalEngine(docker_client), compose=False))
    result = await reconcile(server, 1, restarted)
    await restarted.pool.close()
    assert condition(result, "Ready").status == "True", result.status.conditions
    assert ("Normal", "StepResumed", "docker-engine: an earlier run stopped midway; finishing it") in events
    assert host.sh("dpkg --audit") == ""
    assert "20.10" in host.sh("docker info --format '{{.ServerVersion}}'")
    assert host.sh("ls /var/lib/hydron/steps/") == ""
