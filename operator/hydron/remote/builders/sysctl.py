"""Kernel settings (sysctl) on the server: read one, and apply a drop-in file under
/etc/sysctl.d so the setting survives a reboot."""

from __future__ import annotations

from hydron.remote.command import Command, mutate, shell

UNKNOWN = 3
"""Exit status of `read` when this kernel has no such key (too old for it)."""
READ_ONLY = 4
"""Exit status of `read` (after printing the value) when the key cannot be changed
here: /proc/sys is read-only inside a container-based VPS (LXC, OpenVZ)."""

_READ = 'f=/proc/sys/$(printf %s "$1" | tr . /); [ -e "$f" ] || exit 3; cat -- "$f"; [ -w "$f" ] || exit 4'


def read(key: str) -> Command:
    """The key's current value, e.g. `net.ipv4.ip_forward`; see UNKNOWN and READ_ONLY."""
    return shell(_READ, key, ok_exit=(0, UNKNOWN, READ_ONLY))


def apply(path: str) -> Command:
    """Load the settings of one sysctl.d file now (they load at every boot anyway)."""
    return mutate("sysctl", "-q", "-p", path)
