"""A Server applied to the real API server is provisioned over SSH into a fresh
Debian machine (a container with sshd only) and becomes Ready, with the proxy
answering on it."""

from __future__ import annotations

import http.client
import json

import pytest

pytestmark = [pytest.mark.controlplane, pytest.mark.docker]


def server_manifests(fresh, name: str = "fra-1", host_key: str | None = None) -> str:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"{name}-ssh"},
              "type": "kubernetes.io/ssh-auth", "stringData": {"ssh-privatekey": fresh.private_key_pem}}
    server = {"apiVersion": "hydron.dev/v1alpha1", "kind": "Server", "metadata": {"name": name},
              "spec": {"address": fresh.address, "port": fresh.port,
                       "sshKeySecretRef": {"name": f"{name}-ssh", "key": "ssh-privatekey"}}}
    if host_key:
        server["spec"]["hostKey"] = host_key
    return json.dumps(secret) + "\n---\n" + json.dumps(server)


def condition(obj: dict, type_: str) -> dict:
    return next(c for c in obj["status"]["conditions"] if c["type"] == type_)


def test_a_fresh_server_is_provisioned_to_ready(kube, operator, fresh_servers, docker_client):
    fresh = fresh_servers(1)[0]
    kube.apply(server_manifests(fresh))
    kube.wait("servers", "fra-1", "condition=Ready", timeout=600)

    status = kube.get("servers", "fra-1")["status"]
    assert status["hostKey"] == fresh.host_key  # recorded at first contact, pinned from now on
    assert status["facts"]["os"] == "debian" and status["facts"]["dockerVersion"]
    states = {step["name"]: step["state"] for step in status["steps"]}
    assert set(states.values()) <= {"Succeeded", "Skipped"}, states
    assert {"docker-engine", "firewall", "ssh-hardening", "reverse-proxy"} <= set(states)

    # The proxy answers on the server's address.
    container = docker_client.containers.get(fresh.container_id)
    address = container.attrs["NetworkSettings"]["Networks"]["hydron-testbed"]["IPAddress"]
    conn = http.client.HTTPConnection(address, 80, timeout=10)
    conn.request("GET", "/", headers={"Host": "nothing-routed.example"})
    assert conn.getresponse().status < 500

    # The usage timer fills in resource use.
    kube.wait("servers", "fra-1", "jsonpath={.status.usage.observedAt}", timeout=60)

    events = kube.run("get", "events", "--field-selector", "involvedObject.name=fra-1", "-o", "json").stdout
    assert any(e["reason"] == "StepSucceeded" for e in json.loads(events)["items"])

    scraped = operator.metrics()
    assert 'hydron_provisioning_step_duration_seconds_count{result="Succeeded",step="docker-engine"}' in scraped
    assert any(line.startswith("hydron_ssh_connections ") and float(line.split()[1]) >= 1 for line in scraped.splitlines())


def test_a_wrong_pinned_host_key_stops_everything(kube, operator, fresh_servers):
    fresh = fresh_servers(1)[0]
    other = fresh_servers(1)[0]
    kube.apply(server_manifests(fresh, name="mitm", host_key=other.host_key))
    kube.wait("servers", "mitm", "condition=Reachable=False", timeout=120)
    reachable = condition(kube.get("servers", "mitm"), "Reachable")
    assert reachable["reason"] == "HostKeyChanged"
    assert "steps" not in kube.get("servers", "mitm")["status"] or not any(
        s["state"] == "Succeeded" for s in kube.get("servers", "mitm")["status"]["steps"]
    )
