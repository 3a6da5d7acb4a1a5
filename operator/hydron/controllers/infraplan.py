"""InfraPlan controller: validate the plan, track revisions and approval."""

from __future__ import annotations

from hydron.api.infraplan import InfraPlan, InfraPlanStatus
from hydron.controllers.common import with_pending

CONDITIONS = {
    "Valid": "Waiting for the plan to be validated.",
    "Approved": "Waiting for a person (or autoApprove) to approve a revision.",
}


async def reconcile(plan: InfraPlan, generation: int | None) -> InfraPlanStatus:
    """Bring the plan's status up to date with its spec."""
    status = plan.status or InfraPlanStatus()
    return with_pending(status, generation, CONDITIONS, list(CONDITIONS))
