"""OVHcloud dedicated (and Eco: Kimsufi, So you Start) servers through the official
`ovh` library, API v1 (https://eu.api.ovh.com/1.0) and the IAM resource tags of v2.

A dedicated server cannot be created by an API call that returns at once: it is
bought and delivered (hours to days). So an "order" takes a server already delivered
to the account, of the offer's commercial range in the location's datacenter, that no
Server has taken, and installs it: `POST /dedicated/server/{name}/reinstall` with the
OS template, the SSH key and a post-installation script that installs the host key
Hydron generated (so it is pinned before the first connection). The server is then
tagged `hydron.dev/server-uid` (IAM v2 resource tags), which is how it is found again.
Reinstall-then-tag, and free servers taken in name order: a crash between the two
takes the same server again, never a second one. "Deleting" a dedicated server is a
termination request, which OVH confirms by e-mail to the account owner; Hydron asks
for it and says so.

The account Secret's key holds `APPLICATION_KEY:APPLICATION_SECRET:CONSUMER_KEY`."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from typing import Any

import asyncssh
import ovh
import requests

from hydron.providers.base import (
    InvalidToken, Machine, MachineNotBooting, OfferUnavailable, OnState, ProviderError, ProviderUnavailable,
    RateLimited, State, UnknownOffer, wait_until_running,
)

ENDPOINT = "ovh-eu"
RUNNING_TASK = {"init", "todo", "doing"}


def credentials(token: str) -> tuple[str, str, str]:
    parts = token.strip().split(":")
    if len(parts) != 3 or not all(parts):
        raise InvalidToken("the OVHcloud account Secret must hold APPLICATION_KEY:APPLICATION_SECRET:CONSUMER_KEY.")
    return parts[0], parts[1], parts[2]


def post_install_script(host_key_private: str, host_key_public: str) -> str:
    """A shell script run on the installed system: the ed25519 host key Hydron chose,
    the others removed, sshd told to read them again."""
    return "\n".join([
        "#!/bin/sh", "set -e", "rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub", "umask 077",
        "cat > /etc/ssh/ssh_host_ed25519_key <<'HYDRON_KEY'", host_key_private.strip(), "HYDRON_KEY",
        f"echo '{host_key_public.strip()}' > /etc/ssh/ssh_host_ed25519_key.pub",
        "chmod 644 /etc/ssh/ssh_host_ed25519_key.pub",
        "systemctl reload ssh 2>/dev/null || { [ -f /run/sshd.pid ] && kill -HUP \"$(cat /run/sshd.pid)\"; } || true",
        "",
    ])


def translate(error: Exception, doing: str) -> ProviderError:
    """The typed error for an ovh-library or transport error (no credential appears)."""
    if isinstance(error, ProviderError):
        return error
    if isinstance(error, (ovh.exceptions.InvalidKey, ovh.exceptions.InvalidCredential, ovh.exceptions.NotCredential,
                          ovh.exceptions.NotGrantedCall, ovh.exceptions.Forbidden)):
        return InvalidToken(f"OVHcloud refused to {doing}: the application key, secret or consumer key is wrong or "
                            "lacks rights on /dedicated/server; check the account Secret.")
    if isinstance(error, ovh.exceptions.BadParametersError):
        return UnknownOffer(f"OVHcloud refused to {doing}: {error}.")
    status = getattr(getattr(error, "response", None), "status_code", None)
    if isinstance(error, ovh.exceptions.APIError) and status == 429:
        return RateLimited(f"OVHcloud rate-limited the call to {doing}; Hydron retries shortly.")
    if isinstance(error, (ovh.exceptions.NetworkError, requests.RequestException)):
        return ProviderUnavailable(f"OVHcloud did not answer while trying to {doing}.")
    if isinstance(error, ovh.exceptions.HTTPError) or (status is not None and status >= 500):
        return ProviderUnavailable(f"OVHcloud failed to {doing}: {error}.")
    return ProviderError(f"OVHcloud: could not {doing}: {error}")


class OvhDedicated:
    """Dedicated servers delivered to one OVHcloud account."""

    name = "ovh"
    resize_needs_stop = False
    released = "Asked OVHcloud (the account owner confirms by e-mail) to terminate server"

    def __init__(self, token: str, endpoint: str = ENDPOINT, poll_interval: float = 5.0) -> None:
        key, secret, consumer = credentials(token)
        self.client = ovh.Client(endpoint="ovh-eu", application_key=key, application_secret=secret,
                                 consumer_key=consumer)
        if endpoint != "ovh-eu":
            # A region name the library knows, or a URL (a proxy, a test bed's stand-in).
            self.client._endpoint = ovh.client.ENDPOINTS.get(endpoint, endpoint)
        self.poll_interval = poll_interval
        self._tasks: dict[str, int] = {}

    async def _call(self, doing: str, method: str, path: str, **body: Any) -> Any:
        try:
            return await asyncio.to_thread(getattr(self.client, method), path, **body)
        except Exception as error:  # every failure leaves as a ProviderError
            raise translate(error, doing) from None

    async def _servers(self) -> list[dict]:
        names = await self._call("list the dedicated servers", "get", "/dedicated/server")
        return [await self._call("read a dedicated server", "get", f"/dedicated/server/{n}") for n in sorted(names)]

    async def _tags(self) -> dict[str, dict]:
        """Each dedicated server's IAM resource (urn and tags), by service name."""
        found = await self._call("list resource tags", "get", "/v2/iam/resource", resourceType="dedicatedServer")
        return {r["name"]: r for r in found}

    async def check(self, offer: str, location: str, image: str) -> None:
        templates = await self._call("list OS templates", "get", "/dedicated/installationTemplate")
        if image not in templates:
            raise UnknownOffer(f"OVHcloud has no OS template {image!r} (e.g. debian12_64).")
        if not any(s.get("commercialRange", "").lower() == offer for s in await self._servers()):
            raise UnknownOffer(f"no {offer} server is delivered to this OVHcloud account; order one in the OVHcloud "
                               "Control Panel (dedicated servers are bought there), then Hydron takes it.")

    async def find_by_label(self, key: str, value: str) -> Machine | None:
        tags = await self._tags()
        for name, resource in sorted(tags.items()):
            if (resource.get("tags") or {}).get(key) == value:
                return await self.get(name)
        return None

    async def create(self, name: str, offer: str, location: str, image: str, ssh_public_key: str,
                     host_key_private: str, labels: Mapping[str, str]) -> Machine:
        tags = await self._tags()
        free = [s for s in await self._servers()
                if s.get("commercialRange", "").lower() == offer and s.get("datacenter", "").startswith(location)
                and not any(k.startswith("hydron.dev/") for k in (tags.get(s["name"], {}).get("tags") or {}))]
        if not free:
            raise OfferUnavailable(f"no free {offer} server in {location} is delivered to this OVHcloud account; "
                                   "order one in the OVHcloud Control Panel, Hydron looks again later.")
        server = free[0]["name"]
        await self._install(server, image, name, ssh_public_key, host_key_private)
        urn = tags.get(server, {}).get("urn") or f"urn:v1:eu:resource:dedicatedServer:{server}"
        for key, value in labels.items():
            await self._call("tag the server", "post", f"/v2/iam/resource/{urn}/tag", key=key, value=value)
        return await self.get(server)  # type: ignore[return-value]

    async def _install(self, server: str, image: str, hostname: str, ssh_public_key: str, host_key_private: str) -> None:
        script = post_install_script(host_key_private, _public_of(host_key_private))
        task = await self._call("install the operating system", "post", f"/dedicated/server/{server}/reinstall",
                                operatingSystem=image, customizations={
                                    "hostname": hostname, "sshKey": ssh_public_key.strip(),
                                    "postInstallationScript": base64.b64encode(script.encode()).decode()})
        self._tasks[server] = task["taskId"]

    async def get(self, id: str) -> Machine | None:
        try:
            server = await asyncio.to_thread(self.client.get, f"/dedicated/server/{id}")
        except ovh.exceptions.ResourceNotFoundError:
            return None
        except Exception as error:
            raise translate(error, "read the server") from None
        state: State = "running" if server.get("state") == "ok" else "other"
        tasks = await self._call("read the install task", "get", f"/dedicated/server/{id}/task",
                                 function="reinstallServer")
        if tasks:
            task = await self._call("read the install task", "get", f"/dedicated/server/{id}/task/{max(tasks)}")
            if task["status"] in RUNNING_TASK:
                state = "installing"
            elif task["status"] in ("error", "cancelled"):
                raise MachineNotBooting(f"OVHcloud's installation of {id} ended {task['status']}: "
                                        f"{task.get('comment') or 'see the task in the Control Panel'}.")
        tags = (await self._tags()).get(id, {}).get("tags") or {}
        return Machine(id=id, name=id, state=state, offer=(server.get("commercialRange") or "").lower() or None,
                       location=server.get("datacenter"), ipv4=server.get("ip"), labels=dict(tags))

    async def wait_running(self, id: str, on_state: OnState | None = None, timeout: float = 3600.0) -> Machine:
        return await wait_until_running(self.get, id, on_state, timeout, self.poll_interval,
                                        f"server {id} is no longer in the OVHcloud account.")

    async def delete(self, id: str) -> None:
        """Ask for termination: OVHcloud e-mails the account owner, who confirms it."""
        try:
            await asyncio.to_thread(self.client.post, f"/dedicated/server/{id}/terminate")
        except ovh.exceptions.ResourceNotFoundError:
            return
        except Exception as error:
            raise translate(error, "ask for the server's termination") from None

    async def resize(self, id: str, offer: str) -> None:
        raise ProviderError("a dedicated server cannot change its offer; move the app to a new Server instead.")

    async def stop(self, id: str) -> None:
        raise ProviderError("Hydron does not power OVHcloud dedicated servers off.")

    async def start(self, id: str) -> None:
        raise ProviderError("Hydron does not power OVHcloud dedicated servers on.")

    async def rebuild(self, id: str, image: str, ssh_public_key: str, host_key_private: str) -> None:
        await self._install(id, image, id, ssh_public_key, host_key_private)


def _public_of(private: str) -> str:
    algorithm, blob = asyncssh.import_private_key(private).export_public_key("openssh").decode().split()[:2]
    return f"{algorithm} {blob}"
