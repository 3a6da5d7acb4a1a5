"""Stable upstream addresses: allocated once per service, switched in nftables."""

from __future__ import annotations

from hydron.deploy import upstreams
from hydron.deploy.routes import route, upstream_host, upstream_hosts
from hydron.remote.builders.caddy_config import with_http

LISTING = """table ip hydron_routes {
\tmap services {
\t\ttype ipv4_addr : verdict
\t\telements = { 198.18.4.7 : jump CHAIN_WEB,
\t\t\t     198.19.0.9 : jump CHAIN_API }
\t}

\tchain output {
\t\ttype nat hook output priority dstnat; policy accept;
\t\tip daddr vmap @services
\t}

\tchain CHAIN_WEB {
\t\tmeta l4proto tcp dnat to 172.18.0.3 comment "shop/web"
\t}

\tchain CHAIN_API {
\t\tmeta l4proto tcp dnat to 172.18.0.4 comment "shop/api"
\t}
}
"""


def listing() -> str:
    return (LISTING.replace("CHAIN_WEB", upstreams.chain("shop", "web"))
            .replace("CHAIN_API", upstreams.chain("shop", "api")))


def test_a_listing_says_where_each_address_leads():
    table = upstreams.parse(listing())
    assert table.target("shop", "web", "198.18.4.7") == "172.18.0.3"
    assert table.target("shop", "api", "198.19.0.9") == "172.18.0.4"
    assert table.target("shop", "web", "198.19.0.9") is None  # another service's address
    assert upstreams.parse("").target("shop", "web", "198.18.4.7") is None  # no table yet


def test_addresses_are_stable_virtual_and_never_shared():
    first = upstreams.allocate("shop", "web", [])
    assert upstreams.is_virtual(first) and first == upstreams.allocate("shop", "web", [])
    second = upstreams.allocate("shop", "web", [first])
    assert second != first and upstreams.is_virtual(second)
    assert not upstreams.is_virtual("172.18.0.3") and not upstreams.is_virtual(None)


def test_a_switch_replaces_only_its_own_service_rule():
    text = upstreams.switch("shop", "web", "198.18.4.7", "172.18.0.5")
    name = upstreams.chain("shop", "web")
    assert f"flush chain ip hydron_routes {name}" in text
    assert f"add rule ip hydron_routes {name} meta l4proto tcp dnat to 172.18.0.5" in text
    assert f"198.18.4.7 : jump {name}" in text
    assert upstreams.chain("shop", "api") not in text
    assert "delete element" in upstreams.remove("shop", "web", "198.18.4.7")
    assert "delete element" not in upstreams.remove("shop", "web", None)


def test_routes_dial_the_virtual_address_without_pooled_connections():
    web = route("shop", "web", ["shop.example.com"], "198.18.4.7:3000")
    proxy = web["handle"][0]
    assert proxy["transport"]["keep_alive"] == {"enabled": False}
    assert proxy["load_balancing"]["try_duration"]
    config = with_http(None)
    config["apps"]["http"]["servers"]["hydron"]["routes"] = [web]
    assert upstream_host(web) == "198.18.4.7" and upstream_hosts(config) == {"198.18.4.7"}
