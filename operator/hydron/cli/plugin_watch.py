"""`kubectl hydron status APP -w`: the app's status, then one line per change as it happens.

Like `kubectl get -w`, it prints the whole view once and then only what changed: a
provisioning step going Pending → Running → Succeeded, a condition turning, a new plan
revision, a release's state. `changes` is pure (two summaries in, lines out); `follow`
keeps one kube watch per Hydron kind open (the API server pushes each change, nothing
polls) and feeds every object it sees through `summarize`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

from hydron.cli.plugin_kube import PLURALS, Session
from hydron.cli.plugin_status import deployment_name, plan_name, server_name, summarize
from hydron.cli.render import PLAIN, Style, short

Summary = Mapping[str, Any]
WATCH_SECONDS = 300
"""How long one watch request stays open before it is renewed from where it stopped."""


def _ready_word(ready: Mapping[str, str] | None) -> str:
    if not ready:
        return "Unknown"
    return f"{ready.get('status', 'Unknown')} ({ready['reason']})" if ready.get("reason") else ready.get("status", "Unknown")


def _transition(label: str, old: str | None, new: str, detail: str | None, style: Style) -> str:
    arrow = f"{old} → {style.state(new) or new}" if old is not None else style.state(new) or new
    return f"{label}: {arrow}" + (f"  {short(detail, 100)}" if detail else "")


def changes(before: Summary | None, after: Summary, style: Style = PLAIN) -> list[str]:
    """What a person watching would want to be told, oldest first."""
    before = before or {}
    lines: list[str] = []
    app = f"Application {after.get('name')}"
    if _ready_word(before.get("ready")) != _ready_word(after.get("ready")):
        lines.append(_transition(f"{app} Ready", _ready_word(before.get("ready")) if before else None,
                                 _ready_word(after.get("ready")), after["ready"].get("message"), style))
    was = {c["type"]: c for c in before.get("conditions") or []}
    for cond in after.get("conditions") or []:
        old = was.get(cond["type"])
        if cond["type"] != "Ready" and (old is None or (old["status"], old["reason"]) != (cond["status"], cond["reason"])):
            lines.append(_transition(f"{app} {cond['type']}", f"{old['status']} ({old['reason']})" if old else None,
                                     f"{cond['status']} ({cond['reason']})", cond.get("message"), style))
    plan, old_plan = after.get("plan") or {}, before.get("plan") or {}
    if plan and (plan.get("revision"), plan.get("approval")) != (old_plan.get("revision"), old_plan.get("approval")):
        lines.append(f"InfraPlan {plan['name']}: revision {plan.get('revision')}, {plan.get('approval')}")
    lines += _server_changes(before.get("server") or {}, after.get("server") or {}, style)
    lines += _deployment_changes(before.get("deployment") or {}, after.get("deployment") or {}, style)
    return lines


def _server_changes(before: Summary, after: Summary, style: Style) -> list[str]:
    if not after or not after.get("found"):
        return []
    label = f"Server {after['name']}"
    lines = []
    if before.get("found") and _ready_word(before.get("ready")) != _ready_word(after.get("ready")):
        lines.append(_transition(f"{label} Ready", _ready_word(before.get("ready")), _ready_word(after.get("ready")),
                                 (after.get("ready") or {}).get("message"), style))
    same_server = before.get("name") == after["name"]
    lines += _state_changes(f"{label} step", before.get("steps") if same_server else None, after.get("steps"),
                            "name", style)
    return lines


def _state_changes(label: str, before: list[Summary] | None, after: list[Summary] | None, key: str,
                   style: Style) -> list[str]:
    """A line for each item (step, release, service) that is new or whose state moved."""
    old_items = {item.get(key): item for item in before or []}
    lines = []
    for item in after or []:
        old = old_items.get(item.get(key))
        if old is None or old.get("state") != item.get("state"):
            lines.append(_transition(f"{label} {item.get(key)}", old.get("state") if old else None,
                                     item.get("state") or "", item.get("message"), style))
    return lines


def _deployment_changes(before: Summary, after: Summary, style: Style) -> list[str]:
    if not after:
        return []
    label = f"Deployment {after['name']}"
    lines = []
    if _ready_word(before.get("ready")) != _ready_word(after.get("ready")):
        lines.append(_transition(f"{label} Ready", _ready_word(before.get("ready")) if before else None,
                                 _ready_word(after.get("ready")), (after.get("ready") or {}).get("message"), style))
    lines += _state_changes(f"{label} release", before.get("releases"), after.get("releases"), "number", style)
    lines += _state_changes(f"{label} service", before.get("services"), after.get("services"), "name", style)
    return lines


def summary_of(objects: Mapping[tuple[str, str], Mapping[str, Any]], app: str, now: datetime) -> dict[str, Any] | None:
    """The app's summary from the objects seen so far (None until the Application is seen)."""
    application = objects.get(("Application", app))
    if application is None:
        return None
    plan = objects.get(("InfraPlan", plan_name(application)))
    deployment = objects.get(("Deployment", deployment_name(application)))
    name = server_name(application, plan, deployment)
    server = objects.get(("Server", name)) if name else None
    return summarize(application, plan, server, deployment, now)


Event = tuple[str, str, dict[str, Any]]
"""(kind, ADDED | MODIFIED | DELETED, object)"""


def snapshot(session: Session) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, str | None]]:
    """Every Hydron object in the namespace, and the resourceVersion each list was read at
    (the watches start there, so nothing between the list and the watch is missed)."""
    from hydron.api import GROUP, VERSION

    objects: dict[tuple[str, str], dict[str, Any]] = {}
    versions: dict[str, str | None] = {}
    for kind, plural in PLURALS.items():
        try:
            listed = session.custom.list_namespaced_custom_object(GROUP, VERSION, session.namespace, plural)
        except Exception as error:  # noqa: BLE001 - translated into what to do
            raise session._explain(error, kind, None) from None
        versions[kind] = (listed.get("metadata") or {}).get("resourceVersion")
        for obj in listed.get("items") or []:
            objects[(kind, obj["metadata"]["name"])] = obj
    return objects, versions


def _watch_kind(session: Session, kind: str, version: str | None, events: queue.Queue, stop: threading.Event) -> None:
    """One kind's watch from `version`, renewed where it stopped (relisted after 410 Gone)."""
    from kubernetes import watch

    from hydron.api import GROUP, VERSION

    while not stop.is_set():
        w = watch.Watch()
        try:
            if version is None:  # expired: list again, every object as MODIFIED (changes() drops no-ops)
                listed = session.custom.list_namespaced_custom_object(GROUP, VERSION, session.namespace, PLURALS[kind])
                version = (listed.get("metadata") or {}).get("resourceVersion")
                for obj in listed.get("items") or []:
                    events.put((kind, "MODIFIED", obj))
            for event in w.stream(session.custom.list_namespaced_custom_object, GROUP, VERSION, session.namespace,
                                  PLURALS[kind], resource_version=version, timeout_seconds=WATCH_SECONDS):
                obj = event["object"]
                version = (obj.get("metadata") or {}).get("resourceVersion") or version
                if event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                    events.put((kind, event["type"], obj))
                if stop.is_set():
                    break
        except Exception as error:  # noqa: BLE001 - 410 Gone and dropped connections: start again
            status = getattr(error, "status", None)
            if status == 410:
                version = None
            elif status in (401, 403, 404):
                events.put((kind, "ERROR", {"message": str(getattr(error, "reason", error)), "status": status}))
                return
            stop.wait(1.0)  # do not spin on an API server that is down
        finally:
            w.stop()


def follow(session: Session, app: str, emit: Callable[[str], None], now: Callable[[], datetime],
           objects: dict[tuple[str, str], dict[str, Any]], versions: Mapping[str, str | None],
           style: Style = PLAIN, stop: threading.Event | None = None) -> None:
    """Print one line per change to the app, from the snapshot on, until `stop` is set (or Ctrl-C)."""
    stop = stop or threading.Event()
    events: queue.Queue = queue.Queue()
    for kind in PLURALS:
        threading.Thread(target=_watch_kind, args=(session, kind, versions.get(kind), events, stop), daemon=True,
                         name=f"watch-{kind}").start()
    previous = summary_of(objects, app, now())
    try:
        for kind, type_, obj in _drain(events, stop):
            if type_ == "ERROR":
                emit(f"cannot watch {kind}s (HTTP {obj['status']}): {obj['message']}\n")
                continue
            key = (kind, (obj.get("metadata") or {}).get("name", ""))
            if type_ == "DELETED":
                objects.pop(key, None)
            else:
                objects[key] = obj
            current = summary_of(objects, app, now())
            if current is None:
                if previous is not None:
                    emit(f"{now():%H:%M:%S}  Application {app} was deleted\n")
                previous = None
                continue
            for line in changes(previous, current, style):
                emit(f"{now():%H:%M:%S}  {line}\n")
            previous = current
    finally:
        stop.set()


def _drain(events: queue.Queue, stop: threading.Event) -> Iterator[Event]:
    while not stop.is_set():
        try:
            yield events.get(timeout=0.5)  # wakes up to notice `stop` (and Ctrl-C)
        except queue.Empty:
            continue
