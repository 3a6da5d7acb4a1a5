"""Redeploys on one provisioned fresh server: bytes on the wire and failed requests.

1. bytes: a one-line change in a 100 MB repository (incompressible files), built
   (a) the old way, the whole build context through the SSH connection, and (b) from the
   source tree kept on the server (hydron.build.sources): the first build of (b) sends
   everything (the server holds nothing yet), the next one only the change. Measured as
   bytes received by the server's network interface during the build step.
2. routes: N redeploys of one app under a constant load of R requests/s through Caddy,
   while two other apps on the same server redeploy at the same time; failed requests,
   and whether Caddy's listening sockets are still the same ones (never re-bound).
   Redeploys change an env var, so each is a new container without a build.

Nothing asserts; the report prints the numbers.

    python3 bench/bench_redeploy.py [--part bytes|routes|all] [--redeploys 100] [--rate 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "operator"))

from hydron.api.deployment import Deployment, DeployService  # noqa: E402
from hydron.build.services import service_images  # noqa: E402
from hydron.build.tunnel import docker_client  # noqa: E402
from hydron.controllers.deployment import reconcile  # noqa: E402
from hydron.remote.connect import Target  # noqa: E402
from hydron.remote.runner import CommandRunner  # noqa: E402
from hydron_testbed import TestBedUnavailable  # noqa: E402
from hydron_testbed.hello_app import DOCKERFILE, App, deployment  # noqa: E402
from hydron_testbed.reconcile import deploy_deps, make_runtime, run_reconcile, source_archive, with_status  # noqa: E402
from hydron_testbed.servers import FreshServers, ensure_base_images, ensure_docker, ensure_network  # noqa: E402
from hydron_testbed.traffic import Load  # noqa: E402

SOCKETS = "ss -Hltne 'sport = :80' | grep -o 'ino:[0-9]*' | sort"
RX = "cat /sys/class/net/eth0/statistics/rx_bytes"


async def bytes_part(host, run: CommandRunner, megabytes: int) -> None:
    app = App(Path(tempfile.mkdtemp(prefix="bench-bytes-")) / "repo")
    for i in range(megabytes):
        (app.path / "assets").mkdir(exist_ok=True)
        (app.path / "assets" / f"blob{i:03}.bin").write_bytes(os.urandom(1 << 20))
    web = DeployService.model_validate({"name": "web", "build": {"context": ".", "dockerfile": DOCKERFILE}, "port": 3000})

    async def build(greeting: str, on_server: bool) -> tuple[int, float]:
        revision = app.release(greeting)
        archive = source_archive(app.path, revision)
        before = int(host.sh(RX))
        t0 = time.monotonic()
        async with docker_client(run.executor) as client:
            await service_images(client, run, "bytes", [web], revision, archive, on_server=on_server)
        return int(host.sh(RX)) - before, time.monotonic() - t0

    size = sum(f.stat().st_size for f in app.path.rglob("*") if f.is_file() and ".git" not in f.parts)
    print(f"repository tree: {size / 1e6:.1f} MB")
    await build("warm-up", on_server=False)
    full, t_full = await build("one line (a)", on_server=False)
    first, t_first = await build("one line (b1)", on_server=True)
    delta, t_delta = await build("one line (b2)", on_server=True)
    print(f"one-line change, whole context (before): {full:,} bytes received by the server ({t_full:.1f}s)")
    print(f"first build with the tree on the server (fallback, full): {first:,} bytes ({t_first:.1f}s)")
    print(f"one-line change, only what changed (after): {delta:,} bytes ({t_delta:.1f}s) → "
          f"{full / max(delta, 1):,.0f}× fewer")


async def routes_part(host, server, runtime, fresh, redeploys: int, rate: float) -> None:
    app = App(Path(tempfile.mkdtemp(prefix="bench-routes-")) / "repo")
    revision = app.release("routes")

    def secrets(name: str, key: str) -> str:
        return "bench-token" if name == "hello-secrets" else fresh.private_key_pem

    names = ["hello", "other1", "other2"]
    statuses: dict[str, object] = {}

    async def deploy(name: str, i: int) -> float:
        env = [{"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hello-secrets", "key": "token"}}},
               {"name": "ROUND", "value": str(i)}]
        extra = {} if name == "hello" else {"domains": [f"{name}.localhost"]}
        spec = deployment(revision, env=env, **extra).spec.to_api()
        spec["applicationRef"]["name"] = name  # three apps, not one fought over
        d = Deployment.model_validate({"spec": spec})
        if name in statuses:
            d = d.model_copy(update={"status": statuses[name]})
        t0 = time.monotonic()
        deps = deploy_deps(name, server, secrets, runtime, source_dir=app.path, drain_grace=2)
        for _ in range(1 if i else 10):  # a first deploy may beat its certificate: the operator retries too
            result = await reconcile(d, i + 1, deps)
            ready = next(c for c in result.status.conditions if c.type == "Ready")
            if ready.status == "True":
                break
            d = d.model_copy(update={"status": result.status})
            await asyncio.sleep(2)
        if ready.status != "True":
            raise SystemExit(f"{name} round {i} not Ready: {ready.reason}: {ready.message}")
        statuses[name] = result.status
        return time.monotonic() - t0

    for name in names:
        await deploy(name, 0)
    listener = host.sh(SOCKETS)
    times = []
    with Load(host.ip, limit=10**7, rate=rate) as load:
        t0 = time.monotonic()
        for i in range(1, redeploys + 1):
            took = await asyncio.gather(*(deploy(name, i) for name in names))
            times.append(took[0])
            if i % 10 == 0:
                print(f"  {i} redeploys: {load.ok} OK, {len(load.failures)} failed, {time.monotonic() - t0:.0f}s", flush=True)
        elapsed = time.monotonic() - t0
    same = host.sh(SOCKETS) == listener
    print(f"{redeploys} redeploys of hello (each alongside a redeploy of 2 other apps on the server) under "
          f"{rate:.0f} requests/s: {load.ok} OK, {len(load.failures)} failed in {elapsed:.0f}s "
          f"(median redeploy {statistics.median(times):.2f}s); Caddy's listening sockets "
          f"{'unchanged (no config load)' if same else 'RE-BOUND'}; first failures: {load.failures[:3]}")


async def main(part: str, redeploys: int, rate: float, megabytes: int) -> None:
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
        print(f"provisioned in {time.monotonic() - started:.1f}s", flush=True)
        server = with_status(server, first)
        session = await runtime.pool.session(Target(fresh.address, fresh.port, fresh.user), fresh.client_key,
                                             server.status.host_key)
        run = CommandRunner(session, fresh.user)
        if part in ("bytes", "all"):
            await bytes_part(host, run, megabytes)
        if part in ("routes", "all"):
            await routes_part(host, server, runtime, fresh, redeploys, rate)
        await runtime.pool.close()
    finally:
        factory.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=["bytes", "routes", "all"], default="all")
    parser.add_argument("--redeploys", type=int, default=100)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--megabytes", type=int, default=100)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.part, args.redeploys, args.rate, args.megabytes))
    except TestBedUnavailable as error:
        raise SystemExit(str(error)) from None
