"""hello-node built on a real provisioned server, served through Caddy, redeployed
under load with zero failed requests, a bad release rolled back automatically, and a
rollback to a kept release. The tests run in file order on one server."""

from __future__ import annotations

import asyncio
import json

import pytest

from hydron.controllers.deployment import reconcile, rollback
from tests.integration.deploy.conftest import DOMAIN, Load, deployment, get
from tests.integration.provisioning.conftest import Events, eventually

pytestmark = pytest.mark.docker

TOKEN = "s3cr3t-token-value-7f1c"


class State:
    """What earlier tests left for later ones (the tests share one server)."""

    deployment = None
    revisions: list[str] = []


def io(provisioned, **extra):
    host = provisioned.host

    def read_secret(name: str, key: str) -> str:
        return TOKEN if (name, key) == ("hello-secrets", "token") else host.fresh.private_key_pem

    return dict(name="hello", server=provisioned.server, read_secret=read_secret, runtime=provisioned.runtime, **extra)


def cond(result, type_):
    return next(c for c in result.status.conditions if c.type == type_)


def served(host) -> str:
    status, body = get(host.ip)
    assert status == 200, body
    return body


async def test_build_and_deploy_serves_through_caddy(provisioned, app):
    host = provisioned.host
    revision = app.release("Hello one")
    lines: list[tuple[str, str]] = []
    events = Events()
    result = await reconcile(deployment(revision), 1, **io(provisioned, source_dir=app.path, post_event=events,
                                                          on_build_line=lambda s, line: lines.append((s, line))))
    assert cond(result, "Ready").status == "True", result.status.conditions
    assert cond(result, "Built").status == "True"
    assert any("Successfully built" in line for _, line in lines), lines[-5:]
    assert "Hello one" in served(host)

    # The image on the server carries the revision and service labels.
    labels = json.loads(host.sh(f"docker image inspect --format '{{{{json .Config.Labels}}}}' hydron/hello-web:{revision[:12]}"))
    assert labels["dev.hydron.revision"] == revision and labels["dev.hydron.service"] == "web"
    # The secret is in the container's environment, and nowhere else we write.
    (name,) = host.sh("docker ps --filter label=dev.hydron.app=hello --format '{{.Names}}'").split()
    env = host.sh(f"docker inspect --format '{{{{json .Config.Env}}}}' {name}")
    assert f"API_TOKEN={TOKEN}" in env
    assert TOKEN not in host.sh(f"docker inspect --format '{{{{json .Config.Labels}}}}' {name}")
    assert TOKEN not in json.dumps(result.status.to_api()) and TOKEN not in repr(events)
    assert TOKEN not in json.dumps(host.sh("curl -sS localhost:2019/config/"))
    assert [r.state for r in result.status.releases] == ["Active"]
    assert result.status.urls == [f"https://{DOMAIN}/"]
    # On the app network, under the service's name.
    assert f"hydron-hello" in host.sh(f"docker inspect --format '{{{{json .NetworkSettings.Networks}}}}' {name}")

    # Nothing changed: the second reconcile starts, stops and loads nothing.
    State.deployment = deployment(revision).model_copy(update={"status": result.status})
    again = await reconcile(State.deployment, 1, **io(provisioned, source_dir=app.path))
    assert again.changes == [] and again.commands.mutations == []
    assert cond(again, "Ready").status == "True"
    State.revisions.append(revision)


async def test_redeploy_under_load_fails_no_request(provisioned, app):
    host = provisioned.host
    assert State.deployment is not None
    revision = app.release("Hello two")
    new = deployment(revision).model_copy(update={"status": State.deployment.status})
    with Load(host.ip) as load:
        await eventually(lambda: load.ok >= 5, timeout=30)
        result = await reconcile(new, 2, **io(provisioned, source_dir=app.path, drain_grace=5))
        ok_at_switch = load.ok
        await eventually(lambda: load.ok >= ok_at_switch + 5, timeout=30)
    assert cond(result, "Ready").status == "True", result.status.conditions
    assert load.failures == [], load.failures[:5]
    assert any("Hello one" in b for b in load.bodies) and any("Hello two" in b for b in load.bodies)
    assert "Hello two" in served(host)
    assert [r.state for r in result.status.releases] == ["Superseded", "Active"]
    assert host.sh("docker ps -q --filter label=dev.hydron.app=hello").split().__len__() == 1
    State.deployment = new.model_copy(update={"status": result.status})
    State.revisions.append(revision)


@pytest.mark.parametrize("kind", ["answers-500", "never-listens", "exits"])
async def test_a_bad_release_is_rolled_back_and_the_old_keeps_serving(provisioned, app, kind):
    host = provisioned.host
    broken = {
        "answers-500": app.server_js.replace('res.writeHead(200, { "content-type": "application/json" });',
                                             'res.writeHead(500, { "content-type": "application/json" });'),
        "exits": 'console.error("missing DATABASE_URL"); process.exit(3);\n',
        "never-listens": 'console.log("warming up forever"); setInterval(() => {}, 1000);\n',
    }[kind]
    revision = app.release(f"broken {kind}", server_js=broken)
    new = deployment(revision, retries=4).model_copy(update={"status": State.deployment.status})
    with Load(host.ip) as load:
        await eventually(lambda: load.ok >= 5, timeout=30)
        result = await reconcile(new, 3, **io(provisioned, source_dir=app.path))
    assert load.failures == [], load.failures[:5]
    available = cond(result, "Available")
    assert available.status == "False"
    assert available.reason == ("ContainerExited" if kind == "exits" else "HealthCheckFailed"), available
    assert {
        "exits": "missing DATABASE_URL", "answers-500": "GET /health answered 500",
        "never-listens": "GET /health answered nothing",
    }[kind] in available.message
    if kind == "never-listens":
        assert "warming up forever" in available.message  # the last log lines
    assert result.status.releases[-1].state == "Failed" and result.status.releases[-1].reason == available.reason
    (active,) = [r for r in result.status.releases if r.state == "Active"]
    assert active.source_revision == State.revisions[1]
    assert "Hello two" in served(host)
    assert host.sh("docker ps -aq --filter label=dev.hydron.app=hello").split().__len__() == 1
    assert TOKEN not in json.dumps(result.status.to_api())

    # The same broken release is not retried on the next reconcile.
    again = await reconcile(new.model_copy(update={"status": result.status}), 3, **io(provisioned, source_dir=app.path))
    assert again.changes == [] and cond(again, "Available").status == "False"
    State.deployment = new.model_copy(update={"status": result.status})


async def test_rollback_to_a_kept_release_reuses_its_image(provisioned, app):
    host = provisioned.host
    first = next(r for r in State.deployment.status.releases if r.source_revision == State.revisions[0])
    target = rollback(State.deployment, first.number)
    assert target.spec.source_revision == State.revisions[0]
    with Load(host.ip) as load:
        await eventually(lambda: load.ok >= 5, timeout=30)
        # No checkout needed: the image of that commit is still on the server.
        result = await reconcile(target, 4, **io(provisioned, source_dir=None, drain_grace=5))
    assert cond(result, "Ready").status == "True", result.status.conditions
    assert load.failures == [], load.failures[:5]
    assert "Hello one" in served(host)
    assert result.status.releases[-1].state == "Active" and result.status.releases[-1].source_revision == State.revisions[0]


CACHE = "require('net').createServer(s => s.end('pong')).listen(6379, () => console.log('cache up'))"
PING = "require('net').connect(6379, 'cache').on('data', d => { console.log(String(d)); process.exit(0) })"


async def test_services_start_in_dependency_order_and_reach_each_other_by_name(provisioned, app):
    from hydron.api.deployment import Deployment
    from hydron.controllers.deployment import tear_down

    host = provisioned.host
    revision = State.revisions[0]
    duo = Deployment.model_validate({"spec": {
        "serverRef": {"name": "srv"}, "applicationRef": {"name": "duo"}, "sourceRevision": revision,
        "services": [
            {**deployment(revision).spec.services[0].to_api(), "dependsOn": ["cache"], "domains": ["duo.localhost"]},
            {"name": "cache", "image": "node:18-slim", "command": ["node", "-e", CACHE], "port": 6379,
             "healthCheck": {"intervalSeconds": 1, "retries": 20}, "volumes": ["/data"]},
        ],
    }})
    result = await reconcile(duo, 1, **{**io(provisioned, source_dir=app.path), "name": "duo"})
    assert cond(result, "Ready").status == "True", [(c.type, c.reason, c.message) for c in result.status.conditions]
    assert [s.name for s in result.status.services] == ["cache", "web"]
    names = dict(line.split() for line in host.sh(
        "docker ps --filter label=dev.hydron.app=duo --format '{{.Label \"dev.hydron.service\"}} {{.Names}}'").splitlines())
    # Creation order, not StartedAt: a restart (restart policy) moves StartedAt later.
    created = {svc: host.sh(f"docker inspect --format '{{{{.Created}}}}' {name}").strip() for svc, name in names.items()}
    assert created["cache"] < created["web"]
    assert host.sh(f"docker exec {names['web']} node -e \"{PING}\"").strip() == "pong"
    status, body = get(host.ip, host="duo.localhost")
    assert status == 200 and "Hello one" in body
    assert "Hello" in served(host)  # the other app's route is untouched

    # A service with a data volume is replaced stop-first (two copies never share the
    # files); a successor that fails brings the old one back.
    host.sh(f"docker exec {names['cache']} sh -c 'echo kept > /data/marker'")
    spec = duo.spec.to_api()
    spec["services"][1]["command"] = ["node", "-e", "process.exit(4)"]
    spec["services"][1]["healthCheck"]["retries"] = 3
    broken = Deployment.model_validate({"spec": spec, "status": result.status.to_api()})
    failed = await reconcile(broken, 2, **{**io(provisioned, source_dir=app.path), "name": "duo"})
    assert cond(failed, "Available").reason == "ContainerExited"
    assert host.sh(f"docker inspect --format '{{{{.State.Running}}}}' {names['cache']}").strip() == "true"
    spec["services"][1]["command"] = ["node", "-e", CACHE + " // v2"]
    fixed = Deployment.model_validate({"spec": spec, "status": failed.status.to_api()})
    result = await reconcile(fixed, 3, **{**io(provisioned, source_dir=app.path), "name": "duo"})
    assert cond(result, "Ready").status == "True", [(c.type, c.reason, c.message) for c in result.status.conditions]
    (cache,) = host.sh("docker ps -a --filter label=dev.hydron.service=cache --filter label=dev.hydron.app=duo --format '{{.Names}}'").split()
    assert cache != names["cache"]
    assert host.sh(f"docker exec {cache} cat /data/marker").strip() == "kept"
    assert host.sh(f"docker exec {names['web']} node -e \"{PING}\"").strip() == "pong"

    await tear_down(duo, name="duo", server=provisioned.server, read_secret=io(provisioned)["read_secret"], runtime=provisioned.runtime)
    assert host.sh("docker ps -aq --filter label=dev.hydron.app=duo").strip() == ""
    assert get(host.ip, host="duo.localhost")[0] != 200
    assert "Hello" in served(host)
