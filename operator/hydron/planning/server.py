"""Pick the server: the cheapest catalog offer that fits the need, in the wanted location,
within budget; or the Server the Application names. The rationale shows the arithmetic."""

from __future__ import annotations

from dataclasses import dataclass

from hydron.api.application import PlanningPolicy
from hydron.api.infraplan import Finding, ResourceNeed, ServerRecommendation
from hydron.planning.catalog import Location, Offer, load_catalog
from hydron.planning.sizing import HEADROOM, SYSTEM_PARTS, Need


def gb(mib: int) -> str:
    """MiB as a short GB figure for people (one decimal under 10 GB)."""
    if mib < 1024:
        return f"{mib} MB"
    value = mib / 1024
    return f"{value:.1f} GB" if value < 10 else f"{value:.0f} GB"


def fits(offer: Offer, need: Need) -> bool:
    return offer.cpus >= need.cpus and offer.memory_mib >= need.memory_mib and offer.disk_gi_b >= need.disk_gib


@dataclass(frozen=True)
class Choice:
    offer: Offer
    location: Location


def _candidates(catalog: tuple[Offer, ...], location: str | None, arm_ok: bool) -> list[Choice]:
    out = []
    for offer in catalog:
        if offer.architecture == "arm64" and not arm_ok:
            continue
        where = next((loc for loc in offer.locations if location is None or loc.matches(location)), None)
        if where is not None:
            out.append(Choice(offer, where))
    return out


def _need_text(need: Need) -> str:
    return (f"The plan needs {gb(need.memory_mib)} memory, {need.cpus:g} vCPU and {need.disk_gib} GB disk: "
            f"services {gb(need.services_memory_mib)}, databases and caches {gb(need.backing_memory_mib)}, "
            f"{SYSTEM_PARTS} {gb(need.system_memory_mib)}, then {int(HEADROOM * 100)}% headroom or room for the "
            f"largest image build ({gb(need.build_memory_mib)}), whichever is more.")


def _free_text(offer: Offer, need: Need) -> str:
    free_mem = offer.memory_mib - need.steady_memory_mib
    free_cpu = offer.cpus - need.steady_cpus
    return f"It leaves about {gb(free_mem)} memory and {free_cpu:g} vCPU free at steady state."


def _next_up(chosen: Choice, candidates: list[Choice]) -> Choice | None:
    """The cheapest offer of the same provider and location with more memory."""
    bigger = [c for c in candidates
              if c.offer.provider == chosen.offer.provider and c.location.code == chosen.location.code
              and c.offer.memory_gi_b > chosen.offer.memory_gi_b and c.offer.architecture == chosen.offer.architecture]
    return min(bigger, key=lambda c: c.offer.monthly_eur, default=None)


def recommend(need: Need, policy: PlanningPolicy, *, arm_ok: bool = False,
              catalog: tuple[Offer, ...] | None = None) -> tuple[ServerRecommendation, list[Finding]]:
    """The recommendation and what a reviewer must know (nothing fits, over budget)."""
    required = ResourceNeed(cpus=need.cpus, memory_mi_b=need.memory_mib, disk_gi_b=need.disk_gib)
    if policy.server_ref is not None:
        return ServerRecommendation(
            server_ref=policy.server_ref, required=required,
            rationale=(f"Uses the existing Server {policy.server_ref.name}, as the Application's planning.serverRef "
                       f"asks. {_need_text(need)} The server's facts are checked against this once it is reached."),
        ), []
    catalog = catalog if catalog is not None else load_catalog()
    if policy.provider_account is not None:  # only what the account can order (else OfferNotFromAccount)
        catalog = tuple(o for o in catalog if o.provider == policy.provider_account.provider)
    candidates = _candidates(catalog, policy.location, arm_ok)
    findings: list[Finding] = []
    if not candidates:
        findings.append(Finding(severity="Error", source="Planning", field="server",
                                message=f"No catalog offer is in location {policy.location!r}. Use a city, country "
                                        "or region (e.g. Frankfurt, DE, EU), or set planning.serverRef."))
        candidates = _candidates(catalog, None, arm_ok)
    fitting = [c for c in candidates if fits(c.offer, need)]
    if not fitting:
        largest = max(candidates, key=lambda c: (c.offer.memory_gi_b, -c.offer.monthly_eur))
        findings.append(Finding(severity="Error", source="Planning", field="server",
                                message=f"No catalog offer fits. {_need_text(need)} Use a bigger server of your own "
                                        "with planning.serverRef, or deploy fewer services."))
        fitting = [largest]
    budget = policy.monthly_budget
    affordable = [c for c in fitting if budget is None or c.offer.monthly_eur <= budget]
    if not affordable:
        cheapest = fitting[0]
        findings.append(Finding(severity="Error", source="Planning", field="server.monthlyPrice",
                                message=f"Nothing that fits costs at most EUR {budget:.2f}/month; the cheapest that "
                                        f"fits is {cheapest.offer.describe()} at EUR {cheapest.offer.monthly_eur:.2f}. "
                                        "Raise planning.monthlyBudget or use planning.serverRef."))
        affordable = [cheapest]
    chosen = affordable[0]
    where = f" in {policy.location}" if policy.location else ""
    within = f", within the EUR {budget:.2f} budget" if budget is not None else ""
    why = f"is the cheapest catalog offer{where} that fits{within}"
    return _recommendation(chosen, need, required, candidates, why), findings


def _recommendation(chosen: Choice, need: Need, required: ResourceNeed, candidates: list[Choice],
                    why: str) -> ServerRecommendation:
    offer = chosen.offer
    parts = [
        _need_text(need),
        f"{offer.describe()} in {chosen.location.describe()} {why}: EUR {offer.monthly_eur:.2f}/month "
        f"(list price as of {offer.prices_as_of.isoformat()}).",
        _free_text(offer, need),
    ]
    up = _next_up(chosen, candidates)
    if up is not None:
        parts.append(f"Next size up: {up.offer.name} ({up.offer.cpus} vCPU, {up.offer.memory_gi_b} GB) at "
                     f"EUR {up.offer.monthly_eur:.2f}/month.")
    if offer.architecture == "arm64":
        parts.append("It is an Arm64 machine: every image is built on it, and the official images used are multi-arch.")
    return ServerRecommendation(
        provider=offer.provider, offer=offer.name, location=chosen.location.code, cpus=offer.cpus,
        memory_mi_b=offer.memory_mib, disk_gi_b=offer.disk_gi_b, monthly_price=offer.monthly_eur,
        prices_as_of=offer.prices_as_of, architecture=offer.architecture, kind=offer.kind, required=required,
        next_size_up=f"{up.offer.name} (EUR {up.offer.monthly_eur:.2f}/month)" if up else None,
        rationale=" ".join(parts),
    )


def recommendation_for_offer(offer: Offer, need: Need, location: str | None, why: str) -> ServerRecommendation | None:
    """The recommendation for a named offer (a person asked for it), or None if it is not offered there."""
    where = next((loc for loc in offer.locations if location is None or loc.matches(location)), None)
    if where is None:
        return None
    candidates = _candidates(load_catalog(), None, True)
    required = ResourceNeed(cpus=need.cpus, memory_mi_b=need.memory_mib, disk_gi_b=need.disk_gib)
    return _recommendation(Choice(offer, where), need, required, candidates, why)
