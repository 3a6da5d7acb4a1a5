"""The Deployment's DNS part (spec.dns): publish the domains' records, say in DNSReady
where they stand, and name the domains whose routes (and so certificates) must wait.

Kept apart from `deployment` so the rollout module stays about the rollout; it is
used by it alone."""

from __future__ import annotations

from dataclasses import dataclass

from hydron.api.conditions import DNS_READY
from hydron.api.deployment import Deployment, DeploymentStatus
from hydron.api.dns import DnsStatus, same_place
from hydron.controllers.common import with_condition
from hydron.dns import publish as dns
from hydron.dns.records import DnsError, domains_of

PENDING = "Waiting for the domains' DNS records to answer with the server's address."


@dataclass
class DnsPass:
    """The status with DNSReady and status.dns set, the domains to keep off the proxy,
    and a message when the pass should run again soon."""

    status: DeploymentStatus
    held: frozenset[str] = frozenset()
    retry: str | None = None


async def publish(deployment: Deployment, services, address: str, status: DeploymentStatus, generation: int | None,
                  ctx: dns.Context) -> DnsPass:
    """Point the domains of `services` at `address`, first removing what Hydron wrote with
    a spec.dns that is gone or points elsewhere now; never raises for DNS trouble."""
    settings = deployment.spec.dns
    before = status.dns or DnsStatus()
    if _left_elsewhere(before, settings):
        try:
            await dns.withdraw(before.published_with, before, ctx)  # type: ignore[arg-type]
        except DnsError as error:  # still named in status.dns; tried again
            message = f"The records written with the former spec.dns are still there: {error.message}"
            if settings is None:
                return DnsPass(status, frozenset(), message)
            # The old records still answer: domains resolved through them keep their routes.
            held = frozenset(d for d in domains_of(services) if d not in before.resolved)
            status = with_condition(status, DNS_READY, "False", error.reason, _waiting_routes(message, held), generation)
            return DnsPass(status, held, message)
        before = DnsStatus()
        status = status.model_copy(update={"dns": None if settings is None else before})
    if settings is None:
        return DnsPass(status)
    domains = domains_of(services)
    try:
        done = await dns.publish(settings, domains, address, before, ctx)
    except DnsError as error:
        # Routes stay only for domains already seen answering with this address.
        kept = {r.name for r in before.records if r.value == address and r.name in before.resolved}
        held = frozenset(d for d in domains if d not in kept)
        records = error.records if error.records is not None else before.records
        dns_status = before.model_copy(update={"records": records, "resolved": sorted(kept & set(domains))})
        status = status.model_copy(update={"dns": dns_status})
        status = with_condition(status, DNS_READY, "False", error.reason, _waiting_routes(error.message, held), generation)
        return DnsPass(status, held, error.message if error.retryable else None)
    status = status.model_copy(update={"dns": done.status})
    if done.waiting:
        said = "; ".join(f"{d} answers {what}" for d, what in done.waiting.items())
        message = (f"Waiting for {', '.join(done.waiting)} to answer {address} at {done.where} ({said}); "
                   "the route and certificate wait for it. Hydron checks again shortly.")
        status = with_condition(status, DNS_READY, "False", "AwaitingDNS", message, generation)
        return DnsPass(status, done.held, message)
    message = f"{len(domains)} domain(s) point at {address} (checked at {done.where})."
    return DnsPass(with_condition(status, DNS_READY, "True", "RecordsPublished", message, generation))


async def withdraw(deployment: Deployment, ctx: dns.Context) -> None:
    """Remove the records Hydron wrote, where it wrote them; DnsError (the caller retries)
    when the server refuses."""
    written = deployment.status.dns if deployment.status else None
    settings = (written.published_with if written else None) or deployment.spec.dns
    if settings is not None:
        await dns.withdraw(settings, written, ctx)


def _left_elsewhere(before: DnsStatus, settings) -> bool:
    """Records Hydron wrote with settings that no longer look after them (removed, or
    another zone, or external-dns instead). Records from before published_with was kept stay."""
    wrote = bool(before.records or before.endpoint)
    return wrote and before.published_with is not None and not same_place(before.published_with, settings)


def _waiting_routes(message: str, held: frozenset[str]) -> str:
    if not held:
        return message
    return f"{message} Routes and certificates wait for: {', '.join(sorted(held))}."
