"""Where base images come from, pluggable.

- `RegistryPull`: the server runs `docker pull` (the default for real servers).
- `LocalEngine`: stream `docker save` from a Docker engine the operator can reach into
  `docker load` on the server, over the SSH connection. No registry involved: used
  by the tests (there is none) and for air-gapped servers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Protocol

from hydron.remote.builders import docker as docker_cmd
from hydron.remote.runner import CommandRunner

CHUNK = 1024 * 1024


class ImageSource(Protocol):
    description: str

    async def deliver(self, image: str, run: CommandRunner) -> None:
        """Make `image` present in the server's Docker engine."""


class RegistryPull:
    description = "pulled by the server"

    async def deliver(self, image: str, run: CommandRunner) -> None:
        await run.run(docker_cmd.pull(image))


class LocalEngine:
    """Images exported from a local engine (a docker SDK `DockerClient`)."""

    description = "copied from the operator's Docker engine"

    def __init__(self, client) -> None:
        self.client = client

    async def has(self, image: str) -> bool:
        """Whether the local engine holds `image` (so `deliver` can send it)."""
        import docker.errors

        try:
            await asyncio.to_thread(self.client.images.get, image)
        except docker.errors.ImageNotFound:
            return False
        return True

    async def deliver(self, image: str, run: CommandRunner) -> None:
        await run.run(docker_cmd.load(), input=self._export(image))

    async def _export(self, image: str) -> AsyncIterator[bytes]:
        chunks = iter(await asyncio.to_thread(self.client.api.get_image, image, CHUNK))
        while True:
            chunk = await asyncio.to_thread(next, chunks, None)
            if chunk is None:
                return
            yield chunk
