"""Security updates: install what the distribution's security suite offers.

Only `*-security` upgrades are applied (`apt-get install --only-upgrade PKG...`), not
every pending upgrade: they are the ones that must not wait, and the smallest
change that closes known holes. Kernel updates take effect at the next reboot,
which Hydron does not do on its own.
"""

from __future__ import annotations

from hydron.provisioning import packages
from hydron.provisioning.step import Observation, Step, StepContext
from hydron.remote.builders import apt


async def pending_security_upgrades(ctx: StepContext) -> list[apt.Upgrade]:
    return [u for u in apt.parse_upgrades(await ctx.run.output(apt.simulate_upgrade())) if u.security]


def _names(upgrades: list[apt.Upgrade], limit: int = 8) -> str:
    names = [u.package for u in upgrades]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


class SecurityUpdates(Step):
    name = "security-updates"

    async def observe(self, ctx: StepContext) -> Observation:
        pending = await pending_security_upgrades(ctx)
        if packages.lists_stale(ctx):
            age = ctx.facts.apt_lists_age
            why = "no package lists yet" if age is None else f"package lists are {age / 3600:.0f} h old"
            return Observation(False, why, pending)
        if pending:
            return Observation(False, f"{len(pending)} security updates pending: {_names(pending)}", pending)
        return Observation(True, "No security updates pending.")

    async def change(self, ctx: StepContext, found: Observation) -> str:
        pending = found.data
        refreshed = packages.lists_stale(ctx)
        if refreshed:
            await packages.refresh_lists(ctx)
            pending = await pending_security_upgrades(ctx)
        if not pending:
            return "Package lists refreshed; no security updates pending."
        await ctx.run.run(apt.upgrade_only([u.package for u in pending]))
        return f"Installed {len(pending)} security updates: {_names(pending)}."

    async def recover(self, ctx: StepContext) -> None:
        await packages.finish_interrupted(ctx)
