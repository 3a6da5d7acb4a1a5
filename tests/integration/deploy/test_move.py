"""Moving an app to another server: spec.serverRef changes, the app is built and
started there, its data volume goes along (the old copy stays), and the old server
is left without the app's containers and routes."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace

import pytest

from hydron.api.deployment import Deployment
from hydron.controllers.deployment import reconcile
from hydron_testbed.hello_app import DOCKERFILE
from hydron_testbed.polling import eventually
from hydron_testbed.reconcile import Events, condition, deploy_deps, with_status
from hydron_testbed.traffic import get

pytestmark = pytest.mark.docker

DOMAIN = "mover.localhost"
# A tiny data service: keeps what it is sent in /data (its volume) and serves it back.
STORE = ("const fs = require('fs'); require('net').createServer(s => s.end(fs.existsSync('/data/marker') ? "
         "fs.readFileSync('/data/marker') : 'empty')).listen(7000, () => console.log('store up'))")


def spec(server: str, revision: str) -> dict:
    return {
        "serverRef": {"name": server}, "applicationRef": {"name": "mover"}, "sourceRevision": revision,
        "services": [
            {"name": "web", "build": {"context": ".", "dockerfile": DOCKERFILE}, "port": 3000, "domains": [DOMAIN],
             "dependsOn": ["store"], "healthCheck": {"path": "/health", "intervalSeconds": 1, "retries": 30},
             "env": [{"name": "API_TOKEN", "value": "plain"}]},
            {"name": "store", "image": "node:18-slim", "command": ["node", "-e", STORE], "port": 7000,
             "volumes": ["/data"], "healthCheck": {"intervalSeconds": 1, "retries": 20}},
        ],
    }


def containers(host) -> list[str]:
    return host.sh("docker ps -a --filter label=dev.hydron.app=mover --format '{{.Names}}'").split()


async def test_the_app_moves_to_a_bigger_server_with_its_data(hosts, runtime, app):
    a, b = hosts(2)
    keys = {"ssh-a": a.fresh.private_key_pem, "ssh-b": b.fresh.private_key_pem}

    def read_secret(name: str, key: str) -> str:
        return keys[name]

    from hydron.controllers.server import reconcile as provision

    servers = {}
    for name, host in (("srv-a", a), ("srv-b", b)):
        server = host.server(baseImages=["node:18-slim"], sshKeySecretRef={"name": f"ssh-{name[-1]}", "key": "k"})
        servers[name] = server
    results = await asyncio.gather(*(provision(s, 1, replace(runtime, read_secret=read_secret)) for s in servers.values()))
    for (name, server), result in zip(list(servers.items()), results):
        assert condition(result, "Ready").status == "True", result.status.conditions
        servers[name] = with_status(server, result)

    revision = app.release("Hello from the first server")
    on_a = Deployment.model_validate({"spec": spec("srv-a", revision)})
    first = await reconcile(on_a, 1, deploy_deps("mover", read_secret=read_secret, runtime=runtime, servers=servers,
                                                 source_dir=app.path))
    assert condition(first, "Ready").status == "True", first.status.conditions
    assert first.status.server == "srv-a"
    (store_a,) = [n for n in containers(a) if "-store-" in n]
    a.sh(f"docker exec {store_a} sh -c 'echo kept-across-the-move > /data/marker'")

    events = Events()
    to_b = Deployment.model_validate({"spec": spec("srv-b", revision), "status": first.status.to_api()})
    moved = await reconcile(to_b, 2, deploy_deps("mover", read_secret=read_secret, runtime=runtime, servers=servers,
                                                 source_dir=app.path, post_event=events))
    assert condition(moved, "Ready").status == "True", moved.status.conditions
    assert moved.status.server == "srv-b"
    # Served from the new server, with the data that was written on the old one.
    status, body = get(b.ip, host=DOMAIN)
    assert status == 200 and "Hello from the first server" in body
    (store_b,) = [n for n in containers(b) if "-store-" in n]
    assert b.sh(f"docker exec {store_b} cat /data/marker").strip() == "kept-across-the-move"
    # The old server keeps the data, but runs and routes nothing of the app.
    assert containers(a) == []
    assert DOMAIN not in a.sh("curl -sS localhost:2019/config/")
    assert "hydron-mover-store-data" in a.sh("docker volume ls --format '{{.Name}}'")
    (moved_event,) = [m for _, r, m in events if r == "Moved"]
    assert "from Server srv-a to srv-b" in moved_event and "hydron-mover-store-data" in moved_event
    # Same release on a new server: no new release in the history.
    assert [r.state for r in moved.status.releases] == ["Active"]

    # A pass that still reads the status from before the move (killed before writing it,
    # or queued behind the move with an old copy) keeps what the app wrote since.
    b.sh(f"docker exec {store_b} sh -c 'echo written-after-the-move > /data/marker'")
    stale = await reconcile(to_b, 2, deploy_deps("mover", read_secret=read_secret, runtime=runtime, servers=servers,
                                                 source_dir=app.path))
    assert condition(stale, "Ready").status == "True" and stale.status.server == "srv-b", stale.status.conditions
    (store_b,) = [n for n in containers(b) if "-store-" in n]
    assert b.sh(f"docker exec {store_b} cat /data/marker").strip() == "written-after-the-move"

    # Settled: the next reconcile changes nothing anywhere.
    settled = Deployment.model_validate({"spec": spec("srv-b", revision), "status": stale.status.to_api()})
    again = await reconcile(settled, 2, deploy_deps("mover", read_secret=read_secret, runtime=runtime, servers=servers,
                                                 source_dir=app.path))
    assert again.changes == [] and again.commands.mutations == []

    # A move back that a pass began and never finished (cancelled once the old server's store
    # stopped for the copy, as a killed operator leaves it), then fails on the target: the
    # old server serves on with its data, though it was not this pass that stopped it.
    failing = spec("srv-a", revision)
    failing["services"][0]["command"] = ["node", "-e", "process.exit(3)"]  # the new web never comes up
    back = Deployment.model_validate({"spec": failing, "status": again.status.to_api()})

    def store_running() -> bool:
        return any("-store-" in n for n in b.sh("docker ps --filter label=dev.hydron.app=mover "
                                                "--format '{{.Names}}'").split())

    begun = asyncio.create_task(reconcile(back, 3, deploy_deps(
        "mover", read_secret=read_secret, runtime=runtime, servers=servers, source_dir=app.path)))
    await eventually(lambda: not store_running(), timeout=300, interval=0.2)
    begun.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await begun
    assert not store_running(), "the interrupted pass left the store stopped"
    failed = await reconcile(back, 3, deploy_deps("mover", read_secret=read_secret, runtime=runtime, servers=servers,
                                                  source_dir=app.path))
    assert condition(failed, "Ready").status == "False", failed.status.conditions
    assert store_running(), ("the old server's store runs again", containers(b), failed.changes)
    (store_b,) = [n for n in containers(b) if "-store-" in n]
    assert b.sh(f"docker exec {store_b} cat /data/marker").strip() == "written-after-the-move"
    status, body = get(b.ip, host=DOMAIN)
    assert status == 200 and "Hello from the first server" in body
