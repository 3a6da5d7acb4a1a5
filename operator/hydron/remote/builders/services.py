"""Starting and checking daemons with or without systemd.

Real servers run systemd: Hydron enables the distribution's units. Machines without
an init system (containers, like the test bed's fresh servers) get the daemon
started detached by `start-stop-daemon` with a pidfile under /run/hydron and its
output in /var/log/hydron. Both return the same kinds of commands, so steps never
ask which one they have.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from hydron.remote.command import Command, mutate, observe, shell

PID_DIR = "/run/hydron"
LOG_DIR = "/var/log/hydron"

SYSTEMD_PROBE = "test -d /run/systemd/system"
"""sd_booted(3): this directory exists only when systemd is PID 1."""


@dataclass(frozen=True)
class Daemon:
    """A daemon Hydron relies on, described for both managers."""

    name: str
    unit: str
    executable: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    pidfile: str | None = None
    """For a daemon someone else starts (sshd): where it writes its pid."""
    conflicts: tuple[str, ...] = ()
    """systemd units to disable first (the package's default unit for another mode)."""

    @property
    def pid_path(self) -> str:
        return self.pidfile or f"{PID_DIR}/{self.name}.pid"

    @property
    def log_path(self) -> str:
        return f"{LOG_DIR}/{self.name}.log"


class ServiceManager(Protocol):
    name: str

    def is_running(self, daemon: Daemon) -> Command: ...
    def start(self, daemon: Daemon) -> tuple[Command, ...]: ...
    def restart(self, daemon: Daemon) -> tuple[Command, ...]: ...
    def reload(self, daemon: Daemon) -> Command: ...


RUNNING = 0
"""Exit status of `is_running` when the daemon runs (any other: it does not)."""


class Systemd:
    name = "systemd"

    def is_running(self, daemon: Daemon) -> Command:
        return observe("systemctl", "is-active", "--quiet", daemon.unit, ok_exit=range(0, 5))

    def start(self, daemon: Daemon) -> tuple[Command, ...]:
        disable = (mutate("systemctl", "disable", "--now", *daemon.conflicts, ok_exit=(0, 1, 5)),) if daemon.conflicts else ()
        return (*disable, mutate("systemctl", "enable", "--now", daemon.unit))

    def restart(self, daemon: Daemon) -> tuple[Command, ...]:
        return (mutate("systemctl", "restart", daemon.unit),)

    def reload(self, daemon: Daemon) -> Command:
        # try-: an inactive unit (sshd behind Ubuntu 24.04's ssh.socket) reads the
        # new configuration when it next starts; there is nothing to signal.
        return mutate("systemctl", "try-reload-or-restart", daemon.unit)


_START_DETACHED = 'mkdir -p -- "$1" "$2" && shift 2 && exec "$@"'


class Detached:
    name = "detached"

    def is_running(self, daemon: Daemon) -> Command:
        return observe(
            "start-stop-daemon", "--status", "--pidfile", daemon.pid_path, "--exec", daemon.executable, ok_exit=range(0, 5)
        )

    def start(self, daemon: Daemon) -> tuple[Command, ...]:
        env = tuple(f"{k}={v}" for k, v in daemon.env)
        return (
            shell(
                _START_DETACHED, PID_DIR, LOG_DIR, "env", *env,
                "start-stop-daemon", "--start", "--quiet", "--oknodo", "--background", "--make-pidfile",
                "--pidfile", daemon.pid_path, "--output", daemon.log_path,
                "--exec", daemon.executable, "--", *daemon.args,
                mutates=True,
            ),
        )

    def stop(self, daemon: Daemon) -> Command:
        return mutate(
            "start-stop-daemon", "--stop", "--quiet", "--oknodo", "--retry", "TERM/20/KILL/5",
            "--remove-pidfile", "--pidfile", daemon.pid_path, "--exec", daemon.executable,
        )

    def restart(self, daemon: Daemon) -> tuple[Command, ...]:
        return (self.stop(daemon), *self.start(daemon))

    def reload(self, daemon: Daemon) -> Command:
        return mutate("start-stop-daemon", "--stop", "--quiet", "--signal", "HUP", "--pidfile", daemon.pid_path)


def manager_for(systemd: bool) -> ServiceManager:
    return Systemd() if systemd else Detached()
