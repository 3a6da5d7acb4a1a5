"""The server's Docker API, reached through the existing SSH connection.

asyncssh forwards a local unix socket to the server's /var/run/docker.sock, and the
docker SDK talks to that socket. No second SSH layer and no TCP port on the server:
the tunnel rides the same multiplexed connection as every other command.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import docker

from hydron.remote.errors import ConnectionLost
from hydron.remote.session import Session

REMOTE_SOCKET = "/var/run/docker.sock"


@asynccontextmanager
async def docker_client(session: Session, remote_socket: str = REMOTE_SOCKET) -> AsyncIterator[docker.DockerClient]:
    """A docker SDK client for the server's engine, valid inside the block.

    The SDK is synchronous: call it through `asyncio.to_thread` so the event loop keeps
    serving the forwarded socket.
    """
    await session.connect()
    conn = session._conn  # noqa: SLF001 - the Session owns the one connection; we borrow it
    assert conn is not None
    with tempfile.TemporaryDirectory(prefix="hydron-docker-") as tmp:
        local = str(Path(tmp) / "docker.sock")
        listener = await conn.forward_local_path(local, remote_socket)
        # The constructor asks the engine for its API version: off the event loop too,
        # which must stay free to carry the forwarded socket's bytes.
        try:
            client = await asyncio.to_thread(docker.DockerClient, base_url="unix://" + local, version="auto", timeout=600)
        except docker.errors.DockerException as error:  # the engine or the connection went away: heals by itself
            listener.close()
            raise ConnectionLost(f"cannot reach the Docker engine on the server: {error}") from error
        except BaseException:
            listener.close()
            raise
        try:
            yield client
        finally:
            with suppress(Exception):
                await asyncio.to_thread(client.close)
            listener.close()
            with suppress(Exception):
                await listener.wait_closed()
