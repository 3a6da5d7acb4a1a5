"""Real certificate issuance: pebble (Let's Encrypt's ACME test server) runs on the
server, Caddy obtains a certificate from it over HTTP-01, and HTTPS answers with a
certificate that chains to pebble's root."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import asyncssh
import pytest

from hydron.controllers.server import reconcile
from hydron.remote.builders import caddy
from hydron.remote.connect import Target
from hydron.remote.runner import CommandRunner
from hydron_testbed.acme import DOMAIN, ROOT_SECRET, fetch_over_tls, listener_certificate, start_pebble
from hydron_testbed.polling import eventually
from hydron_testbed.reconcile import Events, condition, step

pytestmark = pytest.mark.docker

async def test_caddy_obtains_a_certificate_from_pebble_and_serves_https(hosts, runtime):
    (host,) = hosts(1)
    listener_cert, listener_key = listener_certificate()
    start_pebble(host, listener_cert, listener_key)
    server = host.server(proxy={
        "acmeCa": "https://localhost:14000/dir",
        "acmeEmail": "ops@example.test",
        "acmeCaRootSecretRef": {"name": ROOT_SECRET[0], "key": ROOT_SECRET[1]},
    })

    def read_secret(name: str, key: str) -> str:
        return listener_cert if (name, key) == ROOT_SECRET else host.fresh.private_key_pem

    events = Events()
    result = await reconcile(server, 1, replace(runtime, read_secret=read_secret, emit=events))
    assert condition(result, "Ready").status == "True", result.status.conditions
    assert step(result, "certificates").changed and "https://localhost:14000/dir" in step(result, "certificates").message
    issuer = json.loads(host.sh("curl -sS localhost:2019/config/apps/tls/automation/policies/0/issuers/0"))
    assert issuer["ca"] == "https://localhost:14000/dir" and issuer["email"] == "ops@example.test"

    # A deployment adds a route for the domain through the same admin API.
    session = await runtime.pool.session(
        Target(host.fresh.address, host.fresh.port, "root"), asyncssh.import_private_key(host.fresh.private_key_pem), result.status.host_key
    )
    route = {"match": [{"host": [DOMAIN]}], "handle": [{"handler": "static_response", "body": "hello from hydron"}]}
    await CommandRunner(session).run(caddy.append_route("hydron"), input=json.dumps(route).encode())

    host.sh("curl -sS -k https://localhost:15000/roots/0 > /tmp/pebble-root.pem")
    pebble_root = host.sh("cat /tmp/pebble-root.pem")
    assert "BEGIN CERTIFICATE" in pebble_root
    curl = f"curl -sS --cacert /tmp/pebble-root.pem --resolve {DOMAIN}:443:{host.ip} https://{DOMAIN}/"
    await eventually(lambda: host.sh(curl, check=False) == "hello from hydron", timeout=90)

    # And from outside the server, through its firewall, with a verifying TLS client.
    body, cert = await asyncio.to_thread(fetch_over_tls, host.ip, pebble_root)
    assert body.endswith("hello from hydron")
    assert ("commonName", DOMAIN) in [pair for rdn in cert["subject"] for pair in rdn] or (
        ("DNS", DOMAIN) in cert["subjectAltName"]
    )
    issuer_names = " ".join(value for rdn in cert["issuer"] for _, value in rdn)
    assert "Pebble" in issuer_names

    # Reconciling again keeps the route and changes nothing.
    again = await reconcile(server.model_copy(update={"status": result.status}), 1, replace(runtime, read_secret=read_secret))
    assert again.commands.mutations == []
    assert host.sh(curl, check=False) == "hello from hydron"
