"""Deployment benchmark on one provisioned fresh server.

1. Apply to first 200 through the proxy, as a ratio to the floor measured in the same
   run: the same app built, run and health-checked directly with the docker CLI on the
   server (target: at most 1.3). Both build a new commit on a warm layer cache.
2. Requests failed during N redeploys under constant load (a thread doing GETs on
   loopback-reachable addresses through Caddy): target 0.
3. A no-change reconcile: how long, and that it changes nothing.

Nothing asserts on time; the report prints the numbers.

    python3 bench/bench_deploy.py [--redeploys 20]      (needs the Docker test bed)
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "operator"))

from hydron.controllers.deployment import reconcile  # noqa: E402
from hydron.remote.command import shell  # noqa: E402
from hydron.remote.runner import CommandRunner  # noqa: E402
from hydron_testbed import TestBedUnavailable  # noqa: E402
from hydron_testbed.hello_app import DOCKERFILE, App, deployment  # noqa: E402
from hydron_testbed.reconcile import deploy_deps, make_runtime, run_reconcile, with_status  # noqa: E402
from hydron_testbed.servers import FreshServers, ensure_base_images, ensure_docker, ensure_network  # noqa: E402
from hydron_testbed.traffic import Load, get  # noqa: E402

FLOOR_SCRIPT = """set -e
export DOCKER_BUILDKIT=0
docker network inspect floor >/dev/null 2>&1 || docker network create floor >/dev/null
docker rm -f floor >/dev/null 2>&1 || true
docker build -q -t "floor:$1" - >/dev/null
docker run -d --name floor --network floor "floor:$1" >/dev/null
ip=$(docker inspect -f '{{(index .NetworkSettings.Networks "floor").IPAddress}}' floor)
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$ip:3000/health")" = 200 ]; do :; done
"""


def context_tar(app: App, greeting: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, text in (("Dockerfile", DOCKERFILE), ("package.json", (app.path / "package.json").read_text()),
                           ("server.js", app.server_js.replace('"Hello from Hydron"', f'"{greeting}"'))):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


POLL = 0.005
"""The first-200 poller's period: fine enough for the ratio, paced so the client's
own ephemeral ports are not churned (thousands of TIME_WAITs cause resets that are
the load generator's, not the server's)."""


def first_served(address: str, text: str, limit: float = 600) -> float:
    """When the proxy first answers 200 with the new release's page (polled every 5 ms)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(POLL)
        try:
            status, body = get(address, timeout=5)
        except OSError:
            continue
        if status == 200 and text in body:
            return time.monotonic()
    raise SystemExit(f"never served {text!r}")


async def main(redeploys: int, rounds: int) -> None:
    client = ensure_docker()
    ensure_base_images()
    ensure_network(client)
    factory = FreshServers(client)
    try:
        (host,) = factory.hosts(1)
        fresh = host.fresh
        runtime = make_runtime(client)
        server = host.server(baseImages=["node:18-slim"])
        started = time.monotonic()
        first = await run_reconcile(host, server, runtime)
        print(f"provisioned in {time.monotonic() - started:.1f}s")
        server = with_status(server, first)
        import tempfile
        app = App(Path(tempfile.mkdtemp(prefix="bench-deploy-")) / "repo")

        def secrets(name: str, key: str) -> str:
            return "bench-token" if name == "hello-secrets" else fresh.private_key_pem

        io_ = lambda: deploy_deps("hello", server, secrets, runtime, source_dir=app.path, drain_grace=5)  # noqa: E731
        session = await runtime.pool.session(
            __import__("hydron.remote.connect", fromlist=["Target"]).Target(fresh.address, fresh.port, fresh.user),
            fresh.client_key, server.status.host_key,
        )
        run = CommandRunner(session, fresh.user)

        floors, hydrons = [], []
        status = None
        for i in range(rounds):
            tar = context_tar(app, f"floor {i}")
            t0 = time.monotonic()
            await run.run(shell(FLOOR_SCRIPT, f"r{i}", mutates=True), input=tar, timeout=600)
            floors.append(time.monotonic() - t0)

            revision = app.release(f"hydron {i}")
            d = deployment(revision)
            if status is not None:
                d = d.model_copy(update={"status": status})
            t0 = time.monotonic()
            served_at = asyncio.get_running_loop().run_in_executor(None, first_served, host.ip, f"hydron {i}")
            result = await reconcile(d, i + 1, io_())
            hydrons.append(await served_at - t0)
            status = result.status
        await run.run(shell("docker rm -f floor >/dev/null", mutates=True))
        floor, ours = statistics.median(floors), statistics.median(hydrons)
        print(f"apply→first 200: hydron {ours:.2f}s vs floor {floor:.2f}s → ratio {ours / floor:.2f} "
              f"(median of {rounds}; target ≤ 1.3)")

        failed = ok = 0
        times = []
        with Load(host.ip, limit=10**7, rate=100) as load:
            for i in range(redeploys):
                revision = app.release(f"redeploy {i}")
                t0 = time.monotonic()
                result = await reconcile(deployment(revision).model_copy(update={"status": status}), 100 + i, io_())
                times.append(time.monotonic() - t0)
                ready = next(c for c in result.status.conditions if c.type == "Ready")
                if ready.status != "True":
                    raise SystemExit(f"redeploy {i} not Ready: {ready.reason}: {ready.message}")
                status = result.status
        failed, ok = len(load.failures), load.ok
        print(f"{redeploys} redeploys under load: {ok} requests OK, {failed} failed "
              f"(median redeploy {statistics.median(times):.2f}s); first failures: {load.failures[:3]}")

        d = deployment(revision).model_copy(update={"status": status})
        t0 = time.monotonic()
        again = await reconcile(d, 200, io_())
        print(f"no-change reconcile: {time.monotonic() - t0:.2f}s, changes {again.changes}, "
              f"mutating commands {len(again.commands.mutations)}")
        await runtime.pool.close()
    finally:
        factory.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--redeploys", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.redeploys, args.rounds))
    except TestBedUnavailable as error:
        raise SystemExit(str(error)) from None
