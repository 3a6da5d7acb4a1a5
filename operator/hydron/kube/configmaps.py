"""Read one key of a ConfigMap with `get` (people's SSH public keys, for a Server)."""

from __future__ import annotations

import asyncio

from kubernetes.client.exceptions import ApiException

from hydron.kube.client import core_v1


class ConfigMapError(Exception):
    """A ConfigMap key could not be read; the message says which and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _read(namespace: str, name: str, key: str) -> str:
    try:
        config_map = core_v1().read_namespaced_config_map(name, namespace)
    except ApiException as error:
        if error.status == 404:
            raise ConfigMapError(f"ConfigMap {namespace}/{name} does not exist.") from None
        if error.status == 403:
            raise ConfigMapError(f"Hydron may not read ConfigMap {namespace}/{name}; grant `get` "
                                 f"on configmaps in {namespace}.") from None
        raise ConfigMapError(f"reading ConfigMap {namespace}/{name} failed: HTTP {error.status}") from None
    data = config_map.data or {}
    if key not in data:
        keys = ", ".join(sorted(data)) or "none"
        raise ConfigMapError(f"ConfigMap {namespace}/{name} has no key {key!r} (it has: {keys}).")
    return data[key]


async def read_config_map_key(namespace: str, name: str, key: str) -> str:
    return await asyncio.to_thread(_read, namespace, name, key)
