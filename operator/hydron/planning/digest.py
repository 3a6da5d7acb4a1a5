"""Short, stable digests of plan inputs: equal inputs give an equal digest on any machine."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel

from hydron.api.application import ApplicationSpec


def digest(value: Any) -> str:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def application_digest(spec: ApplicationSpec) -> str:
    """What of the Application the plan depends on: domains, env, overrides, budget, location, server.
    Not the source (a new source means a new analysis) and not autoApprove (approval, not planning)."""
    planning = spec.planning.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"auto_approve"})
    return digest({
        "domains": spec.domains,
        "env": [e.model_dump(mode="json", by_alias=True, exclude_none=True) for e in spec.env],
        "services": [s.model_dump(mode="json", by_alias=True, exclude_none=True) for s in spec.services],
        "planning": planning,
    })
