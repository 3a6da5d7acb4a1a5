"""`kubectl hydron status`: one application across its four resources, as data and as text.

`summarize` turns the raw objects (dicts as the API returns them) into one summary,
which `-o json|yaml` prints as it is and `render_app` lays out for a person, so
scripts and people read the same facts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from hydron.api.conditions import CONDITION_TYPES, READY, STALLED
from hydron.cli.render import PLAIN, Style, age, condition, short, span, table

APP_CONDITIONS = (READY, *CONDITION_TYPES["Application"], STALLED)
Obj = Mapping[str, Any] | None


def _status(obj: Obj) -> dict[str, Any]:
    return dict((obj or {}).get("status") or {})


def _spec(obj: Obj) -> dict[str, Any]:
    return dict((obj or {}).get("spec") or {})


def _name(obj: Obj) -> str | None:
    return ((obj or {}).get("metadata") or {}).get("name")


def _ready(obj: Obj) -> dict[str, str]:
    c = condition(obj, "Ready") or {}
    return {"status": c.get("status", "Unknown"), "reason": c.get("reason", ""), "message": c.get("message", "")}


def plan_name(app: Mapping[str, Any]) -> str:
    """The InfraPlan of an app: status.planRef, else the app's own name (plans are named after it)."""
    return (_status(app).get("planRef") or {}).get("name") or _name(app) or ""


def deployment_name(app: Mapping[str, Any]) -> str:
    return (_status(app).get("deploymentRef") or {}).get("name") or _name(app) or ""


def server_name(app: Obj, plan: Obj, deployment: Obj) -> str | None:
    """Where the app runs: the Deployment's server, else the plan's, else the one the app asks for."""
    for ref in (_spec(deployment).get("serverRef"), (_spec(plan).get("server") or {}).get("serverRef"),
                (_spec(app).get("planning") or {}).get("serverRef")):
        if ref and ref.get("name"):
            return ref["name"]
    return None


def approval_state(plan: Obj) -> str:
    """Where the plan's review stands, in a few words."""
    status = _status(plan)
    revision, approved = status.get("revision"), status.get("approvedRevision")
    if revision is None:
        return "not made yet"
    if approved == revision:
        return f"approved by {status.get('approvedBy') or 'a person'}"
    cond = condition(plan, "Approved") or {}
    if cond.get("reason") == "StaleApproval":
        return f"approval is stale (names an older revision); revision {revision} waits for approval"
    return f"waiting for approval of revision {revision}"


def _source(app: Mapping[str, Any]) -> dict[str, Any]:
    source = _status(app).get("source") or {}
    out = {k: source[k] for k in ("url", "path", "ref", "commit", "image", "template", "fetchedAt") if source.get(k)}
    return out


def _services(app: Mapping[str, Any]) -> list[dict[str, Any]]:
    services = []
    for s in (_status(app).get("analysis") or {}).get("services") or []:
        port = (s.get("port") or {}).get("value")
        role = (s.get("role") or {}).get("value")
        framework = (s.get("framework") or {}).get("name") or (s.get("language") or {}).get("name")
        services.append({k: v for k, v in (("name", s.get("name")), ("role", role), ("port", port),
                                            ("framework", framework), ("image", s.get("image"))) if v is not None})
    return services


def _steps(server: Obj, now: datetime) -> list[dict[str, Any]]:
    return [
        {"name": s.get("name"), "state": s.get("state"), "duration": span(s.get("startedAt"), s.get("finishedAt"), now),
         "changed": s.get("changed"), "message": s.get("message") or ""}
        for s in _status(server).get("steps") or []
    ]


def summarize(app: Mapping[str, Any], plan: Obj, server: Obj, deployment: Obj, now: datetime) -> dict[str, Any]:
    """Everything a person asks about an app, from its four objects (any may be None)."""
    meta = app.get("metadata") or {}
    summary: dict[str, Any] = {
        "name": meta.get("name"),
        "namespace": meta.get("namespace"),
        "ready": _ready(app),
        "conditions": [
            {k: c.get(k, "") for k in ("type", "status", "reason", "message")}
            for t in APP_CONDITIONS if (c := condition(app, t))
        ],
        "source": _source(app),
        "services": _services(app),
        "url": _status(app).get("url"),
        "plan": None, "server": None, "deployment": None,
    }
    if plan is not None:
        ps = _status(plan)
        offer = _spec(plan).get("server") or {}
        summary["plan"] = {
            "name": _name(plan), "revision": ps.get("revision"), "approvedRevision": ps.get("approvedRevision"),
            "approvedBy": ps.get("approvedBy"), "approval": approval_state(plan), "ready": _ready(plan),
            "offer": "/".join(x for x in (offer.get("provider"), offer.get("offer")) if x) or None,
            "monthlyPrice": offer.get("monthlyPrice"),
        }
    name = server_name(app, plan, deployment)
    if server is not None or name:
        summary["server"] = {
            "name": _name(server) or name, "found": server is not None,
            "address": _spec(server).get("address"), "ready": _ready(server) if server is not None else None,
            "steps": _steps(server, now), "usage": _status(server).get("usage") if server is not None else None,
            "pressure": [{k: c.get(k, "") for k in ("type", "reason", "message")}
                         for t in ("DiskPressure", "MemoryPressure") if (c := condition(server, t)) and c.get("status") == "True"],
        }
    if deployment is not None:
        ds = _status(deployment)
        releases = ds.get("releases") or []
        summary["deployment"] = {
            "name": _name(deployment), "ready": _ready(deployment), "releases": releases,
            "services": ds.get("services") or [], "urls": ds.get("urls") or [],
            "rollbackTo": _spec(deployment).get("rollbackTo"),
        }
    return summary


def _line(label: str, value: str) -> str:
    return f"{label + ':' if label else '':<12}{value}\n"


def _ready_text(ready: Mapping[str, str] | None, style: Style) -> str:
    if not ready:
        return ""
    text = style.status(ready["status"])
    return f"{text} ({ready['reason']})" if ready.get("reason") else text


def render_app(summary: Mapping[str, Any], style: Style = PLAIN) -> str:
    """The summary laid out for a terminal."""
    out = [style.bold(f"Application {summary['namespace']}/{summary['name']}") + "  " + _ready_text(summary["ready"], style) + "\n"]
    if summary["ready"].get("message"):
        out.append(f"  {summary['ready']['message']}\n")
    rows = [[c["type"], style.status(c["status"]), c["reason"], short(c["message"], 90)]
            for c in summary["conditions"] if c["type"] != "Ready"]
    if rows:
        out.append("\n" + table(["CONDITION", "STATUS", "REASON", "MESSAGE"], rows, indent="  "))
    out.append("\n")
    source = summary["source"]
    if source.get("image"):
        out.append(_line("Source", f"image {source['image']}"))
    elif source.get("template"):
        out.append(_line("Source", f"template {source['template']}"))
    elif source.get("commit"):
        where = source.get("url", "") + (f" ({source['path']})" if source.get("path") else "")
        ref = source.get("ref", "").removeprefix("refs/heads/").removeprefix("refs/tags/")
        out.append(_line("Source", f"{where} at {source['commit'][:12]}" + (f" ({ref})" if ref else "")))
    else:
        out.append(_line("Source", "not fetched yet"))
    if summary["services"]:
        parts = []
        for s in summary["services"]:
            detail = ", ".join(str(x) for x in (s.get("framework"), s.get("role"), f"port {s['port']}" if s.get("port") else None) if x)
            parts.append(f"{s['name']} ({detail})" if detail else s["name"])
        out.append(_line("Services", "; ".join(parts)))
    else:
        out.append(_line("Services", "none found yet"))
    plan = summary["plan"]
    if plan:
        offer = plan["offer"] or ""
        if plan.get("monthlyPrice") is not None:
            offer += f" at {plan['monthlyPrice']:.2f} EUR/month"
        rev = f"revision {plan['revision']}" if plan["revision"] is not None else "no revision yet"
        out.append(_line("Plan", f"{plan['name']} {rev}, {plan['approval']}" + (f"; {offer}" if offer else "")))
        if plan["revision"] is not None and plan["approvedRevision"] != plan["revision"]:
            out.append(_line("", f"review: kubectl hydron plan show {summary['name']}; "
                                 f"approve: kubectl hydron plan approve {summary['name']}"))
    else:
        out.append(_line("Plan", "none yet"))
    server = summary["server"]
    if server:
        if not server["found"]:
            out.append(_line("Server", f"{server['name']} (not found in {summary['namespace']})"))
        else:
            address = f" {server['address']}" if server.get("address") else ""
            out.append(_line("Server", f"{server['name']}{address}  {_ready_text(server['ready'], style)}"))
            if server["ready"] and server["ready"]["status"] != "True" and server["ready"]["message"]:
                out.append(_line("", short(server["ready"]["message"], 120)))
            if server.get("usage"):
                out.append(_line("", server_usage_text(server["usage"])))
            for pressure in server.get("pressure") or []:
                out.append(_line("", f"{pressure['type']}: {short(pressure['message'], 110)}"))
        steps = [[s["name"], style.state(s["state"] or ""), s["duration"], short(s["message"], 70)] for s in server["steps"]]
        if steps:
            out.append(table(["STEP", "STATE", "DURATION", "MESSAGE"], steps, indent="  "))
    else:
        out.append(_line("Server", "not chosen yet"))
    deployment = summary["deployment"]
    if deployment:
        out.append(_line("Deployment", f"{deployment['name']}  {_ready_text(deployment['ready'], style)}"))
        if deployment["ready"] and deployment["ready"]["status"] != "True" and deployment["ready"]["message"]:
            out.append(_line("", short(deployment["ready"]["message"], 120)))
        if deployment.get("rollbackTo"):
            out.append(_line("", f"pinned to release {deployment['rollbackTo']} (kubectl hydron rollback "
                                 f"{summary['name']} --clear to follow new commits)"))
        services = [[s.get("name", ""), style.state(s.get("state", "")), str(s.get("restarts", "-")),
                     _usage(s.get("cpuPercent"), "%"), _usage(s.get("memoryMiB"), " MiB")] for s in deployment["services"]]
        if services:
            out.append(table(["SERVICE", "STATE", "RESTARTS", "CPU", "MEMORY"], services, indent="  "))
        releases = [[str(r.get("number", "")), style.state(r.get("state", "")), (r.get("sourceRevision") or "")[:12],
                     short(r.get("message"), 70)] for r in deployment["releases"][-5:]]
        if releases:
            out.append(table(["RELEASE", "STATE", "REVISION", "MESSAGE"], releases, indent="  "))
    else:
        out.append(_line("Deployment", "none yet"))
    urls = [summary["url"]] if summary.get("url") else (deployment or {}).get("urls") or []
    out.append(_line("URL", ", ".join(urls) if urls else "none yet"))
    return "".join(out)


def server_usage_text(usage: Mapping[str, Any]) -> str:
    """cpu 12%  memory 900/4096 MiB  disk 40%  load 0.52 0.31 0.2 (node-exporter)"""
    parts = [f"cpu {_usage(usage.get('cpuPercent'), '%')}"]
    used, total = usage.get("memoryUsedMiB"), usage.get("memoryTotalMiB")
    parts.append(f"memory {used}/{total} MiB" if used is not None and total else f"memory {_usage(used, ' MiB')}")
    parts.append(f"disk {_usage(usage.get('diskUsedPercent'), '%')}")
    loads = [usage.get(k) for k in ("load1", "load5", "load15")]
    if None not in loads:
        parts.append("load " + " ".join(f"{v:g}" for v in loads))
    return "  ".join(parts) + (f" ({usage['source']})" if usage.get("source") else "")


def _usage(value: float | int | None, unit: str) -> str:
    return "-" if value is None else f"{value:g}{unit}"


def list_rows(apps: Sequence[Mapping[str, Any]], plans: Sequence[Mapping[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """One row per app for the namespace overview, joined with its plan by name."""
    by_name = {((p.get("metadata") or {}).get("namespace"), _name(p)): p for p in plans}
    rows = []
    for app in apps:
        meta = app.get("metadata") or {}
        plan = by_name.get((meta.get("namespace"), plan_name(app)))
        ready = _ready(app)
        rows.append({
            "namespace": meta.get("namespace"), "name": meta.get("name"), "ready": ready["status"],
            "reason": ready["reason"], "plan": approval_state(plan) if plan else "none yet",
            "server": server_name(app, plan, None), "url": _status(app).get("url"),
            "age": age(meta.get("creationTimestamp"), now),
        })
    return rows


def render_list(rows: Sequence[Mapping[str, Any]], namespace: str | None, style: Style = PLAIN) -> str:
    """The overview table; with namespace None (all namespaces) a NAMESPACE column leads."""
    if not rows:
        where = f"namespace {namespace}" if namespace else "any namespace"
        return f"No Hydron applications in {where}.\n"
    headers = ["NAME", "READY", "REASON", "PLAN", "SERVER", "URL", "AGE"]
    body = [[r["name"], style.status(r["ready"]), r["reason"], r["plan"], r["server"] or "", r["url"] or "", r["age"]]
            for r in rows]
    if namespace is None:
        headers = ["NAMESPACE", *headers]
        body = [[r["namespace"], *b] for r, b in zip(rows, body, strict=True)]
    return table(headers, body)
