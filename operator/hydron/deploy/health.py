"""Wait until a new container is healthy, or say why it is not. No fixed sleeps: poll
with a deadline, and stop early when the container has exited.

Checks run from the server's side: an HTTP GET (or a TCP connect) from the host to the
container's address on the app network, or the check's command inside the container.
The deadline is the spec's `intervalSeconds × retries`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from hydron.api.infraplan import HealthCheck
from hydron.deploy.containers import Containers
from hydron.deploy.plan import ContainerPlan
from hydron.remote.builders import caddy
from hydron.remote.command import shell
from hydron.remote.runner import CommandRunner

POLL = 0.02
RUNNING_CHECKS = 3
"""A service with nothing to probe counts as healthy after this many polls running."""


@dataclass(frozen=True)
class Verdict:
    healthy: bool
    reason: str = ""
    message: str = ""


def tcp_check(address: str, port: int, timeout: int):
    """Connect from the server to address:port (bash's /dev/tcp); exit 0 when it accepts."""
    return shell('timeout "$3" bash -c \'exec 3<>"/dev/tcp/$0/$1"\' "$1" "$2"', address, str(port), str(timeout), ok_exit=range(0, 256))


async def _probe(plan: ContainerPlan, ip: str | None, engine: Containers, run: CommandRunner, check: HealthCheck) -> tuple[bool, str]:
    if check.command:
        code = await engine.exec_status(plan.name, list(check.command), check.timeout_seconds)
        return code == 0, f"its health command `{' '.join(check.command)[:80]}` exited with {code}"
    port = check.port or plan.port
    if ip is None or port is None:
        return False, "it has no address on the app network"
    if check.path:
        result = await run.run(caddy.http_status(f"http://{ip}:{port}{check.path}"), check=False)
        code = result.stdout.strip()[-3:]
        return code.startswith("2"), f"GET {check.path} answered {code if code != '000' else 'nothing'}"
    result = await run.run(tcp_check(ip, port, check.timeout_seconds), check=False)
    return result.exit_status == 0, f"nothing listens on port {port}"


async def wait_healthy(plan: ContainerPlan, engine: Containers, run: CommandRunner, restarts_before: int = 0) -> Verdict:
    """Poll until the container passes its check, exits, restarts (beyond
    `restarts_before`, what a container already running had) or runs out of time."""
    check = plan.health or (HealthCheck(interval_seconds=1, retries=30) if plan.port else None)
    deadline = time.monotonic() + (check.interval_seconds * check.retries if check else 30)
    passes, last = 0, "it did not become healthy"
    while True:
        seen = await engine.get(plan.name, plan.network)
        if seen is None or not seen.running:
            code = seen.exit_code if seen else None
            return Verdict(False, "ContainerExited", f"the container exited (code {code})")
        if seen.restarts > restarts_before:
            return Verdict(False, "ContainerExited", f"the container restarted {seen.restarts - restarts_before} time(s)")
        if check is None:
            passes += 1
            if passes >= RUNNING_CHECKS:
                return Verdict(True)
        else:
            ok, why = await _probe(plan, seen.ip, engine, run, check)
            if ok:
                return Verdict(True)
            last = why
        if time.monotonic() >= deadline:
            return Verdict(False, "HealthCheckFailed", last)
        await asyncio.sleep(POLL)
