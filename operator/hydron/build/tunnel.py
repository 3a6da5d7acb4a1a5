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
import docker.errors
import requests

from hydron.remote.errors import EngineUnavailable
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
        except docker.errors.DockerException as error:
            listener.close()
            raise _unavailable(error) from error
        except BaseException:
            listener.close()
            raise
        try:
            yield client
        except requests.exceptions.ConnectionError as error:
            raise _unavailable(error) from error
        finally:
            with suppress(Exception):
                await asyncio.to_thread(client.close)
            listener.close()
            with suppress(Exception):
                await listener.wait_closed()


def _unavailable(error: Exception) -> EngineUnavailable:
    return EngineUnavailable(
        f"Docker on the server is not answering ({type(error).__name__}); the Server's drift repair starts it "
        "again and this is retried. If it persists, look at the Server's docker-engine step and "
        "its log (`journalctl -u docker`, or /var/log/hydron on a server without systemd).")
