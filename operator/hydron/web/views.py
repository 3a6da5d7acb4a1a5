"""What the web view shows, made from the four objects as the API server returns them.

Pure: dicts in, JSON-ready dicts out. Every field that leaves here is picked by name,
so nothing reaches the browser by accident: env values that come from a Secret are
shown as the reference (Secret name and key), a plain value the plan itself marks as
secret is withheld, and Secret data is never read for a view at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from hydron.cli.plugin_plan import diff_summary
from hydron.cli.plugin_status import approval_state, deployment_name, list_rows, summarize

Obj = Mapping[str, Any]

RELEASE_FIELDS = ("number", "state", "sourceRevision", "createdAt", "message", "reason", "rollbackOf")
SERVICE_FIELDS = ("name", "role", "runtime", "image", "context", "dockerfile", "dockerfileOrigin", "startCommand",
                  "command", "port", "public", "domains", "healthCheck", "dependsOn", "resources", "volumes")
SERVER_FIELDS = ("serverRef", "provider", "offer", "location", "cpus", "memoryMiB", "diskGiB", "monthlyPrice",
                 "pricesAsOf", "architecture", "kind", "required", "nextSizeUp", "rationale")


def _spec(obj: Obj | None) -> dict[str, Any]:
    return dict((obj or {}).get("spec") or {})


def _status(obj: Obj | None) -> dict[str, Any]:
    return dict((obj or {}).get("status") or {})


def _pick(obj: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    return {k: obj[k] for k in fields if obj.get(k) not in (None, [], {})}


def release_view(release: Obj) -> dict[str, Any]:
    """A release without its service configuration (that carries env; the UI needs none of it)."""
    out = _pick(release, RELEASE_FIELDS)
    out["images"] = [{"name": i.get("name"), "image": i.get("image")} for i in release.get("images") or []]
    return out


def list_view(apps: Sequence[Obj], plans: Sequence[Obj], deployments: Sequence[Obj], now: datetime) -> list[dict[str, Any]]:
    """One row per app (as `kubectl hydron status` lists them) with its newest release."""
    by_name = {((d.get("metadata") or {}).get("namespace"), (d.get("metadata") or {}).get("name")): d for d in deployments}
    rows = list_rows(apps, plans, now)
    for row, app in zip(rows, apps, strict=True):
        deployment = by_name.get((row["namespace"], deployment_name(app)))
        releases = _status(deployment).get("releases") or []
        row["lastRelease"] = release_view(releases[-1]) if releases else None
        row["reasonMessage"] = next((c.get("message", "") for c in _status(app).get("conditions") or []
                                     if c.get("type") == "Ready"), "")
    return rows


def env_view(env: Sequence[Obj], secret_names: set[str]) -> list[dict[str, Any]]:
    """Each variable as a person may see it: a value, a Secret reference, or withheld."""
    out = []
    for var in env:
        ref = (var.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            out.append({"name": var.get("name"), "secretRef": {"name": ref.get("name"), "key": ref.get("key")}})
        elif var.get("name") in secret_names:
            out.append({"name": var.get("name"), "withheld": True})
        else:
            out.append({"name": var.get("name"), "value": var.get("value")})
    return out


def _service_view(service: Obj) -> dict[str, Any]:
    secret_names = {d.get("name") for d in service.get("envDefinitions") or [] if d.get("secret")}
    out = _pick(service, SERVICE_FIELDS)
    out["env"] = env_view(service.get("env") or [], secret_names)
    out["envDefinitions"] = [_pick(d, ("name", "secret", "required", "source", "description"))
                             for d in service.get("envDefinitions") or []]
    return out


def assistant_problem(plan: Obj | None) -> str | None:
    """Why no model will answer the change requests now, as the planner said it in a
    finding: no LLM is configured (no API key), or the LLM step failed. None otherwise."""
    for finding in _status(plan).get("findings") or []:
        if finding.get("source") == "LLM" and (finding.get("field") == "changeRequests"
                                               or "LLM step failed" in (finding.get("message") or "")):
            return finding.get("message") or None
    return None


def chat_view(plan: Obj) -> list[dict[str, Any]]:
    """The change requests, oldest first, each with the reply that answered it.

    A reply answers the first N requests; a request the planner took in (basis counts
    it) that no reply covers was answered by the rules alone: no LLM is configured, or
    it failed. One beyond the basis waits for the planner, unless the planner already
    said that no model will read it (then the chat says so instead of waiting)."""
    requests = _spec(plan).get("changeRequests") or []
    status = _status(plan)
    problem = assistant_problem(plan)
    replies = sorted(status.get("assistant") or [], key=lambda r: r.get("changeRequests", 0))
    taken = ((status.get("basis") or _spec(plan).get("basis") or {}).get("changeRequests") or 0)
    entries = []
    for index, request in enumerate(requests, 1):
        reply = next((r for r in replies if r.get("changeRequests", 0) >= index), None)
        entry: dict[str, Any] = {"number": index, "message": request.get("message", ""), "author": request.get("author")}
        if reply is not None and (reply.get("changeRequests") == index or index == len(requests)):
            entry["reply"] = _pick(reply, ("summary", "declined", "notApplied", "changeRequests"))
            entry["state"] = "Answered"
        elif reply is not None:
            entry["state"] = "Answered"
        elif index <= taken:
            entry["state"] = "NoAssistant"
            entry["note"] = ("The plan was remade by the rules alone: no LLM is configured for Hydron "
                             "(or it did not answer), so this request was not read by a model.")
        elif problem is not None:
            entry["state"] = "NoAssistant"
            entry["note"] = f"No model will answer this request: {problem}"
        else:
            entry["state"] = "Waiting"
        entries.append(entry)
    return entries


def secret_env_names(plan: Obj | None) -> set[str]:
    """Env names the plan marks secret (their plain values are withheld everywhere)."""
    return {d.get("name") for s in _spec(plan).get("services") or [] for d in s.get("envDefinitions") or []
            if d.get("secret")}


def masked(changes: Sequence[str], secret_names: set[str]) -> list[str]:
    """Change lines with the values of secret env variables withheld: a fingerprint line
    `services[web].env[API_TOKEN]: a → b` carries the plain value."""
    out = []
    for line in changes:
        name = line.split(".env[", 1)[1].split("]", 1)[0] if ".env[" in line else None
        if name in secret_names and ": " in line:
            line = line.split(": ", 1)[0] + ": (secret value changed, not shown)"
        out.append(line)
    return out


class RevisionNotKept(LookupError):
    pass


def revision_diff(plan: Obj, before: int, after: int) -> dict[str, Any]:
    """What differs between two kept revisions (any two, either order), secrets withheld."""
    from hydron.planning.revisions import diff

    kept = {h.get("revision"): h for h in _status(plan).get("history") or []}
    for wanted in (before, after):
        if wanted not in kept:
            numbers = sorted(kept)
            have = f"revisions {numbers[0]} to {numbers[-1]}" if numbers else "no revisions yet"
            raise RevisionNotKept(f"revision {wanted} of InfraPlan {(plan.get('metadata') or {}).get('name')} "
                                  f"is not kept; the plan keeps {have}.")
    changes = diff(kept[before].get("material") or [], kept[after].get("material") or [])
    return {"from": before, "to": after, "changes": masked(changes, secret_env_names(plan))}


def revisions_view(plan: Obj) -> list[dict[str, Any]]:
    """The kept revisions, oldest first, without their fingerprints."""
    return [_pick(h, ("revision", "revisedAt", "why")) for h in _status(plan).get("history") or []]


def plan_view(plan: Obj | None) -> dict[str, Any] | None:
    """The InfraPlan as a reviewer reads it, secrets shown as references only."""
    if plan is None:
        return None
    spec, status = _spec(plan), _status(plan)
    meta = plan.get("metadata") or {}
    diff = diff_summary(plan)
    return {
        "name": meta.get("name"),
        "revision": status.get("revision"),
        "approvedRevision": status.get("approvedRevision"),
        "approvedBy": status.get("approvedBy"),
        "approval": approval_state(plan),
        "revisedAt": status.get("revisedAt"),
        "changes": masked(diff["changes"], secret_env_names(plan)),
        "pendingEdits": masked(diff["pendingEdits"], secret_env_names(plan)),
        "revisions": revisions_view(plan),
        "server": _pick(spec.get("server") or {}, SERVER_FIELDS),
        "services": [_service_view(s) for s in spec.get("services") or []],
        "routes": [_pick(r, ("domain", "path", "service", "port", "tls")) for r in spec.get("routes") or []],
        "firewall": [_pick(f, ("port", "protocol", "source", "reason")) for f in spec.get("firewall") or []],
        "security": spec.get("security") or {},
        "secrets": [{"name": s.get("name"), "purpose": s.get("purpose"),
                     "keys": [_pick(k, ("key", "generate", "description")) for k in s.get("keys") or []]}
                    for s in spec.get("secrets") or []],
        "findings": [_pick(f, ("severity", "source", "field", "message")) for f in status.get("findings") or []],
        "planner": ((status.get("basis") or {}).get("planner")),
        "chat": chat_view(plan),
        "assistantProblem": assistant_problem(plan),
        "conditions": [_pick(c, ("type", "status", "reason", "message")) for c in status.get("conditions") or []],
    }


def detail_view(app: Obj, plan: Obj | None, server: Obj | None, deployment: Obj | None, now: datetime) -> dict[str, Any]:
    """One app: the `kubectl hydron status` summary, the plan, and runs (steps, releases, services)."""
    summary = summarize(app, plan, server, deployment, now)
    if summary.get("deployment"):
        summary["deployment"]["releases"] = [release_view(r) for r in summary["deployment"]["releases"]]
        summary["deployment"]["services"] = [
            _pick(s, ("name", "state", "image", "restarts", "cpuPercent", "memoryMiB", "url"))
            for s in summary["deployment"]["services"]]
        summary["deployment"]["serviceNames"] = [s.get("name") for s in _spec(deployment).get("services") or []]
    if summary.get("server") and server is not None:
        summary["server"]["steps"] = [
            {**step, **_pick(raw, ("startedAt", "finishedAt"))}
            for step, raw in zip(summary["server"]["steps"], _status(server).get("steps") or [], strict=False)]
        summary["server"]["usage"] = _status(server).get("usage")
    summary["planView"] = plan_view(plan)
    return summary


def event_view(kind: str, type_: str, obj: Obj) -> dict[str, Any]:
    """What a watch event tells the browser: which object changed (it re-reads what it shows)."""
    meta = obj.get("metadata") or {}
    if kind == "Event":  # an Event names the object it is about
        about = obj.get("involvedObject") or {}
        return {"kind": kind, "type": type_, "name": about.get("name"), "about": about.get("kind"),
                "namespace": meta.get("namespace"), "app": None, "resourceVersion": meta.get("resourceVersion")}
    out: dict[str, Any] = {"kind": kind, "type": type_, "name": meta.get("name"),
                           "namespace": meta.get("namespace"), "resourceVersion": meta.get("resourceVersion")}
    spec = obj.get("spec") or {}
    out["app"] = meta.get("name") if kind == "Application" else (spec.get("applicationRef") or {}).get("name")
    return out
