"""The SSH layer against a real SSH server (asyncssh's, in-process on loopback):
channel cap, streaming, reconnect, pinning, and each way of failing to connect."""

from __future__ import annotations

import asyncio
import hashlib
import time

import asyncssh
import pytest

from hydron.remote import hostkeys
from hydron.remote.connect import ConnectOptions, Target
from hydron.remote.errors import (
    AuthenticationFailed,
    CommandTimeout,
    ConnectionLost,
    ConnectTimeout,
    HostKeyChanged,
    HostUnreachable,
)
from hydron.remote.pool import ConnectionPool
from hydron.remote.session import Session
from hydron_testbed.ports import closed_port

CLIENT_KEY = asyncssh.generate_private_key("ssh-ed25519")
HOST_ED25519 = asyncssh.generate_private_key("ssh-ed25519")
HOST_RSA = asyncssh.generate_private_key("ssh-rsa", key_size=2048)
FAST = ConnectOptions(connect_timeout=5)


async def eventually(check, timeout: float = 10.0) -> None:
    """Poll until check() is true, with a deadline."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        await asyncio.sleep(0.01)


class FakeSshd:
    """An SSH server that records what clients do and runs scripted commands."""

    def __init__(self) -> None:
        self.commands: list[str] = []
        self.auth_attempts = 0
        self.running = 0
        self.started = 0
        self.max_running = 0
        self.release = asyncio.Semaphore(0)
        self.gate = asyncio.Event()
        self.connections: list[asyncssh.SSHServerConnection] = []
        self.handshaking = 0
        self.max_handshaking = 0
        self.server = None
        self.port = 0

    async def start(self, host_keys=(HOST_ED25519, HOST_RSA)) -> FakeSshd:
        owner = self

        class Side(asyncssh.SSHServer):
            def connection_made(self, conn):
                owner.connections.append(conn)
                owner.handshaking += 1
                owner.max_handshaking = max(owner.max_handshaking, owner.handshaking)

            def auth_completed(self):
                owner.handshaking -= 1

            def begin_auth(self, username):
                owner.auth_attempts += 1
                return True

        authorized = asyncssh.import_authorized_keys(CLIENT_KEY.export_public_key().decode())
        self.server = await asyncssh.create_server(
            Side, "127.0.0.1", 0, server_host_keys=list(host_keys), authorized_client_keys=authorized,
            process_factory=self.handle,
        )
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def handle(self, process: asyncssh.SSHServerProcess) -> None:
        command = process.command or ""
        self.commands.append(command)
        if command == "hold":
            self.started += 1
            self.running += 1
            self.max_running = max(self.max_running, self.running)
            await self.release.acquire()
            self.running -= 1
        elif command == "two-lines":
            process.stdout.write("first\n")
            await self.gate.wait()
            process.stdout.write("second\n")
        elif command == "sha256-of-stdin":
            data = await process.stdin.read()
            process.stdout.write(hashlib.sha256(data.encode("latin-1") if isinstance(data, str) else data).hexdigest() + "\n")
        elif command == "drop-connection":
            process.channel.get_connection().close()
            return
        elif command == "forever":
            await asyncio.Event().wait()
        elif command.startswith("exit "):
            process.stderr.write("failing on purpose\n")
            process.exit(int(command.split()[1]))
            return
        else:
            process.stdout.write(f"ran {command}\n")
        process.exit(0)

    def target(self) -> Target:
        return Target("127.0.0.1", self.port, "root")

    def close(self) -> None:
        self.server.close()


@pytest.fixture
async def sshd():
    server = await FakeSshd().start()
    yield server
    server.close()


def session_for(sshd: FakeSshd, host_key: str | None = None, **kwargs) -> Session:
    pinned = host_key if host_key is not None else hostkeys.to_line(HOST_ED25519)
    return Session(sshd.target(), CLIENT_KEY, pinned, FAST, **kwargs)


async def test_output_streams_line_by_line_while_the_command_runs(sshd):
    session = session_for(sshd)
    seen = []

    def on_line(stream, line):
        seen.append(line)
        if line == "first":
            sshd.gate.set()  # the command only goes on once we have seen its first line

    result = await asyncio.wait_for(session.exec("two-lines", on_line=on_line), 10)
    assert seen == ["first", "second"] and result.stdout == "first\nsecond\n" and result.exit_status == 0
    await session.close()


async def test_at_most_ten_channels_share_the_connection(sshd):
    session = session_for(sshd)
    tasks = [asyncio.create_task(session.exec("hold")) for _ in range(15)]
    await eventually(lambda: sshd.started >= 10)
    for expected in range(11, 16):
        sshd.release.release()
        await eventually(lambda: sshd.started >= expected)
    for _ in range(10):
        sshd.release.release()
    await asyncio.gather(*tasks)
    assert sshd.max_running == 10
    assert session.connects == 1 and len(sshd.connections) == 1
    await session.close()


async def test_stdin_is_streamed_from_an_async_iterator(sshd):
    session = session_for(sshd)
    chunks = [bytes([i]) * 100_000 for i in range(5)]

    async def stream():
        for chunk in chunks:
            yield chunk

    result = await session.exec("sha256-of-stdin", input=stream())
    assert result.stdout.strip() == hashlib.sha256(b"".join(chunks)).hexdigest()
    await session.close()


async def test_a_dropped_connection_is_reopened_for_the_next_command(sshd):
    session = session_for(sshd)
    assert (await session.exec("one")).stdout == "ran one\n"
    sshd.connections[0].close()
    await eventually(lambda: not session.connected)
    assert (await session.exec("two")).stdout == "ran two\n"
    assert session.connects == 2


async def test_a_drop_during_a_command_is_connection_lost(sshd):
    session = session_for(sshd)
    with pytest.raises(ConnectionLost) as caught:
        await session.exec("drop-connection")
    assert caught.value.retryable and caught.value.reason == "HostUnreachable"


async def test_a_command_past_its_limit_times_out(sshd):
    session = session_for(sshd)
    with pytest.raises(CommandTimeout):
        await session.exec("forever", timeout=0.5)
    assert (await session.exec("after")).exit_status == 0, "the connection survives a timed-out command"
    await session.close()


async def test_exit_status_and_stderr_come_back(sshd):
    result = await session_for(sshd).exec("exit 3")
    assert (result.exit_status, result.stderr) == (3, "failing on purpose\n")


async def test_first_contact_records_the_ed25519_key(sshd):
    session = Session(sshd.target(), CLIENT_KEY, None, FAST)
    await session.connect()
    assert session.host_key == hostkeys.to_line(HOST_ED25519)
    await session.close()


async def test_changed_host_key_fails_before_authentication_and_runs_nothing(sshd):
    impostor = hostkeys.to_line(asyncssh.generate_private_key("ssh-ed25519"))
    session = Session(sshd.target(), CLIENT_KEY, impostor, FAST)
    with pytest.raises(HostKeyChanged) as caught:
        await session.exec("rm -rf /")
    assert sshd.commands == [] and sshd.auth_attempts == 0
    assert not caught.value.retryable
    assert hostkeys.fingerprint(impostor) in caught.value.message
    assert HOST_ED25519.get_fingerprint("sha256") in caught.value.message


async def test_unknown_client_key_is_authentication_failed(sshd):
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    session = Session(sshd.target(), stranger, hostkeys.to_line(HOST_ED25519), FAST)
    with pytest.raises(AuthenticationFailed) as caught:
        await session.connect()
    assert not caught.value.retryable and sshd.commands == []


async def test_closed_port_is_host_unreachable():
    session = Session(Target("127.0.0.1", closed_port()), CLIENT_KEY, None, FAST)
    with pytest.raises(HostUnreachable) as caught:
        await session.connect()
    assert caught.value.retryable


async def test_a_port_that_never_speaks_ssh_times_out():
    async def silent(reader, writer):
        await reader.read()  # accept and say nothing until the client gives up

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    session = Session(Target("127.0.0.1", port), CLIENT_KEY, None, ConnectOptions(connect_timeout=1))
    with pytest.raises(ConnectTimeout) as caught:
        await session.connect()
    assert caught.value.reason == "Timeout" and caught.value.retryable
    server.close()


async def test_pool_shares_a_session_per_server_and_key_and_caps_handshakes(sshd):
    pool = ConnectionPool(FAST, max_concurrent_starts=2)
    pinned = hostkeys.to_line(HOST_ED25519)
    a = await pool.session(sshd.target(), CLIENT_KEY, pinned)
    assert await pool.session(sshd.target(), CLIENT_KEY, pinned) is a
    other = await pool.session(sshd.target(), CLIENT_KEY, hostkeys.to_line(HOST_RSA))
    assert other is not a, "a new pin replaces the session"
    assert pool.lock(sshd.target()) is pool.lock(Target("127.0.0.1", sshd.port, "deploy"))
    await a.close()
    await other.close()
    sshd.max_handshaking = 0
    sessions = [Session(Target("127.0.0.1", sshd.port), CLIENT_KEY, pinned, FAST, starts=pool._starts) for _ in range(6)]
    await asyncio.gather(*(s.connect() for s in sessions))
    assert all(s.connected for s in sessions)
    assert sshd.max_handshaking == 2
    for s in sessions:
        await s.close()
    await pool.close()
