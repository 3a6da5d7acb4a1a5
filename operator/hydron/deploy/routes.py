"""Caddy routes for a deployment, merged into the running configuration. Pure.

Each route carries an `@id` naming its app and service, so a merge replaces exactly
our route in place (the switch of upstream is one atomic `POST /load`) and keeps every
other route: other apps', and anything a person added.

Upstreams are the container's address on the app network (`IP:port`): Caddy runs on
the host, which reaches every bridge network directly, so no port is published, not
even on loopback; the address is re-read on every reconcile, so a container that got
a new address after a daemon restart gets its route repaired.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from hydron.deploy.plan import route_id
from hydron.remote.builders.caddy_config import SERVER, with_http

Config = dict[str, Any]



def route(app: str, service: str, domains: list[str] | tuple[str, ...], upstream: str) -> Config:
    return {
        "@id": route_id(app, service),
        "match": [{"host": list(domains)}],
        "handle": [{
            "handler": "reverse_proxy",
            "upstreams": [{"dial": upstream}],
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
