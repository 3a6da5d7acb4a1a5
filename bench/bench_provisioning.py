"""Provisioning benchmark: 1 fresh server, then N (default 5) in parallel, then a no-change pass.

Targets (issue 5): 5 in parallel take at most 1.5x the time of one; a no-change
re-reconcile of a provisioned server takes at most 1 s. Ratios are measured against
a baseline taken in the same run; nothing here asserts on time.

The fresh servers are containers on this machine, so the 5 "servers" share its CPUs:
the report also gives the CPU seconds the servers themselves consumed (package
installs are CPU-bound) next to the operator's own, to tell the operator's overhead
apart from the machine's limit.

The CPU-bound floor for N in parallel is max(one server's wall time, all CPU seconds
spent (servers and operator) / cores): the ratio to it is what the operator's own
scheduling (handshake cap, per-server locks, one connection per server, its I/O
threads) adds; the operator's CPU seconds per server should not grow with N.

    nice -n 10 python3 bench/bench_provisioning.py [--parallel 20]   (needs the Docker test bed)
"""

from __future__ import annotations

import argparse
import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "operator"))

import docker  # noqa: E402

from hydron.api.server import Server  # noqa: E402
from hydron.controllers.common import Outcome  # noqa: E402
from hydron.controllers.server import ServerDeps, reconcile  # noqa: E402
from hydron_testbed import TestBedUnavailable  # noqa: E402
from hydron_testbed.servers import FreshServer, FreshServers, ensure_base_images, ensure_docker, ensure_network  # noqa: E402

PARALLEL = 5
NO_CHANGE_RUNS = 5


def server_for(fresh: FreshServer) -> Server:
    return Server.model_validate({"spec": {
        "address": fresh.address, "port": fresh.port, "user": fresh.user,
        "sshKeySecretRef": {"name": "bench-ssh", "key": "ssh-privatekey"},
    }})


RETRIES: list[str] = []
"""Passes that ended retryable (a step's timeout under the load of N servers on two cores): the
operator reconciles those again, so the bench does too, straight away, and counts them."""
MAX_PASSES = 4


async def provision(fresh: FreshServer, runtime: ServerDeps, server: Server | None = None) -> Outcome:
    deps = replace(runtime, read_secret=lambda name, key: fresh.private_key_pem)
    server = server or server_for(fresh)
    for _ in range(MAX_PASSES):
        result = await reconcile(server, 1, deps)
        ready = next(c for c in result.status.conditions if c.type == "Ready")
        if ready.status == "True" or not result.retryable:
            break
        RETRIES.append(f"{fresh.name}: {ready.reason}: {ready.message}")
        server = server.model_copy(update={"status": result.status})
    if ready.status != "True":
        raise SystemExit(f"{fresh.name} did not become Ready: {ready.reason}: {ready.message}")
    return result


def container_cpu_seconds(client: docker.DockerClient, servers: list[FreshServer]) -> float:
    total = 0
    for fresh in servers:
        stats = client.containers.get(fresh.container_id).stats(stream=False)
        total += stats["cpu_stats"]["cpu_usage"]["total_usage"]
    return total / 1e9


async def timed(coro) -> tuple[float, float, object]:
    """Wall seconds, this process's CPU seconds, result."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = await coro
    return time.perf_counter() - wall, time.process_time() - cpu, result


async def main() -> None:
    # The operator's I/O threads (hydron.main.IO_THREADS), not asyncio's cores + 4.
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=64))
    client = ensure_docker()
    ensure_base_images()
    ensure_network(client)
    factory = FreshServers(client, labels={"hydron.bench": "1", "hydron.test": "1", "hydron.test.owner-pid": str(os.getpid())})
    runtime = ServerDeps()
    try:
        (single,) = factory.start(1)
        one_wall, one_cpu, first = await timed(provision(single, runtime))
        one_servers_cpu = container_cpu_seconds(client, [single])

        many = factory.start(PARALLEL)
        many_wall, many_cpu, _ = await timed(asyncio.gather(*(provision(f, runtime) for f in many)))
        many_servers_cpu = container_cpu_seconds(client, many)

        provisioned = server_for(single).model_copy(update={"status": first.status})
        no_change = []
        for _ in range(NO_CHANGE_RUNS):
            wall, _, result = await timed(provision(single, runtime, provisioned))
            assert result.commands.mutations == [], result.commands.mutations
            no_change.append(wall)
    finally:
        await runtime.pool.close()
        factory.close()

    cores = os.cpu_count() or 1
    print(f"machine: {cores} CPUs")
    print(f"1 server:            {one_wall:6.1f} s wall  (servers used {one_servers_cpu:5.1f} CPU s, operator {one_cpu:4.1f} CPU s)")
    print(f"{PARALLEL} servers parallel:  {many_wall:6.1f} s wall  (servers used {many_servers_cpu:5.1f} CPU s, operator {many_cpu:4.1f} CPU s)")
    print(f"parallel ratio:      {many_wall / one_wall:6.2f} x   (target <= 1.5)")
    floor = max(one_wall, (many_servers_cpu + many_cpu) / cores)
    print(f"CPU floor for {PARALLEL}:     {floor:6.1f} s   (max of one server's wall and {PARALLEL} servers' + operator CPU "
          f"seconds / {cores} cores: no scheduler can beat it here)")
    print(f"ratio to the floor:  {many_wall / floor:6.2f} x   (what scheduling adds; operator CPU per server: "
          f"{one_cpu:.2f} s alone, {many_cpu / PARALLEL:.2f} s at {PARALLEL})")
    print(f"retried passes:      {len(RETRIES)}" + "".join(f"\n  {r}" for r in RETRIES))
    print(f"no-change reconcile: {statistics.median(no_change):6.2f} s median of {NO_CHANGE_RUNS} (min {min(no_change):.2f}, max {max(no_change):.2f}; target <= 1 s), 0 changing commands")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--parallel", type=int, default=PARALLEL)
    PARALLEL = parser.parse_args().parallel
    try:
        asyncio.run(main())
    except TestBedUnavailable as error:
        raise SystemExit(str(error)) from None
