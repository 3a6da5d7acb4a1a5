"""Kernel settings (sysctl) on the server: read one, and apply a drop-in file under
/etc/sysctl.d so the setting survives a reboot."""

from __future__ import annotations

from hydron.remote.command import Command, mutate, shell

UNKNOWN = 3
"""Exit status of `read` when this kernel has no such key (too old for it)."""

_READ = 'f=/proc/sys/$(printf %s "$1" | tr . /); if [ -e "$f" ]; then cat -- "$f"; else exit 3; fi'


def read(key: str) -> Command:
    """The key's current value, e.g. `net.ipv4.ip_forward`; exit 3 when the kernel lacks it."""
    return shell(_READ, key, ok_exit=(0, UNKNOWN))


def apply(path: str) -> Command:
    """Load the settings of one sysctl.d file now (they load at every boot anyway)."""
    return mutate("sysctl", "-q", "-p", path)
