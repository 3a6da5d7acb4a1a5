"""Apply a patch that passed policy: as Application overrides through the deterministic
planner (so Dockerfiles, routes and env are re-derived by the same rules), then the
fields overrides cannot express."""

from __future__ import annotations

from dataclasses import replace

from hydron.api.application import ServiceOverride
from hydron.api.infraplan import FirewallRule, ServiceResources
from hydron.llm.patch import PlanPatch
from hydron.planning import planner
from hydron.planning.catalog import find_offer
from hydron.planning.digest import application_digest
from hydron.planning.server import recommendation_for_offer


def _overrides(inputs: planner.PlanInputs, patch: PlanPatch) -> list[ServiceOverride]:
    existing = {o.name: o for o in inputs.application.services}
    out = dict(existing)
    for change in patch.services:
        base = existing.get(change.name) or ServiceOverride(name=change.name)
        update = {}
        if change.start_command is not None:
            update["start_command"] = change.start_command
        if change.port is not None:
            update["port"] = change.port
        if change.health_check_path is not None:
            update["health_check_path"] = change.health_check_path
        if change.domains is not None:
            update["domains"] = list(dict.fromkeys([*base.domains, *change.domains]))
        if update:
            out[change.name] = base.model_copy(update=update)
    return list(out.values())


def apply_patch(draft: planner.Draft, inputs: planner.PlanInputs, patch: PlanPatch, requests: int) -> planner.Draft:
    application = inputs.application.model_copy(update={"services": _overrides(inputs, patch)})
    result = planner.plan(replace(inputs, application=application))
    spec = result.spec
    by_name = {s.name: s for s in spec.services}
    for change in patch.services:
        service = by_name.get(change.name)
        if service is None:
            continue
        if change.public is False:
            service.public, service.domains = False, []
            spec.routes = [r for r in spec.routes if r.service != service.name]
        elif change.public is True:
            service.public = True
        if change.memory_mib is not None or change.cpus is not None:
            current = service.resources or ServiceResources(cpus=0.25, memory_mi_b=256)
            service.resources = ServiceResources(cpus=change.cpus or current.cpus,
                                                 memory_mi_b=change.memory_mib or current.memory_mi_b)
        descriptions = {d.name: d.description for d in change.env_descriptions}
        for definition in service.env_definitions:
            if definition.name in descriptions and definition.source != "Wired":
                definition.description = descriptions[definition.name]
    offer = find_offer(patch.server_offer) if patch.server_offer else None
    if offer is not None and offer.name != spec.server.offer and result.need is not None:
        chosen = recommendation_for_offer(offer, result.need, inputs.application.planning.location,
                                          "was asked for in a change request")
        if chosen is not None:
            spec.server = chosen
    if patch.server_rationale:
        spec.server.rationale = " ".join(patch.server_rationale.split())
    spec.firewall = [*spec.firewall, *(FirewallRule(port=o.port, protocol=o.protocol, source=o.source,
                                                    reason=o.reason) for o in patch.firewall_openings)]
    # The basis is the person's Application, not the overrides the patch was applied through.
    spec.basis = spec.basis.model_copy(update={"planner": "RulesAndLLM", "change_requests": requests,
                                               "application_digest": application_digest(inputs.application)})
    return planner.Draft(spec=spec, findings=result.findings, gaps=[], need=result.need)
