"""Connections shared by everything the operator does to servers.

One `Session` (one multiplexed connection) per server and login key; a global cap on
handshakes in flight, so a restart with hundreds of Servers does not open them all at
once; and one lock per machine, so two operations (a reconcile and a drift repair)
never interleave their commands.
"""

from __future__ import annotations

import asyncio

import asyncssh

from hydron import metrics
from hydron.remote.connect import ConnectOptions, Target
from hydron.remote.session import SSHD_MAX_SESSIONS, Session

MAX_CONCURRENT_STARTS = 8


class ConnectionPool:
    """Sessions keyed by server identity (user@address:port and login key)."""

    def __init__(
        self,
        options: ConnectOptions = ConnectOptions(),
        max_concurrent_starts: int = MAX_CONCURRENT_STARTS,
        max_channels: int = SSHD_MAX_SESSIONS,
    ) -> None:
        self.options = options
        self.max_channels = max_channels
        self._starts = asyncio.Semaphore(max_concurrent_starts)
        self._sessions: dict[tuple[Target, str], Session] = {}
        self._locks: dict[tuple[str, int], asyncio.Lock] = {}

    async def session(self, target: Target, client_key: asyncssh.SSHKey, host_key: str | None) -> Session:
        """The server's session, made on first use. A session pinned to a different
        host key than asked for is replaced (the new pin is then enforced)."""
        key = (target, client_key.get_fingerprint("sha256"))
        session = self._sessions.get(key)
        if session is not None and host_key and session.host_key and session.host_key != host_key:
            await session.close()
            session = None
        if session is None:
            session = Session(target, client_key, host_key, self.options, self._starts, self.max_channels)
            self._sessions[key] = session
            metrics.SSH_CONNECTIONS.set(len(self._sessions))
        return session

    def lock(self, target: Target) -> asyncio.Lock:
        """The machine's lock: held for the whole of a reconcile or repair."""
        return self._locks.setdefault((target.address, target.port), asyncio.Lock())

    async def forget(self, target: Target) -> None:
        """Close and drop every session to this server (the Server was deleted)."""
        for key in [k for k in self._sessions if k[0] == target]:
            await self._sessions.pop(key).close()
        metrics.SSH_CONNECTIONS.set(len(self._sessions))

    async def close(self) -> None:
        for session in list(self._sessions.values()):
            await session.close()
        self._sessions.clear()
        metrics.SSH_CONNECTIONS.set(0)
