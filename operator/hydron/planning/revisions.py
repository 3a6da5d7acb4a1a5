"""Plan revisions and approval, as pure functions.

A revision is a version of the plan's *material* content: what would run, where, and
how it is reachable. Wording (rationale, descriptions) and bookkeeping (basis,
approval, change requests) are not material, so rewording a rationale or analysing a
new commit that changes nothing needs no new approval.

The fingerprint of a revision is a list of `field=value` lines kept in status; the next
revision's readable diff is computed against it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from hydron.api.infraplan import ChangeRequest, InfraPlanSpec, PastRevision, PlanBasis, PlannedService
from hydron.build.base_images import needed_images

MAX_VALUE = 120
MAX_CHANGES = 40


def _short(value: str) -> str:
    value = value.replace("\n", "\\n")
    if len(value) <= MAX_VALUE:
        return value
    return f"{value[:80]}… sha256:{hashlib.sha256(value.encode()).hexdigest()[:12]}"


def _sha(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:12]


def _service_lines(s: PlannedService) -> list[str]:
    at = f"services[{s.name}]"
    lines = [f"{at}.role={s.role}", f"{at}.public={str(s.public).lower()}"]
    if s.image:
        lines.append(f"{at}.image={s.image}")
    if s.context:
        lines.append(f"{at}.context={s.context}")
    if s.dockerfile:
        if s.dockerfile_origin == "Generated":
            lines.append(f"{at}.baseImages={','.join(needed_images(s.dockerfile))}")
            lines.append(f"{at}.dockerfile=generated {_sha(s.dockerfile)}")
        else:
            lines.append(f"{at}.dockerfile={s.dockerfile}")
    for name, value in (("startCommand", s.start_command), ("command", " ".join(s.command) or None),
                        ("port", s.port), ("domains", ",".join(s.domains) or None),
                        ("dependsOn", ",".join(s.depends_on) or None)):
        if value is not None:
            lines.append(f"{at}.{name}={_short(str(value))}")
    if s.health_check:
        h = s.health_check
        check = " ".join(h.command) if h.command else f"http {h.path}" if h.path else "tcp"
        lines.append(f"{at}.healthCheck={_short(check)} port={h.port} every {h.interval_seconds}s")
    if s.resources:
        lines.append(f"{at}.resources={s.resources.cpus:g} cpu, {s.resources.memory_mi_b} MiB")
    lines += [f"{at}.volumes[{v.name}]={v.path}" for v in s.volumes]
    for env in s.env:
        if env.value_from:
            ref = env.value_from.secret_key_ref
            lines.append(f"{at}.env[{env.name}]=from Secret {ref.name}/{ref.key}")
        else:
            lines.append(f"{at}.env[{env.name}]={_short(env.value or '')}")
    return lines


def fingerprint(spec: InfraPlanSpec) -> list[str]:
    """The material content of a plan, one sorted line per field."""
    server = spec.server
    lines = ([f"server.serverRef={server.server_ref.name}"] if server.server_ref else
             [f"server.offer={server.provider}/{server.offer}", f"server.location={server.location}"])
    for s in spec.services:
        lines += _service_lines(s)
    lines += [f"routes[{r.domain}{r.path}]={r.service}:{r.port} tls={r.tls}" for r in spec.routes]
    lines += [f"firewall[{f.port}/{f.protocol} from {f.source}]=open" for f in spec.firewall]
    if spec.network:
        lines.append(f"network={spec.network.name} internal={str(spec.network.internal).lower()}")
    sec = spec.security
    lines += [f"security.firewallDefault={sec.firewall_default}", f"security.sshPort={sec.ssh_port}",
              f"security.automaticSecurityUpdates={str(sec.automatic_security_updates).lower()}"]
    lines += [f"security.ssh.{k}={v}" for k, v in sec.ssh.model_dump(by_alias=True).items()]
    lines += [f"secrets[{s.name}]={s.purpose}: {','.join(f'{k.key}({k.generate})' for k in s.keys)}"
              for s in spec.secrets]
    return sorted(lines)


def _parse(lines: list[str]) -> dict[str, str]:
    out = {}
    for line in lines:
        key, _, value = line.partition("=")
        out[key] = value
    return out


def _group(key: str) -> str | None:
    """services[api].port → services[api]; other keys are their own group."""
    if key.startswith("services["):
        return key[: key.index("]") + 1]
    return None


def diff(before: list[str], after: list[str]) -> list[str]:
    """Readable changes between two fingerprints: whole services added or removed, else field by field."""
    old, new = _parse(before), _parse(after)
    old_groups = {_group(k) for k in old} - {None}
    new_groups = {_group(k) for k in new} - {None}
    out = [f"{g}: added" for g in sorted(new_groups - old_groups)]
    out += [f"{g}: removed" for g in sorted(old_groups - new_groups)]
    settled = (new_groups ^ old_groups)
    for key in sorted(set(old) | set(new)):
        if _group(key) in settled:
            continue
        if key not in old:
            out.append(f"{key}: added ({new[key]})")
        elif key not in new:
            out.append(f"{key}: removed (was {old[key]})")
        elif old[key] != new[key]:
            out.append(f"{key}: {old[key]} → {new[key]}")
    if len(out) > MAX_CHANGES:
        out = out[:MAX_CHANGES] + [f"and {len(out) - MAX_CHANGES} more changes"]
    return out


def _quote(request: ChangeRequest) -> str:
    text = " ".join(request.message.split())
    text = text if len(text) <= 100 else text[:99] + "…"
    return f"change request{' by ' + request.author if request.author else ''}: \"{text}\""


def why(before: PlanBasis | None, after: PlanBasis | None, requests: list[ChangeRequest]) -> str:
    """Why the plan changed, from how its basis changed."""
    if after is None or before is None:
        return "edited in the spec"
    reasons = []
    if after.source_revision != before.source_revision:
        was = f" (was {before.source_revision[:12]})" if before.source_revision else ""
        reasons.append(f"new source revision {str(after.source_revision)[:12]}{was}")
    elif after.analysis_digest != before.analysis_digest:
        reasons.append("the analysis changed")
    if after.application_digest != before.application_digest:
        reasons.append("the Application changed (domains, env, overrides or planning policy)")
    if after.change_requests > before.change_requests:
        reasons += [_quote(r) for r in requests[before.change_requests:after.change_requests]]
    if after.planner != before.planner and not reasons:
        reasons.append("made with the LLM" if after.planner == "RulesAndLLM" else "made by rules only")
    return "; ".join(reasons) or "edited in the spec by hand"


@dataclass(frozen=True)
class Revision:
    number: int
    changes: list[str]
    material: list[str]
    revised: bool  # a new revision was made in this step


def next_revision(current: int | None, material_before: list[str], basis_before: PlanBasis | None,
                  changes_before: list[str], spec: InfraPlanSpec) -> Revision:
    """Keep the revision when the material content is unchanged; else count up and say what and why."""
    material = fingerprint(spec)
    if current is None:
        source = f" from source revision {spec.basis.source_revision[:12]}" if spec.basis and spec.basis.source_revision else ""
        return Revision(1, [f"Revision 1: the first plan{source}."], material, True)
    if material == material_before:
        return Revision(current, changes_before, material, False)
    number = current + 1
    reason = why(basis_before, spec.basis, spec.change_requests)
    return Revision(number, [f"Revision {number}: {reason}."] + diff(material_before, material), material, True)


HISTORY_KEPT = 10


def kept_history(history: list[PastRevision], revision: Revision, at: datetime | None) -> list[PastRevision]:
    """The last HISTORY_KEPT revisions with `revision` last: added when it is new (or
    missing, for a plan made before history was kept), else as it was."""
    if history and history[-1].revision == revision.number:
        return history
    why = revision.changes[0] if revision.changes else ""
    added = PastRevision(revision=revision.number, revised_at=at, why=why[:1000], material=revision.material)
    return [*[h for h in history if h.revision < revision.number], added][-HISTORY_KEPT:]
