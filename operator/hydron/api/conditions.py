"""Condition bookkeeping with Kubernetes semantics, as pure functions.

- `lastTransitionTime` moves only when a condition's status changes, so a person
  sees how long something has been true, not when it was last re-checked;
- `observedGeneration` is stamped on every condition written;
- `Ready` summarises the others: False if any is False, Unknown if any is Unknown,
  True only when all are True (the shape kstatus and Argo CD read).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from hydron.api.base import Condition, ConditionStatus

READY = "Ready"
STALLED = "Stalled"

# Each kind's own condition types, in the order Ready is summarised from them. The
# controllers set them, the docs generator documents them, the plugin shows them.
SOURCE_READY, ANALYZED, PLANNED, DEPLOYED = "SourceReady", "Analyzed", "Planned", "Deployed"
VALID, APPROVED = "Valid", "Approved"
REACHABLE, PROVISIONED, ORDERED = "Reachable", "Provisioned", "Ordered"
BUILT, AVAILABLE = "Built", "Available"
DNS_READY = "DNSReady"
"""A Deployment's, only with spec.dns: every domain's record answers with the server's address."""
CONDITION_TYPES: dict[str, tuple[str, ...]] = {
    "Application": (SOURCE_READY, ANALYZED, PLANNED, DEPLOYED),
    "InfraPlan": (VALID, APPROVED),
    "Server": (ORDERED, REACHABLE, PROVISIONED),
    "Deployment": (BUILT, AVAILABLE, DNS_READY),
}
"""kstatus (Flux, kpt) reads Stalled=True as Failed: set it when only a person can
help (an invalid spec, a wrong key), so GitOps tools stop waiting and say why."""


def now() -> datetime:
    """Current time truncated to seconds: metav1.Time has second precision."""
    return datetime.now(UTC).replace(microsecond=0)


def find(conditions: Iterable[Condition], type_: str) -> Condition | None:
    """The condition of this type, if present."""
    return next((c for c in conditions if c.type == type_), None)


def set_condition(
    conditions: Sequence[Condition],
    type_: str,
    status: ConditionStatus,
    reason: str,
    message: str,
    generation: int | None,
    at: datetime | None = None,
) -> list[Condition]:
    """A copy of `conditions` with one condition set; others keep their order."""
    previous = find(conditions, type_)
    transition = previous.last_transition_time if previous and previous.status == status else (at or now())
    updated = Condition(
        type=type_,
        status=status,
        reason=reason,
        message=message,
        observed_generation=generation,
        last_transition_time=transition,
    )
    if previous is None:
        return [*conditions, updated]
    return [updated if c.type == type_ else c for c in conditions]


def remove_condition(conditions: Sequence[Condition], type_: str) -> list[Condition]:
    """A copy without the condition of this type."""
    return [c for c in conditions if c.type != type_]


def mark_stalled(
    conditions: Sequence[Condition], reason: str, message: str, generation: int | None, at: datetime | None = None
) -> list[Condition]:
    """Ready=False and Stalled=True with the same reason: waiting will not help."""
    conditions = set_condition(conditions, READY, "False", reason, message, generation, at)
    return set_condition(conditions, STALLED, "True", reason, message, generation, at)


def summarize_ready(
    conditions: Sequence[Condition],
    depends_on: Sequence[str],
    generation: int | None,
    ready_message: str = "All conditions are met.",
    at: datetime | None = None,
) -> list[Condition]:
    """Set Ready from the conditions named in `depends_on`, in order of importance.

    The first False condition explains Ready=False; otherwise the first Unknown (or
    missing) one explains Ready=Unknown; otherwise Ready=True. A Stalled condition
    from an earlier generation is dropped: the new spec deserves a new try.
    """
    conditions = remove_condition(conditions, STALLED)
    present = {c.type: c for c in conditions}
    for wanted_status in ("False", "Unknown"):
        for type_ in depends_on:
            cond = present.get(type_)
            if cond is None and wanted_status == "Unknown":
                return set_condition(
                    conditions, READY, "Unknown", f"Awaiting{type_}", f"{type_} has not been evaluated yet.", generation, at
                )
            if cond is not None and cond.status == wanted_status:
                return set_condition(conditions, READY, wanted_status, cond.reason, cond.message, generation, at)  # type: ignore[arg-type]
    return set_condition(conditions, READY, "True", "Ready", ready_message, generation, at)
