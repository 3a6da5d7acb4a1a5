"""Provider APIs that order, resize and delete machines (Hetzner Cloud today).

`connect(name, token)` gives the provider module for a Server's `spec.provider`; the
ordering stage (`hydron.providers.ordering`) uses it to turn a spec.order into a
running machine whose host key Hydron chose."""

from __future__ import annotations

from hydron.providers.base import Provider, ProviderError


def connect(name: str, token: str, endpoint: str | None = None) -> Provider:
    """The provider `name`, reached with `token` (at `endpoint`, for a stand-in or proxy)."""
    if name == "hetzner":
        from hydron.providers.hetzner import ENDPOINT, HetznerCloud

        return HetznerCloud(token, endpoint or ENDPOINT)
    raise ProviderError(f"no provider module for {name!r}")


__all__ = ["Provider", "ProviderError", "connect"]
