"""Point an app's domains at its server, check they answer, and take them down again.

One pass (`publish`) is level-based: it asks the DNS server what each domain answers
now, sends only what differs (a record missing, pointing elsewhere, or no longer
wanted), then asks again. A domain whose record answers with the server's address is
*resolved*: only then does its route go to the proxy, so the ACME order (which needs
that record) is not placed before it can succeed. A domain once resolved stays routed
while the DNS server merely fails to answer a check; it is held again only when the
server answers something else.

Before an update is sent, the records it may create are written to status (`record`,
durable), so whatever the operator leaves behind in a crash is named there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import dns.resolver

from hydron.api.dns import DnsRecord, DnsSettings, DnsStatus
from hydron.dns import records as plan
from hydron.dns import rfc2136
from hydron.dns.records import DnsError
from hydron.kube.dnsendpoints import EndpointError
from hydron.remote import keys
from hydron.remote.errors import RemoteError
from hydron.remote.keys import ReadSecret

ENDPOINT_LABEL = "app.kubernetes.io/managed-by"


class Endpoints(Protocol):
    async def apply(self, manifest: dict) -> None: ...
    async def delete(self, name: str) -> None: ...


Record = Callable[[DnsStatus], Awaitable[None]]
"""record(status): write it before the update goes out (a failure stops the pass)."""


@dataclass
class Published:
    """Where the domains stand after a pass."""

    status: DnsStatus
    held: frozenset[str] = frozenset()
    """Domains whose record does not answer with the server's address: no route yet."""
    waiting: dict[str, str] = field(default_factory=dict)
    """Held domain → what it answers instead."""
    where: str = ""
    """The DNS server asked, for messages."""


@dataclass
class Context:
    """What a pass needs besides the settings."""

    name: str
    """The Deployment's name: the DNSEndpoint's too."""
    read_secret: ReadSecret | None = None
    endpoints: Endpoints | None = None
    record: Record | None = None


async def publish(settings: DnsSettings, domains: Sequence[str], address: str, before: DnsStatus | None,
                  ctx: Context) -> Published:
    """Make the domains point at `address`; DnsError when it cannot be done now."""
    before = (before or DnsStatus()).model_copy(update={"published_with": settings})
    want = plan.wanted(domains, address)
    if settings.rfc2136 is not None:
        return await _rfc2136(settings, want, before, ctx)
    return await _external(settings, want, before, ctx)


async def withdraw(settings: DnsSettings, status: DnsStatus | None, ctx: Context) -> None:
    """Remove every record Hydron wrote (the DNSEndpoint, for external-dns)."""
    if settings.rfc2136 is not None:
        if status and status.records:
            secret = await _secret(settings, ctx)
            await rfc2136.update(settings.rfc2136, secret, plan.Changes(remove=tuple(status.records)))
        return
    if ctx.endpoints is None:
        raise DnsError("DNSEndpointUnavailable", "the operator cannot write DNSEndpoints here.")
    try:
        await ctx.endpoints.delete((status.endpoint if status else None) or ctx.name)
    except EndpointError as error:
        raise DnsError("DNSEndpointUnavailable", error.message) from None


async def _rfc2136(settings: DnsSettings, want: list[DnsRecord], before: DnsStatus, ctx: Context) -> Published:
    server = settings.rfc2136
    assert server is not None
    where = f"{server.nameserver}:{server.port}"
    secret = await _secret(settings, ctx)
    rfc2136.keyring(server, secret)  # a malformed secret is said before anything is sent
    answers = await rfc2136.look_up(server.nameserver, server.port, want)
    todo = plan.changes(before.records, want, answers)
    records = list(before.records)
    if todo:
        maybe = plan.union(before.records, want)
        if ctx.record is not None:
            await ctx.record(before.model_copy(update={"records": maybe}))
        try:
            await rfc2136.update(server, secret, todo)
        except DnsError as error:
            # Refused: the zone is as it was. No answer: it may have been applied.
            error.records = maybe if error.reason == "DNSServerUnreachable" else records
            raise
        records = want
        answers = await rfc2136.look_up(server.nameserver, server.port, want)
    return _result(want, answers, before, DnsStatus(records=records, published_with=settings), where)


async def _external(settings: DnsSettings, want: list[DnsRecord], before: DnsStatus, ctx: Context) -> Published:
    external = settings.external_dns
    assert external is not None
    if ctx.endpoints is None:
        raise DnsError("DNSEndpointUnavailable", "the operator cannot write DNSEndpoints here.")
    manifest = plan.endpoint_manifest(ctx.name, want, external.ttl, {ENDPOINT_LABEL: "hydron"})
    if ctx.record is not None and before.endpoint != ctx.name:
        await ctx.record(before.model_copy(update={"endpoint": ctx.name}))
    try:
        await ctx.endpoints.apply(manifest)
    except EndpointError as error:
        reason = "DNSEndpointCRDMissing" if error.missing_crd else "DNSEndpointUnavailable"
        raise DnsError(reason, error.message) from None
    host, port = external.resolver, external.resolver_port
    if host is None:
        try:
            host, port = dns.resolver.Resolver().nameservers[0], 53
        except (dns.resolver.NoResolverConfiguration, IndexError):
            raise DnsError("DNSServerUnreachable", "the operator has no DNS resolver configured to check the "
                           "records at; set spec.dns.externalDNS.resolver.") from None
    answers = await rfc2136.look_up(host, port, want)
    done = DnsStatus(records=want, endpoint=ctx.name, published_with=settings)
    return _result(want, answers, before, done, f"{host}:{port}")


def _result(want: list[DnsRecord], answers: rfc2136.Answers, before: DnsStatus, status: DnsStatus,
            where: str) -> Published:
    waiting = plan.unresolved(want, answers)
    for name in list(waiting):  # resolved before, and the server just did not answer now
        if answers.get(next((r.name, r.type) for r in want if r.name == name)) is None and name in before.resolved:
            del waiting[name]
    resolved = [r.name for r in want if r.name not in waiting]
    return Published(status.model_copy(update={"resolved": resolved}), frozenset(waiting), waiting, where)


async def _secret(settings: DnsSettings, ctx: Context) -> str:
    ref = settings.rfc2136.tsig_secret_secret_ref  # type: ignore[union-attr]
    try:
        return await keys.read(ctx.read_secret, ref.name, ref.key)
    except RemoteError as error:
        raise DnsError("TSIGSecretUnavailable", f"{error.message} It holds the TSIG secret for "
                       "dns.rfc2136; create it (`tsig-keygen` prints one).") from None
