"""Shared building blocks of the resource models.

Every model serialises with camelCase names (the Kubernetes convention) while the
Python side keeps snake_case. Every field carries a description: it becomes the
text `kubectl explain` shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from hydron.api.checks import OBJECT_NAME


class ApiModel(BaseModel):
    """Base of every spec and status model: camelCase on the wire, strict keys."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def to_api(self) -> dict[str, Any]:
        """The object as the API server stores it (camelCase, unset fields left out)."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


def cel(rule: str, message: str, **extra: str) -> dict[str, str]:
    """One CEL validation rule (`x-kubernetes-validations`) with the message a person sees."""
    return {"rule": rule, "message": message, **extra}


def validations(*rules: dict[str, str]) -> dict[str, Any]:
    """json_schema_extra carrying CEL rules for a model or a field."""
    return {"x-kubernetes-validations": list(rules)}


IMMUTABLE = cel("self == oldSelf", "is immutable")

STORED: dict[str, bool] = {"stored": True}
"""Validation context for an object read back from the API server (the controllers'
parse): it passed admission, perhaps under an older CRD, and a model may choose to
set aside a part that no longer passes instead of refusing the whole object."""


def is_stored(context: Any) -> bool:
    return isinstance(context, dict) and bool(context.get("stored"))


ConditionStatus = Literal["True", "False", "Unknown"]


class Condition(ApiModel):
    """A condition in the shape of metav1.Condition, so kstatus, Argo CD and
    `kubectl wait --for=condition=...` understand it without custom checks."""

    type: str = Field(description="Type of the condition in CamelCase, e.g. Ready, SourceReady, Reachable.")
    status: ConditionStatus = Field(description="True, False or Unknown.")
    reason: str = Field(description="A CamelCase word a program can switch on, e.g. RepositoryNotFound.")
    message: str = Field(default="", description="What happened and what to do about it, for a person.")
    observed_generation: int | None = Field(
        default=None, description="The metadata.generation this condition was computed from."
    )
    last_transition_time: datetime = Field(description="When status last changed (not when it was last checked).")


class LocalObjectReference(ApiModel):
    """A reference to an object of a known kind in the same namespace."""

    name: OBJECT_NAME.type() = Field(description="Name of the object in the same namespace.")


class SecretKeyReference(ApiModel):
    """A key inside a Secret in the same namespace. Hydron reads Secrets with get only."""

    name: str = Field(description="Name of the Secret in the same namespace.", min_length=1, max_length=253)
    key: str = Field(description="Key inside the Secret's data.", min_length=1, max_length=253)


class EnvValueSource(ApiModel):
    """Where an environment variable's value comes from when it is not written inline."""

    secret_key_ref: SecretKeyReference = Field(description="Take the value from a key of a Secret.")


class EnvVar(ApiModel):
    """An environment variable for a service. Secrets go through valueFrom so they never
    appear in the spec, status, logs or LLM prompts."""

    model_config = ConfigDict(
        json_schema_extra=validations(
            cel("!(has(self.value) && has(self.valueFrom))", "set either value or valueFrom, not both")
        )
    )

    name: str = Field(description="Variable name.", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    value: str | None = Field(default=None, description="Plain value. Use valueFrom for anything secret.")
    value_from: EnvValueSource | None = Field(default=None, description="Take the value from a Secret.")


DeletionPolicy = Literal["Delete", "Orphan"]

DOMAIN_PATTERN = r"^(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
Domain = Annotated[str, Field(pattern=DOMAIN_PATTERN, max_length=253)]
"""A DNS name, optionally a wildcard (*.example.com)."""

MAP_BY_NAME: dict[str, Any] = {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]}
"""A list keyed by `name`: the API server rejects duplicates and merges by key."""


class StatusBase(ApiModel):
    """Fields every Hydron status has."""

    observed_generation: int | None = Field(
        default=None, description="The metadata.generation the controller last acted on."
    )
    conditions: list[Condition] = Field(
        default_factory=list,
        description="Current state as conditions; Ready summarises them.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
        max_length=32,
    )


class ResourceInfo:
    """Class-level facts for generating a CRD; set on each top-level resource model."""

    kind: ClassVar[str]
    plural: ClassVar[str]
    short_names: ClassVar[list[str]]
    description: ClassVar[str]
    printer_columns: ClassVar[list[dict[str, Any]]]


def ready_columns() -> list[dict[str, Any]]:
    """Printer columns every kind shares: Ready and the reason behind it."""
    return [
        {"name": "Ready", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].status'},
        {"name": "Reason", "type": "string", "jsonPath": '.status.conditions[?(@.type=="Ready")].reason'},
    ]


AGE_COLUMN = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
