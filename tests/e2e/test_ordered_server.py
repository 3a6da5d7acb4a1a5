"""From Git to HTTPS on a machine Hydron ordered: an Application whose planning names a
Hetzner Cloud account (the stand-in, driven by the real hcloud client) and whose domain
is published by RFC 2136 to the real BIND, with no Server written by anyone. The real
operator (its own process, pointed at the stand-in) plans, orders the plan's offer,
pins the host key it generated, provisions, publishes the A record, and only then has
the certificate ordered from pebble, which validates by asking that same BIND. Deleting
the Application deletes the machine through the API (deletionPolicy Delete) and the
record."""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime

import asyncssh
import dns.message
import dns.query
import pytest
import yaml

from hydron.remote import hostkeys
from hydron_testbed import REPO
from hydron_testbed.acme import https_get, start_host_pebble
from hydron_testbed.cluster import Kube
from hydron_testbed.git_server import served_app
from hydron_testbed.hetzner_api import HetznerApi
from hydron_testbed.operator_process import start_operator, stop_operator, wait_live
from hydron_testbed.registry import gateway_address

pytestmark = [pytest.mark.controlplane, pytest.mark.docker, pytest.mark.provider]

TOKEN = "hetzner-e2e-token"
HELLO = REPO / "examples" / "apps" / "hello-node"
PEBBLE_ORDER = re.compile(r"^Pebble (\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) POST /order-plz", re.MULTILINE)


@pytest.fixture
def ordering(control_plane, server_factory, bind, tmp_path):
    """The stand-in, pebble resolving through BIND, and an operator of its own that orders
    from the stand-in, in a namespace only it watches."""
    api = HetznerApi(server_factory, token=TOKEN).start()
    client = server_factory.client
    pebble = start_host_pebble(client, tmp_path / "pebble", gateway_address(client), f"127.0.0.1:{bind.port}")
    namespace = f"order-{uuid.uuid4().hex[:6]}"
    control_plane.kubectl_run("create", "namespace", namespace)
    log = tmp_path / "operator.log"
    proc, port, _ = start_operator(control_plane, log, extra=("--namespace", "order-*"),
                                   env={"HYDRON_HETZNER_ENDPOINT": api.endpoint})
    wait_live(proc, port, log)
    yield api, pebble, Kube(control_plane, namespace)
    stop_operator(proc, log)
    pebble.stop()
    api.stop()


@pytest.fixture
def hello_repo(tmp_path):
    with served_app(tmp_path, HELLO, "hello") as served:
        yield served


def answers(bind, name: str) -> set[str]:
    """What BIND answers for the name's A record, asked the plain way."""
    response = dns.query.udp(dns.message.make_query(name, "A"), "127.0.0.1", port=bind.port, timeout=5)
    return {rd.to_text() for rrset in response.answer for rd in rrset}


def application(url: str, domain: str, bind, pebble) -> dict:
    return {
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Application", "metadata": {"name": "hello"},
        "spec": {
            "source": {"git": {"url": url, "ref": "main"}},
            "domains": [domain],
            "dns": {"rfc2136": bind.rfc2136()},
            "planning": {"autoApprove": True, "monthlyBudget": 20, "providerAccount": {
                "provider": "hetzner", "accountSecretRef": {"name": "hetzner", "key": "token"},
                "sshKeySecretRef": {"name": "hello-ssh", "key": "ssh-privatekey"}, "deletionPolicy": "Delete",
                "proxy": {"acmeCa": pebble.url, "acmeEmail": "ops@example.test",
                          "acmeCaRootSecretRef": {"name": "pebble-root", "key": "ca.crt"}}}},
        },
    }


def test_an_app_from_git_reaches_https_on_a_server_hydron_ordered_and_pointed_dns_at(ordering, hello_repo, bind):
    api, pebble, kube = ordering
    work, daemon = hello_repo
    login = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
    kube.run("create", "secret", "generic", "hetzner", f"--from-literal=token={TOKEN}")
    kube.run("create", "secret", "generic", "hello-ssh", f"--from-literal=ssh-privatekey={login}")
    kube.run("create", "secret", "generic", "dns-tsig", f"--from-literal=secret={bind.secret}")
    kube.run("create", "secret", "generic", "pebble-root", f"--from-literal=ca.crt={pebble.listener_cert}")
    domain = f"hello-{uuid.uuid4().hex[:6]}.{bind.zone}"  # the session's BIND serves other tests too
    kube.apply(yaml.safe_dump(application(daemon.url("hello.git"), domain, bind, pebble)))
    kube.wait("applications", "hello", "condition=Ready", timeout=900)

    # The Server came from the approved plan: written by the Application, its offer ordered.
    app, plan, server = (kube.get(kind, "hello") for kind in ("applications", "infraplans", "servers"))
    assert app["status"]["url"] == f"https://{domain}/"
    (owner,) = server["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["uid"]) == ("Application", app["metadata"]["uid"])
    offer = plan["spec"]["server"]["offer"].lower()
    (machine,) = api.machines.values()
    assert server["spec"]["order"]["offer"] == machine.server_type == offer
    assert server["spec"]["address"] == machine.ipv4 == server["status"]["machine"]["ipv4"]
    assert [s["name"] for s in server["status"]["steps"][:4]] == ["order", "install-os", "boot", "first-ssh"]
    # Its host key was generated by Hydron and passed at creation: pinned, never trusted on first use.
    container = api.servers.client.containers.get(machine.container_id)
    shown = container.exec_run(["cat", "/etc/ssh/ssh_host_ed25519_key.pub"]).output.decode()
    assert server["status"]["hostKey"] == hostkeys.normalize(shown)
    events = kube.run("get", "events", "-o", "jsonpath={.items[*].reason}").stdout
    assert "HostKeyRecorded" not in events

    # DNS points at it, and the certificate was ordered only once the record answered.
    assert answers(bind, domain) == {machine.ipv4}
    deployment = kube.get("deployments.hydron.dev", "hello")
    (dns_ready,) = [c for c in deployment["status"]["conditions"] if c["type"] == "DNSReady"]
    assert dns_ready["status"] == "True"
    orders = PEBBLE_ORDER.findall(pebble.log())
    assert orders, pebble.log()[-2000:]
    first_order = datetime.strptime(orders[0], "%Y/%m/%d %H:%M:%S")
    resolved_at = datetime.strptime(dns_ready["lastTransitionTime"], "%Y-%m-%dT%H:%M:%SZ")
    assert first_order >= resolved_at
    assert "INVALID" not in pebble.log()  # pebble's first validation, through BIND, succeeded

    page = https_get(machine.ipv4, pebble.root(), time.monotonic() + 120, domain)
    assert "200 OK" in page.splitlines()[0] and "Hello from Hydron" in page

    # Deleted: no garbage collector runs here, so the owned children go by hand, as it would.
    kube.run("delete", "applications", "hello", "--timeout=120s")
    kube.run("delete", "deployments.hydron.dev", "hello", "--timeout=120s")
    kube.run("delete", "servers", "hello", "--timeout=180s")  # returns once the finalizer's cleanup ran
    assert api.machines == {} and ("DELETE", f"/v1/servers/{machine.id}") in api.requests
    assert answers(bind, domain) == set()
