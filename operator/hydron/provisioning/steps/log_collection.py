"""Log collection: Docker's json-file driver with rotation, in /etc/docker/daemon.json.

Why json-file rather than journald: it works the same with or without systemd (the
test bed's servers have no journald), `docker logs` keeps working, log shippers
(Vector, Promtail, Fluent Bit) read its files directly, and rotation bounds the disk
it can take, the usual way a small server fills its disk. `live-restore` keeps
containers running while dockerd restarts (an upgrade, or a later settings change).

The file is written before Docker is installed, so the engine's first start already
uses it. Other keys an admin put in daemon.json are kept.
"""

from __future__ import annotations

import json
from typing import Any

from hydron.provisioning import daemons, poll
from hydron.provisioning.failures import StepError
from hydron.provisioning.settings import ProvisioningSettings
from hydron.provisioning.step import Observation, Step, StepContext
from hydron.remote.builders import docker as docker_cmd
from hydron.remote.builders import files

DAEMON_JSON = "/etc/docker/daemon.json"


def wanted(settings: ProvisioningSettings) -> dict[str, Any]:
    return {
        "log-driver": "json-file",
        "log-opts": {"max-size": settings.log_max_size, "max-file": str(settings.log_max_files)},
        "live-restore": True,
    }


async def read_daemon_json(ctx: StepContext) -> dict[str, Any] | None:
    result = await ctx.run.run(files.read(DAEMON_JSON))
    if result.exit_status == files.MISSING or not result.stdout.strip():
        return None
    try:
        parsed = json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise StepError(f"{DAEMON_JSON} is not valid JSON ({error.msg}, line {error.lineno}); fix or remove it") from None
    if not isinstance(parsed, dict):
        raise StepError(f"{DAEMON_JSON} must hold a JSON object; fix or remove it")
    return parsed


class LogCollection(Step):
    name = "log-collection"

    async def observe(self, ctx: StepContext) -> Observation:
        current = await read_daemon_json(ctx) or {}
        want = wanted(ctx.settings)
        differing = sorted(k for k, v in want.items() if current.get(k) != v)
        if differing:
            return Observation(False, f"{DAEMON_JSON} lacks Hydron's {', '.join(differing)}", current)
        opts = want["log-opts"]
        return Observation(True, f"Container logs: json-file, rotated at {opts['max-size']} × {opts['max-file']} files.")

    async def change(self, ctx: StepContext, found: Observation) -> str:
        merged = {**found.data, **wanted(ctx.settings)}
        await ctx.run.run(files.write(DAEMON_JSON, (json.dumps(merged, indent=2, sort_keys=True) + "\n").encode()))
        if await daemons.is_running(ctx, daemons.DOCKER):
            await daemons.restart(ctx, daemons.DOCKER)
            await _wait_for_docker(ctx)
            return "Rotation of container logs configured; Docker restarted to apply it."
        return "Rotation of container logs configured (Docker applies it when it starts)."

    async def verify(self, ctx: StepContext) -> Observation:
        found = await self.observe(ctx)
        if found.ok and await daemons.is_running(ctx, daemons.DOCKER):
            info = await ctx.run.run(docker_cmd.info(), check=False)
            if info.ok and "json-file" not in info.stdout:
                return Observation(False, f"Docker runs with another log driver: {info.stdout.strip()}")
        return found


async def _wait_for_docker(ctx: StepContext) -> None:
    async def answers() -> bool:
        return (await ctx.run.run(docker_cmd.info(), check=False)).ok

    if not await poll.until(answers, ctx.settings.daemon_start_timeout):
        raise StepError("Docker did not come back after the restart; see `journalctl -u docker` or /var/log/hydron/docker.log", retryable=True)
