"""A deployed app answers over HTTPS through Caddy with a certificate from pebble (a
real ACME CA on the server), as a verifying TLS client sees it from outside."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from hydron.api.dns import DnsSettings
from hydron.controllers.deployment import reconcile
from hydron_testbed.acme import DOMAIN, ROOT_SECRET, fetch_over_tls, listener_certificate, start_pebble
from hydron_testbed.hello_app import deployment
from hydron_testbed.reconcile import condition, deploy_deps, with_status

pytestmark = pytest.mark.docker


async def test_the_app_answers_over_https_with_an_acme_certificate(hosts, runtime, app, bind):
    (host,) = hosts(1)
    cert, key = listener_certificate()
    start_pebble(host, cert, key)
    tsig = {"secret": "d3JvbmcgdGhpcyBpcyB0aGUgd3Jvbmcgc2VjcmV0Lg=="}  # wrong at first: BIND refuses it

    def read_secret(name: str, key_: str) -> str:
        if (name, key_) == ROOT_SECRET:
            return cert
        if name == "dns-tsig":
            return tsig["secret"]
        return "tls-test-token" if name == "hello-secrets" else host.fresh.private_key_pem

    server = host.server(baseImages=["node:18-slim"], proxy={
        "acmeCa": "https://localhost:14000/dir", "acmeCaRootSecretRef": {"name": ROOT_SECRET[0], "key": ROOT_SECRET[1]},
    })
    provisioned = await reconcile_server(host, server, runtime, read_secret)
    revision = app.release("Hello over TLS")
    wanted = deployment(revision, domains=[DOMAIN])
    wanted = wanted.model_copy(update={"spec": wanted.spec.model_copy(update={
        "dns": DnsSettings.model_validate({"rfc2136": bind.rfc2136()})})})

    # DNS refuses the record: the app runs, but no route (so no ACME order) for the domain yet.
    refused = await reconcile(wanted, 1, deploy_deps("tls", provisioned, read_secret, runtime, source_dir=app.path))
    dns_ready = condition(refused, "DNSReady")
    assert (dns_ready.status, dns_ready.reason) == ("False", "TSIGKeyRejected") and refused.retryable
    assert DOMAIN in dns_ready.message and condition(refused, "Ready").status == "False"
    assert DOMAIN not in host.sh("curl -sS localhost:2019/config/") and refused.status.dns.records == []
    tsig["secret"] = bind.secret
    wanted = wanted.model_copy(update={"status": refused.status})
    seen = []
    deadline = asyncio.get_running_loop().time() + 90
    while True:  # as the operator does: retry while Caddy orders the certificate in the background
        result = await reconcile(wanted, 1, deploy_deps("tls", provisioned, read_secret, runtime, source_dir=app.path))
        available = condition(result, "Available")
        seen.append(available.reason)
        if available.status == "True":
            break
        assert result.retryable and available.reason in ("CertificateNotReady", "HTTPSUnreachable"), available
        assert asyncio.get_running_loop().time() < deadline, f"not Available before the deadline: {available}"
        wanted = wanted.model_copy(update={"status": result.status})
        await asyncio.sleep(0.5)  # the operator's retry delay, shortened
    assert condition(result, "Ready").status == "True", result.status.conditions
    assert condition(result, "DNSReady").reason == "RecordsPublished"
    assert [(r.name, r.value) for r in result.status.dns.records] == [(DOMAIN, host.ip)]
    assert result.status.urls == [f"https://{DOMAIN}/"]
    assert f"https://{DOMAIN}/health answered 200" in available.message

    # Available came only once HTTPS worked: a verifying client now succeeds at once.
    pebble_root = host.sh("curl -sS -k https://localhost:15000/roots/0")
    assert "BEGIN CERTIFICATE" in pebble_root
    body, peer = await asyncio.to_thread(fetch_over_tls, host.ip, pebble_root)
    assert "200 OK" in body.splitlines()[0] and "Hello over TLS" in body
    assert "Pebble" in " ".join(value for rdn in peer["issuer"] for _, value in rdn)


async def reconcile_server(host, server, runtime, read_secret):
    from hydron.controllers.server import reconcile as reconcile_server_

    first = await reconcile_server_(server, 1, replace(runtime, read_secret=read_secret))
    assert condition(first, "Ready").status == "True", first.status.conditions
    return with_status(server, first)
