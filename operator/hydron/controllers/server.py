"""Server controller: reach the machine over SSH, provision it, keep it repaired."""

from __future__ import annotations

from hydron.api.server import Server, ServerStatus
from hydron.controllers.common import with_pending

CONDITIONS = {
    "Reachable": "Waiting to connect over SSH.",
    "Provisioned": "Waiting for the provisioning steps to run.",
}


async def reconcile(server: Server, generation: int | None) -> ServerStatus:
    """Bring the Server's status up to date with its spec."""
    status = server.status or ServerStatus()
    return with_pending(status, generation, CONDITIONS, list(CONDITIONS))
