"""The progress table (status.steps) as pure transitions.

Pending → Running → Succeeded | Failed | Skipped. A run starts by listing every step
as Pending; steps after a failure stay Pending with a message saying what blocks
them, so the table always shows the whole plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hydron.api.server import ProvisioningStep, StepState

TERMINAL: frozenset[str] = frozenset({"Succeeded", "Failed", "Skipped"})


def plan(names: Sequence[str], previous: Sequence[ProvisioningStep] = ()) -> list[ProvisioningStep]:
    """Every step Pending, in order. A previous record's `changed` is kept so the table
    still says which steps did work last time until they run again."""
    before = {s.name: s for s in previous}
    return [
        ProvisioningStep(name=n, state="Pending", changed=before[n].changed if n in before else None, message="Waiting to run.")
        for n in names
    ]


def _replace(steps: Sequence[ProvisioningStep], name: str, **update) -> list[ProvisioningStep]:
    if not any(s.name == name for s in steps):
        raise KeyError(f"no step {name!r} in the plan")
    return [s.model_copy(update=update) if s.name == name else s for s in steps]


def start(steps: Sequence[ProvisioningStep], name: str, at: datetime, message: str = "Running.") -> list[ProvisioningStep]:
    current = next((s for s in steps if s.name == name), None)
    if current is not None and current.state in TERMINAL:
        raise ValueError(f"step {name!r} already finished ({current.state})")
    return _replace(steps, name, state="Running", started_at=at, finished_at=None, changed=None, message=message)


def finish(
    steps: Sequence[ProvisioningStep], name: str, state: StepState, at: datetime, *, changed: bool, message: str
) -> list[ProvisioningStep]:
    if state not in TERMINAL:
        raise ValueError(f"{state} is not a final state")
    current = next((s for s in steps if s.name == name), None)
    started = current.started_at if current is not None and current.started_at else at
    return _replace(steps, name, state=state, started_at=started, finished_at=at, changed=changed, message=message)


def block_rest(steps: Sequence[ProvisioningStep], because: str) -> list[ProvisioningStep]:
    """Steps still Pending say what keeps them from running."""
    return [s.model_copy(update={"message": f"Blocked: {because}."}) if s.state == "Pending" else s for s in steps]


def all_succeeded(steps: Sequence[ProvisioningStep]) -> bool:
    return bool(steps) and all(s.state in ("Succeeded", "Skipped") for s in steps)
