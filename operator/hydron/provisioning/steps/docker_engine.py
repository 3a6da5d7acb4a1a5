"""Docker engine: the distribution's `docker.io`, running, answering `docker info`."""

from __future__ import annotations

from dataclasses import replace

from hydron.provisioning import daemons, packages, poll
from hydron.provisioning.failures import StepError
from hydron.provisioning.step import Observation, Step, StepContext
from hydron.remote.builders import docker as docker_cmd


class DockerEngine(Step):
    name = "docker-engine"

    async def observe(self, ctx: StepContext) -> Observation:
        missing = await packages.missing(ctx, [ctx.os.docker_package])
        if missing:
            return Observation(False, f"{ctx.os.docker_package} is not installed")
        if not await daemons.is_running(ctx, daemons.DOCKER):
            return Observation(False, "Docker is installed but not running")
        return Observation(True, f"Docker {ctx.facts.docker_version or ''} is running.".replace("  ", " "))

    async def change(self, ctx: StepContext, found: Observation) -> str:
        installed = await packages.install(ctx, [ctx.os.docker_package])
        if not await daemons.is_running(ctx, daemons.DOCKER):
            await daemons.start(ctx, daemons.DOCKER)
        if not await poll.until(lambda: _answers(ctx), ctx.settings.daemon_start_timeout):
            raise StepError(
                "Docker was started but `docker info` does not answer; see `journalctl -u docker` or "
                "/var/log/hydron/docker.log on the server",
                retryable=True,
            )
        return f"Installed {', '.join(installed)} and started Docker." if installed else "Started Docker."

    async def verify(self, ctx: StepContext) -> Observation:
        result = await ctx.run.run(docker_cmd.info(), check=False)
        if not result.ok:
            return Observation(False, f"`docker info` fails: {result.stderr.strip()[-300:]}")
        version = result.stdout.split()[0] if result.stdout.split() else None
        ctx.facts = replace(ctx.facts, docker_version=version)
        return Observation(True, f"Docker {version} is running.")

    async def recover(self, ctx: StepContext) -> None:
        await packages.finish_interrupted(ctx)


async def _answers(ctx: StepContext) -> bool:
    return (await ctx.run.run(docker_cmd.info(), check=False)).ok
