"""SSH hardening: keys only, no password or keyboard-interactive logins, root by key only.

A drop-in in /etc/ssh/sshd_config.d/ rather than edits to sshd_config: the
distribution keeps owning its file. sshd uses the *first* value it reads for each
keyword and reads drop-ins in name order, so `00-hydron.conf` wins over later ones
such as Ubuntu's `50-cloud-init.conf` (which often says PasswordAuthentication yes).

Never lock ourselves out: `sshd -t` validates before any reload; the current
connection is kept open throughout; after the reload a brand-new login must succeed,
or the drop-in is removed and sshd reloaded again. A run that died between writing
the drop-in and that check (pending marker) redoes the check first.
"""

from __future__ import annotations

from hydron.api.infraplan import SshHardening as SshSettings
from hydron.provisioning import daemons, poll
from hydron.provisioning.failures import StepError
from hydron.provisioning.step import Observation, Step, StepContext
from hydron.remote.builders import files, sshd

DROP_IN = "/etc/ssh/sshd_config.d/00-hydron.conf"

SETTINGS = {
    "PasswordAuthentication": "no",
    "KbdInteractiveAuthentication": "no",
    "PermitRootLogin": "prohibit-password",
}
# `sshd -T` prints lowercased keywords, and older releases print the old name
# `without-password` for prohibit-password.
EFFECTIVE_OK = {
    "passwordauthentication": {"no"},
    "kbdinteractiveauthentication": {"no"},
    "permitrootlogin": {"prohibit-password", "without-password"},
}


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def settings_for(ssh: SshSettings | None) -> dict[str, str]:
    """The sshd keywords to write: the fixed key-only set, or the Server's spec.ssh
    (the plan's security.ssh, for a server ordered from a plan) in full."""
    if ssh is None:
        return dict(SETTINGS)
    return {
        "PasswordAuthentication": _yes_no(ssh.password_authentication),
        "KbdInteractiveAuthentication": _yes_no(ssh.kbd_interactive_authentication),
        "PermitRootLogin": ssh.permit_root_login,
        "X11Forwarding": _yes_no(ssh.x11_forwarding),
        "AllowAgentForwarding": _yes_no(ssh.allow_agent_forwarding),
        "MaxAuthTries": str(ssh.max_auth_tries),
    }


def expected_effective(settings: dict[str, str]) -> dict[str, set[str]]:
    """What `sshd -T` must print for each written keyword."""
    expected = {k.lower(): {v} for k, v in settings.items()}
    if settings.get("PermitRootLogin") == "prohibit-password":
        expected["permitrootlogin"] = {"prohibit-password", "without-password"}
    return expected


def drop_in(ssh: SshSettings | None = None) -> str:
    lines = ["# Managed by Hydron: key-only SSH logins. Sorted first so it wins over other drop-ins."]
    lines += [f"{k} {v}" for k, v in settings_for(ssh).items()]
    return "\n".join(lines) + "\n"


def effective_mismatches(settings: dict[str, str], ssh: SshSettings | None = None) -> list[str]:
    expected = EFFECTIVE_OK if ssh is None else expected_effective(settings_for(ssh))
    return [f"{k} {settings.get(k, '(unset)')}" for k, ok in expected.items() if settings.get(k) not in ok]


class SshHardening(Step):
    name = "ssh-hardening"

    async def observe(self, ctx: StepContext) -> Observation:
        current = await ctx.run.run(files.read(DROP_IN))
        if current.exit_status == files.MISSING or current.stdout != drop_in(ctx.spec.ssh):
            return Observation(False, f"{DROP_IN} is missing or differs")
        mismatches = effective_mismatches(sshd.parse_effective(await ctx.run.output(sshd.effective_config())), ctx.spec.ssh)
        if mismatches:
            return Observation(False, f"sshd's effective settings differ: {', '.join(mismatches)}")
        if ctx.spec.ssh is None:
            return Observation(True, "Key-only logins: passwords and keyboard-interactive are off, root by key only.")
        return Observation(True, "sshd as spec.ssh says: " + ", ".join(f"{k} {v}" for k, v in settings_for(ctx.spec.ssh).items()) + ".")

    async def change(self, ctx: StepContext, found: Observation) -> str:
        await ctx.run.run(files.write(DROP_IN, drop_in(ctx.spec.ssh).encode()))
        await self._apply_or_roll_back(ctx)
        return "sshd settings written (drop-in validated, sshd reloaded, a new key login verified)."

    async def verify(self, ctx: StepContext) -> Observation:
        found = await self.observe(ctx)
        if not found.ok and "effective" in found.detail:
            raise StepError(
                f"{found.detail}: another sshd configuration file overrides Hydron's drop-in; "
                "check /etc/ssh/sshd_config and its Include line"
            )
        return found

    async def recover(self, ctx: StepContext) -> None:
        if (await ctx.run.run(files.read(DROP_IN))).exit_status != files.MISSING:
            await self._apply_or_roll_back(ctx)

    async def _apply_or_roll_back(self, ctx: StepContext) -> None:
        daemon = daemons.sshd(ctx.os)
        checked = await ctx.run.run(sshd.check_config(), check=False)
        if not checked.ok:
            await ctx.run.run(files.remove(DROP_IN))
            raise StepError(f"sshd rejected the configuration, drop-in removed: {checked.stderr.strip()[-300:]}")
        await ctx.run.run(ctx.services.reload(daemon))
        try:
            await _login_after_reload(ctx)
        except Exception as error:
            await ctx.run.run(files.remove(DROP_IN))
            await ctx.run.run(ctx.services.reload(daemon), check=False)
            raise StepError(f"a new SSH login failed after the reload ({error}); the drop-in was removed and sshd reloaded") from None


RELOAD_GRACE = 15.0


async def _login_after_reload(ctx: StepContext) -> None:
    """A new login, retried briefly: sshd re-executes itself on reload and may refuse
    connections for a moment. The last error is raised if it never works."""
    last: Exception | None = None

    async def attempt() -> bool:
        nonlocal last
        try:
            await ctx.check_new_login()
            return True
        except Exception as error:  # noqa: BLE001 - reported below if it persists
            last = error
            return False

    if not await poll.until(attempt, RELOAD_GRACE, interval=0.5):
        raise last or StepError("no new login possible")
