"""The main job on a real API server with the operator running: an app in a Git
repository is analysed, planned, approved by policy, built on a freshly provisioned
server and answers over HTTPS through the proxy, with a certificate issued by a real
ACME CA (pebble) on that server."""

from __future__ import annotations

import json
import time

import pytest

from tests.integration.provisioning.conftest import Host
from tests.support.acme import DOMAIN, fetch_over_tls, listener_certificate, start_pebble
from tests.support.controlplane import REPO
from tests.support.git_server import GitDaemon, WorkRepo

pytestmark = [pytest.mark.controlplane, pytest.mark.docker]
HELLO = REPO / "examples" / "apps" / "hello-node"


@pytest.fixture
def hello_repo(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    daemon = GitDaemon(served).start()
    work = WorkRepo(tmp_path / "hello")
    for path in HELLO.iterdir():
        work.write(path.name, path.read_text())
    work.commit("hello")
    work.publish(daemon.root / "hello.git")
    yield work, daemon
    daemon.stop()


def https_get(address: str, root: str, deadline: float) -> str:
    """GET https://DOMAIN/ verified against pebble's root; polls while Caddy orders the certificate."""
    while True:
        try:
            return fetch_over_tls(address, root)[0]
        except OSError as error:  # ssl.SSLError is an OSError
            assert time.monotonic() < deadline, f"no valid HTTPS before the deadline: {error}"
            time.sleep(0.5)  # polling interval


def test_an_app_from_git_answers_over_https_from_a_fresh_server(kube, operator, fresh_servers, docker_client, hello_repo):
    work, daemon = hello_repo
    fresh = fresh_servers(1)[0]
    host = Host(fresh, docker_client.containers.get(fresh.container_id))
    listener_cert, listener_key = listener_certificate()
    start_pebble(host, listener_cert, listener_key)  # the ACME CA, on the server itself

    kube.run("create", "secret", "generic", "srv-ssh", f"--from-literal=ssh-privatekey={fresh.private_key_pem}")
    kube.run("create", "secret", "generic", "pebble-root", f"--from-literal=ca.crt={listener_cert}")
    kube.apply(json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Server", "metadata": {"name": "srv"},
        "spec": {"address": fresh.address, "port": fresh.port, "baseImages": ["node:18-slim"],
                 "sshKeySecretRef": {"name": "srv-ssh", "key": "ssh-privatekey"},
                 "proxy": {"acmeCa": "https://localhost:14000/dir", "acmeEmail": "ops@example.test",
                           "acmeCaRootSecretRef": {"name": "pebble-root", "key": "ca.crt"}}},
    }))
    kube.apply(json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Application", "metadata": {"name": "hello"},
        "spec": {"source": {"git": {"url": daemon.url("hello.git"), "ref": "main", "pollIntervalSeconds": 30}},
                 "domains": [DOMAIN], "planning": {"serverRef": {"name": "srv"}, "autoApprove": True}},
    }))
    kube.wait("applications", "hello", "condition=Ready", timeout=900)

    app = kube.get("applications", "hello")
    assert app["status"]["url"] == f"https://{DOMAIN}/"
    pebble_root = host.sh("curl -sS -k https://localhost:15000/roots/0")
    page = https_get(host.ip, pebble_root, time.monotonic() + 120)
    assert "200 OK" in page.splitlines()[0] and "Hello from Hydron" in page
    deployment = kube.get("deployments.hydron.dev", "hello")
    assert deployment["metadata"]["ownerReferences"][0]["name"] == "hello"
    assert deployment["status"]["releases"][-1]["sourceRevision"] == work.rev_parse("HEAD")

    # A new commit on the branch is built and rolled out by itself.
    work.write("server.js", (HELLO / "server.js").read_text().replace("Hello from Hydron", "Hello again"))
    second = work.commit("new greeting")
    work.publish(daemon.root / "hello.git")
    kube.wait("deployments.hydron.dev", "hello", f"jsonpath={{.status.releases[-1].sourceRevision}}={second}", timeout=300)
    kube.wait("deployments.hydron.dev", "hello", "condition=Ready", timeout=300)
    assert "Hello again" in https_get(host.ip, pebble_root, time.monotonic() + 60)
