"""Provider APIs that order, resize and delete machines: Hetzner Cloud and OVHcloud
dedicated servers today; another provider (DigitalOcean, Scaleway) is one module with
the `Provider` methods and one row in MODULES.

`connect(name, token)` gives the provider module for a Server's `spec.provider`; the
ordering stage (`hydron.providers.ordering`) uses it to turn a spec.order into a
running machine whose host key Hydron chose."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from hydron.providers.base import Provider, ProviderError

MODULES: dict[str, tuple[str, str]] = {
    "hetzner": ("hydron.providers.hetzner", "HetznerCloud"),
    "ovh": ("hydron.providers.ovh", "OvhDedicated"),
}
"""provider name -> (module, class); the class takes (token, endpoint)."""


def connect(name: str, token: str, endpoint: str | None = None, endpoints: Mapping[str, str | None] | None = None
            ) -> Provider:
    """The provider `name`, reached with `token` (at `endpoints[name]`, or `endpoint`, for a stand-in or proxy)."""
    if name not in MODULES:
        raise ProviderError(f"no provider module for {name!r}")
    module, cls = MODULES[name]
    provider = getattr(importlib.import_module(module), cls)
    where = (endpoints or {}).get(name) or endpoint
    return provider(token, where) if where else provider(token)


__all__ = ["MODULES", "Provider", "ProviderError", "connect"]
