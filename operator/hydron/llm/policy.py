"""Policy over an LLM patch: the model proposes, this code decides, field by field.

Every field the model may fill has a rule about where its value may come from, so an answer
that obeys an injection has nothing to widen the plan with:

- start command: one of the candidates the analysis found for that service, or a command
  that runs only the repository's files through a known runtime (`commands.check`); and only
  for an open field or a service a person named.
- service port, firewall opening, domain: only as a person's change request names them
  (`requests.read`); a firewall source is the range the request names, exactly.
- cpus and memory: only for a service a person named, clamped to the server.
- server offer: only when a request talks about the server, from the catalog, fitting the
  plan, the budget and the location.
- env descriptions: only for variables the plan already lists. Env names and values never
  come from the model.

What policy declines is reported (field, what, why) and the rest is applied.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from hydron.analysis.models import Service
from hydron.api.application import ApplicationSpec
from hydron.api.infraplan import ChangeRequest, PlannedService
from hydron.llm import commands
from hydron.llm.patch import FirewallOpening, PlanPatch, ServicePatch
from hydron.llm.requests import WORLD, Authorised, read
from hydron.planning.catalog import find_offer, load_catalog
from hydron.planning.planner import Draft, PlanInputs
from hydron.planning.sizing import SYSTEM

BACKING_ROLES = ("database", "cache", "broker")
SHOWN = 80  # characters of a declined value shown to the reviewer


@dataclass(frozen=True)
class Declined:
    """One thing the model proposed that the plan does not get, and why."""

    field: str
    what: str
    why: str

    @property
    def message(self) -> str:
        return f"The LLM proposed {self.what}; not applied: {self.why}."


@dataclass
class Review:
    patch: PlanPatch  # only what may be applied, with the values policy decided
    declined: list[Declined] = field(default_factory=list)
    adjusted: list[Declined] = field(default_factory=list)  # applied, but not as proposed


def authorised(requests: list[ChangeRequest], app: ApplicationSpec) -> Authorised:
    return read(requests, app, tuple(o.name for o in load_catalog()))


def review(patch: PlanPatch, draft: Draft, inputs: PlanInputs, requests: list[ChangeRequest]) -> Review:
    """What of the patch may be applied, and what is declined."""
    person = authorised(requests, inputs.application)
    spec = draft.spec
    out = Review(patch=PlanPatch(summary=patch.summary, declined=patch.declined))
    offer = _server(patch, draft, inputs.application, person, out)
    memory_cap, cpu_cap = _capacity(offer, spec.server.memory_mi_b, spec.server.cpus)
    planned = {s.name: s for s in spec.services}
    analysed = {s.name: s for s in (inputs.analysis.services if inputs.analysis else [])}
    app_services = [s for s in spec.services if s.role not in BACKING_ROLES]
    open_starts = {g.service for g in draft.gaps if g.kind == "startCommand"}
    for change in patch.services:
        target = planned.get(change.name)
        if target is None:
            out.declined.append(Declined(f"services[{_clip(change.name)}]", f"a service {_short(change.name)}",
                                         "the plan has no such service, and services cannot be added"))
            continue
        named = person.asked and (person.mentions(change.name) or len(app_services) == 1)
        rules = _ServiceRules(target, analysed.get(change.name), named, change.name in open_starts, person,
                              memory_cap, cpu_cap, out)
        kept = rules.review(change)
        if kept is not None:
            out.patch.services.append(kept)
    out.patch.firewall_openings = _firewall(patch.firewall_openings, spec.firewall, person, out)
    if patch.server_rationale:
        out.patch.server_rationale = " ".join(patch.server_rationale.split())
    return out


def _server(patch: PlanPatch, draft: Draft, app: ApplicationSpec, person: Authorised, out: Review):
    """The catalog offer the plan ends up on (None when unknown, as for an existing Server)."""
    current = find_offer(draft.spec.server.offer) if draft.spec.server.offer else None
    wanted = patch.server_offer
    if wanted is None or wanted == draft.spec.server.offer:
        return current
    what = f"server {_short(wanted)}"
    offer = find_offer(wanted)
    why = None
    if not person.asked:
        why = "no change request asks for another server"
    elif not person.server:
        why = "no change request talks about the server or its size"
    elif app.planning.server_ref is not None:
        why = f"the Application runs on its own Server {app.planning.server_ref.name}"
    elif offer is None:
        why = "it is not in the catalog"
    elif draft.need is not None and (offer.memory_mib < draft.need.memory_mib or offer.cpus < draft.need.cpus):
        why = "it is smaller than the plan needs"
    elif app.planning.monthly_budget is not None and offer.monthly_eur > app.planning.monthly_budget:
        why = (f"it costs EUR {offer.monthly_eur:.2f} a month, more than the EUR "
               f"{app.planning.monthly_budget:.2f} budget")
    elif app.planning.location and not any(loc.matches(app.planning.location) for loc in offer.locations):
        why = f"it is not offered in {app.planning.location}"
    if why is not None:
        out.declined.append(Declined("server.offer", what, why))
        return current
    out.patch.server_offer = offer.name
    return offer


def _capacity(offer, memory_mib: int | None, cpus: int | None) -> tuple[int | None, float | None]:
    """The most one service may be sized for: the server, less what the host itself needs."""
    if offer is not None:
        memory_mib, cpus = offer.memory_mib, offer.cpus
    if memory_mib is None or cpus is None:
        return None, None
    return max(memory_mib - SYSTEM.memory_mib, 32), float(cpus)


@dataclass
class _ServiceRules:
    target: PlannedService
    analysed: Service | None
    named: bool  # a person's request names the service (or there is only one)
    open_start: bool  # the rules left its start command open
    person: Authorised
    memory_cap: int | None
    cpu_cap: float | None
    out: Review

    def decline(self, name: str, what: str, why: str) -> None:
        self.out.declined.append(Declined(f"services[{self.target.name}].{name}", what, why))

    def review(self, change: ServicePatch) -> ServicePatch | None:
        kept: dict = {}
        backing = self.target.role in BACKING_ROLES
        where = f"service {self.target.name}"
        for name, value in (("startCommand", change.start_command or change.start_candidate), ("port", change.port),
                            ("public", change.public), ("domains", change.domains),
                            ("healthCheckPath", change.health_check_path)):
            if backing and value is not None:
                self.decline(name, f"to change {name} of the managed {self.target.role} {self.target.name}",
                             "managed databases, caches and brokers are set up by Hydron only")
        if not backing:
            self._start(change, kept)
            self._port(change, kept, where)
            self._exposure(change, kept, where)
            if change.health_check_path is not None and change.health_check_path != self._health():
                if self.named:
                    kept["health_check_path"] = change.health_check_path
                else:
                    self.decline("healthCheck", f"health check {_short(change.health_check_path)} for {where}",
                                 "no change request names the service")
        self._resources(change, kept, where)
        self._descriptions(change, kept)
        return ServicePatch(name=change.name, **kept) if kept else None

    def _health(self) -> str | None:
        return self.target.health_check.path if self.target.health_check else None

    def _start(self, change: ServicePatch, kept: dict) -> None:
        if change.start_candidate is None and change.start_command is None:
            return
        candidates = self.analysed.start_candidates if self.analysed else []
        proposal = (f"start candidate {change.start_candidate}" if change.start_candidate is not None
                    else f"start command {_short(change.start_command)}")
        if not (self.open_start or self.named):
            self.decline("startCommand", proposal + f" for service {self.target.name}",
                         "its start command was neither open nor named in a change request")
            return
        if change.start_candidate is not None:
            if not 1 <= change.start_candidate <= len(candidates):
                self.decline("startCommand", proposal, f"service {self.target.name} has {len(candidates)} start "
                             "candidates")
                return
            command = candidates[change.start_candidate - 1].value
            if change.start_command is not None and change.start_command != command:
                self.out.adjusted.append(Declined(f"services[{self.target.name}].startCommand",
                                                  f"start command {_short(change.start_command)}",
                                                  f"it also picked candidate {change.start_candidate}, which is used"))
        else:
            command = change.start_command
            if command not in {c.value for c in candidates}:
                files = self.analysed.files if self.analysed else []
                manager = (self.analysed.package_manager.name if self.analysed and self.analysed.package_manager
                           else None)
                why = commands.check(command, files, manager)
                if why is not None:
                    self.decline("startCommand", proposal + f" for service {self.target.name}",
                                 why + "; pick one of the service's start candidates instead")
                    return
        if command != self.target.start_command:
            kept["start_command"] = command

    def _port(self, change: ServicePatch, kept: dict, where: str) -> None:
        if change.port is None or change.port == self.target.port:
            return
        analysed = self.analysed.port.value if self.analysed and self.analysed.port else None
        if change.port == analysed or (self.named and change.port in self.person.ports):
            kept["port"] = change.port
        else:
            self.decline("port", f"port {change.port} for {where}",
                         "neither the analysis nor a change request naming the service states that port")

    def _exposure(self, change: ServicePatch, kept: dict, where: str) -> None:
        if change.public is not None and change.public != self.target.public:
            if self.named:
                kept["public"] = change.public
            else:
                self.decline("public", f"to make {where} {'public' if change.public else 'private'}",
                             "no change request names the service")
        domains = []
        for domain in change.domains or []:
            if domain.lower() not in self.person.domains:
                self.decline("domains", f"domain {_short(domain)} for {where}",
                             "no person wrote that domain in a change request or the Application")
            elif not self.named:
                self.decline("domains", f"domain {_short(domain)} for {where}", "no change request names the service")
            else:
                domains.append(domain.lower())
        if domains:
            kept["domains"] = domains

    def _resources(self, change: ServicePatch, kept: dict, where: str) -> None:
        if change.memory_mib is None and change.cpus is None:
            return
        what = f"{where} sized at {_size(change.cpus, change.memory_mib)}"
        if not self.named:
            self.decline("resources", what, "no change request names the service")
            return
        if self.memory_cap is None or self.cpu_cap is None:
            self.decline("resources", what, "the server's size is unknown, so it cannot be checked")
            return
        memory = min(change.memory_mib, self.memory_cap) if change.memory_mib is not None else None
        cpus = min(change.cpus, self.cpu_cap) if change.cpus is not None else None
        if (memory, cpus) != (change.memory_mib, change.cpus):
            self.out.adjusted.append(Declined(f"services[{self.target.name}].resources", what,
                                              f"capped at {_size(cpus, memory)}, what the server has for one service"))
        if memory is not None:
            kept["memory_mib"] = memory
        if cpus is not None:
            kept["cpus"] = cpus

    def _descriptions(self, change: ServicePatch, kept: dict) -> None:
        listed = {d.name for d in self.target.env_definitions}
        good = [d for d in change.env_descriptions if d.name in listed]
        for d in change.env_descriptions:
            if d.name not in listed:
                self.decline("envDefinitions", f"a description of variable {_short(d.name)}",
                             f"service {self.target.name} does not read it; variables come only from the analysis "
                             "or a person")
        if good:
            kept["env_descriptions"] = good


def _firewall(openings: list[FirewallOpening], existing, person: Authorised, out: Review) -> list[FirewallOpening]:
    """Each opening as a person's request names it: that port, that protocol, exactly that range."""
    kept: dict[tuple[int, str, str], FirewallOpening] = {}
    present = {(r.port, r.protocol, r.source) for r in existing}
    for opening in openings:
        what = f"opening {opening.port}/{opening.protocol} to {_short(opening.source)}"
        sources = person.sources_for(opening.port, opening.protocol)
        if not sources:
            if opening.port in person.unsourced:
                why = (f"the change request asks to open port {opening.port} but does not say to whom; write the "
                       f"range, e.g. 'open {opening.port} to 203.0.113.0/24', or 'to everyone'")
            else:
                why = f"no change request asks to open port {opening.port}/{opening.protocol}"
            out.declined.append(Declined("firewall", what, why))
            continue
        proposed = _network(opening.source)
        chosen = [proposed] if proposed in sources else sources
        if proposed not in sources:
            out.adjusted.append(Declined("firewall", what, "the change request names "
                                         + ", ".join(chosen) + ", which is used instead"
                                         + (" (everyone, as it says)" if chosen == [WORLD] else "")))
        for source in chosen:
            key = (opening.port, opening.protocol, source)
            if key not in present:
                kept.setdefault(key, FirewallOpening(port=opening.port, protocol=opening.protocol, source=source,
                                                     reason=" ".join(opening.reason.split())))
    return list(kept.values())


def _network(source: str) -> str | None:
    try:
        return str(ipaddress.ip_network(source.strip(), strict=False))
    except ValueError:
        return None


def _size(cpus: float | None, memory_mib: int | None) -> str:
    parts = ([f"{cpus:g} CPU"] if cpus is not None else []) + ([f"{memory_mib} MiB"] if memory_mib is not None else [])
    return " and ".join(parts)


def _clip(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def _short(text: str | None) -> str:
    """A value the model wrote, as the reviewer sees it: one line, bounded, quoted."""
    return repr(_clip(text))
