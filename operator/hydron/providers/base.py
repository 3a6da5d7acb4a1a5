"""What every provider module offers, and the errors it speaks in.

A provider rents machines: find the one ordered for a Server (by a label put on it at
creation), create it, wait for it to run, resize and delete it. Each module (Hetzner
Cloud today; DigitalOcean, Scaleway later) turns its API's answers into `Machine` and
its errors into the typed ones below, so the controller maps them to condition reasons
without knowing which provider spoke."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

State = Literal["installing", "booting", "running", "off", "deleting", "other"]
"""A machine's life as Hydron sees it, whatever the provider calls each stage."""


@dataclass(frozen=True)
class Machine:
    """A machine as the provider last reported it."""

    id: str
    name: str
    state: State
    offer: str | None = None
    location: str | None = None
    ipv4: str | None = None
    ipv6: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def address(self) -> str | None:
        """Where to reach it over SSH: the IPv4 address, else the IPv6 one."""
        return self.ipv4 or self.ipv6


OnState = Callable[[Machine], Awaitable[None]]


class Provider(Protocol):
    """One provider account. Every method may raise a ProviderError."""

    name: str

    async def check(self, offer: str, location: str, image: str) -> None:
        """UnknownOffer when the offer, location or image does not exist."""

    async def find_by_label(self, key: str, value: str) -> Machine | None:
        """The machine carrying label key=value, if any (the idempotency key of an order)."""

    async def create(self, name: str, offer: str, location: str, image: str, ssh_public_key: str,
                     host_key_private: str, labels: Mapping[str, str]) -> Machine:
        """Order a machine; the host key is installed before sshd first starts."""

    async def get(self, id: str) -> Machine | None:
        """The machine as it is now; None when it is gone."""

    async def wait_running(self, id: str, on_state: OnState | None = None, timeout: float = 600.0) -> Machine:
        """Poll until the machine runs, telling `on_state` each new state; MachineNotBooting
        when it does not run within `timeout` seconds."""

    async def delete(self, id: str) -> None:
        """Delete the machine; a machine already gone is not an error."""

    async def resize(self, id: str, offer: str) -> None:
        """Change the machine's type; it must be off (`stop`) where `resize_needs_stop`."""

    async def stop(self, id: str) -> None:
        """Power the machine off and wait until it is off."""

    async def start(self, id: str) -> None:
        """Power the machine on (wait_running tells when it runs)."""

    async def rebuild(self, id: str, image: str, ssh_public_key: str, host_key_private: str) -> None:
        """Install the operating system again from `image`, with this login key and host key."""

    resize_needs_stop: bool
    """The provider changes a machine's type only while it is off."""


class ProviderError(Exception):
    """A provider refused or failed; `reason` is the condition reason, `retryable` whether
    waiting can heal it (and `delay` how long is sensible)."""

    reason = "ProviderError"
    retryable = False
    delay = 30.0

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidToken(ProviderError):
    reason = "ProviderInvalidToken"


class UnknownOffer(ProviderError):
    reason = "UnknownOffer"


class OfferUnavailable(ProviderError):
    """Out of stock where it was asked for: stock comes back, so look again later."""

    reason = "OfferUnavailable"
    retryable = True
    delay = 600.0


class LocationFull(ProviderError):
    reason = "LocationFull"
    retryable = True
    delay = 600.0


class QuotaExceeded(ProviderError):
    reason = "QuotaExceeded"


class RateLimited(ProviderError):
    reason = "ProviderRateLimited"
    retryable = True
    delay = 15.0


class ProviderUnavailable(ProviderError):
    """The API did not answer, or answered with a server error."""

    reason = "ProviderUnavailable"
    retryable = True


class MachineNotBooting(ProviderError):
    reason = "MachineNotBooting"
    retryable = True
    delay = 60.0


async def wait_until_running(get: Callable[[str], Awaitable[Machine | None]], id: str, on_state: OnState | None,
                             timeout: float, poll_interval: float, gone: str) -> Machine:
    """Poll a provider's machine until it runs, reporting each new state; MachineNotBooting
    when it disappears (`gone` says how, in the provider's words) or the timeout passes.
    Polling is the providers' own contract: neither API pushes state changes."""
    deadline = time.monotonic() + timeout
    last: State | None = None
    while True:
        current = await get(id)
        if current is None:
            raise MachineNotBooting(gone)
        if current.state != last and on_state is not None:
            await on_state(current)
        last = current.state
        if current.state == "running":
            return current
        if time.monotonic() > deadline:
            raise MachineNotBooting(f"server {id} is still {current.state} after {timeout:.0f} s.")
        await asyncio.sleep(poll_interval)
