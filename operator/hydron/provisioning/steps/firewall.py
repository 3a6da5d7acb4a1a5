"""Firewall: Hydron's own nftables table (see `nftables_ruleset` for the rules and how
Docker's published ports are kept closed).

Drift: right after loading, `nft list table` output is recorded on the server;
observing compares the live table with that record, so a rule deleted by hand (or
the whole table) is noticed in nft's own formatting. Never locks us out: the SSH
port we are connected through is always allowed, and after loading, a brand-new
login must work or the table is removed again.
"""

from __future__ import annotations

from dataclasses import dataclass

from hydron.provisioning import packages
from hydron.provisioning.failures import StepError
from hydron.provisioning.nftables_ruleset import FAMILY, LISTING_PATH, RULESET_PATH, TABLE, render
from hydron.provisioning.step import Observation, Step, StepContext
from hydron.remote.builders import files, nft, probe
from hydron.remote.command import mutate, shell

NFTABLES_CONF = "/etc/nftables.conf"
INCLUDE_LINE = f'include "{RULESET_PATH}"'


@dataclass(frozen=True)
class FirewallState:
    installed: bool
    file: str
    listing: str
    recorded: str
    persisted: bool


def state_probe():
    return probe.sections(
        {
            "installed": "command -v nft",
            "file": f"cat {RULESET_PATH}",
            "listing": f"nft list table {FAMILY} {TABLE}",
            "recorded": f"cat {LISTING_PATH}",
            "persisted": f"grep -qxF '{INCLUDE_LINE}' {NFTABLES_CONF} && echo yes",
        }
    )


def parse_state(output: str) -> FirewallState:
    s = probe.parse_sections(output)
    return FirewallState(
        installed=bool(s.get("installed", "").strip()),
        file=s.get("file", ""),
        listing=s.get("listing", "").strip(),
        recorded=s.get("recorded", "").strip(),
        persisted=s.get("persisted", "").strip() == "yes",
    )


def record_listing():
    return shell(
        'mkdir -p -- "$(dirname -- "$1")" && nft list table "$2" "$3" > "$1"', LISTING_PATH, FAMILY, TABLE, mutates=True
    )


def ssh_ports(ctx: StepContext) -> list[int]:
    """The port sshd really listens on (from our own connection) or else spec.port."""
    return [ctx.facts.ssh_port or ctx.spec.port]


class Firewall(Step):
    name = "firewall"

    def spec_problems(self, ctx: StepContext) -> str | None:
        rejected = ctx.spec.rejected_firewall
        if not rejected:
            return None
        return "; ".join(r.describe() for r in rejected) + ". The other openings are in place; fix or remove the rule."

    def ruleset(self, ctx: StepContext) -> str:
        return render(ssh_ports(ctx), ctx.spec.firewall)

    async def observe(self, ctx: StepContext) -> Observation:
        state = parse_state(await ctx.run.output(state_probe()))
        if not state.installed:
            return Observation(False, "nftables is not installed", state)
        if state.file.rstrip("\n") != self.ruleset(ctx).rstrip("\n"):
            return Observation(False, f"{RULESET_PATH} differs from the spec", state)
        if not state.listing:
            return Observation(False, f"table {FAMILY} {TABLE} is not loaded", state)
        if state.listing != state.recorded:
            return Observation(False, f"table {FAMILY} {TABLE} was changed by hand", state)
        if ctx.facts.systemd and not state.persisted:
            return Observation(False, f"{NFTABLES_CONF} does not load Hydron's table at boot", state)
        return Observation(True, f"Table {FAMILY} {TABLE} loaded: input dropped except SSH, 80/443 and {len(ctx.spec.firewall)} openings.")

    async def change(self, ctx: StepContext, found: Observation) -> str:
        await packages.install(ctx, [ctx.os.nftables_package])
        await ctx.run.run(files.write(RULESET_PATH, self.ruleset(ctx).encode()))
        checked = await ctx.run.run(nft.check(RULESET_PATH), check=False)
        if not checked.ok:
            raise StepError(f"nft rejected the generated ruleset: {checked.stderr.strip()[-400:]}")
        await ctx.run.run(nft.load(RULESET_PATH))
        await ctx.run.run(record_listing())
        try:
            await ctx.check_new_login()
        except Exception as error:
            await ctx.run.run(mutate("nft", "delete", "table", FAMILY, TABLE), check=False)
            await ctx.run.run(files.remove(LISTING_PATH), check=False)
            raise StepError(f"a new SSH login failed with the firewall loaded ({error}); the table was removed again") from None
        if ctx.facts.systemd:
            await self._persist(ctx, found.data)
        return f"Loaded table {FAMILY} {TABLE} (found: {found.detail}); a new SSH login still works."

    async def _persist(self, ctx: StepContext, state: FirewallState) -> None:
        """Load the table at boot through the distribution's nftables.service. Only
        enabled, not started: starting it would run its `flush ruleset` now."""
        if not state.persisted:
            await ctx.run.run(
                shell('[ -f "$1" ] || printf "#!/usr/sbin/nft -f\\n" > "$1"; printf "%s\\n" "$2" >> "$1"',
                      NFTABLES_CONF, INCLUDE_LINE, mutates=True)
            )
        await ctx.run.run(mutate("systemctl", "enable", "nftables"))
