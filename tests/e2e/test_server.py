"""A Server applied to the real API server is provisioned over SSH into a fresh
Debian machine (a container with sshd only) and becomes Ready, with the proxy
answering on it; a person watching (a kube watch, `kubectl hydron status -w`) sees
each step start and end as it happens."""

from __future__ import annotations

import http.client
import json

import pytest

from hydron_testbed.watching import FollowedCommand, StepRecorder

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


def watched_app(server: str) -> str:
    """An app on the server, never approved: something for `status -w` to follow, nothing to deploy."""
    return json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Application", "metadata": {"name": "watched"},
        "spec": {"source": {"image": {"name": "traefik/whoami:v1.10", "port": 80}}, "domains": ["watched.example.com"],
                 "planning": {"serverRef": {"name": server}, "autoApprove": False}},
    })


def test_a_fresh_server_is_provisioned_to_ready(kube, operator, fresh_servers, docker_client):
    fresh = fresh_servers(1)[0]
    kube.apply(watched_app("fra-1"))
    recorder = StepRecorder(kube, "fra-1").start()
    with FollowedCommand(kube, "status", "watched", "-w") as watching:
        watching.wait_for(lambda line: line.startswith("URL:"), timeout=60)  # the first view is out
        kube.apply(server_manifests(fresh))
        kube.wait("servers", "fra-1", "condition=Ready", timeout=600)
        # status -w told each step's start and end as lines, while it ran.
        watching.wait_for(lambda line: "Server fra-1 step docker-engine: Pending → Running" in line, timeout=30)
        watching.wait_for(lambda line: "Server fra-1 step docker-engine: Running → Succeeded" in line, timeout=30)
        watching.wait_for(lambda line: "Server fra-1 Ready:" in line and "→ True" in line, timeout=30)
    recorder.stop()

    # The watch saw each step Running while it ran, then its end, in that order.
    for step in ("docker-engine", "firewall", "reverse-proxy"):
        assert recorder.states(step)[-2:] == ["Running", "Succeeded"], (step, recorder.states(step))
    assert recorder.seen(lambda s: s.get("docker-engine") == "Running" and s.get("reverse-proxy") == "Pending")
    assert recorder.seen(lambda s: s.get("docker-engine") == "Succeeded" and s.get("reverse-proxy") == "Pending")

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
    failed_writes = [line for line in scraped.splitlines()
                     if line.startswith('hydron_live_status_write_errors_total{kind="Server"}')]
    assert all(float(line.split()[-1]) == 0 for line in failed_writes), failed_writes  # all progress was written


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
