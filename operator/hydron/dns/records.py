"""Which records an app's domains need, and what changes to get there. Pure.

Every domain gets one record: A when the server's public address is IPv4, AAAA when
it is IPv6, pointing at that address. What Hydron wrote is kept in the Deployment's
status (`status.dns.records`), so a record is removed only when Hydron put it there:
a domain dropped from the spec, the old type after a move to an IPv6 server, or all
of them when the app is deleted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hydron.api.dns import DnsRecord


class DnsError(Exception):
    """Records could not be written or checked; `reason` is the condition reason,
    `retryable` whether trying again can help without a person; `records`, when set,
    the records that may exist now (an update that got no answer may have been applied)."""

    def __init__(self, reason: str, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retryable = retryable
        self.records: list[DnsRecord] | None = None


def record_type(address: str) -> str:
    """A for an IPv4 address, AAAA for IPv6; DNSAddressNotIP for a host name, which an
    A record cannot hold."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise DnsError("DNSAddressNotIP", f"the Server's public address {address!r} is a host name, and a record "
                       "must hold an IP address; set the Server's spec.publicAddress to the IP users reach.",
                       retryable=False) from None
    return "A" if ip.version == 4 else "AAAA"


def name_of(domain: str) -> str:
    return domain.lower().rstrip(".")


def wanted(domains: Iterable[str], address: str) -> list[DnsRecord]:
    """One record per domain (duplicates once), pointing at `address`."""
    kind = record_type(address)
    value = str(ipaddress.ip_address(address))
    names = dict.fromkeys(name_of(d) for d in domains)
    return [DnsRecord(name=n, type=kind, value=value) for n in names]


def domains_of(services: Sequence) -> list[str]:
    """Every domain of every service, in spec order, once."""
    return list(dict.fromkeys(name_of(d) for s in services for d in s.domains))


@dataclass(frozen=True)
class Changes:
    """One update's worth: records to remove (exactly these values) and records to set
    (the name's whole RRset of that type replaced by the one value)."""

    remove: tuple[DnsRecord, ...] = ()
    set: tuple[DnsRecord, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.remove or self.set)


def key(record: DnsRecord) -> tuple[str, str, str]:
    return (record.name, record.type, record.value)


def changes(recorded: Sequence[DnsRecord], want: Sequence[DnsRecord],
            answers: Mapping[tuple[str, str], frozenset[str] | None]) -> Changes:
    """What to send so the zone holds `want` and nothing Hydron wrote before that is no
    longer wanted. `answers` is what the server says now for (name, type): a wanted
    record it already answers with exactly its value is not sent again; None (no
    answer) counts as not there."""
    wanted_keys = {key(r) for r in want}
    remove = tuple(r for r in recorded if key(r) not in wanted_keys)
    to_set = tuple(r for r in want if answers.get((r.name, r.type)) != frozenset({r.value}))
    return Changes(remove=remove, set=to_set)


def union(*groups: Iterable[DnsRecord]) -> list[DnsRecord]:
    """Records of all groups, each once, in first-seen order."""
    seen: dict[tuple[str, str, str], DnsRecord] = {}
    for group in groups:
        for record in group:
            seen.setdefault(key(record), record)
    return list(seen.values())


def unresolved(want: Sequence[DnsRecord], answers: Mapping[tuple[str, str], frozenset[str] | None]) -> dict[str, str]:
    """Domains whose record does not answer with the server's address yet, with what
    it answers instead (for the status message)."""
    waiting = {}
    for record in want:
        got = answers.get((record.name, record.type))
        if got != frozenset({record.value}):
            waiting[record.name] = "no answer" if got is None else (", ".join(sorted(got)) or "no record")
    return waiting


def endpoint_manifest(name: str, want: Sequence[DnsRecord], ttl: int, labels: Mapping[str, str],
                      owner: Mapping[str, object] | None = None) -> dict:
    """A DNSEndpoint (externaldns.k8s.io/v1alpha1) holding the records, for external-dns
    to publish."""
    metadata: dict = {"name": name, "labels": dict(labels)}
    if owner:
        metadata["ownerReferences"] = [dict(owner)]
    return {
        "apiVersion": "externaldns.k8s.io/v1alpha1",
        "kind": "DNSEndpoint",
        "metadata": metadata,
        "spec": {"endpoints": [
            {"dnsName": r.name, "recordType": r.type, "targets": [r.value], "recordTTL": ttl} for r in want
        ]},
    }
