"""Hetzner Cloud through the official `hcloud` library.

The library is synchronous (requests), so every call runs in a worker thread. Its own
retry of rate-limited calls is turned off: a rate-limited pass ends at once with
RateLimited and the operator retries it with backoff, so no worker sleeps for a
minute and the condition says what is happening. Errors are told apart by the API's
error `code` (https://docs.hetzner.cloud/reference/cloud#errors)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import asyncssh
import requests
from hcloud import APIException, Client
from hcloud.images import Image
from hcloud.locations import Location
from hcloud.server_types import ServerType
from hcloud.servers import Server

from hydron.providers import cloudinit
from hydron.providers.base import (
    InvalidToken, LocationFull, Machine, OfferUnavailable, OnState, ProviderError,
    ProviderUnavailable, QuotaExceeded, RateLimited, State, UnknownOffer, wait_until_running,
)

ENDPOINT = "https://api.hetzner.cloud/v1"

STATES: dict[str, State] = {
    "initializing": "installing", "starting": "booting", "running": "running", "off": "off",
    "stopping": "other", "deleting": "deleting", "migrating": "other", "rebuilding": "installing",
}

ERRORS: dict[str, type[ProviderError]] = {
    "unauthorized": InvalidToken,
    "forbidden": InvalidToken,
    "token_readonly": InvalidToken,
    "rate_limit_exceeded": RateLimited,
    "resource_unavailable": OfferUnavailable,
    "placement_error": LocationFull,
    "resource_limit_exceeded": QuotaExceeded,
    "invalid_input": UnknownOffer,
    "service_error": ProviderUnavailable,
    "server_error": ProviderUnavailable,
    "unavailable": ProviderUnavailable,
    "maintenance": ProviderUnavailable,
    "timeout": ProviderUnavailable,
    "conflict": ProviderUnavailable,
    "locked": ProviderUnavailable,
}

ADVICE = {
    InvalidToken: "check the API token in spec.order.accountSecretRef (it needs read and write rights)",
    OfferUnavailable: "Hetzner has none left there now; Hydron looks again later, or choose another offer or location",
    LocationFull: "the location cannot place it now; Hydron looks again later, or choose another location",
    QuotaExceeded: "the project's server limit is reached; delete a server or ask Hetzner to raise the limit",
    RateLimited: "too many API calls; Hydron retries shortly",
}


def translate(error: Exception, doing: str) -> ProviderError:
    """The typed error for an hcloud or transport error (the token never appears)."""
    if isinstance(error, ProviderError):
        return error
    if isinstance(error, APIException):
        kind = ERRORS.get(str(error.code), ProviderError)
        if isinstance(error.code, int):
            kind = ProviderUnavailable if error.code >= 500 else kind
        advice = ADVICE.get(kind)
        return kind(f"Hetzner Cloud refused to {doing}: {error.message} ({error.code})" + (f"; {advice}." if advice else "."))
    if isinstance(error, requests.RequestException):
        return ProviderUnavailable(f"Hetzner Cloud did not answer while trying to {doing}: {type(error).__name__}.")
    return ProviderError(f"Hetzner Cloud: could not {doing}: {error}")


class HetznerCloud:
    """One Hetzner Cloud project, reached with its API token."""

    name = "hetzner"

    def __init__(self, token: str, endpoint: str = ENDPOINT, poll_interval: float = 1.0) -> None:
        self.client = Client(token=token, api_endpoint=endpoint, application_name="hydron", poll_interval=poll_interval)
        self.client._client._retry_max_retries = 0  # see the module docstring
        self.poll_interval = poll_interval

    async def _call(self, doing: str, fn, *args, **kwargs):
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except Exception as error:  # every failure leaves as a ProviderError
            raise translate(error, doing) from None

    async def check(self, offer: str, location: str, image: str) -> None:
        found_type = await self._call("look up server types", self.client.server_types.get_by_name, offer)
        if found_type is None:
            raise UnknownOffer(f"Hetzner Cloud has no server type {offer!r}.")
        found_location = await self._call("look up locations", self.client.locations.get_by_name, location)
        if found_location is None:
            raise UnknownOffer(f"Hetzner Cloud has no location {location!r}.")
        images = await self._call("look up images", self.client.images.get_all, name=image, type=["system"])
        if not images:
            raise UnknownOffer(f"Hetzner Cloud has no system image {image!r}.")

    async def find_by_label(self, key: str, value: str) -> Machine | None:
        found = await self._call("list servers", self.client.servers.get_all, label_selector=f"{key}={value}")
        return machine(found[0]) if found else None

    async def create(self, name: str, offer: str, location: str, image: str, ssh_public_key: str,
                     host_key_private: str, labels: Mapping[str, str]) -> Machine:
        public = _public_of(host_key_private)
        response = await self._call(
            "create the server", self.client.servers.create, name=name, server_type=ServerType(name=offer),
            image=Image(name=image), location=Location(name=location), labels=dict(labels),
            user_data=cloudinit.user_data(ssh_public_key, host_key_private, public),
        )
        return machine(response.server)

    async def get(self, id: str) -> Machine | None:
        try:
            return machine(await asyncio.to_thread(self.client.servers.get_by_id, int(id)))
        except APIException as error:
            if error.code == "not_found":
                return None
            raise translate(error, "read the server") from None
        except Exception as error:
            raise translate(error, "read the server") from None

    async def wait_running(self, id: str, on_state: OnState | None = None, timeout: float = 600.0) -> Machine:
        return await wait_until_running(self.get, id, on_state, timeout, self.poll_interval,
                                        f"server {id} disappeared from Hetzner Cloud while it was starting.")

    async def delete(self, id: str) -> None:
        try:
            await asyncio.to_thread(self.client.servers.delete, Server(id=int(id)))
        except APIException as error:
            if error.code != "not_found":
                raise translate(error, "delete the server") from None
        except Exception as error:
            raise translate(error, "delete the server") from None

    resize_needs_stop = True
    """Hetzner changes a server's type only while it is off (the change_type reference)."""

    async def resize(self, id: str, offer: str) -> None:
        action = await self._call("change the server type", self.client.servers.change_type, Server(id=int(id)),
                                  ServerType(name=offer), upgrade_disk=False)
        await self._call("change the server type", action.wait_until_finished)

    async def stop(self, id: str) -> None:
        action = await self._call("power the server off", self.client.servers.power_off, Server(id=int(id)))
        await self._call("power the server off", action.wait_until_finished)

    async def start(self, id: str) -> None:
        await self._call("power the server on", self.client.servers.power_on, Server(id=int(id)))

    async def rebuild(self, id: str, image: str, ssh_public_key: str, host_key_private: str) -> None:
        """The rebuild carries new cloud-init user data: the login key and the new host key."""
        await self._call("rebuild the server", self.client.servers.rebuild, Server(id=int(id)), Image(name=image),
                         user_data=cloudinit.user_data(ssh_public_key, host_key_private, _public_of(host_key_private)))


def machine(server) -> Machine:
    """Our view of an hcloud server object."""
    public = server.public_net
    ipv4 = public.ipv4.ip if public is not None and public.ipv4 is not None else None
    ipv6 = public.ipv6.ip if public is not None and public.ipv6 is not None else None
    return Machine(
        id=str(server.id), name=server.name, state=STATES.get(server.status or "", "other"),
        offer=server.server_type.name if server.server_type is not None else None,
        location=server.location.name if server.location is not None else None,
        ipv4=ipv4, ipv6=ipv6, labels=dict(server.labels or {}),
    )


def _public_of(private: str) -> str:
    algorithm, blob = asyncssh.import_private_key(private).export_public_key("openssh").decode().split()[:2]
    return f"{algorithm} {blob}"
