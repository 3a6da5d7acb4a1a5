"""Application controller: source → analysis → plan → deployment, summarised in Ready."""

from __future__ import annotations

from hydron.api.application import Application, ApplicationStatus
from hydron.controllers.common import with_pending

CONDITIONS = {
    "SourceReady": "Waiting for the source to be fetched and pinned.",
    "Analyzed": "Waiting for the code to be analysed.",
    "Planned": "Waiting for an approved InfraPlan.",
    "Deployed": "Waiting for the Deployment to answer over HTTPS.",
}


async def reconcile(app: Application, generation: int | None) -> ApplicationStatus:
    """Bring the Application's status up to date with its spec."""
    status = app.status or ApplicationStatus()
    return with_pending(status, generation, CONDITIONS, list(CONDITIONS))
