"""Install OS packages the way every step needs it: only what is missing, with the
package lists refreshed when they are missing or stale, and a second try after a
refresh when apt cannot find a package (stale lists name versions the mirror has
dropped)."""

from __future__ import annotations

from collections.abc import Sequence

from hydron.provisioning import poll
from hydron.provisioning.failures import StepError
from hydron.provisioning.step import StepContext
from hydron.remote.builders import apt
from hydron.remote.errors import CommandFailed

REFRESHED = "apt-lists-refreshed"
_STALE_LIST_SIGNS = ("Unable to locate package", "has no installation candidate", "404  Not Found", "Failed to fetch")


async def missing(ctx: StepContext, packages: Sequence[str]) -> list[str]:
    """The packages not installed, in the order given."""
    installed = apt.parse_installed(await ctx.run.output(apt.package_status(packages)))
    return [p for p in packages if p not in installed]


def lists_stale(ctx: StepContext) -> bool:
    age = ctx.facts.apt_lists_age
    return not ctx.memo.get(REFRESHED) and (age is None or age > ctx.settings.apt_lists_max_age)


async def refresh_lists(ctx: StepContext) -> None:
    """`apt-get update`, at most once per run."""
    if not ctx.memo.get(REFRESHED):
        await ctx.run.run(apt.update())
        ctx.memo[REFRESHED] = True


async def install(ctx: StepContext, packages: Sequence[str]) -> list[str]:
    """Install what is missing; return what was installed."""
    needed = await missing(ctx, packages)
    if not needed:
        return []
    if ctx.facts.apt_lists_age is None:
        await refresh_lists(ctx)
    try:
        await ctx.run.run(apt.install(needed))
    except CommandFailed as error:
        if ctx.memo.get(REFRESHED) or not any(sign in error.stderr + error.stdout for sign in _STALE_LIST_SIGNS):
            raise
        await refresh_lists(ctx)
        await ctx.run.run(apt.install(needed))
    return needed


LOCK_WAIT_S = 300.0


async def finish_interrupted(ctx: StepContext) -> None:
    """After a run died mid-install: let dpkg finish configuring what it unpacked.

    The killed run's dpkg may still be going (it outlives its SSH channel), and plain
    dpkg does not wait for its lock as apt-get does, so this waits for it here.
    """
    if not (await ctx.run.output(apt.audit())).strip():
        return
    last: CommandFailed | None = None

    async def configured() -> bool:
        nonlocal last
        result = await ctx.run.run(apt.finish_interrupted(), check=False)
        if result.ok:
            return True
        last = CommandFailed(apt.finish_interrupted().line(), result.exit_status, result.stdout, result.stderr)
        if "lock" not in result.stderr:
            raise last
        return False

    if not await poll.until(configured, LOCK_WAIT_S, interval=1.0):
        raise last or StepError("dpkg stayed locked", retryable=True)
