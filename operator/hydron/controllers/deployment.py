"""Deployment controller: build on the server, roll out, watch health."""

from __future__ import annotations

from hydron.api.deployment import Deployment, DeploymentStatus
from hydron.controllers.common import with_pending

CONDITIONS = {
    "Built": "Waiting for the images to be built on the server.",
    "Available": "Waiting for the services to pass their health checks.",
}


async def reconcile(deployment: Deployment, generation: int | None) -> DeploymentStatus:
    """Bring the Deployment's status up to date with its spec."""
    status = deployment.status or DeploymentStatus()
    return with_pending(status, generation, CONDITIONS, list(CONDITIONS))
