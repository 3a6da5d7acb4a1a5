"""Caddy route merge: ours replaced in place, others kept, stale ones removed."""

from __future__ import annotations

from hydron.deploy.routes import app_routes, merged, route, upstream_of
from hydron.remote.builders.caddy_config import with_http


def config_with(*routes) -> dict:
    config = with_http({"apps": {"tls": {"automation": {}}}})
    config["apps"]["http"]["servers"]["hydron"]["routes"] = list(routes)
    return config


OTHER = {"@id": "hydron:blog:web", "match": [{"host": ["blog.example.com"]}], "handle": [{"handler": "static_response"}]}
MANUAL = {"match": [{"host": ["status.example.com"]}], "handle": [{"handler": "static_response", "body": "ok"}]}


def test_a_new_route_is_appended_and_others_kept():
    before = config_with(OTHER, MANUAL)
    after = merged(before, "shop", {"web": route("shop", "web", ["shop.example.com"], "172.18.0.2:3000")})
    routes = after["apps"]["http"]["servers"]["hydron"]["routes"]
    assert routes[:2] == [OTHER, MANUAL]
    assert routes[2]["@id"] == "hydron:shop:web" and routes[2]["match"] == [{"host": ["shop.example.com"]}]
    assert upstream_of(routes[2]) == "172.18.0.2:3000"
    assert after["apps"]["tls"] == {"automation": {}}
    assert before["apps"]["http"]["servers"]["hydron"]["routes"] == [OTHER, MANUAL]  # input untouched


def test_switching_an_upstream_replaces_the_route_in_place():
    old = route("shop", "web", ["shop.example.com"], "172.18.0.2:3000")
    new = route("shop", "web", ["shop.example.com"], "172.18.0.3:3000")
    after = merged(config_with(old, OTHER), "shop", {"web": new})
    routes = after["apps"]["http"]["servers"]["hydron"]["routes"]
    assert [upstream_of(r) for r in routes] == ["172.18.0.3:3000", None]
    assert routes[1] == OTHER


def test_routes_of_removed_services_go_unless_kept():
    api = route("shop", "api", ["api.example.com"], "172.18.0.4:8000")
    web = route("shop", "web", ["shop.example.com"], "172.18.0.2:3000")
    config = config_with(api, OTHER, web)
    assert list(app_routes(merged(config, "shop", {"web": web}), "shop")) == ["web"]
    assert list(app_routes(merged(config, "shop", {"web": web}, keep={"api"}), "shop")) == ["api", "web"]


def test_an_app_whose_name_prefixes_another_leaves_it_alone():
    other = route("shop-api", "web", ["x.example.com"], "172.18.0.9:80")
    after = merged(config_with(other), "shop", {})
    assert after["apps"]["http"]["servers"]["hydron"]["routes"] == [other]


def test_merging_into_an_empty_caddy_makes_our_server():
    after = merged(None, "shop", {"web": route("shop", "web", ["shop.example.com"], "10.0.0.2:3000")})
    assert after["apps"]["http"]["servers"]["hydron"]["listen"] == [":80", ":443"]
    assert after["admin"]["listen"] == "localhost:2019"


def test_merging_what_runs_changes_nothing():
    web = route("shop", "web", ["shop.example.com"], "172.18.0.2:3000")
    config = config_with(OTHER, web)
    assert merged(config, "shop", {"web": web}) == config
