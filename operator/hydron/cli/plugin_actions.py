"""What `kubectl hydron` and the web view both do to an app's objects: find its InfraPlan
or Deployment, and patch the plan so that a concurrent change is never lost (the patch
is re-decided on the newest plan, where a stale approval is refused)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hydron.cli.plugin_kube import Conflict, PluginError, Session
from hydron.cli.plugin_status import deployment_name, plan_name

PATCH_ATTEMPTS = 3


def _owned_by_app(session: Session, app_name: str, kind: str, name_of: Callable[[dict[str, Any]], str],
                  not_yet: str) -> dict[str, Any]:
    """An app's InfraPlan or Deployment (named in the app's status); one of the app's
    name when the app itself is gone."""
    app = session.get("Application", app_name, missing_ok=True)
    obj = session.get(kind, name_of(app) if app is not None else app_name, missing_ok=True)
    if obj is not None:
        return obj
    if app is None:
        raise PluginError(f"Application {app_name!r} not found in namespace {session.namespace!r}; pick another "
                          "with -n, or list what is there with `kubectl hydron status`.", status=404)
    raise PluginError(f"Application {app_name!r} {not_yet} (`kubectl hydron status {app_name}` shows where it stands).", status=404)


def plan_for(session: Session, app_name: str) -> dict[str, Any]:
    return _owned_by_app(session, app_name, "InfraPlan", plan_name,
                         "has no InfraPlan yet: Hydron makes one once the source is analysed")


def deployment_for(session: Session, app_name: str) -> dict[str, Any]:
    return _owned_by_app(session, app_name, "Deployment", deployment_name, "is not deployed yet")


def patch_plan(session: Session, plan: dict[str, Any], make: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """Apply make(plan) as a merge patch guarded by resourceVersion; on a conflict read
    the plan again and re-decide (the revision may have moved: then make() refuses)."""
    name = plan["metadata"]["name"]
    for _ in range(PATCH_ATTEMPTS):
        try:
            return session.merge_patch("InfraPlan", name, make(plan))
        except Conflict:
            plan = session.get("InfraPlan", name)  # type: ignore[assignment]
    raise PluginError(f"InfraPlan {name} kept changing while it was being updated; try again.")
