"""Secrets for SSH: read through an injected reader, parsed in memory only.

The private key never touches disk, logs, status or messages: it goes from the
reader straight into asyncssh's key object, and errors name the Secret, not its
content.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

import asyncssh

from hydron.remote.errors import AuthenticationFailed, KeyUnavailable

ReadSecret = Callable[[str, str], str | Awaitable[str]]
"""read_secret(secret_name, key) -> the value, in the resource's namespace."""


async def read(read_secret: ReadSecret | None, name: str, key: str) -> str:
    """One value of a Secret; KeyUnavailable (retryable) when it cannot be had."""
    if read_secret is None:
        raise KeyUnavailable(f"cannot read Secret {name}: the operator has no Secret reader wired.")
    try:
        value = read_secret(name, key)
        if inspect.isawaitable(value):
            value = await value
    except Exception as error:  # noqa: BLE001 - any reader failure means the same to the user
        raise KeyUnavailable(f"cannot read key {key} of Secret {name} ({type(error).__name__}).") from None
    if not value:
        raise KeyUnavailable(f"Secret {name} has no key {key} (or it is empty).")
    return value


async def client_key(read_secret: ReadSecret | None, name: str, key: str) -> asyncssh.SSHKey:
    """The SSH login key from a Secret, parsed in memory."""
    pem = await read(read_secret, name, key)
    try:
        return asyncssh.import_private_key(pem)
    except (asyncssh.KeyImportError, ValueError, TypeError):
        raise AuthenticationFailed(
            f"Secret {name} key {key} does not hold an unencrypted OpenSSH or PEM private key."
        ) from None
    finally:
        del pem
