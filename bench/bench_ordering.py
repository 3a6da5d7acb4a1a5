"""Ordering benchmark: apply -> Ready for a server Hydron orders from Hetzner Cloud,
against the same provisioning of a server you already have (BYO), in one run.

The ordered server goes through the real hcloud client to the local stand-in
(hydron_testbed.hetzner_api), whose latencies are set to Hetzner's typical times
(`TYPICAL`: about 10 s installing the image, 8 s booting; see there for where these
come from); its machine is a fresh-server container like the BYO one. Both then run
the same provisioning steps. Runs BYO, ordered, BYO again (a warm-up or cache effect
then shows as a difference between the two BYO runs, and the baseline is their mean).
Reported: each one's wall time, the ordering rows' own times, and the ratio ordered /
BYO (the extra cost of ordering). Nothing asserts on time.

    python3 bench/bench_ordering.py [--no-latency]     (needs the Docker test bed)
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "operator"))

from hydron.controllers.server import ServerDeps, reconcile  # noqa: E402
from hydron.remote.images import LocalEngine  # noqa: E402
from hydron.provisioning.settings import ProvisioningSettings  # noqa: E402
from hydron.remote.pool import ConnectionPool  # noqa: E402
from hydron_testbed import TestBedUnavailable  # noqa: E402
from hydron_testbed.hetzner_api import TYPICAL, HetznerApi, Latencies  # noqa: E402
from hydron_testbed.ordering import Account, Recorder, ordered_server  # noqa: E402
from hydron_testbed.servers import FreshServers, ensure_base_images, ensure_docker, ensure_network  # noqa: E402


def ready(result, what: str) -> None:
    condition = next(c for c in result.status.conditions if c.type == "Ready")
    if condition.status != "True":
        raise SystemExit(f"{what} did not become Ready: {condition.reason}: {condition.message}")


async def main(latencies: Latencies) -> None:
    client = ensure_docker()
    ensure_base_images()
    ensure_network(client)
    factory = FreshServers(client, labels={"hydron.bench": "1", "hydron.test": "1", "hydron.test.owner-pid": str(os.getpid())})
    api = HetznerApi(factory, token="bench-token", latencies=latencies).start()

    def runtime() -> ServerDeps:
        return ServerDeps(pool=ConnectionPool(), settings=ProvisioningSettings(image_source=LocalEngine(client), compose=False))

    byo_deps, ordered_deps = runtime(), runtime()

    async def byo_run() -> float:
        # BYO: the machine exists already (the person rented and installed it); apply -> Ready.
        (host,) = factory.hosts(1)
        started = time.perf_counter()
        byo = await reconcile(host.server(), 1, replace(byo_deps, read_secret=host.read_secret))
        wall = time.perf_counter() - started
        ready(byo, "the BYO server")
        factory.remove(host)
        return wall

    try:
        byo_walls = [await byo_run()]

        # Ordered: apply -> order -> install -> boot -> first SSH -> the same provisioning.
        account = Account(api)
        started = time.perf_counter()
        ordered = await reconcile(ordered_server(), 1, account.deps(ordered_deps, Recorder()))
        ordered_wall = time.perf_counter() - started
        ready(ordered, "the ordered server")
        byo_walls.append(await byo_run())
    finally:
        await byo_deps.pool.close()
        await ordered_deps.pool.close()
        api.stop()
        factory.close()

    print(f"machine: {os.cpu_count()} CPUs; stand-in latencies: install {latencies.install:.0f} s, boot {latencies.boot:.0f} s")
    byo_wall = sum(byo_walls) / len(byo_walls)
    print(f"BYO server      apply -> Ready: {byo_wall:6.1f} s  (mean of {', '.join(f'{w:.1f}' for w in byo_walls)})")
    print(f"ordered server  apply -> Ready: {ordered_wall:6.1f} s")
    rows = ordered.status.steps[:4]
    for row in rows:
        print(f"  {row.name:<10} {(row.finished_at - row.started_at).total_seconds():5.0f} s  {row.message}")
    ordering_s = (rows[-1].finished_at - rows[0].started_at).total_seconds()
    print(f"  ordering rows in all: {ordering_s:.0f} s; provisioning after them: {ordered_wall - ordering_s:.0f} s")
    print(f"ratio ordered / BYO:            {ordered_wall / byo_wall:6.2f} x  (extra cost of ordering: {ordered_wall - byo_wall:.1f} s)")


if __name__ == "__main__":
    try:
        asyncio.run(main(Latencies() if "--no-latency" in sys.argv else TYPICAL))
    except TestBedUnavailable as error:
        raise SystemExit(str(error)) from None
