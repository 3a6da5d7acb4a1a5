"""What a server is: read in one round trip, parsed by pure functions.

The probe runs as the login user (not through sudo) so `$SSH_CONNECTION` survives:
it names the port sshd really listens on, which the firewall must keep open even
when spec.port is a forwarded one.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from hydron.api.server import ServerFacts
from hydron.remote.builders import apt, markers, probe
from hydron.remote.builders.services import SYSTEMD_PROBE
from hydron.remote.command import Command

FACTS_PROBE: dict[str, str] = {
    "os-release": "cat /etc/os-release",
    "kernel": "uname -r",
    "arch": "uname -m",
    "cpus": "nproc",
    "memory": "grep MemTotal /proc/meminfo",
    "disk": "df -Pk /",
    "systemd": f"{SYSTEMD_PROBE} && echo yes",
    "ssh-connection": 'echo "$SSH_CONNECTION"',
    "pending": f"ls {markers.MARKER_DIR}",
    "apt-lists": apt.lists_age().argv[2],
}


def probe_command() -> Command:
    return probe.sections(FACTS_PROBE, privileged=False)


@dataclass(frozen=True)
class HostFacts:
    """Everything steps decide on, as last read."""

    os_id: str | None = None
    os_version: str | None = None
    codename: str | None = None
    kernel: str | None = None
    architecture: str | None = None
    cpus: int | None = None
    memory_mib: int | None = None
    disk_gib: int | None = None
    disk_free_mib: int | None = None
    disk_used_percent: float | None = None
    systemd: bool = False
    ssh_port: int | None = None
    pending: frozenset[str] = field(default_factory=frozenset)
    apt_lists_age: float | None = None
    docker_version: str | None = None

    def to_status(self) -> ServerFacts:
        return ServerFacts(
            os=self.os_id,
            os_version=self.os_version,
            kernel=self.kernel,
            architecture=self.architecture,
            cpus=self.cpus,
            memory_mi_b=self.memory_mib,
            disk_gi_b=self.disk_gib,
            docker_version=self.docker_version,
        )


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines of os-release(5); values may be quoted."""
    values = {}
    for line in text.splitlines():
        key, sep, raw = line.partition("=")
        if not sep or not key.strip() or key.strip().startswith("#"):
            continue
        try:
            parsed = shlex.split(raw)
        except ValueError:
            parsed = [raw.strip('"')]
        values[key.strip()] = parsed[0] if parsed else ""
    return values


def parse_facts(output: str) -> HostFacts:
    """HostFacts from the probe's output; a missing section leaves its field unset."""
    s = probe.parse_sections(output)
    release = parse_os_release(s.get("os-release", ""))
    total_kib, used_kib, free_kib = _df(s.get("disk", ""))
    return HostFacts(
        os_id=release.get("ID") or None,
        os_version=release.get("VERSION_ID") or None,
        codename=release.get("VERSION_CODENAME") or None,
        kernel=s.get("kernel", "").strip() or None,
        architecture=s.get("arch", "").strip() or None,
        cpus=_int(s.get("cpus", "")),
        memory_mib=_meminfo_mib(s.get("memory", "")),
        disk_gib=None if total_kib is None else total_kib // (1024 * 1024),
        disk_free_mib=None if free_kib is None else free_kib // 1024,
        disk_used_percent=None if not total_kib or used_kib is None else round(100.0 * used_kib / (used_kib + (free_kib or 0)), 1),
        systemd=s.get("systemd", "").strip() == "yes",
        ssh_port=_ssh_port(s.get("ssh-connection", "")),
        pending=frozenset(n[: -len(".pending")] for n in s.get("pending", "").split() if n.endswith(".pending")),
        apt_lists_age=apt.parse_lists_age(s.get("apt-lists", "")),
    )


def parse_docker_version(output: str) -> str | None:
    text = output.strip()
    return text.splitlines()[0] if text else None


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def _meminfo_mib(text: str) -> int | None:
    parts = text.split()
    return int(parts[1]) // 1024 if len(parts) >= 2 and parts[1].isdigit() else None


def _df(text: str) -> tuple[int | None, int | None, int | None]:
    """Total, used, available KiB of the last line of `df -Pk`."""
    lines = text.strip().splitlines()
    parts = lines[-1].split() if len(lines) >= 2 else []
    if len(parts) >= 4 and all(p.isdigit() for p in parts[1:4]):
        return int(parts[1]), int(parts[2]), int(parts[3])
    return None, None, None


def _ssh_port(text: str) -> int | None:
    """The server-side port of `$SSH_CONNECTION` (client_ip client_port server_ip server_port)."""
    parts = text.split()
    return int(parts[3]) if len(parts) == 4 and parts[3].isdigit() else None
