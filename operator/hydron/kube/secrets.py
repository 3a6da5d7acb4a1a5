"""Read one key of a Secret with `get` (never list or watch), for SSH keys and Git tokens.

Values are returned to the caller and nowhere else: errors name the Secret and the
key, never the content.
"""

from __future__ import annotations

import asyncio
import base64
import binascii

from kubernetes.client.exceptions import ApiException

from hydron.kube.client import core_v1


class SecretError(Exception):
    """A Secret could not be read; `reason` is a condition reason, `retryable` says
    whether waiting can help (a missing Secret may be created later, so it is)."""

    def __init__(self, reason: str, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retryable = retryable


def _secret(namespace: str, name: str, wanted: str):
    """The Secret, read with `get`; `wanted` says what to create it with if missing."""
    try:
        secret = core_v1().read_namespaced_secret(name, namespace)
    except ApiException as error:
        if error.status == 404:
            raise SecretError(
                "SecretNotFound", f"Secret {namespace}/{name} does not exist; create it with {wanted}.", True
            ) from None
        if error.status == 403:
            raise SecretError(
                "SecretForbidden",
                f"Hydron may not read Secret {namespace}/{name}; grant `get` on secrets in {namespace}.",
                False,
            ) from None
        raise SecretError("SecretUnavailable", f"reading Secret {namespace}/{name} failed: HTTP {error.status}", True) from None
    return secret


def _get(namespace: str, name: str, wanted: str) -> dict[str, str]:
    """The Secret's raw (base64) data."""
    return _secret(namespace, name, wanted).data or {}


def _version(namespace: str, name: str) -> str:
    return _secret(namespace, name, "the keys the services read").metadata.resource_version or ""


def _decode(namespace: str, name: str, key: str, value: str) -> str:
    try:
        return base64.b64decode(value).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise SecretError("SecretKeyInvalid", f"key {key!r} of Secret {namespace}/{name} is not UTF-8 text.", False) from None


def _read(namespace: str, name: str, key: str) -> str:
    data = _get(namespace, name, f"key {key!r}")
    if key not in data:
        keys = ", ".join(sorted(data)) or "none"
        raise SecretError("SecretKeyMissing", f"Secret {namespace}/{name} has no key {key!r} (it has: {keys}).", True)
    return _decode(namespace, name, key, data[key])


def _read_all(namespace: str, name: str) -> dict[str, str]:
    return {key: _decode(namespace, name, key, value) for key, value in _get(namespace, name, "the keys it needs").items()}


async def read_secret_key(namespace: str, name: str, key: str) -> str:
    """The decoded value of one key, read without blocking the event loop."""
    return await asyncio.to_thread(_read, namespace, name, key)


async def read_secret_data(namespace: str, name: str) -> dict[str, str]:
    """Every key of a Secret, decoded (for credentials that span keys, e.g. a token and a username)."""
    return await asyncio.to_thread(_read_all, namespace, name)


async def read_secret_version(namespace: str, name: str) -> str:
    """The Secret's resourceVersion: it changes whenever the Secret does, so a rotated
    value can be noticed without hashing (or keeping) the value anywhere."""
    return await asyncio.to_thread(_version, namespace, name)
