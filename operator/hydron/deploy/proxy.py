"""Caddy's running configuration on the server, read and replaced through its admin
API (`GET /config/`, `POST /load`) with curl over the SSH session, and the nftables
table behind the routes' stable upstream addresses (see hydron.deploy.upstreams).

A load re-binds Caddy's listeners, so it happens only when routes themselves change
(a new service, domain or port); a rollout only switches an upstream in nftables.
Nothing is loaded or switched when nothing would change.
"""

from __future__ import annotations

import json
from typing import Any

from hydron.deploy import upstreams
from hydron.remote.builders import caddy
from hydron.remote.command import mutate, observe
from hydron.remote.runner import CommandRunner


class ProxyUnavailable(Exception):
    """Caddy's admin API does not answer: the Server is not (or no longer) provisioned."""

    reason = "ProxyUnavailable"


class Proxy:
    def __init__(self, run: CommandRunner) -> None:
        self.run = run
        self._config: Any = None
        self._read = False

    async def config(self) -> Any:
        if not self._read:
            result = await self.run.run(caddy.get_config())
            if result.exit_status in caddy.NOT_ANSWERING:
                raise ProxyUnavailable("Caddy's admin API on the server does not answer; is the Server provisioned?")
            self._config = json.loads(result.stdout or "null")
            self._read = True
        return self._config

    async def apply(self, config: dict) -> bool:
        """Load `config` unless it is what runs; True when it was loaded."""
        if config == await self.config():
            return False
        await self.run.run(caddy.load_config(), input=json.dumps(config).encode())
        self._config = config
        return True


NFT_LOAD = mutate("nft", "-f", "-")
NFT_LIST = observe("nft", "list", "table", upstreams.FAMILY, upstreams.TABLE, ok_exit={0, 1})
"""Exit 1: no table yet (no service was ever routed on this server)."""


class Upstreams:
    """Where each service's virtual address leads, read once and switched per service."""

    def __init__(self, run: CommandRunner) -> None:
        self.run = run
        self._table: upstreams.Table | None = None

    async def table(self) -> upstreams.Table:
        if self._table is None:
            result = await self.run.run(NFT_LIST)
            self._table = upstreams.parse(result.stdout if result.exit_status == 0 else "")
        return self._table

    async def point(self, app: str, service: str, virtual: str, target: str) -> bool:
        """Send new connections for `virtual` to `target`; True when that changed anything."""
        table = await self.table()
        if table.target(app, service, virtual) == target:
            return False
        await self.run.run(NFT_LOAD, input=upstreams.switch(app, service, virtual, target).encode())
        name = upstreams.chain(app, service)
        table.elements[virtual] = name
        table.targets[name] = target
        return True

    async def forget(self, app: str, service: str, virtual: str) -> None:
        """Drop a service's address (its route is gone from Caddy already)."""
        table = await self.table()
        name = upstreams.chain(app, service)
        listed = table.elements.get(virtual) == name
        if not listed and name not in table.targets:
            return
        await self.run.run(NFT_LOAD, input=upstreams.remove(app, service, virtual if listed else None).encode())
        table.elements.pop(virtual, None)
        table.targets.pop(name, None)
