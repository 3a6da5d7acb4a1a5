"""Reverse proxy: Caddy from the OS packages, run in its API mode and configured only
through its admin API on the server's loopback.

`POST /load` applies a configuration gracefully (requests in flight finish), so Caddy
is never restarted to change it. On Linux each load binds a fresh SO_REUSEPORT socket
and closes the old one; the kernel resets connections still waiting in the old
socket's accept queue (measured here: about one request in a thousand under load
while routes change). `net.ipv4.tcp_migrate_req` (Linux 5.14+) hands those
connections to the new socket instead, so this step turns it on.
Caddy runs with `--resume`: after a restart it serves the configuration last loaded,
routes included. The routes themselves belong to deployments; this step only owns the
admin endpoint and the `hydron` server's listeners on 80/443, and keeps the routes.
"""

from __future__ import annotations

import json
from typing import Any

from hydron.provisioning import daemons, packages, poll
from hydron.remote.builders import caddy_config
from hydron.provisioning.failures import StepError
from hydron.provisioning.osprofile import CADDY_MISSING_HINT
from hydron.provisioning.step import Observation, Step, StepContext
from hydron.remote.builders import caddy, files, sysctl

DOWN = object()
"""Marker: Caddy's admin API did not answer."""

MIGRATE_KEY = "net.ipv4.tcp_migrate_req"
SYSCTL_FILE = "/etc/sysctl.d/60-hydron-proxy.conf"
SYSCTL_TEXT = (
    "# Written by Hydron: a Caddy config load closes its old listening socket; move the\n"
    "# connections waiting on it to the new one instead of resetting them.\n"
    f"{MIGRATE_KEY} = 1\n"
)


async def reloads_keep_connections(ctx: StepContext) -> bool | None:
    """True when queued connections survive a config load (the setting is on and
    persisted), False when not yet, None when it cannot be set here (a kernel older
    than 5.14, or a read-only /proc/sys in a container-based VPS)."""
    now = await ctx.run.run(sysctl.read(MIGRATE_KEY))
    on = now.stdout.strip() == "1"
    if now.exit_status == sysctl.UNKNOWN or (now.exit_status == sysctl.READ_ONLY and not on):
        return None
    if now.exit_status == sysctl.READ_ONLY:
        return True  # on, set by whoever runs the host
    persisted = await ctx.run.run(files.read(SYSCTL_FILE))
    return on and persisted.stdout == SYSCTL_TEXT


async def running_config(ctx: StepContext) -> Any:
    """The loaded configuration (None when empty), or DOWN."""
    result = await ctx.run.run(caddy.get_config())
    if result.exit_status in caddy.NOT_ANSWERING:
        return DOWN
    try:
        return json.loads(result.stdout or "null")
    except json.JSONDecodeError:
        raise StepError(f"Caddy's admin API answered with something other than JSON: {result.stdout[:200]!r}") from None


async def load(ctx: StepContext, config: dict) -> None:
    await ctx.run.run(caddy.load_config(), input=json.dumps(config).encode())


def packages_for(ctx: StepContext) -> list[str]:
    if ctx.os.caddy_package is None:
        raise StepError(CADDY_MISSING_HINT.format(label=ctx.os.label))
    return [ctx.os.caddy_package, ctx.os.curl_package]


class ReverseProxy(Step):
    name = "reverse-proxy"

    async def observe(self, ctx: StepContext) -> Observation:
        missing = await packages.missing(ctx, packages_for(ctx))
        if missing:
            return Observation(False, f"{', '.join(missing)} not installed")
        if not await daemons.is_running(ctx, daemons.CADDY):
            return Observation(False, "Caddy is not running")
        config = await running_config(ctx)
        if config is DOWN:
            return Observation(False, "Caddy runs but its admin API does not answer")
        if not caddy_config.http_matches(config):
            return Observation(False, "Caddy's configuration lacks Hydron's server on :80/:443")
        migrate = await reloads_keep_connections(ctx)
        if migrate is False:
            return Observation(False, f"{MIGRATE_KEY} is off: a config load may reset waiting connections")
        routes = len((caddy_config.http_server(config) or {}).get("routes") or [])
        caveat = "" if migrate else (f" {MIGRATE_KEY} cannot be set here (Linux < 5.14, or a read-only /proc/sys):"
                                     " a config load may reset a few connections waiting to be accepted.")
        return Observation(True, f"Caddy serves :80 and :443 with {routes} routes.{caveat}")

    async def change(self, ctx: StepContext, found: Observation) -> str:
        done = []
        installed = await packages.install(ctx, packages_for(ctx))
        if installed:
            done.append(f"installed {', '.join(installed)}")
        if not await daemons.is_running(ctx, daemons.CADDY):
            await daemons.start(ctx, daemons.CADDY)
            done.append("started Caddy")
        config = DOWN

        async def admin_answers() -> bool:
            nonlocal config
            config = await running_config(ctx)
            return config is not DOWN

        if not await poll.until(admin_answers, ctx.settings.daemon_start_timeout):
            raise StepError(f"Caddy's admin API on {caddy_config.ADMIN_LISTEN} does not answer; see its log on the server", retryable=True)
        if not caddy_config.http_matches(config):
            await load(ctx, caddy_config.with_http(config))
            done.append("loaded the :80/:443 server through the admin API")
        if await reloads_keep_connections(ctx) is False:
            await ctx.run.run(files.write(SYSCTL_FILE, SYSCTL_TEXT.encode(), "0644"))
            await ctx.run.run(sysctl.apply(SYSCTL_FILE))
            done.append(f"set {MIGRATE_KEY} so config loads keep waiting connections")
        text = "; ".join(done)
        return text[:1].upper() + text[1:] + "."

    async def verify(self, ctx: StepContext) -> Observation:
        found = await self.observe(ctx)
        if not found.ok:
            return found
        status = (await ctx.run.output(caddy.http_status("http://127.0.0.1/"))).strip()
        if status in ("", "000"):
            return Observation(False, "Caddy is configured but nothing answers on port 80")
        return found
