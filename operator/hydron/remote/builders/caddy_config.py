"""Caddy's JSON configuration: the parts Hydron's steps own, merged into what runs. Pure.

Two steps share one configuration: the reverse proxy owns the admin endpoint and the
`hydron` HTTP server's listeners; the certificates step owns `apps.tls`. Routes
belong to deployments: every merge keeps the routes already loaded, so provisioning
never drops an app's route.
"""

from __future__ import annotations

import copy
from typing import Any

from hydron.api.server import ProxySettings

ADMIN_LISTEN = "localhost:2019"
SERVER = "hydron"
LISTEN = [":80", ":443"]
ACME_ROOT_FILE = "/etc/caddy/hydron-acme-root.pem"

Config = dict[str, Any]


def http_server(config: Config | None) -> Config | None:
    return (((config or {}).get("apps") or {}).get("http") or {}).get("servers", {}).get(SERVER)


def http_matches(config: Config | None) -> bool:
    """The admin endpoint and our server's listeners are as wanted."""
    server = http_server(config)
    return (
        (config or {}).get("admin", {}).get("listen") == ADMIN_LISTEN
        and server is not None
        and {k: v for k, v in server.items() if k != "routes"} == {"listen": LISTEN}
    )


def with_http(config: Config | None) -> Config:
    """`config` with the admin endpoint and our HTTP server set; routes kept."""
    merged = copy.deepcopy(config) if isinstance(config, dict) else {}
    merged["admin"] = {**merged.get("admin", {}), "listen": ADMIN_LISTEN}
    servers = merged.setdefault("apps", {}).setdefault("http", {}).setdefault("servers", {})
    routes = (servers.get(SERVER) or {}).get("routes", [])
    servers[SERVER] = {"listen": list(LISTEN), "routes": routes}
    return merged


def tls_app(proxy: ProxySettings, root_file: str | None) -> Config | None:
    """`apps.tls` for the spec's ACME settings; None leaves Caddy's defaults (Let's
    Encrypt, then ZeroSSL) in force."""
    if not (proxy.acme_ca or proxy.acme_email or root_file):
        return None
    issuer: Config = {"module": "acme"}
    if proxy.acme_ca:
        issuer["ca"] = proxy.acme_ca
    if proxy.acme_email:
        issuer["email"] = proxy.acme_email
    if root_file:
        issuer["trusted_roots_pem_files"] = [root_file]
    return {"automation": {"policies": [{"issuers": [issuer]}]}}


def tls_matches(config: Config | None, wanted: Config | None) -> bool:
    return ((config or {}).get("apps") or {}).get("tls") == wanted


def with_tls(config: Config | None, wanted: Config | None) -> Config:
    merged = copy.deepcopy(config) if isinstance(config, dict) else {}
    apps = merged.setdefault("apps", {})
    if wanted is None:
        apps.pop("tls", None)
    else:
        apps["tls"] = wanted
    return merged
