"""Stable upstream addresses: a rollout moves traffic without touching Caddy. Pure.

Caddy (2.6, as packaged) binds new listening sockets on every configuration load,
however small the change (its admin API re-runs the whole config even for a PATCH of
one upstream), and a connection waiting on the old socket can be reset. So a route
never names a container. It dials a fixed virtual address per service, taken from
198.18.0.0/15 (RFC 2544's benchmarking range: never on the internet, never a Docker
subnet), and an nftables DNAT rule in Hydron's own `ip hydron_routes` table sends new
connections for that address to the container that serves now. A rollout replaces
one service's rule in one `nft -f` transaction: connections opened before keep their
container (conntrack), every later one reaches the new container. Caddy's
configuration changes only when a service gains or loses a route or a domain.

Caddy's upstream connections are not kept alive (`routes.route`): a pooled
connection would keep going to the old container after the switch.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass

VIRTUAL = ipaddress.ip_network("198.18.0.0/15")
TABLE = "hydron_routes"
FAMILY = "ip"
MAP = "services"


def chain(app: str, service: str) -> str:
    """The nft chain holding one service's DNAT rule (nft names need no app characters)."""
    return "u_" + hashlib.sha256(f"{app}/{service}".encode()).hexdigest()[:20]


def is_virtual(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "") in VIRTUAL
    except ValueError:
        return False


def allocate(app: str, service: str, taken: Iterable[str]) -> str:
    """A virtual address for a service new to the server: from a hash of its name, the
    next free one when another service has it."""
    used = set(taken)
    first = VIRTUAL.network_address + 1
    size = VIRTUAL.num_addresses - 2
    start = int(hashlib.sha256(f"{app}/{service}".encode()).hexdigest(), 16) % size
    for step in range(size):
        candidate = str(first + (start + step) % size)
        if candidate not in used:
            return candidate
    raise RuntimeError("no virtual upstream address left")


def switch(app: str, service: str, virtual: str, target: str) -> str:
    """The `nft -f` transaction pointing `virtual` at `target` (a container's address).

    Idempotent and atomic: the table, its dispatch chain and the service's chain are
    (re)declared, the service's rule replaced. Other services' chains are untouched, so
    rollouts of different apps never race on a shared file."""
    name = chain(app, service)
    return "\n".join([
        f"add table {FAMILY} {TABLE}",
        f"add map {FAMILY} {TABLE} {MAP} {{ type ipv4_addr : verdict; }}",
        f"add chain {FAMILY} {TABLE} output {{ type nat hook output priority -100; policy accept; }}",
        f"flush chain {FAMILY} {TABLE} output",
        f"add rule {FAMILY} {TABLE} output ip daddr vmap @{MAP}",
        f"add chain {FAMILY} {TABLE} {name}",
        f"flush chain {FAMILY} {TABLE} {name}",
        f'add rule {FAMILY} {TABLE} {name} meta l4proto tcp dnat to {target} comment "{app}/{service}"',
        f"add element {FAMILY} {TABLE} {MAP} {{ {virtual} : jump {name} }}",
        "",
    ])


def remove(app: str, service: str, virtual: str | None) -> str:
    """The transaction dropping one service's chain, and its address when it has one."""
    name = chain(app, service)
    lines = [f"delete element {FAMILY} {TABLE} {MAP} {{ {virtual} }}"] if virtual else []
    return "\n".join([*lines, f"flush chain {FAMILY} {TABLE} {name}", f"delete chain {FAMILY} {TABLE} {name}", ""])


@dataclass(frozen=True)
class Table:
    """What the server's table holds: virtual address → chain, chain → target."""

    elements: dict[str, str]
    targets: dict[str, str]

    def target(self, app: str, service: str, virtual: str) -> str | None:
        """Where `virtual` leads now (None when it leads nowhere)."""
        name = chain(app, service)
        return self.targets.get(name) if self.elements.get(virtual) == name else None


_CHAIN = re.compile(r"chain (u_[0-9a-f]+) \{(.*?)\n\t\}", re.S)
_DNAT = re.compile(r"dnat (?:ip )?to ([0-9.]+)")
_ELEMENT = re.compile(r"([0-9.]+) : jump (u_[0-9a-f]+)")


def parse(listing: str) -> Table:
    """`nft list table ip hydron_routes` output (empty when there is no table)."""
    targets = {}
    for name, body in _CHAIN.findall(listing):
        found = _DNAT.search(body)
        if found:
            targets[name] = found.group(1)
    elements_text = listing.split("elements = {", 1)[1].split("}", 1)[0] if "elements = {" in listing else ""
    return Table(dict(_ELEMENT.findall(elements_text)), targets)
