"""The real operator process SIGKILLed at chosen points and started again: every time
it converges, with no duplicate side effect (one daemon, one firewall table, one
container, one route, one release) and nothing lost.

Each test runs an operator of its own on its own `chaos-*` namespace, so killing it
leaves the session's operator (on `t-*`) and the other tests alone."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from hydron_testbed import REPO
from hydron_testbed.acme import DOMAIN, acme_server
from hydron_testbed.cluster import Kube, git_application
from hydron_testbed.git_server import served_app
from hydron_testbed.operator_process import KillableOperator
from hydron_testbed.polling import eventually

pytestmark = [pytest.mark.chaos, pytest.mark.controlplane, pytest.mark.docker, pytest.mark.timeout(1200)]
HELLO = REPO / "examples" / "apps" / "hello-node"


@pytest.fixture
def chaos(control_plane, tmp_path) -> Iterator[tuple[Kube, KillableOperator]]:
    namespace = f"chaos-{uuid.uuid4().hex[:8]}"
    control_plane.kubectl_run("create", "namespace", namespace)
    operator = KillableOperator(control_plane, tmp_path, namespace)
    operator.start()
    yield Kube(control_plane, namespace), operator
    operator.stop()


def step_state(kube: Kube, server: str, step: str) -> str | None:
    status = kube.get("servers", server).get("status") or {}
    return next((s["state"] for s in status.get("steps") or [] if s["name"] == step), None)


def count(host, script: str) -> int:
    return int(host.sh(script).strip() or 0)


async def test_killed_mid_package_install_the_server_converges_with_nothing_twice(chaos, hosts):
    kube, operator = chaos
    (host,) = hosts(1)
    fresh = host.fresh
    kube.run("create", "secret", "generic", "srv-ssh", f"--from-literal=ssh-privatekey={fresh.private_key_pem}")
    kube.apply(json.dumps({"apiVersion": "hydron.dev/v1alpha1", "kind": "Server", "metadata": {"name": "srv"},
                           "spec": {"address": fresh.address, "port": fresh.port,
                                    "sshKeySecretRef": {"name": "srv-ssh", "key": "ssh-privatekey"}}}))
    # The chosen point: Docker's packages are being installed (the progress table says so live).
    await eventually(lambda: step_state(kube, "srv", "docker-engine") == "Running", timeout=300)
    operator.kill()
    operator.start()
    kube.wait("servers", "srv", "condition=Ready", timeout=600)

    status = kube.get("servers", "srv")["status"]
    assert {s["state"] for s in status["steps"]} <= {"Succeeded", "Skipped"}, status["steps"]
    assert count(host, "pgrep -x dockerd | wc -l") == 1
    assert count(host, "pgrep -x caddy | wc -l") == 1
    assert count(host, "nft list tables | grep -c hydron") == 1
    assert count(host, "dpkg --audit | wc -l") == 0  # no half-configured package left behind
    assert host.sh("ls /var/lib/hydron/steps/ | grep -c pending || true").strip() == "0"


@pytest.fixture
def hello_repo(tmp_path) -> Iterator[tuple]:
    with served_app(tmp_path, HELLO, "hello") as served:
        yield served


async def test_killed_mid_build_the_app_converges_to_one_release_one_container_one_route(chaos, hosts, hello_repo):
    kube, operator = chaos
    _, daemon = hello_repo
    (host,) = hosts(1)
    server = acme_server(kube, host, base_images=["node:18-slim"])
    kube.apply(git_application("hello", daemon.url("hello.git"), DOMAIN, server.name))
    # The chosen point: the image build has started on the server (its log is being written).
    building = "find /var/lib/hydron/logs/hello -name 'build-*.log' -size +0 2>/dev/null | head -1"
    await eventually(lambda: bool(host.sh(building, check=False).strip()), timeout=600)
    assert not kube.get("deployments.hydron.dev", "hello").get("status", {}).get("releases"), "built before the kill"
    operator.kill()
    operator.start()
    kube.wait("applications", "hello", "condition=Ready", timeout=600)

    assert "Hello from Hydron" in server.https_get(timeout=120)
    running = host.sh("docker ps --filter label=dev.hydron.app=hello --format '{{.Names}}'").split()
    assert len(running) == 1, running
    releases = kube.get("deployments.hydron.dev", "hello")["status"]["releases"]
    assert [r["state"] for r in releases] == ["Active"], releases
    routes = json.loads(host.sh("curl -sS localhost:2019/config/apps/http/servers/hydron/routes") or "[]")
    assert sum(DOMAIN in json.dumps(route) for route in routes) == 1, routes
