"""Faults in the middle of a rollout of an app already serving: the operator SIGKILLed
between starting the new container and switching the route, the operator's SSH
connections dropped mid-build, the server rebooted mid-deploy (every daemon, /run and
the network namespace's firewall gone at once). Each time the new version ends up serving over HTTPS, from one container,
one route, one Active release. Last, a data service moves to a second server and the
operator is SIGKILLed mid volume copy: the data arrives whole.

One app (and one data service), deployed once for the module by an operator of its own
(on a `chaos-*` namespace, so killing it leaves the session's operator alone); each
test rolls out a new commit from there.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from hydron_testbed import REPO
from hydron_testbed.acme import DOMAIN, AcmeServer, acme_server, https_get
from hydron_testbed.cluster import Kube, git_application
from hydron_testbed.git_server import GitDaemon, WorkRepo, served_app
from hydron_testbed.operator_process import KillableOperator
from hydron_testbed.polling import eventually
from hydron_testbed.servers import FreshServers, Host

pytestmark = [pytest.mark.chaos, pytest.mark.controlplane, pytest.mark.docker, pytest.mark.timeout(1200)]
HELLO = REPO / "examples" / "apps" / "hello-node"
# The new version answers its health check only after a while, which holds the rollout
# at the chosen point (new container started, route not yet switched) long enough to
# act there; the deploy's health deadline is longer than this.
SLOW_READY_MS = 10_000
APP_CONTAINERS = "docker ps --filter label=dev.hydron.app=hello --format '{{.Names}}'"
STORE_CONTAINERS = "docker ps -a --filter label=dev.hydron.app=store --format '{{.Names}}'"
# A data service: keeps what it is sent in /data, its volume.
STORE = ("require('net').createServer(s => s.end('up')).listen(7000, () => console.log('store up'))")
STORE_BYTES = 256 * 1024 * 1024
"""Big enough that the copy through the operator takes a while to catch it midway."""


def store_deployment(server: str) -> str:
    return json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Deployment", "metadata": {"name": "store"},
        "spec": {"serverRef": {"name": server}, "services": [
            {"name": "store", "image": "node:18-slim", "command": ["node", "-e", STORE], "port": 7000,
             "volumes": ["/data"], "healthCheck": {"intervalSeconds": 1, "retries": 30}}]},
    })


def duplicated_rules(host: Host) -> list[tuple[str, str, str]]:
    """(table, chain, rule) of every rule nftables holds more than once in one chain."""
    seen: set[tuple[str, str, str]] = set()
    twice, table, chain = [], "", ""
    for line in (raw.strip() for raw in host.sh("nft list ruleset").splitlines()):
        if line.startswith("table "):
            table, chain = line, ""
        elif line.startswith(("chain ", "set ", "map ", "flowtable ")):
            chain = line if line.startswith("chain ") else ""
        elif chain and line and line != "}" and not line.startswith(("type ", "policy ")):
            key = (table, chain, line)
            if key in seen:
                twice.append(key)
            seen.add(key)
    return twice


def plain_server(kube: Kube, host: Host, name: str) -> None:
    """A Server without a proxy of its own (the data service has no domain)."""
    kube.run("create", "secret", "generic", f"{name}-ssh", f"--from-literal=ssh-privatekey={host.fresh.private_key_pem}")
    kube.apply(json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Server", "metadata": {"name": name},
        "spec": {"address": host.fresh.address, "port": host.fresh.port, "publicAddress": host.ip,
                 "baseImages": ["node:18-slim"], "sshKeySecretRef": {"name": f"{name}-ssh", "key": "ssh-privatekey"}},
    }))


@dataclass
class Scenario:
    kube: Kube
    operator: KillableOperator
    host: Host
    server: AcmeServer
    work: WorkRepo
    daemon: GitDaemon
    factory: FreshServers
    other: Host
    """The second server, where the data service moves."""
    root: str = ""
    """Pebble's issuing root, read once: pebble runs on the server and a reboot ends it."""

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

    def https_get(self) -> str:
        return https_get(self.host.ip, self.root, time.monotonic() + 120)

    def app_containers(self) -> list[str]:
        return self.host.sh(APP_CONTAINERS, check=False).split()

    def active_revision(self) -> str | None:
        releases = (self.kube.get("deployments.hydron.dev", "hello").get("status") or {}).get("releases") or []
        return next((r.get("sourceRevision") for r in releases if r["state"] == "Active"), None)

    async def assert_serves_only(self, greeting: str, commit: str) -> None:
        await eventually(lambda: self.active_revision() == commit, timeout=600, interval=1)
        assert greeting in self.https_get()
        assert len(self.app_containers()) == 1, self.app_containers()
        releases = self.kube.get("deployments.hydron.dev", "hello")["status"]["releases"]
        assert [r["state"] for r in releases].count("Active") == 1, releases
        routes = json.loads(self.host.sh("curl -sS localhost:2019/config/apps/http/servers/hydron/routes") or "[]")
        assert sum(DOMAIN in json.dumps(route) for route in routes) == 1, routes
        assert duplicated_rules(self.host) == [], self.host.sh("nft list ruleset")


@pytest.fixture(scope="module")
def scenario(control_plane, server_factory, tmp_path_factory) -> Iterator[Scenario]:
    folder = tmp_path_factory.mktemp("chaos-rollout")
    namespace = f"chaos-{uuid.uuid4().hex[:8]}"
    control_plane.kubectl_run("create", "namespace", namespace)
    kube = Kube(control_plane, namespace)
    # The drift timer looks often, so a server that lost its daemons is repaired soon.
    operator = KillableOperator(control_plane, folder, namespace, env={"HYDRON_SERVER_REPAIR_SECONDS": "5"})
    operator.start()
    (host,) = server_factory.hosts(1, rebootable=True)
    (other,) = server_factory.hosts(1)
    try:
        with served_app(folder, HELLO, "hello") as (work, daemon):
            server = acme_server(kube, host, base_images=["node:18-slim"])
            plain_server(kube, other, "srv-b")  # provisioned while the app deploys
            kube.apply(git_application("hello", daemon.url("hello.git"), DOMAIN, server.name))
            kube.apply(store_deployment(server.name))
            kube.wait("applications", "hello", "condition=Ready", timeout=600)
            kube.wait("deployments.hydron.dev", "store", "condition=Ready", timeout=600)
            kube.wait("servers", "srv-b", "condition=Ready", timeout=600)
            yield Scenario(kube, operator, host, server, work, daemon, server_factory, other, server.pebble_root())
    finally:
        operator.stop()
        server_factory.remove(host)
        server_factory.remove(other)


async def test_killed_between_new_container_and_route_switch_the_new_version_takes_over(scenario):
    commit = scenario.roll_out("Second version")
    # The chosen point: the new container runs beside the old one, the route still on the old.
    await eventually(lambda: len(scenario.app_containers()) == 2, timeout=600)
    assert "Hello from Hydron" in scenario.https_get()
    scenario.operator.kill()
    scenario.operator.start()

    await scenario.assert_serves_only("Second version", commit)


async def test_ssh_connections_dropped_mid_build_the_build_runs_again_and_the_app_converges(scenario):
    commit = scenario.roll_out("Fourth version")
    # The chosen point: the build runs (its log's writer, a command over SSH, is open).
    writing = "pgrep -f 'logs/hello/buil[d]-' || true"
    await eventually(lambda: bool(scenario.host.sh(writing).strip()), timeout=600, interval=0.5)
    assert scenario.active_revision() != commit, "built and rolled out before the fault"
    # Every SSH session on the server ends (its sshd stays and takes new ones).
    scenario.host.sh("pkill -9 -f 'sshd: roo[t]'")

    await scenario.assert_serves_only("Fourth version", commit)


async def test_server_rebooted_mid_deploy_comes_back_and_the_rollout_finishes(scenario):
    commit = scenario.roll_out("Fifth version")
    await eventually(lambda: len(scenario.app_containers()) == 2, timeout=600)
    scenario.factory.reboot(scenario.host)

    await scenario.assert_serves_only("Fifth version", commit)
    server = scenario.kube.get("servers", scenario.server.name)
    ready = next(c for c in server["status"]["conditions"] if c["type"] == "Ready")
    assert ready["status"] == "True", ready


def store_container(host: Host) -> str:
    (name,) = host.sh(STORE_CONTAINERS).split()
    return name


async def test_killed_mid_volume_copy_the_move_finishes_with_every_byte_on_the_new_server(scenario):
    kube, old, new = scenario.kube, scenario.host, scenario.other
    on_volume = "cd \"$(docker volume inspect --format '{{.Mountpoint}}' hydron-store-store-data 2>/dev/null)\" && "
    written = old.sh(on_volume + f"echo kept-across-the-move > marker && head -c {STORE_BYTES} /dev/urandom > blob "
                     "&& sha256sum blob").split()[0]
    kube.run("patch", "deployments.hydron.dev", "store", "--type=merge", "-p", '{"spec":{"serverRef":{"name":"srv-b"}}}')
    # The chosen point: the new server unpacks the stream (tar reading it runs there).
    await eventually(lambda: bool(new.sh("pgrep -f 'ta[r] -C .* -xpf' || true").strip()), timeout=300, interval=0.1)
    scenario.operator.kill()
    partial = new.sh(on_volume + "stat -c %s blob 2>/dev/null || echo 0").strip()
    assert int(partial) < STORE_BYTES, "the copy ended before the kill"
    scenario.operator.start()

    def moved() -> bool:
        status = kube.get("deployments.hydron.dev", "store").get("status") or {}
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions") or [])
        return status.get("server") == "srv-b" and ready

    await eventually(moved, timeout=600, interval=1)
    target = store_container(new)
    running = f"docker inspect --format '{{{{.State.Status}}}} {{{{.RestartCount}}}} {{{{.State.ExitCode}}}}' {target}"
    assert new.sh(running).startswith("running"), (new.sh(running), new.sh(f"docker logs --tail 20 {target} 2>&1"))
    assert new.sh(f"docker exec {target} cat /data/marker").strip() == "kept-across-the-move"
    assert new.sh(on_volume + "sha256sum blob").split()[0] == written
    assert old.sh(STORE_CONTAINERS).split() == []  # the old server runs nothing of it, and keeps its data
    assert "hydron-store-store-data" in old.sh("docker volume ls --format '{{.Name}}'")
    releases = kube.get("deployments.hydron.dev", "store")["status"]["releases"]
    assert [r["state"] for r in releases] == ["Active"], releases
    assert duplicated_rules(new) == [], new.sh("nft list ruleset")
