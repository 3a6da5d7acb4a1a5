"""Caddy's running configuration on the server, read and replaced through its admin
API (`GET /config/`, `POST /load`) with curl over the SSH session. `POST /load` is
graceful: listeners stay open and requests in flight finish, so replacing a route's
upstream is an atomic switch. Nothing is loaded when nothing would change.
"""

from __future__ import annotations

import json
from typing import Any

from hydron.remote.builders import caddy
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
