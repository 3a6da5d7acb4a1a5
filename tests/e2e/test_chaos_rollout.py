"""Faults in the middle of a rollout of an app already serving: the operator SIGKILLed
between starting the new container and switching the route, and the server losing
every daemon at once (what a reboot does to a machine whose services Hydron started).
Each time the new version ends up serving over HTTPS, from one container, one route,
one Active release.

One app, deployed once for the module by an operator of its own (on a `chaos-*`
namespace, so killing it leaves the session's operator alone); each test rolls out a
new commit from there.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from hydron_testbed import REPO
from hydron_testbed.acme import DOMAIN, AcmeServer, acme_server
from hydron_testbed.cluster import Kube, git_application
from hydron_testbed.git_server import GitDaemon, WorkRepo, served_app
from hydron_testbed.operator_process import KillableOperator
from hydron_testbed.polling import eventually
from hydron_testbed.servers import Host

pytestmark = [pytest.mark.chaos, pytest.mark.controlplane, pytest.mark.docker, pytest.mark.timeout(1200)]
HELLO = REPO / "examples" / "apps" / "hello-node"
# The new version answers its health check only after a while, which holds the rollout
# at the chosen point (new container started, route not yet switched) long enough to
# act there; the deploy's health deadline is longer than this.
SLOW_READY_MS = 10_000
APP_CONTAINERS = "docker ps --filter label=dev.hydron.app=hello --format '{{.Names}}'"


@dataclass
class Scenario:
    kube: Kube
    operator: KillableOperator
    host: Host
    server: AcmeServer
    work: WorkRepo
    daemon: GitDaemon

    def roll_out(self, greeting: str) -> str:
        """Push a version that says `greeting` and is slow to become healthy."""
        text = (HELLO / "server.js").read_text().replace('"Hello from Hydron"', json.dumps(greeting))
        text = text.replace('if (req.url === "/health") {', (
            'if (req.url === "/health") {\n'
            f'    if (process.uptime() * 1000 < {SLOW_READY_MS}) {{ res.writeHead(503); res.end(); return; }}'))
        self.work.write("server.js", text)
        commit = self.work.commit(greeting)
        self.work.publish(self.daemon.root / "hello.git")
        return commit

    def app_containers(self) -> list[str]:
        return self.host.sh(APP_CONTAINERS, check=False).split()

    def active_revision(self) -> str | None:
        releases = (self.kube.get("deployments.hydron.dev", "hello").get("status") or {}).get("releases") or []
        return next((r.get("sourceRevision") for r in releases if r["state"] == "Active"), None)

    async def assert_serves_only(self, greeting: str, commit: str) -> None:
        await eventually(lambda: self.active_revision() == commit, timeout=600, interval=1)
        assert greeting in self.server.https_get(timeout=120)
        assert len(self.app_containers()) == 1, self.app_containers()
        releases = self.kube.get("deployments.hydron.dev", "hello")["status"]["releases"]
        assert [r["state"] for r in releases].count("Active") == 1, releases
        routes = json.loads(self.host.sh("curl -sS localhost:2019/config/apps/http/servers/hydron/routes") or "[]")
        assert sum(DOMAIN in json.dumps(route) for route in routes) == 1, routes


@pytest.fixture(scope="module")
def scenario(control_plane, server_factory, tmp_path_factory) -> Iterator[Scenario]:
    folder = tmp_path_factory.mktemp("chaos-rollout")
    namespace = f"chaos-{uuid.uuid4().hex[:8]}"
    control_plane.kubectl_run("create", "namespace", namespace)
    kube = Kube(control_plane, namespace)
    # The drift timer looks often, so a server that lost its daemons is repaired soon.
    operator = KillableOperator(control_plane, folder, namespace, env={"HYDRON_SERVER_REPAIR_SECONDS": "5"})
    operator.start()
    (host,) = server_factory.hosts(1)
    try:
        with served_app(folder, HELLO, "hello") as (work, daemon):
            server = acme_server(kube, host, base_images=["node:18-slim"])
            kube.apply(git_application("hello", daemon.url("hello.git"), DOMAIN, server.name))
            kube.wait("applications", "hello", "condition=Ready", timeout=600)
            yield Scenario(kube, operator, host, server, work, daemon)
    finally:
        operator.stop()
        server_factory.remove(host)


async def test_killed_between_new_container_and_route_switch_the_new_version_takes_over(scenario):
    commit = scenario.roll_out("Second version")
    # The chosen point: the new container runs beside the old one, the route still on the old.
    await eventually(lambda: len(scenario.app_containers()) == 2, timeout=600)
    assert "Hello from Hydron" in scenario.server.https_get(timeout=60)
    scenario.operator.kill()
    scenario.operator.start()

    await scenario.assert_serves_only("Second version", commit)


async def test_server_losing_every_daemon_mid_rollout_comes_back_and_the_rollout_finishes(scenario):
    commit = scenario.roll_out("Third version")
    await eventually(lambda: len(scenario.app_containers()) == 2, timeout=600)
    # What a reboot does to the services Hydron started: every daemon gone at once, their
    # runtime state under /run with them (sshd stays: it is the machine's own).
    scenario.host.sh("pkill -9 -x dockerd; pkill -9 -x containerd; pkill -9 -f containerd-shim; pkill -9 -x caddy; "
                     "rm -rf /run/hydron /run/docker /run/docker.pid /run/docker.sock /run/containerd; true",
                     check=False)

    await scenario.assert_serves_only("Third version", commit)
    server = scenario.kube.get("servers", scenario.server.name)
    ready = next(c for c in server["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True", ready
