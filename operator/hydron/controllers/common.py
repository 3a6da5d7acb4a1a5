"""What every controller does the same way: parse the spec, keep conditions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from hydron.api.base import STORED, StatusBase
from hydron.api.conditions import find, mark_stalled, set_condition, summarize_ready

Resource = TypeVar("Resource", bound=BaseModel)
Status = TypeVar("Status", bound=StatusBase)

INVALID_SPEC = "InvalidSpec"


@dataclass
class Outcome:
    """What a reconcile hands back: the status to write and, when a failure can heal
    by itself, the message for a retry with backoff (kopf.TemporaryError)."""

    status: StatusBase
    retry_message: str | None = None
    retry_delay: float = 30.0


class InvalidSpec(Exception):
    """The spec passed the API server's schema but not Hydron's own checks."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def describe_validation_error(error: ValidationError, limit: int = 3) -> str:
    """A short, readable account of what is wrong with a spec (no input values echoed,
    since a value may be a secret pasted into the wrong field)."""
    parts = []
    for item in error.errors()[:limit]:
        where = ".".join(str(p) for p in item["loc"]) or "spec"
        parts.append(f"{where}: {item['msg']}")
    more = len(error.errors()) - limit
    if more > 0:
        parts.append(f"and {more} more")
    return "; ".join(parts)


def status_model(model: type[BaseModel]) -> type[StatusBase]:
    """The status class of a top-level resource model."""
    return model.model_fields["status"].annotation.__args__[0]  # type: ignore[union-attr]


def parse(model: type[Resource], body: Mapping[str, Any]) -> Resource:
    """Parse a resource body into its model; raise InvalidSpec with a readable message.

    Only the spec can be invalid: a status Hydron cannot read is started afresh.
    """
    try:
        resource = model.model_validate({"spec": body.get("spec") or {}}, context=STORED)
    except ValidationError as error:
        raise InvalidSpec(describe_validation_error(error)) from error
    return resource.model_copy(update={"status": status_from(status_model(model), body)})


def status_from(model: type[Status], body: Mapping[str, Any]) -> Status:
    """The current status, tolerating an empty or partly foreign one."""
    try:
        return model.model_validate(body.get("status") or {})
    except ValidationError:
        return model()


def with_pending(
    status: Status, generation: int | None, pending: Mapping[str, str], depends_on: list[str]
) -> Status:
    """Give every condition in `pending` (type → message) an Unknown value if it has
    none yet, then recompute Ready and stamp observedGeneration."""
    conditions = list(status.conditions)
    for type_, message in pending.items():
        if find(conditions, type_) is None:
            conditions = set_condition(conditions, type_, "Unknown", "Pending", message, generation)
    conditions = [c.model_copy(update={"observed_generation": generation}) for c in conditions]
    conditions = summarize_ready(conditions, depends_on, generation)
    return status.model_copy(update={"conditions": conditions, "observed_generation": generation})


def with_invalid_spec(status: Status, generation: int | None, message: str) -> Status:
    """Mark the resource as not Ready, and Stalled, because its spec cannot be acted on."""
    conditions = mark_stalled(status.conditions, INVALID_SPEC, message, generation)
    return status.model_copy(update={"conditions": conditions, "observed_generation": generation})
