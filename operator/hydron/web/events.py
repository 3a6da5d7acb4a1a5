"""The Kubernetes Events Hydron posted about an object (a Deployment's rollout: build,
health check, route switch, failure), as the Runs panel shows them.

Events are core objects: a user who may read Hydron's resources but not Events sees
why they are missing instead of an error for the whole page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hydron.cli.plugin_kube import PluginError, Session

LIMIT = 50


def _when(event: Mapping[str, Any]) -> str:
    return str(event.get("lastTimestamp") or event.get("eventTime") or event.get("firstTimestamp")
               or (event.get("metadata") or {}).get("creationTimestamp") or "")


def event_row(event: Mapping[str, Any]) -> dict[str, Any]:
    """One Event as the page shows it (picked by name: nothing else leaves)."""
    return {"type": event.get("type"), "reason": event.get("reason"), "message": event.get("message"),
            "count": event.get("count") or 1, "at": _when(event)}


def newest_events(events: list[Mapping[str, Any]], limit: int = LIMIT) -> list[dict[str, Any]]:
    """The newest `limit` events, oldest first (as they happened)."""
    return [event_row(e) for e in sorted(events, key=_when)[-limit:]]


def events_view(session: Session, kind: str, name: str) -> dict[str, Any]:
    """{"items": [...]}, or {"items": [], "problem": why} when the API server refused."""
    try:
        return {"items": newest_events(session.events(kind, name))}
    except PluginError as error:
        return {"items": [], "problem": error.message}
