"""`kubectl hydron plan`: the InfraPlan made readable, and the patches that approve it
or ask for changes.

Pure: objects in, text or patch bodies out. Refusals (a stale revision, no revision
yet) are `PlanRefused` with a message that says what to do instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from hydron.cli.render import PLAIN, Style, condition, table
from hydron.cli.plugin_status import approval_state


class PlanRefused(Exception):
    """The request would approve or change nothing useful; the message says why."""


def _spec(plan: Mapping[str, Any]) -> dict[str, Any]:
    return dict(plan.get("spec") or {})


def _status(plan: Mapping[str, Any]) -> dict[str, Any]:
    return dict(plan.get("status") or {})


def _name(plan: Mapping[str, Any]) -> str:
    return (plan.get("metadata") or {}).get("name", "")


def _server_lines(server: Mapping[str, Any]) -> list[str]:
    if (server.get("serverRef") or {}).get("name"):
        return [f"existing Server {server['serverRef']['name']}"]
    offer = "/".join(x for x in (server.get("provider"), server.get("offer")) if x) or "no offer chosen"
    size = ", ".join(x for x in (
        f"{server['cpus']} vCPU" if server.get("cpus") else None,
        f"{server['memoryMiB'] // 1024} GiB RAM" if server.get("memoryMiB") else None,
        f"{server['diskGiB']} GiB disk" if server.get("diskGiB") else None,
        server.get("architecture"), server.get("kind"),
    ) if x)
    lines = [offer + (f" in {server['location']}" if server.get("location") else "") + (f" ({size})" if size else "")]
    if server.get("monthlyPrice") is not None:
        asof = f" (prices as of {server['pricesAsOf']})" if server.get("pricesAsOf") else ""
        lines.append(f"{server['monthlyPrice']:.2f} EUR/month{asof}")
    need = server.get("required") or {}
    if need:
        lines.append(f"needs {need.get('cpus', 0):g} vCPU, {need.get('memoryMiB', 0)} MiB RAM, {need.get('diskGiB', 0)} GiB disk")
    if server.get("nextSizeUp"):
        lines.append(f"next size up: {server['nextSizeUp']}")
    if server.get("rationale"):
        lines.append(f"why: {server['rationale']}")
    return lines


def _section(title: str, style: Style) -> str:
    return "\n" + style.bold(title) + "\n"


def render_show(plan: Mapping[str, Any], style: Style = PLAIN) -> str:
    """The whole plan for a reviewer: server, services, routes, firewall, security, findings."""
    spec, status = _spec(plan), _status(plan)
    ready = condition(plan, "Ready") or {}
    head = f"InfraPlan {(plan.get('metadata') or {}).get('namespace', '')}/{_name(plan)}"
    rev = f"revision {status['revision']}" if status.get("revision") is not None else "no revision yet"
    out = [style.bold(head) + f"  {rev}, {approval_state(plan)}"]
    if ready:
        out.append(f"  Ready {style.status(ready.get('status', 'Unknown'))} ({ready.get('reason', '')}): {ready.get('message', '')}")
    out.append(_section("Server", style) + "".join(f"  {line}\n" for line in _server_lines(spec.get("server") or {})))
    services = spec.get("services") or []
    rows = [[s.get("name", ""), s.get("role", "web"), str(s.get("port") or ""), "yes" if s.get("public") else "no",
             s.get("image") or (f"build {s.get('context') or '.'} ({(s.get('dockerfileOrigin') or 'Dockerfile').lower()})"),
             ",".join(s.get("dependsOn") or [])] for s in services]
    out.append(_section("Services", style) + (table(["NAME", "ROLE", "PORT", "PUBLIC", "IMAGE/BUILD", "DEPENDS ON"], rows, "  ")
                                              if rows else "  none\n"))
    routes = [[r.get("domain", ""), r.get("path", "/"), f"{r.get('service')}:{r.get('port')}", r.get("tls", "acme")]
              for r in spec.get("routes") or []]
    out.append(_section("Routes", style) + (table(["DOMAIN", "PATH", "SERVICE", "TLS"], routes, "  ") if routes else "  none\n"))
    security = spec.get("security") or {}
    fw = [[f"{f.get('port')}/{f.get('protocol', 'tcp')}", f.get("source", "0.0.0.0/0"), f.get("reason") or ""]
          for f in spec.get("firewall") or []]
    ssh_port = security.get("sshPort", 22)
    ssh = security.get("ssh") or {}
    updates = "on" if security.get("automaticSecurityUpdates", True) else "off"
    out.append(_section("Firewall", style)
               + f"  default {security.get('firewallDefault', 'deny')}; open: SSH {ssh_port}/tcp, HTTP 80/tcp, HTTPS 443/tcp\n"
               + (table(["OPENING", "FROM", "WHY"], fw, "  ") if fw else "")
               + f"  ssh: password login {'on' if ssh.get('passwordAuthentication') else 'off'}, root login "
               f"{ssh.get('permitRootLogin', 'prohibit-password')}; automatic security updates {updates}\n")
    secrets = spec.get("secrets") or []
    if secrets:
        rows = [[s.get("name", ""), s.get("purpose", ""), ", ".join(k.get("key", "") for k in s.get("keys") or [])] for s in secrets]
        out.append(_section("Secrets", style) + table(["SECRET", "PURPOSE", "KEYS"], rows, "  "))
    findings = status.get("findings") or []
    colours = {"Error": "red", "Warning": "yellow", "Info": None}
    out.append(_section("Findings", style) + ("".join(
        f"  {style.paint(f.get('severity', ''), colours.get(f.get('severity', '')))}"
        f"{' ' + f['field'] if f.get('field') else ''}: {f.get('message', '')}\n" for f in findings) or "  none\n"))
    requests = spec.get("changeRequests") or []
    if requests:
        out.append(_section("Change requests", style) + "".join(
            f"  {i}. {r.get('message', '')}{' (' + r['author'] + ')' if r.get('author') else ''}\n"
            for i, r in enumerate(requests, 1)))
    return "\n".join(out).replace("\n\n\n", "\n\n")


def pending_edits(plan: Mapping[str, Any]) -> list[str]:
    """Field changes in the spec that the current revision does not include yet (an edit
    Hydron has not looked at), from the material fingerprint kept in status."""
    from hydron.api.infraplan import InfraPlanSpec
    from hydron.planning.revisions import diff, fingerprint

    material = _status(plan).get("material")
    if not material:
        return []
    try:
        spec = InfraPlanSpec.model_validate(_spec(plan))
    except ValidationError:
        return []
    return diff(material, fingerprint(spec))


def diff_summary(plan: Mapping[str, Any]) -> dict[str, Any]:
    """What changed in the latest revision, and any edit not yet in a revision, as data."""
    status = _status(plan)
    return {
        "name": _name(plan), "revision": status.get("revision"), "approvedRevision": status.get("approvedRevision"),
        "revisedAt": status.get("revisedAt"), "changes": list(status.get("changes") or []),
        "pendingEdits": pending_edits(plan),
    }


def render_diff(summary: Mapping[str, Any], style: Style = PLAIN) -> str:
    """The diff for a reviewer: + added, - removed, ~ changed."""
    if summary["revision"] is None:
        return f"InfraPlan {summary['name']} has no revision yet.\n"
    when = f" ({summary['revisedAt']})" if summary.get("revisedAt") else ""
    out = [style.bold(f"Revision {summary['revision']} of InfraPlan {summary['name']}") + when + "\n"]
    changes = summary["changes"]
    if not changes:
        out.append("  no changes recorded (the first revision, or nothing material changed)\n")
    for change in changes:
        mark, colour = ("+", "green") if ": added" in change else ("-", "red") if ": removed" in change else ("~", "yellow")
        out.append(f"  {style.paint(mark, colour)} {change}\n")
    if summary["pendingEdits"]:
        out.append("\nEdited in the spec since, not yet a revision:\n")
        out += [f"  ~ {edit}\n" for edit in summary["pendingEdits"]]
    if summary.get("approvedRevision") != summary["revision"]:
        out.append(f"\nNot approved yet: kubectl hydron plan approve {summary['name']} --revision {summary['revision']}\n")
    return "".join(out)


def approval_patch(plan: Mapping[str, Any], revision: int | None, who: str) -> dict[str, Any]:
    """The merge patch approving `revision` (default: the current one); refuses a stale or
    unknown revision. resourceVersion makes the patch fail if the plan moved meanwhile."""
    status = _status(plan)
    current = status.get("revision")
    name = _name(plan)
    if current is None:
        raise PlanRefused(f"InfraPlan {name} has no revision yet: Hydron is still making it. Try again shortly "
                          f"(kubectl hydron status shows where it stands).")
    wanted = current if revision is None else revision
    if wanted < current:
        changes = "; ".join(status.get("changes") or []) or "see `kubectl hydron plan diff`"
        raise PlanRefused(f"revision {wanted} of InfraPlan {name} is stale: the plan is at revision {current} "
                          f"(changed: {changes}). Review it with `kubectl hydron plan show` and approve revision {current}.")
    if wanted > current:
        raise PlanRefused(f"InfraPlan {name} has no revision {wanted}; it is at revision {current}.")
    return {"metadata": {"resourceVersion": (plan.get("metadata") or {}).get("resourceVersion")},
            "spec": {"approval": {"revision": wanted, "approvedBy": who}}}


def change_request_patch(plan: Mapping[str, Any], message: str, who: str) -> dict[str, Any]:
    """The merge patch appending one change request. A merge patch replaces the whole
    list, so it carries resourceVersion: a request added meanwhile is never lost."""
    text = message.strip()
    if not text:
        raise PlanRefused("say what to change, e.g. kubectl hydron plan request-changes shop \"use a cheaper server\"")
    if len(text) > 4000:
        raise PlanRefused("a change request is at most 4000 characters")
    requests = list(_spec(plan).get("changeRequests") or [])
    requests.append({"message": text, "author": who})
    return {"metadata": {"resourceVersion": (plan.get("metadata") or {}).get("resourceVersion")},
            "spec": {"changeRequests": requests}}
