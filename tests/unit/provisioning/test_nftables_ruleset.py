from hydron.api.infraplan import FirewallRule
from hydron.provisioning.nftables_ruleset import render

EXPECTED = """\
# Hydron's firewall, generated from the Server spec: edits are overwritten.
table inet hydron {}
delete table inet hydron

table inet hydron {
\tchain input {
\t\ttype filter hook input priority filter; policy drop;
\t\tct state established,related accept
\t\tct state invalid drop
\t\tiif "lo" accept
\t\tmeta l4proto { icmp, ipv6-icmp } accept
\t\ttcp dport 2222 accept comment "ssh"
\t\ttcp dport { 80, 443 } accept comment "reverse proxy"
\t\ttcp dport 5432 accept comment "spec.firewall"
\t\tip6 saddr 2001:db8::/32 tcp dport 9100 accept comment "spec.firewall"
\t\tip saddr 10.0.0.0/8 udp dport 51820 accept comment "spec.firewall"
\t}

\tchain forward {
\t\ttype filter hook forward priority filter - 10; policy accept;
\t\tct status dnat iifname != "docker0" iifname != "br-*" jump published_ports
\t}

\tchain published_ports {
\t\tmeta l4proto tcp ct original proto-dst 5432 accept
\t\tip6 saddr 2001:db8::/32 meta l4proto tcp ct original proto-dst 9100 accept
\t\tip saddr 10.0.0.0/8 meta l4proto udp ct original proto-dst 51820 accept
\t\tdrop
\t}
}
"""


def test_ruleset_for_a_spec_with_openings():
    openings = [
        FirewallRule(port=9100, source="2001:db8::/32"),
        FirewallRule(port=5432),
        FirewallRule(port=51820, protocol="udp", source="10.0.0.0/8"),
        FirewallRule(port=5432, reason="duplicate, same opening"),
    ]
    assert render([2222], openings) == EXPECTED


def test_no_openings_means_published_ports_are_all_dropped():
    text = render([22], [])
    assert 'tcp dport 22 accept comment "ssh"' in text
    assert "\tchain published_ports {\n\t\tdrop\n\t}" in text


def test_several_ssh_ports_become_a_set():
    assert 'tcp dport { 22, 2222 } accept comment "ssh"' in render([2222, 22, 22], [])
