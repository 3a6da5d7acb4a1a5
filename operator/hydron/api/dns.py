"""Where an app's domains are published: the DNS settings an Application carries and
hands to its Deployment, which points each domain at the Server it runs on.

Two ways, one per kind of setup: RFC 2136 dynamic updates signed with TSIG, which
BIND, Knot, PowerDNS and most self-hosted DNS servers accept (the field names follow
cert-manager's RFC2136 solver, which people who run such a server already know), or
`DNSEndpoint` objects for a cluster that runs external-dns, which then publishes
them to whatever provider it is configured for.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from hydron.api.base import DOMAIN_PATTERN, ApiModel, SecretKeyReference, cel, validations
from hydron.api.checks import HOST

TsigAlgorithm = Literal["hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1", "hmac-md5"]
ZONE_PATTERN = DOMAIN_PATTERN.replace(r"^(\*\.)?", "^")
KEY_NAME_PATTERN = r"^([A-Za-z0-9]([-_A-Za-z0-9]*[A-Za-z0-9])?\.)*[A-Za-z0-9]([-_A-Za-z0-9]*[A-Za-z0-9])?\.?$"


class Rfc2136(ApiModel):
    """A DNS server that takes RFC 2136 dynamic updates signed with a TSIG key."""

    nameserver: HOST.type() = Field(description="The primary server of the zone, which takes the updates: "
                                                "an IP address or a host name.")
    port: int = Field(default=53, ge=1, le=65535, description="Its DNS port.")
    zone: str = Field(pattern=ZONE_PATTERN, max_length=253, description="The zone the domains are in, e.g. "
                      "example.com; every domain of the app must be this zone or inside it.")
    tsig_key_name: str = Field(pattern=KEY_NAME_PATTERN, max_length=253,
                               description="Name of the TSIG key the server knows, e.g. hydron-key.")
    tsig_algorithm: TsigAlgorithm = Field(default="hmac-sha256", description="The TSIG key's algorithm.")
    tsig_secret_secret_ref: SecretKeyReference = Field(
        description="Secret key holding the TSIG secret, base64 as `tsig-keygen` prints it (read with get "
                    "only, never logged).",
    )
    ttl: int = Field(default=300, ge=30, le=86400, description="TTL of the records, in seconds.")


class ExternalDns(ApiModel):
    """Records as `DNSEndpoint` objects (externaldns.k8s.io/v1alpha1) in the app's namespace,
    for an external-dns that runs with `--source=crd`."""

    ttl: int = Field(default=300, ge=30, le=86400, description="TTL of the records, in seconds.")
    resolver: HOST.type() | None = Field(
        default=None, description="DNS server asked whether the records are out before certificates are "
                                  "requested (an authoritative server of the zone is best). Default: the "
                                  "operator's own resolver.",
    )
    resolver_port: int = Field(default=53, ge=1, le=65535, description="Port of `resolver`.")


class DnsSettings(ApiModel):
    """Point each domain at the server the app runs on: A (IPv4) or AAAA (IPv6) records
    to its public address, moved with the app, removed when the app is deleted
    (deletionPolicy Delete). A domain's route and certificate wait until its record
    answers with the server's address."""

    model_config = ConfigDict(json_schema_extra=validations(
        cel("has(self.rfc2136) != has(self.externalDNS)", "set exactly one of rfc2136 or externalDNS"),
    ))

    rfc2136: Rfc2136 | None = Field(default=None, description="Dynamic updates to your own DNS server (BIND, "
                                                              "Knot, PowerDNS).")
    external_dns: ExternalDns | None = Field(default=None, alias="externalDNS",
                                             description="DNSEndpoint objects for the cluster's external-dns.")

    @model_validator(mode="after")
    def _exactly_one(self) -> DnsSettings:
        if (self.rfc2136 is None) == (self.external_dns is None):
            raise ValueError("set exactly one of rfc2136 or externalDNS")
        return self

    def zone(self) -> str | None:
        return self.rfc2136.zone if self.rfc2136 else None


def in_zone(domain: str, zone: str) -> bool:
    """The domain is the zone's apex or a name inside it (a wildcard included)."""
    domain, zone = domain.lower().rstrip("."), zone.lower().rstrip(".")
    return domain == zone or domain.endswith("." + zone)


def zone_rule(top_level_domains: bool) -> dict[str, str]:
    """CEL for a spec with `dns` and `services[].domains` (and `domains` on the
    Application): every domain lies in the rfc2136 zone."""
    zone = "self.dns.rfc2136.zone"
    inside = f"d == {zone} || d.endsWith('.' + {zone})"
    checks = [f"(!has(self.services) || self.services.all(s, !has(s.domains) || s.domains.all(d, {inside})))"]
    if top_level_domains:
        checks.insert(0, f"(!has(self.domains) || self.domains.all(d, {inside}))")
    return cel(f"!has(self.dns) || !has(self.dns.rfc2136) || ({' && '.join(checks)})",
               "every domain must be in dns.rfc2136.zone (the zone itself or a name inside it)")


def outside_zone(dns: DnsSettings | None, domains: list[str]) -> list[str]:
    """The domains that the rfc2136 zone cannot hold (none without rfc2136)."""
    zone = dns.zone() if dns else None
    return [d for d in domains if zone and not in_zone(d, zone)]


class DnsRecord(ApiModel):
    """A record Hydron wrote."""

    name: str = Field(description="The domain, e.g. shop.example.com.")
    type: Literal["A", "AAAA"] = Field(description="A for an IPv4 address, AAAA for IPv6.")
    value: str = Field(description="The address it points at.")


class DnsStatus(ApiModel):
    """The records Hydron published for the app: removed when it is deleted (deletionPolicy Delete)."""

    records: list[DnsRecord] = Field(
        default_factory=list, max_length=256,
        description="Every record Hydron wrote and has not removed (including one whose update is in flight).",
    )
    endpoint: str | None = Field(default=None, description="The DNSEndpoint object holding them (externalDNS).")
    published_with: DnsSettings | None = Field(
        default=None,
        description="The spec.dns the records were written with: when spec.dns is removed, or names another zone "
                    "or external-dns instead, Hydron removes them there (only these values, which it wrote).",
    )
    resolved: list[str] = Field(
        default_factory=list, max_length=256,
        description="Domains whose record answered with the server's address; their routes and certificates are on.",
    )


def same_place(a: DnsSettings | None, b: DnsSettings | None) -> bool:
    """Whether records written with `a` are the ones `b` looks after: the same zone (RFC
    2136; a new address, port or key of its server is the same zone, whose records must
    not blink out), or both external-dns (the DNSEndpoint is the app's)."""
    if a is None or b is None:
        return a is b
    if a.rfc2136 is not None and b.rfc2136 is not None:
        return a.rfc2136.zone.lower().rstrip(".") == b.rfc2136.zone.lower().rstrip(".")
    return a.external_dns is not None and b.external_dns is not None
