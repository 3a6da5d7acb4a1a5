"""Hydron's nftables table, rendered from the spec. Pure.

Input: default drop; allowed are replies to our own traffic, loopback, ICMP, the SSH
port we are connected through, the proxy's 80/443 and the spec's openings.

Docker bypasses host firewalls: a published port (`-p 8080:80`) is DNATed in the
nat prerouting hook and then *forwarded* to the container, so an input chain never
sees it. Hydron therefore also hooks forward, at a priority before Docker's
iptables-nft filter chains, and drops forwarded connections that were DNATed from
outside (not from a Docker bridge) unless their original destination port is one
the spec opens. A verdict `drop` in any base chain is final, so Docker's own
`ACCEPT` rules cannot let such a packet through; Docker's chains stay untouched.
The proxy itself runs on the host network, so apps reach the internet only through
Caddy on 80/443 unless a port is opened on purpose.

The file replaces only this table (`table ...{}` + `delete table` + definition, in
one `nft -f` transaction): Docker's and ufw's tables are never touched.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from hydron.api.infraplan import FirewallRule

FAMILY = "inet"
TABLE = "hydron"
RULESET_PATH = "/etc/hydron/firewall.nft"
LISTING_PATH = "/var/lib/hydron/firewall.listing"
"""`nft list table` as it printed right after Hydron loaded the table: drift is any
difference from it (nft's own formatting, so no re-implementation of it)."""
PROXY_PORTS = (80, 443)
DOCKER_BRIDGES = ("docker0", "br-*")


def _source(rule: FirewallRule) -> str:
    network = ipaddress.ip_network(rule.source, strict=False)
    if network.prefixlen == 0:
        return ""
    return f"{'ip' if network.version == 4 else 'ip6'} saddr {network} "


def _ordered(rules: Iterable[FirewallRule]) -> list[FirewallRule]:
    unique = {(r.port, r.protocol, r.source): r for r in rules}
    return [unique[k] for k in sorted(unique)]


def render(ssh_ports: Sequence[int], openings: Sequence[FirewallRule]) -> str:
    """The ruleset file for `nft -f`."""
    rules = _ordered(openings)
    ssh = sorted(set(ssh_ports))
    ssh_match = str(ssh[0]) if len(ssh) == 1 else "{ " + ", ".join(map(str, ssh)) + " }"
    proxy = ", ".join(map(str, PROXY_PORTS))
    input_openings = [
        f'\t\t{_source(r)}{r.protocol} dport {r.port} accept comment "spec.firewall"' for r in rules
    ]
    published = [
        f'\t\t{_source(r)}meta l4proto {r.protocol} ct original proto-dst {r.port} accept' for r in rules
    ]
    bridges = " ".join(f'iifname != "{b}"' for b in DOCKER_BRIDGES)
    lines = [
        "# Hydron's firewall, generated from the Server spec: edits are overwritten.",
        f"table {FAMILY} {TABLE} {{}}",
        f"delete table {FAMILY} {TABLE}",
        "",
        f"table {FAMILY} {TABLE} {{",
        "\tchain input {",
        "\t\ttype filter hook input priority filter; policy drop;",
        "\t\tct state established,related accept",
        "\t\tct state invalid drop",
        '\t\tiif "lo" accept',
        "\t\tmeta l4proto { icmp, ipv6-icmp } accept",
        f'\t\ttcp dport {ssh_match} accept comment "ssh"',
        f'\t\ttcp dport {{ {proxy} }} accept comment "reverse proxy"',
        *input_openings,
        "\t}",
        "",
        "\tchain forward {",
        "\t\ttype filter hook forward priority filter - 10; policy accept;",
        f"\t\tct status dnat {bridges} jump published_ports",
        "\t}",
        "",
        "\tchain published_ports {",
        *published,
        "\t\tdrop",
        "\t}",
        "}",
        "",
    ]
    return "\n".join(lines)
