"""spec.dns.externalDNS against the real API server: the domains' records as a
DNSEndpoint object (externaldns.k8s.io/v1alpha1), which the route waits on until
external-dns has published it, moved with the app and deleted with it.

external-dns itself is not built here: `hydron_testbed.externaldns.sync_to_bind` plays
its rfc2136 provider, publishing the objects to the test BIND."""

from __future__ import annotations

import kubernetes

from hydron.api.conditions import DNS_READY, find
from hydron.api.deployment import Deployment, DeploymentStatus
from hydron.controllers import deployment_dns
from hydron.dns.publish import Context
from hydron.kube.dnsendpoints import DnsEndpoints
from hydron_testbed import externaldns

SERVER_A, SERVER_B = "192.0.2.30", "192.0.2.40"


def reason(status: DeploymentStatus) -> tuple[str, str]:
    found = find(status.conditions, DNS_READY)
    assert found is not None
    return found.status, found.reason


async def test_a_dnsendpoint_is_written_the_route_waits_for_its_record_and_it_goes_with_the_app(
        control_plane, kube, bind):
    api = kubernetes.client.CustomObjectsApi(kubernetes.config.new_client_from_config(str(control_plane.kubeconfig)))
    ctx = Context("shop", endpoints=DnsEndpoints(kube.namespace, _api=api))
    domain = f"shop-{kube.namespace}.{bind.zone}"
    app = Deployment.model_validate({"spec": {
        "serverRef": {"name": "fra-1"},
        "dns": {"externalDNS": {"ttl": 120, "resolver": "127.0.0.1", "resolverPort": bind.port}},
        "services": [{"name": "web", "image": "nginx", "port": 80, "domains": [domain]}],
    }})

    async def publish(address: str, status: DeploymentStatus | None = None):
        return await deployment_dns.publish(app, app.spec.services, address, status or DeploymentStatus(), 1, ctx)

    if not externaldns.installed(control_plane):  # a cluster without external-dns's CRD is told to install it
        missing = await publish(SERVER_A)
        assert reason(missing.status) == ("False", "DNSEndpointCRDMissing") and missing.held == {domain}
        externaldns.install(control_plane)

    first = await publish(SERVER_A)
    stored = kube.get("dnsendpoints.externaldns.k8s.io", "shop")
    assert stored["spec"]["endpoints"] == [
        {"dnsName": domain, "recordType": "A", "targets": [SERVER_A], "recordTTL": 120}]
    assert reason(first.status) == ("False", "AwaitingDNS") and first.held == {domain}  # not published yet
    assert first.status.dns.endpoint == "shop" and first.retry

    assert externaldns.sync_to_bind(control_plane, kube.namespace, bind) == 1  # external-dns's turn
    ready = await publish(SERVER_A, first.status)
    assert reason(ready.status) == ("True", "RecordsPublished") and ready.held == frozenset()

    moved = await publish(SERVER_B, ready.status)
    assert kube.get("dnsendpoints.externaldns.k8s.io", "shop")["spec"]["endpoints"][0]["targets"] == [SERVER_B]
    assert moved.held == {domain}  # the new server's route waits until the record moved too

    gone = app.model_copy(update={"status": moved.status})
    await deployment_dns.withdraw(gone, ctx)
    assert externaldns.endpoints(control_plane, kube.namespace) == []


def test_the_api_server_refuses_dns_settings_that_cannot_work(kube):
    from tests.hostile import VALID
    from tests.integration.test_admission import server_dry_run

    rfc2136 = VALID["Application"]["dns"]["rfc2136"]
    outside = {**VALID["Application"], "domains": ["shop.example.org"]}
    result = server_dry_run(kube, "Application", outside)
    assert result.returncode != 0 and "every domain must be in dns.rfc2136.zone" in result.stderr, result.stderr
    service_outside = {**VALID["Deployment"], "dns": {"rfc2136": rfc2136},
                       "services": [{"name": "web", "image": "nginx", "domains": ["api.example.net"]}]}
    result = server_dry_run(kube, "Deployment", service_outside)
    assert result.returncode != 0 and "every domain must be in dns.rfc2136.zone" in result.stderr, result.stderr
    both = {**VALID["Application"], "dns": {"rfc2136": rfc2136, "externalDNS": {}}}
    result = server_dry_run(kube, "Application", both)
    assert result.returncode != 0 and "set exactly one of rfc2136 or externalDNS" in result.stderr, result.stderr
    assert server_dry_run(kube, "Application", VALID["Application"]).returncode == 0
