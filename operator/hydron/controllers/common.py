"""What every controller does the same way: parse the spec, keep conditions, and hand
back an Outcome.

Every kind has one shape: `reconcile(resource, generation, deps) -> Outcome`. `deps`
carries what the pass reads from outside (other objects, Secrets, connections) and an
`emit` sink for what must be seen while it runs; everything else it wants done is in
`Outcome.effects`, which `hydron.main` applies before writing the status, both
under the object's lock."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from hydron.api.base import STORED, StatusBase
from hydron.api.conditions import find, mark_stalled, set_condition, summarize_ready
from hydron.remote.runner import CommandLog

Resource = TypeVar("Resource", bound=BaseModel)
Status = TypeVar("Status", bound=StatusBase)

INVALID_SPEC = "InvalidSpec"


@dataclass(frozen=True)
class Event:
    """A Kubernetes event on the resource being reconciled (type Normal or Warning)."""

    type: str
    reason: str
    message: str


@dataclass(frozen=True)
class ApplyChild:
    """Create or update a child object owned by the resource being reconciled.

    `create_only`: create it when missing, never touch its spec afterwards (the child
    owns it); `inputs` is then written as an annotation, whose change asks the child to
    look again. Otherwise the child's spec is made exactly `spec` but for `keep`."""

    kind: str
    plural: str
    name: str
    spec: dict[str, Any]
    labels: Mapping[str, str] = field(default_factory=dict)
    inputs: str | None = None
    keep: tuple[str, ...] = ()
    create_only: bool = False


@dataclass(frozen=True)
class PatchSpec:
    """Merge these fields into the resource's own spec (a plan remade by the planner)."""

    fields: dict[str, Any]


@dataclass(frozen=True)
class EnsureSecret:
    """Create or complete a Secret owned by the resource: `make(existing)` returns the
    whole data and keeps existing values (generated passwords never rotate by accident)."""

    name: str
    make: Callable[[dict[str, str]], dict[str, str]]


@dataclass(frozen=True)
class LiveStatus:
    """Write this status now, while the pass goes on (a progress table people watch).
    `durable`: the pass must not go on unless it was written (a pending-order marker)."""

    status: StatusBase
    durable: bool = False


Effect = Event | ApplyChild | PatchSpec | EnsureSecret | LiveStatus
Emit = Callable[[Effect], Awaitable[None] | None]
"""emit(effect): done at once, for effects a person should see while a long pass runs."""


@dataclass(frozen=True)
class Retry:
    """The failure can heal by itself: reconcile again after `delay` seconds (with backoff)."""

    message: str
    delay: float = 30.0


@dataclass
class Outcome:
    """What every reconcile hands back: the status to write, the effects to apply after
    it (children, spec patches, Secrets, events), and a retry when a failure can heal.

    `changes` and `commands` say what changed on a server and what ran there; `busy`
    that the pass stepped aside because another one held the server."""

    status: StatusBase
    effects: list[Effect] = field(default_factory=list)
    retry: Retry | None = None
    changes: list[str] = field(default_factory=list)
    commands: CommandLog = field(default_factory=CommandLog)
    busy: bool = False

    @property
    def retryable(self) -> bool:
        return self.retry is not None

    @property
    def message(self) -> str:
        return self.retry.message if self.retry else ""

    def to_api(self) -> dict:
        return self.status.to_api()


async def emit(sink: Emit | None, effect: Effect) -> None:
    """Hand one effect to a sink that may be sync or async (or missing)."""
    if sink is None:
        return
    result = sink(effect)
    if inspect.isawaitable(result):
        await result


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


def conclude(
    status: Status, generation: int | None, pending: Mapping[str, str], ready_message: str | None = None,
    depends_on: Sequence[str] | None = None,
) -> Status:
    """Fill every condition of `pending` that has no value yet, stamp observedGeneration
    and summarise Ready from `depends_on` (default: the pending ones): the last step of
    every controller's pass."""
    conditions = list(status.conditions)
    for type_, message in pending.items():
        if find(conditions, type_) is None:
            conditions = set_condition(conditions, type_, "Unknown", "Pending", message, generation)
    conditions = [c.model_copy(update={"observed_generation": generation}) for c in conditions]
    depends_on = list(pending) if depends_on is None else list(depends_on)
    conditions = summarize_ready(conditions, depends_on, generation, ready_message or "All conditions are met.")
    return status.model_copy(update={"conditions": conditions, "observed_generation": generation})


def with_condition(
    status: Status, type_: str, value: str, reason: str, message: str, generation: int | None
) -> Status:
    """The status with one condition set."""
    conditions = set_condition(status.conditions, type_, value, reason, message, generation)  # type: ignore[arg-type]
    return status.model_copy(update={"conditions": conditions})


def with_invalid_spec(status: Status, generation: int | None, message: str) -> Status:
    """Mark the resource as not Ready, and Stalled, because its spec cannot be acted on."""
    conditions = mark_stalled(status.conditions, INVALID_SPEC, message, generation)
    return status.model_copy(update={"conditions": conditions, "observed_generation": generation})
