"""The daemons Hydron installs and keeps running, for either service manager."""

from __future__ import annotations

from hydron.provisioning.osprofile import OsProfile
from hydron.remote.builders.services import RUNNING, Daemon

DOCKER = Daemon(name="docker", unit="docker", executable="/usr/sbin/dockerd")

CADDY_HOME = "/var/lib/caddy"
CADDY = Daemon(
    name="caddy",
    # caddy-api: the packaged unit that runs `caddy run --resume`, i.e. the
    # configuration last loaded through the admin API survives restarts. The default
    # `caddy` unit serves /etc/caddy/Caddyfile instead, so it is disabled.
    unit="caddy-api",
    conflicts=("caddy",),
    executable="/usr/bin/caddy",
    args=("run", "--resume"),
    # The caddy user's home under systemd: same storage (certificates, autosave) either way.
    env=(
        ("HOME", CADDY_HOME),
        ("XDG_DATA_HOME", f"{CADDY_HOME}/.local/share"),
        ("XDG_CONFIG_HOME", f"{CADDY_HOME}/.config"),
    ),
)

NODE_EXPORTER = Daemon(
    name="node-exporter", unit="prometheus-node-exporter", executable="/usr/bin/prometheus-node-exporter"
)


def sshd(os: OsProfile) -> Daemon:
    """sshd is started by the system, never by Hydron: only reloaded."""
    return Daemon(name="sshd", unit=os.ssh_unit, executable="/usr/sbin/sshd", pidfile="/run/sshd.pid")


async def is_running(ctx, daemon: Daemon) -> bool:
    """Whether the service manager sees the daemon running."""
    return (await ctx.run.run(ctx.services.is_running(daemon))).exit_status == RUNNING


async def start(ctx, daemon: Daemon) -> None:
    for command in ctx.services.start(daemon):
        await ctx.run.run(command)


async def restart(ctx, daemon: Daemon) -> None:
    for command in ctx.services.restart(daemon):
        await ctx.run.run(command)
