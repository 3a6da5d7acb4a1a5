"""hello-node built on a real provisioned server, served through Caddy, redeployed
under load with zero failed requests, a bad release rolled back automatically, and a
rollback to a kept release. The tests run in file order on one server."""

from __future__ import annotations

import asyncio
import json

import pytest
from prometheus_client import REGISTRY

from hydron.api.deployment import Deployment
from hydron.build.buildlog import build_log_path
from hydron.cli.plugin_deploy import build_logs_command, choose_release, rollback_patch, service_logs_command
from hydron.cli.plugin_kube import PluginError
from hydron.controllers.deployment import health_condition, observe, reconcile, tear_down
from hydron_testbed.hello_app import DOMAIN, deployment
from hydron_testbed.polling import eventually
from hydron_testbed.reconcile import Events, deploy_deps
from hydron_testbed.traffic import Load, get

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

    return deploy_deps(**{"name": "hello", "server": provisioned.server, "read_secret": read_secret,
                          "runtime": provisioned.runtime, **extra})


def cond(result, type_):
    return next(c for c in result.status.conditions if c.type == type_)


def served(host) -> str:
    status, body = get(host.ip)
    assert status == 200, body
    return body


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def serves(host, text: str) -> bool:
    try:
        status, body = get(host.ip)
    except OSError:
        return False
    return status == 200 and text in body


async def test_build_and_deploy_serves_through_caddy(provisioned, app):
    host = provisioned.host
    revision = app.release("Hello one")
    lines: list[tuple[str, str]] = []
    events = Events()
    result = await reconcile(deployment(revision), 1, io(provisioned, source_dir=app.path, post_event=events,
                                                          on_build_line=lambda s, line: lines.append((s, line))))
    assert cond(result, "Ready").status == "True", result.status.conditions
    assert cond(result, "Built").status == "True"
    assert any("Successfully built" in line for _, line in lines), lines[-5:]
    assert "Hello one" in served(host)
    # Available means a user's HTTPS request through the proxy got an answer.
    assert f"https://{DOMAIN}/health answered 200" in cond(result, "Available").message
    # The build output is kept on the server for `kubectl hydron logs --build`.
    kept = host.sh(f"cat {build_log_path('hello', 'web')}")
    assert "Successfully built" in kept and kept.count("\n") >= len(lines) - 1

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
    again = await reconcile(State.deployment, 1, io(provisioned, source_dir=app.path))
    assert again.changes == [] and again.commands.mutations == []
    assert cond(again, "Ready").status == "True"
    State.revisions.append(revision)


async def test_redeploy_under_load_fails_no_request(provisioned, app):
    host = provisioned.host
    assert State.deployment is not None
    revision = app.release("Hello two")
    new = deployment(revision).model_copy(update={"status": State.deployment.status})
    succeeded_before = sample("hydron_releases_total", result="succeeded")
    with Load(host.ip) as load:
        await eventually(lambda: load.ok >= 5, timeout=30)
        result = await reconcile(new, 2, io(provisioned, source_dir=app.path, drain_grace=5))
        ok_at_switch = load.ok
        await eventually(lambda: load.ok >= ok_at_switch + 5, timeout=30)
    assert sample("hydron_releases_total", result="succeeded") == succeeded_before + 1
    assert sample("hydron_deploy_duration_seconds_count", result="succeeded") >= 1
    assert cond(result, "Ready").status == "True", result.status.conditions
    assert load.failures == [], load.failures[:5]
    assert any("Hello one" in b for b in load.bodies) and any("Hello two" in b for b in load.bodies)
    assert "Hello two" in served(host)
    assert [r.state for r in result.status.releases] == ["Superseded", "Active"]
    assert host.sh("docker ps -q --filter label=dev.hydron.app=hello").split().__len__() == 1
    # The switch was an upstream change, not a Caddy load; only the changed file travelled:
    # the new source tree on the server shares every other file with the previous one.
    assert "caddy routes loaded" not in result.changes and "upstream of web switched" in result.changes
    tree = f"/var/lib/hydron/sources/hello/{revision}"
    assert "Hello two" in host.sh(f"cat {tree}/server.js")
    assert host.sh(f"stat -c %h {tree}/package.json").strip() == "2" and host.sh(f"stat -c %h {tree}/server.js").strip() == "1"
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
    failed_before = sample("hydron_releases_total", result="failed")
    automatic_before = sample("hydron_rollbacks_total", trigger="automatic")
    with Load(host.ip) as load:
        await eventually(lambda: load.ok >= 5, timeout=30)
        result = await reconcile(new, 3, io(provisioned, source_dir=app.path))
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
    # Counted where people graph and alert on it.
    assert sample("hydron_releases_total", result="failed") == failed_before + 1
    assert sample("hydron_rollbacks_total", trigger="automatic") == automatic_before + 1
    (active,) = [r for r in result.status.releases if r.state == "Active"]
    assert active.source_revision == State.revisions[1]
    assert "Hello two" in served(host)
    assert host.sh("docker ps -aq --filter label=dev.hydron.app=hello").split().__len__() == 1
    assert TOKEN not in json.dumps(result.status.to_api())

    # The same broken release is not retried on the next reconcile.
    again = await reconcile(new.model_copy(update={"status": result.status}), 3, io(provisioned, source_dir=app.path))
    assert again.changes == [] and cond(again, "Available").status == "False"
    State.deployment = new.model_copy(update={"status": result.status})


async def test_a_rotated_secret_rolls_the_service_without_dropping_a_request(provisioned, app):
    host = provisioned.host
    rotated = "r0tated-token-value-99aa"
    before = host.sh("docker ps -q --filter label=dev.hydron.app=hello").split()

    async def version(name: str) -> str:
        return "2" if name == "hello-secrets" else "1"

    def read_secret(name: str, key: str) -> str:
        return rotated if (name, key) == ("hello-secrets", "token") else host.fresh.private_key_pem

    extra = {"read_secret": read_secret, "secret_version": version, "drain_grace": 5}
    good = deployment(State.revisions[1]).model_copy(update={"status": State.deployment.status})
    with Load(host.ip) as load:
        await eventually(lambda: load.ok >= 5, timeout=30)
        result = await reconcile(good, 3, io(provisioned, source_dir=app.path, **extra))
    assert cond(result, "Ready").status == "True", result.status.conditions
    assert load.failures == [], load.failures[:5]
    (name,) = host.sh("docker ps -q --filter label=dev.hydron.app=hello --format '{{.Names}}'").split()
    assert name not in before
    assert f"API_TOKEN={rotated}" in host.sh(f"docker inspect --format '{{{{json .Config.Env}}}}' {name}")
    assert rotated not in json.dumps(result.status.to_api()) and rotated not in host.sh(
        f"docker inspect --format '{{{{json .Config.Labels}}}}' {name}")
    # The same version again: nothing moves.
    again = await reconcile(good.model_copy(update={"status": result.status}), 3,
                            io(provisioned, source_dir=app.path, **extra))
    assert again.changes == []
    State.deployment = good.model_copy(update={"status": result.status})


async def test_rollback_to_a_kept_release_reuses_its_image(provisioned, app):
    host = provisioned.host
    first = next(r for r in State.deployment.status.releases if r.source_revision == State.revisions[0])
    # What `kubectl hydron rollback hello N` chooses and patches.
    body = {"metadata": {"name": "hello"}, **State.deployment.to_api()}
    patch = rollback_patch(choose_release(body, first.number)["number"])
    assert patch == {"spec": {"rollbackTo": first.number}}
    failed = next(r for r in State.deployment.status.releases if r.state == "Failed")
    with pytest.raises(PluginError, match="failed its health check"):
        choose_release(body, failed.number)
    spec = {**State.deployment.spec.to_api(), **patch["spec"]}
    target = Deployment.model_validate({"spec": spec, "status": State.deployment.status.to_api()})
    with Load(host.ip) as load:
        await eventually(lambda: load.ok >= 5, timeout=30)
        # No checkout needed: the image of that commit is still on the server.
        result = await reconcile(target, 4, io(provisioned, source_dir=None, drain_grace=5))
    assert cond(result, "Ready").status == "True", result.status.conditions
    assert cond(result, "Built").reason == "ReleaseImages"
    assert load.failures == [], load.failures[:5]
    assert "Hello one" in served(host)
    newest = result.status.releases[-1]
    assert newest.state == "Active" and newest.source_revision == State.revisions[0] and newest.rollback_of == first.number
    assert [s.image for s in newest.services] == [f"hydron/hello-web:{State.revisions[0][:12]}"]
    assert "Pinned to release" in cond(result, "Available").message
    State.deployment = target.model_copy(update={"status": result.status})


def available(status):
    return next(c for c in status.conditions if c.type == "Available")


async def test_observed_usage_and_health_follow_the_running_container(provisioned):
    host = provisioned.host
    deps = io(provisioned)
    (web,) = await observe(State.deployment, deps)
    assert (web.name, web.state, web.restarts) == ("web", "Healthy", 0)
    assert web.memory_mi_b is not None and 1 <= web.memory_mi_b < 1024 and web.cpu_percent is not None
    healthy = health_condition(State.deployment.status, [web], 4)
    assert available(healthy).status == "True"

    # What `kubectl hydron logs` runs over ssh, run by the server's shell.
    assert "listening on 3000" in host.sh(service_logs_command(
        "hello", "web", follow=False, tail=20, since=None, timestamps=True)[0])
    assert "Successfully built" in host.sh(build_logs_command("hello", "web", follow=False, tail=None)[0])
    missing = host.sh(service_logs_command("hello", "nope", follow=False, tail=5, since=None, timestamps=False)[0],
                      check=False)
    assert "no container for service nope of hello" in missing

    (name,) = host.sh("docker ps -q --filter label=dev.hydron.app=hello --format '{{.Names}}'").split()
    host.sh(f"docker stop -t 1 {name}")
    (web,) = await observe(State.deployment, deps)
    assert web.state == "Stopped"
    sick = health_condition(State.deployment.status, [web], 4)
    assert (available(sick).status, available(sick).reason) == ("False", "ServiceUnhealthy")
    assert next(c for c in sick.conditions if c.type == "Ready").status == "False"

    host.sh(f"docker start {name}")
    # The next resync puts the route back (the restarted container may have a new address).
    resynced = await reconcile(State.deployment, 4, io(provisioned, source_dir=None))
    assert cond(resynced, "Ready").status == "True", resynced.status.conditions
    assert serves(host, "Hello one")
    (web,) = await observe(State.deployment.model_copy(update={"status": sick}), deps)
    recovered = health_condition(sick, [web], 4)
    assert web.state == "Healthy" and available(recovered).status == "True"

    # Stuck in place (paused: running, answering nothing) is reported, not replaced
    # nor counted as a failed release: it is the release the user asked for.
    host.sh(f"docker pause {name}")
    try:
        stuck = await reconcile(State.deployment.model_copy(update={"status": resynced.status}), 4,
                                io(provisioned, source_dir=None))
    finally:
        host.sh(f"docker unpause {name}")
    assert (cond(stuck, "Available").status, cond(stuck, "Available").reason) == ("False", "ServiceUnhealthy")
    assert "service web: GET /health answered nothing" in cond(stuck, "Available").message
    assert [s.state for s in stuck.status.services] == ["Unhealthy"]
    assert stuck.status.releases == resynced.status.releases
    back = await reconcile(State.deployment.model_copy(update={"status": stuck.status}), 4, io(provisioned, source_dir=None))
    assert cond(back, "Ready").status == "True", back.status.conditions
    assert host.sh("docker ps -q --filter label=dev.hydron.app=hello --format '{{.Names}}'").split() == [name]


def chatty(app, greeting: str) -> str:
    """A release of hello-node that writes a log line for every page it serves."""
    js = app.server_js.replace('"Hello from Hydron"', f'"{greeting}"').replace(
        'res.writeHead(200, { "content-type": "text/html',
        'console.log(`served ${req.url}`);\n  res.writeHead(200, { "content-type": "text/html')
    assert "served ${req.url}" in js
    return app.release(greeting, server_js=js)


class Followed:
    """`kubectl hydron logs -f`'s remote command over a real SSH session; its lines as they come."""

    def __init__(self, conn, command: str) -> None:
        self.conn, self.command, self.lines = conn, command, []

    async def __aenter__(self):
        self.process = await self.conn.create_process(self.command, term_type="dumb")
        self.reader = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        async for line in self.process.stdout:
            self.lines.append(line.rstrip("\r\n"))

    async def __aexit__(self, *exc) -> None:
        self.process.close()  # the pty hangs up: the remote follow ends
        self.reader.cancel()

    def has(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    async def until(self, check, timeout: float = 60) -> None:
        try:
            await eventually(check, timeout=timeout)
        except AssertionError:
            raise AssertionError(f"not seen while following; lines: {self.lines[-20:]}") from None


async def test_logs_follow_new_lines_across_a_redeploy_and_replaced_logs_are_kept(provisioned, app):
    from hydron.cli.plugin_deploy import kept_logs_command
    from hydron.deploy.keptlogs import KEPT_DIR

    host = provisioned.host
    first = chatty(app, "Hello chatty")
    base = State.deployment.status
    result = await reconcile(deployment(first).model_copy(update={"status": base}), 5, io(provisioned, source_dir=app.path))
    assert cond(result, "Ready").status == "True", result.status.conditions
    State.deployment = deployment(first).model_copy(update={"status": result.status})
    kept = f"{KEPT_DIR}/hello/web"
    host.sh(f"mkdir -p {kept} && echo old | gzip > {kept}/20200101T000000Z-gone.log.gz "
            f"&& touch -d '30 days ago' {kept}/20200101T000000Z-gone.log.gz")

    follow = service_logs_command("hello", "web", follow=True, tail=1, since=None, timestamps=False)[0]
    async with host.fresh.connect() as conn, Followed(conn, follow) as followed:
        await followed.until(lambda: followed.lines)  # attached: the last line so far is out
        await followed.until(lambda: get(host.ip, "/while-following") and followed.has("served /while-following"))
        second = chatty(app, "Hello chatty two")
        result = await reconcile(deployment(second).model_copy(update={"status": result.status}), 6,
                                 io(provisioned, source_dir=app.path, drain_grace=1))
        assert cond(result, "Ready").status == "True", result.status.conditions
        await followed.until(lambda: get(host.ip, "/after-redeploy") and followed.has("served /after-redeploy"))
    assert followed.has("listening on 3000")  # the new container's start, as it followed it
    State.deployment = deployment(second).model_copy(update={"status": result.status})
    State.revisions += [first, second]

    # --tail and --since, as docker logs reads them.
    get(host.ip, "/last")
    tail = host.sh(service_logs_command("hello", "web", follow=False, tail=1, since=None, timestamps=False)[0])
    assert tail.strip() == "served /last"
    since = host.sh(service_logs_command("hello", "web", follow=False, tail=None, since="2100-01-01T00:00:00Z",
                                         timestamps=False)[0])
    assert since.strip() == ""

    # The replaced container's logs outlive it; files past the retention are gone.
    previous = host.sh(kept_logs_command("hello", "web", tail=None)[0])
    assert "served /while-following" in previous and "served /after-redeploy" not in previous
    assert "20200101T000000Z-gone" not in host.sh(f"ls {kept}")


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
    result = await reconcile(duo, 1, io(provisioned, source_dir=app.path, name="duo"))
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
    failed = await reconcile(broken, 2, io(provisioned, source_dir=app.path, name="duo"))
    assert cond(failed, "Available").reason == "ContainerExited"
    assert host.sh(f"docker inspect --format '{{{{.State.Running}}}}' {names['cache']}").strip() == "true"
    spec["services"][1]["command"] = ["node", "-e", CACHE + " // v2"]
    fixed = Deployment.model_validate({"spec": spec, "status": failed.status.to_api()})
    result = await reconcile(fixed, 3, io(provisioned, source_dir=app.path, name="duo"))
    assert cond(result, "Ready").status == "True", [(c.type, c.reason, c.message) for c in result.status.conditions]
    (cache,) = host.sh("docker ps -a --filter label=dev.hydron.service=cache --filter label=dev.hydron.app=duo --format '{{.Names}}'").split()
    assert cache != names["cache"]
    assert host.sh(f"docker exec {cache} cat /data/marker").strip() == "kept"
    assert host.sh(f"docker exec {names['web']} node -e \"{PING}\"").strip() == "pong"

    # All or nothing: a release changing both services whose web (started last) fails
    # leaves the cache on its old container too, and the old web serving.
    spec["services"][1]["command"] = ["node", "-e", CACHE + " // v3"]
    spec["services"][0]["healthCheck"] = {"path": "/health", "port": 3999, "intervalSeconds": 1, "retries": 3}
    both = Deployment.model_validate({"spec": spec, "status": result.status.to_api()})
    failed = await reconcile(both, 4, io(provisioned, source_dir=app.path, name="duo"))
    assert cond(failed, "Available").reason == "HealthCheckFailed" and "service web" in cond(failed, "Available").message
    running = host.sh("docker ps --filter label=dev.hydron.app=duo --format '{{.Names}}'").split()
    assert sorted(running) == sorted([cache, names["web"]])
    assert host.sh(f"docker exec {cache} cat /data/marker").strip() == "kept"
    status, body = get(host.ip, host="duo.localhost")
    assert status == 200 and "Hello one" in body

    assert await tear_down(duo, io(provisioned, name="duo"))
    assert host.sh("docker ps -aq --filter label=dev.hydron.app=duo").strip() == ""
    assert get(host.ip, host="duo.localhost")[0] != 200
    assert "Hello" in served(host)


SOCKETS = "ss -Hltne 'sport = :80' 2>/dev/null | grep -o 'ino:[0-9]*' | sort"  # ss's cgroup2 warning goes to stderr, in no fixed place
FLIP = "require('http').createServer((q, s) => s.end(process.env.NAME)).listen(3000)"


async def test_switching_upstreams_never_reloads_caddy_so_no_request_is_reset(provisioned):
    """A rollout moves a service to its new container in nftables, behind the route's
    stable address; Caddy's configuration is not loaded. (A load re-binds Caddy's
    listening sockets, and a connection waiting on the old one is reset now and then,
    even with net.ipv4.tcp_migrate_req.) 300 switches between two live containers
    under load: every request answered, by both, with Caddy's listener the same socket."""
    from hydron.deploy import routes, upstreams
    from hydron.deploy.proxy import Proxy, Upstreams
    from hydron.remote.runner import CommandRunner
    from hydron.remote.servers import open_session

    host, server = provisioned.host, provisioned.server
    host.sh("docker network create flip >/dev/null && for n in a b; do docker run -d --name flip-$n --network flip "
            f"-e NAME=$n node:18-slim node -e \"{FLIP}\" >/dev/null; done")
    ips = [host.sh("docker inspect --format '{{.NetworkSettings.Networks.flip.IPAddress}}' flip-" + n).strip() for n in "ab"]
    session = await open_session(server.spec, server.status, io(provisioned).read_secret, provisioned.runtime.pool)
    run = CommandRunner(session, server.spec.user)
    proxy, ups = Proxy(run), Upstreams(run)
    virtual = upstreams.allocate("flip", "web", routes.upstream_hosts(await proxy.config()))
    await ups.point("flip", "web", virtual, ips[0])
    assert await proxy.apply(routes.merged(await proxy.config(), "flip", {
        "web": routes.route("flip", "web", ["flip.localhost"], f"{virtual}:3000")}))
    await eventually(lambda: get(host.ip, host="flip.localhost") == (200, "a"), timeout=30)
    listener = host.sh(SOCKETS)
    loads = Proxy(run)
    with Load(host.ip, rate=300, limit=10**6, host="flip.localhost") as load:
        for i in range(300):
            assert await ups.point("flip", "web", virtual, ips[(i + 1) % 2])
    assert load.ok >= 300 and load.failures == [], (load.ok, load.failures[:5])
    assert load.bodies == {"a", "b"}
    assert host.sh(SOCKETS) == listener  # the same sockets: never re-bound
    assert await loads.config() == await proxy.config()
    await proxy.apply(routes.merged(await proxy.config(), "flip", {}))
    await ups.forget("flip", "web", virtual)
    assert "flip" not in host.sh("nft list table ip hydron_routes")
    host.sh("docker rm -f flip-a flip-b >/dev/null && docker network rm flip >/dev/null")


async def test_a_base_image_the_server_never_saw_is_fetched_before_the_build_and_pinned(provisioned, app):
    """The Server was provisioned with node:18-slim only; a service whose Dockerfile starts
    FROM python:3.11-slim (with an ARG in FROM) builds anyway: the image comes from the
    operator's own source before the build, and the release records what it was."""
    from hydron.api.deployment import Deployment

    host = provisioned.host
    host.sh("docker image rm -f python:3.11-slim >/dev/null 2>&1 || true")
    dockerfile = ("ARG PY=3.11\nFROM python:${PY}-slim\nWORKDIR /srv\nRUN echo pinned > index.html\n"
                  "CMD [\"python3\", \"-m\", \"http.server\", \"8000\"]\n")
    py = Deployment.model_validate({"spec": {
        "serverRef": {"name": "srv"}, "applicationRef": {"name": "py"}, "sourceRevision": State.revisions[0],
        "services": [{"name": "web", "build": {"context": ".", "dockerfile": dockerfile, "origin": "Generated"},
                      "port": 8000, "domains": ["py.localhost"],
                      "healthCheck": {"path": "/", "intervalSeconds": 1, "retries": 30}}],
    }})
    events = Events()
    result = await reconcile(py, 1, io(provisioned, source_dir=app.path, name="py", post_event=events))
    assert cond(result, "Ready").status == "True", [(c.type, c.reason, c.message) for c in result.status.conditions]
    (release,) = result.status.releases
    assert [b.image for b in release.base_images] == ["python:3.11-slim"] and release.base_images[0].pinned
    assert any(reason == "BaseImageFetched" and "python:3.11-slim" in message for _, reason, message in events), events
    status, body = get(host.ip, host="py.localhost")
    assert status == 200 and "pinned" in body
    assert await tear_down(py, io(provisioned, name="py"))
