"""RFC 2136 dynamic updates signed with TSIG, and the look-ups that check them, through
dnspython.

One update message carries every change of a pass: the server applies it whole or
not at all (RFC 2136 §3), so a refused update leaves the zone as it was and the
records Hydron names in status stay true. The TSIG secret goes from the Secret into
the keyring and nowhere else.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress

import dns.asyncquery
import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.update

from hydron.api.dns import DnsRecord, Rfc2136
from hydron.dns.records import Changes, DnsError

TIMEOUT = 5.0
"""Seconds to wait for the DNS server's answer."""
Answers = dict[tuple[str, str], frozenset[str] | None]

_REFUSALS = {  # rcode → (reason, what the server said)
    dns.rcode.REFUSED: ("DNSUpdateRefused", "refused the update: is the TSIG key allowed to update this zone? "
                        "(BIND: `update-policy` or `allow-update`)"),
    dns.rcode.NOTAUTH: ("DNSZoneNotServed", "is not authoritative for the zone (NOTAUTH): check "
                        "spec.dns.rfc2136.zone and that nameserver is the zone's primary"),
    dns.rcode.NOTZONE: ("DNSZoneNotServed", "says a name is outside the zone (NOTZONE)"),
}


def keyring(settings: Rfc2136, secret: str) -> dns.tsig.Key:
    """The TSIG key; TSIGKeyInvalid (a person must fix it) when the secret is not base64."""
    try:
        base64.b64decode(secret.strip(), validate=True)
    except (binascii.Error, ValueError):
        ref = settings.tsig_secret_secret_ref
        raise DnsError("TSIGKeyInvalid", f"key {ref.key!r} of Secret {ref.name} is not a base64 TSIG secret "
                       "(`tsig-keygen NAME` prints one).", retryable=False) from None
    return dns.tsig.Key(settings.tsig_key_name, secret.strip(), algorithm=settings.tsig_algorithm)


async def server_ip(host: str) -> str:
    """The nameserver's address (a host name is looked up with the system resolver)."""
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError as error:
        raise DnsError("DNSServerUnreachable", f"cannot look up the DNS server {host}: {error}") from None
    return str(infos[0][4][0])


async def update(settings: Rfc2136, secret: str, todo: Changes) -> None:
    """Send the changes as one signed update over TCP. When the server does not take it:
    TSIGKeyRejected, DNSZoneNotServed, DNSUpdateRefused (the zone is unchanged) or
    DNSServerUnreachable (it may have been applied); all retried."""
    zone = dns.name.from_text(settings.zone)
    message = dns.update.UpdateMessage(zone, keyring=keyring(settings, secret))
    for record in todo.remove:
        message.delete(_relative(record.name, zone), record.type, record.value)
    for record in todo.set:
        message.replace(_relative(record.name, zone), settings.ttl, record.type, record.value)
    where = f"{settings.nameserver}:{settings.port}"
    address = await server_ip(settings.nameserver)
    try:
        response = await dns.asyncquery.tcp(message, address, port=settings.port, timeout=TIMEOUT)
    except dns.tsig.PeerError as error:  # the server rejected our signature (BADSIG, BADKEY, BADTIME)
        raise DnsError("TSIGKeyRejected", f"DNS server {where} rejected the TSIG key {settings.tsig_key_name} "
                       f"({type(error).__name__}): check the key name, algorithm and secret.") from None
    except (OSError, dns.exception.Timeout, EOFError) as error:
        raise DnsError("DNSServerUnreachable", f"DNS server {where} did not answer the update "
                       f"({type(error).__name__}); Hydron tries again.") from None
    except dns.exception.DNSException as error:
        raise DnsError("TSIGKeyRejected", f"DNS server {where} gave an answer that does not check out "
                       f"({type(error).__name__}): check the TSIG key.") from None
    rcode = response.rcode()
    if rcode != dns.rcode.NOERROR:
        reason, said = _REFUSALS.get(rcode, ("DNSUpdateRefused", f"answered {dns.rcode.to_text(rcode)} to the update"))
        raise DnsError(reason, f"DNS server {where} {said}; zone {settings.zone}, key {settings.tsig_key_name}. "
                       "Hydron tries again.")


async def look_up(host: str, port: int, records: list[DnsRecord]) -> Answers:
    """What the server answers now for each record's name and type: the set of values
    (empty for no such name or no such record), or None when it did not answer."""
    address = await server_ip(host)
    answers = await asyncio.gather(*(_one(address, port, r.name, r.type) for r in records))
    return {(r.name, r.type): a for r, a in zip(records, answers)}


async def _one(address: str, port: int, name: str, rdtype: str) -> frozenset[str] | None:
    query = dns.message.make_query(name, rdtype)
    try:
        response = await dns.asyncquery.udp(query, address, port=port, timeout=TIMEOUT)
    except (OSError, dns.exception.DNSException, EOFError):
        return None
    if response.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        return None
    wanted = dns.rdatatype.from_text(rdtype)
    return frozenset(rd.to_text() for rrset in response.answer if rrset.rdtype == wanted for rd in rrset)


def _relative(name: str, zone: dns.name.Name) -> dns.name.Name:
    return dns.name.from_text(name).relativize(zone)
