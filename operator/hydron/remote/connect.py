"""Open one SSH connection with the host key pinned, mapping every way it can fail to
an error with a condition reason.

Pinning: with a known key only that key is accepted (asyncssh also offers only its
algorithm); without one the key seen now is returned so the controller records it
(trust on first use) and pins it from then on. A key that differs from the pinned one
fails the handshake itself, so not a single command runs.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass

import asyncssh

from hydron.remote import hostkeys
from hydron.remote.errors import AuthenticationFailed, ConnectTimeout, HostKeyChanged, HostUnreachable


@dataclass(frozen=True)
class Target:
    """Where a server's sshd answers and whom to log in as."""

    address: str
    port: int = 22
    user: str = "root"

    def __str__(self) -> str:
        return f"{self.user}@{self.address}:{self.port}"


@dataclass(frozen=True)
class ConnectOptions:
    """Timing of connections. Keepalives notice a dead peer (a reboot, a NAT that
    forgot us) so the next command reconnects instead of hanging."""

    connect_timeout: float = 20.0
    keepalive_interval: float = 15.0
    keepalive_count_max: int = 4


TOFU_HOST_KEY_ALGS = (
    "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512", "rsa-sha2-256",
)
"""At first contact, prefer the key type people pin (`ssh-keyscan -t ed25519`): asyncssh
would otherwise negotiate RSA first and record that key."""


class _PinningClient(asyncssh.SSHClient):
    """Remembers the key a server offered when it was not the pinned one, so the
    failure can name its fingerprint for the person comparing keys."""

    def __init__(self) -> None:
        self.offered_key: asyncssh.SSHKey | None = None

    def validate_host_public_key(self, host: str, addr: str, port: int, key: asyncssh.SSHKey) -> bool:
        self.offered_key = key
        return False


async def open_connection(
    target: Target,
    client_key: asyncssh.SSHKey,
    pinned_host_key: str | None,
    options: ConnectOptions = ConnectOptions(),
) -> tuple[asyncssh.SSHClientConnection, str]:
    """Connect and authenticate; return the connection and the host key line seen."""
    client = _PinningClient()
    known_hosts = ([hostkeys.parse(pinned_host_key)], [], []) if pinned_host_key else None
    # With a pin, asyncssh offers only the pinned key's algorithms.
    algorithms = {} if pinned_host_key else {"server_host_key_algs": list(TOFU_HOST_KEY_ALGS)}
    try:
        conn, _ = await asyncio.wait_for(
            asyncssh.create_connection(
                lambda: client,
                host=target.address,
                port=target.port,
                username=target.user,
                client_keys=[client_key],
                known_hosts=known_hosts,
                agent_path=None,
                config=[],
                password=None,
                kbdint_auth=False,
                preferred_auth="publickey",
                keepalive_interval=options.keepalive_interval,
                keepalive_count_max=options.keepalive_count_max,
                connect_timeout=options.connect_timeout,
                login_timeout=options.connect_timeout,
                **algorithms,
            ),
            timeout=options.connect_timeout + 5,
        )
    except asyncssh.HostKeyNotVerifiable:
        offered = f" (it offered {client.offered_key.get_fingerprint('sha256')})" if client.offered_key else ""
        raise HostKeyChanged(
            f"{target.address}:{target.port} presented a host key other than the pinned "
            f"{hostkeys.fingerprint(pinned_host_key or '')}{offered}; nothing was run. If the server was "
            "reinstalled, verify the new key out of band and set spec.hostKey to it."
        ) from None
    except asyncssh.PermissionDenied:
        raise AuthenticationFailed(
            f"{target} refused the key from the Secret; check that its public key is in "
            f"~{target.user}/.ssh/authorized_keys on the server."
        ) from None
    except (asyncio.TimeoutError, TimeoutError):
        raise ConnectTimeout(f"{target.address}:{target.port} did not complete the SSH handshake in time.") from None
    except socket.gaierror as error:
        raise HostUnreachable(f"cannot resolve {target.address}: {error.strerror}.") from None
    except (OSError, asyncssh.DisconnectError) as error:
        raise HostUnreachable(f"cannot reach sshd at {target.address}:{target.port}: {_describe(error)}.") from None
    server_key = conn.get_server_host_key()
    return conn, hostkeys.to_line(server_key) if server_key else (pinned_host_key or "")


def _describe(error: BaseException) -> str:
    return getattr(error, "strerror", None) or getattr(error, "reason", None) or str(error) or type(error).__name__
