"""The main job on a real API server with the operator running: an app in a Git
repository is analysed, planned, approved by policy, built on a freshly provisioned
server and answers through the proxy."""

from __future__ import annotations

import http.client
import json

import pytest

from tests.support.controlplane import REPO
from tests.support.git_server import GitDaemon, WorkRepo

pytestmark = [pytest.mark.controlplane, pytest.mark.docker]
HELLO = REPO / "examples" / "apps" / "hello-node"
DOMAIN = "hello.hydron.test"


@pytest.fixture
def hello_url(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    daemon = GitDaemon(served).start()
    work = WorkRepo(tmp_path / "hello")
    for path in HELLO.iterdir():
        work.write(path.name, path.read_text())
    work.commit("hello")
    work.publish(daemon.root / "hello.git")
    yield work, daemon.url("hello.git"), daemon
    daemon.stop()


def get(address: str, path: str = "/") -> tuple[int, str]:
    conn = http.client.HTTPConnection(address, 80, timeout=10)
    conn.request("GET", path, headers={"Host": DOMAIN})
    response = conn.getresponse()
    return response.status, response.read().decode(errors="replace")


def test_an_app_from_git_answers_through_the_proxy_on_a_fresh_server(kube, operator, fresh_servers, docker_client, hello_url):
    work, url, daemon = hello_url
    fresh = fresh_servers(1)[0]
    kube.run("create", "secret", "generic", "srv-ssh", f"--from-literal=ssh-privatekey={fresh.private_key_pem}")
    kube.apply(json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Server", "metadata": {"name": "srv"},
        "spec": {"address": fresh.address, "port": fresh.port, "baseImages": ["node:18-slim"],
                 "sshKeySecretRef": {"name": "srv-ssh", "key": "ssh-privatekey"}},
    }))
    kube.apply(json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Application", "metadata": {"name": "hello"},
        "spec": {"source": {"git": {"url": url, "ref": "main", "pollIntervalSeconds": 30}}, "domains": [DOMAIN],
                 "planning": {"serverRef": {"name": "srv"}, "autoApprove": True}},
    }))
    kube.wait("applications", "hello", "condition=Deployed", timeout=900)

    container = docker_client.containers.get(fresh.container_id)
    address = container.attrs["NetworkSettings"]["Networks"]["hydron-testbed"]["IPAddress"]
    status, body = get(address)
    assert status == 200 and "Hello from Hydron" in body
    deployment = kube.get("deployments.hydron.dev", "hello")
    assert deployment["metadata"]["ownerReferences"][0]["name"] == "hello"
    assert deployment["status"]["releases"][-1]["state"] == "Active"
    assert deployment["status"]["releases"][-1]["sourceRevision"] == work.rev_parse("HEAD")

    # A new commit on the branch is built and rolled out by itself.
    work.write("server.js", (HELLO / "server.js").read_text().replace("Hello from Hydron", "Hello again"))
    second = work.commit("new greeting")
    work.publish(daemon.root / "hello.git")
    kube.wait("deployments.hydron.dev", "hello", f"jsonpath={{.status.releases[-1].sourceRevision}}={second}", timeout=300)
    kube.wait("applications", "hello", "condition=Deployed", timeout=300)
    assert "Hello again" in get(address)[1]
