"""Caddy routes for a deployment, merged into the running configuration. Pure.

Each route carries an `@id` naming its app and service, so a merge replaces exactly
our route in place (the switch of upstream is one atomic `POST /load`) and keeps every
other route: other apps', and anything a person added.

A route dials its service's stable virtual address (`hydron.deploy.upstreams`), never
a container: the host's nftables send it on to the container that serves now, across
the bridge network (no port is published, not even on loopback). So a rollout leaves
the route, and Caddy's configuration, as they are. Upstream connections are not kept
alive (a pooled one would outlive the switch), and a failed dial is retried for a
while: a connection refused mid-switch is tried again, never answered with a 502.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from hydron.deploy.plan import route_id
from hydron.remote.builders.caddy_config import SERVER, with_http

Config = dict[str, Any]

RETRY_DIALS_FOR = "5s"

def route(app: str, service: str, domains: list[str] | tuple[str, ...], upstream: str) -> Config:
    return {
        "@id": route_id(app, service),
        "match": [{"host": list(domains)}],
        "handle": [{
            "handler": "reverse_proxy",
            "upstreams": [{"dial": upstream}],
            "transport": {"protocol": "http", "keep_alive": {"enabled": False}},
            "load_balancing": {"try_duration": RETRY_DIALS_FOR},
        }],
        "terminal": True,
    }


def _routes(config: Config | None) -> list[Config]:
    server = (((config or {}).get("apps") or {}).get("http") or {}).get("servers", {}).get(SERVER) or {}
    return list(server.get("routes") or [])


def app_routes(config: Config | None, app: str) -> dict[str, Config]:
    """This app's routes in the running config, by service."""
    prefix = route_id(app, "")
    return {r["@id"][len(prefix):]: r for r in _routes(config) if str(r.get("@id", "")).startswith(prefix)}


def upstream_of(route_config: Config | None) -> str | None:
    try:
        return route_config["handle"][0]["upstreams"][0]["dial"]  # type: ignore[index]
    except (KeyError, IndexError, TypeError):
        return None


def upstream_host(route_config: Config | None) -> str | None:
    """The address part of a route's upstream (`198.18.0.7` of `198.18.0.7:3000`)."""
    dial = upstream_of(route_config)
    return dial.rsplit(":", 1)[0] if dial and ":" in dial else None


def upstream_hosts(config: Config | None) -> set[str]:
    """Every route's upstream address, all apps: the virtual addresses already taken."""
    return {host for r in _routes(config) if (host := upstream_host(r))}


def merged(config: Config | None, app: str, wanted: Mapping[str, Config], keep: set[str] = frozenset()) -> Config:
    """`config` with this app's routes set to `wanted` (service → route): ours replaced
    in place, new ones appended, ours no longer wanted removed unless in `keep`
    (services whose current state this rollout leaves alone); others untouched."""
    result = with_http(copy.deepcopy(config) if config else None)
    prefix = route_id(app, "")
    routes: list[Config] = []
    placed: set[str] = set()
    for existing in _routes(result):
        rid = str(existing.get("@id", ""))
        if not rid.startswith(prefix):
            routes.append(existing)
            continue
        service = rid[len(prefix):]
        if service in wanted:
            routes.append(copy.deepcopy(dict(wanted[service])))
            placed.add(service)
        elif service in keep:
            routes.append(existing)
    routes.extend(copy.deepcopy(dict(r)) for s, r in wanted.items() if s not in placed)
    result["apps"]["http"]["servers"][SERVER]["routes"] = routes
    return result
