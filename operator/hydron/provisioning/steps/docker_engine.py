"""Docker engine: the distribution's `docker.io`, running, answering `docker info`; with
Docker Compose beside it (`docker compose`, see hydron.provisioning.compose) unless the
operator's settings leave it out."""

from __future__ import annotations

from dataclasses import replace

from hydron.provisioning import compose, daemons, packages, poll
from hydron.provisioning.failures import StepError
from hydron.provisioning.step import Observation, Step, StepContext
from hydron.remote.builders import docker as docker_cmd
from hydron.remote.builders import files


class DockerEngine(Step):
    name = "docker-engine"

    def _packages(self, ctx: StepContext) -> list[str]:
        return [ctx.os.docker_package] + ([ctx.os.compose_package] if ctx.settings.compose else [])

    async def observe(self, ctx: StepContext) -> Observation:
        missing = await packages.missing(ctx, self._packages(ctx))
        if missing:
            return Observation(False, f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed")
        if not await daemons.is_running(ctx, daemons.DOCKER):
            return Observation(False, "Docker is installed but not running")
        running = f"Docker {ctx.facts.docker_version or ''} is running".replace("  ", " ")
        if ctx.settings.compose:
            found = await ctx.run.run(compose.version(), check=False)
            if found.exit_status != 0:
                return Observation(False, "`docker compose` does not answer")
            return Observation(True, f"{running}, with Docker Compose {found.stdout.strip()}.")
        return Observation(True, f"{running}.")

    async def change(self, ctx: StepContext, found: Observation) -> str:
        installed = await packages.install(ctx, self._packages(ctx))
        if not await daemons.is_running(ctx, daemons.DOCKER):
            await daemons.start(ctx, daemons.DOCKER)
        if not await poll.until(lambda: _answers(ctx), ctx.settings.daemon_start_timeout):
            raise StepError(
                "Docker was started but `docker info` does not answer; see `journalctl -u docker` or "
                "/var/log/hydron/docker.log on the server",
                retryable=True,
            )
        done = f"Installed {', '.join(installed)} and started Docker." if installed else "Started Docker."
        if ctx.settings.compose:
            if (await ctx.run.run(compose.version(), check=False)).exit_status != 0:
                await _add_compose_plugin(ctx)
            found = await ctx.run.run(compose.version(), check=False)
            done += f" Docker Compose {found.stdout.strip()} answers to `docker compose`." if found.exit_status == 0 else ""
        return done

    async def verify(self, ctx: StepContext) -> Observation:
        result = await ctx.run.run(docker_cmd.info(), check=False)
        if not result.ok:
            return Observation(False, f"`docker info` fails: {result.stderr.strip()[-300:]}")
        version = result.stdout.split()[0] if result.stdout.split() else None
        ctx.facts = replace(ctx.facts, docker_version=version)
        if ctx.settings.compose:
            found = await ctx.run.run(compose.version(), check=False)
            if found.exit_status != 0:
                return Observation(False, f"`docker compose version` fails: {(found.stderr or found.stdout).strip()[-300:]}")
            return Observation(True, f"Docker {version} is running, with Docker Compose {found.stdout.strip()}.")
        return Observation(True, f"Docker {version} is running.")

    async def recover(self, ctx: StepContext) -> None:
        await packages.finish_interrupted(ctx)


async def _add_compose_plugin(ctx: StepContext) -> None:
    """The release packages only the standalone docker-compose: make `docker compose` run it."""
    standalone = await ctx.run.run(compose.standalone_version(), check=False)
    if standalone.exit_status != 0:
        raise StepError(f"{ctx.os.compose_package} is installed but neither `docker compose` nor `docker-compose` "
                        "answers; reinstall it on the server")
    await ctx.run.run(files.write(compose.PLUGIN_PATH, compose.plugin_script(standalone.stdout.strip()).encode(), mode="0755"))


async def _answers(ctx: StepContext) -> bool:
    return (await ctx.run.run(docker_cmd.info(), check=False)).ok
