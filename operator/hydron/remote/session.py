"""One multiplexed SSH connection to one server.

Commands share the connection as separate channels, at most `max_channels` at a time
(sshd's default MaxSessions is 10: one more would be refused). A connection that
dropped is opened again before the next command; a command cut off by a drop raises
ConnectionLost, because whether it took effect is unknown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import suppress

import asyncssh

from hydron.remote.command import CommandResult
from hydron.remote.connect import ConnectOptions, Target, open_connection
from hydron.remote.errors import CommandFailed, CommandTimeout, ConnectionLost, HostUnreachable

log = logging.getLogger(__name__)

LineCallback = Callable[[str, str], None]
"""Called with ("stdout" | "stderr", line) for each line as it arrives."""

Input = bytes | AsyncIterator[bytes] | None

SSHD_MAX_SESSIONS = 10
STDIN_CHUNK = 256 * 1024


class Session:
    """A server's connection: opened on first use, reopened after a drop."""

    def __init__(
        self,
        target: Target,
        client_key: asyncssh.SSHKey,
        host_key: str | None,
        options: ConnectOptions = ConnectOptions(),
        starts: asyncio.Semaphore | None = None,
        max_channels: int = SSHD_MAX_SESSIONS,
    ) -> None:
        self.target = target
        self._client_key = client_key
        self.host_key = host_key
        """The pinned key: given, or the one seen at first contact."""
        self.options = options
        self._starts = starts or asyncio.Semaphore(1)
        self._channels = asyncio.Semaphore(max_channels)
        self._connecting = asyncio.Lock()
        self._conn: asyncssh.SSHClientConnection | None = None
        self.connects = 0
        """How many times a connection was opened (1 plus reconnects)."""
        self.max_channels = max_channels

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def connect(self) -> None:
        """Open the connection unless it is open; the global cap bounds handshakes."""
        async with self._connecting:
            if self.connected:
                return
            async with self._starts:
                conn, seen = await open_connection(self.target, self._client_key, self.host_key, self.options)
            self._conn, self.host_key = conn, seen
            self.connects += 1
            log.debug("connected to %s", self.target)

    async def probe_new_connection(self) -> None:
        """Log in on a brand-new connection and run `true`; raises if that fails.

        Used after changing sshd's configuration: the existing connection survives a
        reload either way, so only a new one proves the server still lets us in.
        """
        async with self._starts:
            conn, _ = await open_connection(self.target, self._client_key, self.host_key, self.options)
        try:
            result = await asyncio.wait_for(conn.run("true", check=False), self.options.connect_timeout)
            if result.exit_status != 0:
                raise HostUnreachable(f"a new SSH connection could not run commands (exit {result.exit_status})")
        finally:
            conn.close()
            with suppress(Exception):
                await conn.wait_closed()

    async def exec(
        self, command_line: str, *, input: Input = None, on_line: LineCallback | None = None, timeout: float | None = None
    ) -> CommandResult:
        """Run a command line; stream its output; return status and output."""
        async with self._channels:
            process = await self._start(command_line)
            try:
                return await asyncio.wait_for(self._finish(process, input, on_line), timeout)
            except (asyncio.TimeoutError, TimeoutError):
                raise CommandTimeout(f"`{_short(command_line)}` did not finish within {timeout:.0f}s") from None
            finally:
                process.close()

    async def read_chunks(self, command_line: str) -> AsyncIterator[bytes]:
        """Run a command and yield its stdout as raw bytes as they come (a tar stream
        from one server to another); raise CommandFailed when it exits non-zero."""
        async with self._channels:
            process = await self._start(command_line)
            try:
                while chunk := await process.stdout.read(STDIN_CHUNK):
                    yield chunk
                errors = await process.stderr.read()
                await process.wait_closed()
                if process.exit_status != 0:
                    raise CommandFailed(_short(command_line), process.exit_status, "", errors.decode("utf-8", "replace"))
            except (asyncssh.DisconnectError, ConnectionError) as error:
                raise ConnectionLost(f"connection to {self.target} dropped while streaming: {error}") from None
            finally:
                process.close()

    async def _start(self, command_line: str) -> asyncssh.SSHClientProcess:
        """Open a channel for the command; reconnect once if the connection had dropped
        (the command had not started, so trying again is safe)."""
        for attempt in (1, 2):
            await self.connect()
            assert self._conn is not None
            try:
                return await self._conn.create_process(command_line, encoding=None)
            except (asyncssh.ChannelOpenError, asyncssh.DisconnectError, ConnectionError, BrokenPipeError) as error:
                if self._conn.is_closed() and attempt == 1:
                    log.info("connection to %s dropped; reconnecting", self.target)
                    continue
                raise ConnectionLost(f"could not open a channel to {self.target}: {error}") from None
        raise AssertionError("unreachable")

    async def _finish(self, process: asyncssh.SSHClientProcess, input: Input, on_line: LineCallback | None) -> CommandResult:
        stdout: list[str] = []
        stderr: list[str] = []
        try:
            await asyncio.gather(
                _feed(process, input),
                _pump(process.stdout, "stdout", stdout, on_line),
                _pump(process.stderr, "stderr", stderr, on_line),
            )
            await process.wait_closed()
        except (asyncssh.DisconnectError, ConnectionError) as error:
            raise ConnectionLost(f"connection to {self.target} dropped while a command ran: {error}") from None
        if process.exit_status is None and process.exit_signal is None and not self.connected:
            raise ConnectionLost(f"connection to {self.target} dropped while a command ran")
        status = process.exit_status
        if status is None and process.exit_signal is not None:
            status = 128 + _signal_number(process.exit_signal[0])
        return CommandResult(status, "".join(stdout), "".join(stderr))

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            with suppress(Exception):
                await self._conn.wait_closed()
            self._conn = None


async def _feed(process: asyncssh.SSHClientProcess, input: Input) -> None:
    """Send stdin (bytes or a stream of chunks), then EOF so readers of stdin finish."""
    if isinstance(input, bytes):
        process.stdin.write(input)
    elif input is not None:
        async for chunk in input:
            process.stdin.write(chunk)
            await process.stdin.drain()
    process.stdin.write_eof()


async def _pump(reader: asyncssh.SSHReader, name: str, sink: list[str], on_line: LineCallback | None) -> None:
    while True:
        raw = await reader.readline()
        if not raw:
            return
        text = raw.decode("utf-8", "replace")
        sink.append(text)
        if on_line is not None:
            on_line(name, text.rstrip("\n"))


_SIGNALS = {"HUP": 1, "INT": 2, "KILL": 9, "PIPE": 13, "TERM": 15}


def _signal_number(name: str) -> int:
    return _SIGNALS.get(name, 0)


def _short(line: str, limit: int = 120) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"
