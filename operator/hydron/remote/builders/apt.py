"""apt and dpkg, non-interactive, on Debian and Ubuntu alike.

- `DEBIAN_FRONTEND=noninteractive` and `--force-confold`: never prompt, keep the
  admin's edited config files;
- `NEEDRESTART_MODE=a`: Ubuntu's needrestart would otherwise stop at a dialog;
- `DPkg::Lock::Timeout`: wait for unattended-upgrades (often running on a fresh
  Ubuntu) instead of failing at once on the lock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from hydron.remote.command import Command, mutate, observe, shell

ENV = ("env", "DEBIAN_FRONTEND=noninteractive", "NEEDRESTART_MODE=a")
LOCK_WAIT = ("-o", "DPkg::Lock::Timeout=300")
KEEP_CONFIG = ("-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold")


def package_status(packages: Iterable[str]) -> Command:
    """One line per package known to dpkg: name, state, version (exit 1 if some are unknown)."""
    return observe("dpkg-query", "-W", "-f=${Package}\\t${db:Status-Status}\\t${Version}\\n", *packages, ok_exit=(0, 1))


def parse_installed(output: str) -> dict[str, str]:
    """Installed package → version, from `package_status` output."""
    installed = {}
    for line in output.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[1] == "installed":
            installed[parts[0]] = parts[2]
    return installed


def install(packages: Iterable[str]) -> Command:
    return mutate(*ENV, "apt-get", "install", "-y", "--no-install-recommends", *LOCK_WAIT, *KEEP_CONFIG, *packages)


def update() -> Command:
    return mutate(*ENV, "apt-get", "update", *LOCK_WAIT)


def finish_interrupted() -> Command:
    """Configure packages a killed dpkg left unpacked but not configured."""
    return mutate(*ENV, "dpkg", "--force-confdef", "--force-confold", "--configure", "-a")


def audit() -> Command:
    """Lists half-installed packages (empty output when dpkg's state is clean)."""
    return observe("dpkg", "--audit", ok_exit=(0, 1))


def lists_age() -> Command:
    """Prints `NOW NEWEST` in epoch seconds: the server's clock and the newest package
    list (0 when there is none, as on many fresh cloud images)."""
    return shell(
        'now=$(date +%s); newest=$(stat -c %Y /var/lib/apt/lists/*_Packages 2>/dev/null | sort -n | tail -n 1); '
        'echo "$now ${newest:-0}"',
        privileged=False,
    )


def parse_lists_age(output: str) -> float | None:
    """Seconds since the package lists were fetched, or None when there are none."""
    try:
        now, newest = (int(x) for x in output.split()[:2])
    except ValueError:
        return None
    return None if newest == 0 else max(0.0, float(now - newest))


def simulate_upgrade() -> Command:
    """What `apt-get upgrade` would do, without doing it (no lock taken)."""
    return observe("apt-get", "-s", "-o", "Debug::NoLocking=1", "upgrade", privileged=False)


def upgrade_only(packages: Iterable[str]) -> Command:
    """Upgrade exactly these installed packages (and whatever they now depend on)."""
    return mutate(*ENV, "apt-get", "install", "-y", "--only-upgrade", *LOCK_WAIT, *KEEP_CONFIG, *packages)


@dataclass(frozen=True)
class Upgrade:
    package: str
    current: str | None
    candidate: str
    security: bool


_INST = re.compile(r"^Inst (?P<pkg>\S+) (?:\[(?P<cur>[^\]]+)\] )?\((?P<new>\S+) (?P<origins>[^\[)]*)")


def parse_upgrades(simulation: str) -> list[Upgrade]:
    """Upgrades from `apt-get -s upgrade` output. An upgrade counts as a security one
    when any origin is a `*-security` suite: `bookworm-security` on Debian (also shown
    as `stable-security`), `jammy-security` / `noble-security` on Ubuntu."""
    upgrades = []
    for line in simulation.splitlines():
        match = _INST.match(line)
        if not match:
            continue
        origins = [o.strip() for o in match["origins"].split(",")]
        security = any(o.rsplit("/", 1)[-1].endswith("-security") for o in origins)
        upgrades.append(Upgrade(match["pkg"], match["cur"], match["new"], security))
    return upgrades
