"""Policy over an LLM patch: what the model may change, and only when a person asked.

Without change requests the model may fill only the open fields (gaps) and wording.
With change requests it may revise the allow-listed fields, but anything that widens
exposure must be written by a person: a firewall port must appear in a change request,
a domain in a change request or the Application, a service made public must be named.
One violation refuses the whole patch; a partly trusted answer is not trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hydron.analysis.models import Analysis
from hydron.api.application import ApplicationSpec
from hydron.api.infraplan import ChangeRequest, InfraPlanSpec
from hydron.llm.patch import PlanPatch, ServicePatch
from hydron.planning.catalog import find_offer
from hydron.planning.planner import Gap
from hydron.planning.sizing import Need

_FETCH_AND_RUN = re.compile(r"\b(?:curl|wget|nc|ncat|socat)\b|/dev/tcp/|\bbase64\s+-d\b")
BACKING_ROLES = ("database", "cache", "broker")


@dataclass(frozen=True)
class PersonIntent:
    """What people wrote: the only source that can justify widening the plan."""

    text: str  # all change requests, lower-cased
    domains: frozenset[str]
    asked: bool  # there are change requests to carry out

    def mentions_number(self, number: int) -> bool:
        return re.search(rf"(?<![\d.]){number}(?![\d.])", self.text) is not None

    def mentions(self, word: str) -> bool:
        return re.search(rf"(?<![\w-]){re.escape(word.lower())}(?![\w-])", self.text) is not None


def intent(requests: list[ChangeRequest], app: ApplicationSpec) -> PersonIntent:
    domains = set(app.domains) | {d for o in app.services for d in o.domains}
    text = "\n".join(r.message for r in requests).lower()
    domains |= set(re.findall(r"\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}\b", text))
    return PersonIntent(text=text, domains=frozenset(domains), asked=bool(requests))


def violations(patch: PlanPatch, spec: InfraPlanSpec, gaps: list[Gap], person: PersonIntent,
               analysis: Analysis | None, need: Need | None, app: ApplicationSpec) -> list[str]:
    """Every reason to refuse the patch; empty means it may be applied."""
    out: list[str] = []
    services = {s.name: s for s in spec.services}
    app_services = [s for s in spec.services if s.role not in BACKING_ROLES]
    open_starts = {g.service for g in gaps if g.kind == "startCommand"}
    for change in patch.services:
        target = services.get(change.name)
        if target is None:
            out.append(f"it names service {change.name!r}, which the plan does not have (services cannot be added)")
            continue
        named = person.asked and (person.mentions(change.name) or len(app_services) == 1)
        out += _service_violations(change, target, named, change.name in open_starts, person, analysis)
    for opening in patch.firewall_openings:
        if not person.mentions_number(opening.port):
            out.append(f"it opens port {opening.port}/{opening.protocol} to {opening.source}, which no change "
                       "request asks for")
    if patch.server_offer is not None and patch.server_offer != spec.server.offer:
        out += _server_violations(patch.server_offer, person, need, app)
    return out


def _service_violations(change: ServicePatch, target, named: bool, open_start: bool, person: PersonIntent,
                        analysis: Analysis | None) -> list[str]:
    out = []
    where = f"service {change.name}"
    if target.role in BACKING_ROLES and any(
            v is not None for v in (change.start_command, change.port, change.public, change.domains)):
        out.append(f"it changes the managed {target.role} {change.name}")
    if change.start_command is not None and change.start_command != target.start_command:
        if not (open_start or named):
            out.append(f"it changes the start command of {where}, which was neither open nor asked for")
        if _FETCH_AND_RUN.search(change.start_command) and not person.mentions(change.start_command.split()[0]):
            out.append(f"its start command for {where} downloads or pipes code at start")
    if change.port is not None and change.port != target.port:
        analysed = _analysed_port(analysis, change.name)
        if not (person.mentions_number(change.port) or change.port == analysed):
            out.append(f"it moves {where} to port {change.port}, which neither the analysis nor a change request "
                       "states")
    if change.public is True and not target.public and not named:
        out.append(f"it exposes {where} to the internet, which no change request asks for")
    for domain in change.domains or []:
        if domain.lower() not in person.domains:
            out.append(f"it routes domain {domain} to {where}, a domain no person wrote")
    if change.health_check_path is not None and not named:
        out.append(f"it changes the health check of {where} unasked")
    if (change.memory_mib is not None or change.cpus is not None) and not named:
        out.append(f"it resizes {where} unasked")
    return out


def _analysed_port(analysis: Analysis | None, name: str) -> int | None:
    service = next((s for s in (analysis.services if analysis else []) if s.name == name), None)
    return service.port.value if service and service.port else None


def _server_violations(offer_name: str, person: PersonIntent, need: Need | None, app: ApplicationSpec) -> list[str]:
    if not person.asked:
        return [f"it switches the server to {offer_name} unasked"]
    if app.planning.server_ref is not None:
        return [f"it switches to {offer_name}, but the Application runs on its own Server "
                f"{app.planning.server_ref.name}"]
    offer = find_offer(offer_name)
    if offer is None:
        return [f"it picks server {offer_name!r}, which is not in the catalog"]
    out = []
    if need is not None and (offer.memory_mib < need.memory_mib or offer.cpus < need.cpus):
        out.append(f"server {offer.name} is smaller than the plan needs")
    budget = app.planning.monthly_budget
    if budget is not None and offer.monthly_eur > budget:
        out.append(f"server {offer.name} costs more than the EUR {budget:.2f} budget")
    location = app.planning.location
    if location and not any(loc.matches(location) for loc in offer.locations):
        out.append(f"server {offer.name} is not offered in {location}")
    return out
