"""Resource usage from /proc and df: one unprivileged command, parsed by pure functions.

CPU percent is the busy share of all CPUs over a short window (two samples of
/proc/stat's first line), so it needs no agent and no state between calls.
"""

from __future__ import annotations

from dataclasses import dataclass

from hydron.remote.builders import probe
from hydron.remote.command import Command

CPU_WINDOW_S = 0.25

USAGE_PROBE = {
    "stat1": "head -n 1 /proc/stat",
    "stat2": f"sleep {CPU_WINDOW_S}; head -n 1 /proc/stat",
    "memory": "grep -E '^(MemTotal|MemAvailable):' /proc/meminfo",
    "disk": "df -Pk /",
}


def probe_command() -> Command:
    return probe.sections(USAGE_PROBE, privileged=False)


@dataclass(frozen=True)
class Usage:
    cpu_percent: float | None
    memory_used_mib: int | None
    disk_used_percent: float | None


def cpu_times(line: str) -> tuple[int, int] | None:
    """(busy, total) jiffies from `cpu user nice system idle iowait irq softirq steal ...`."""
    parts = line.split()
    if len(parts) < 5 or parts[0] != "cpu":
        return None
    values = [int(v) for v in parts[1:9] if v.isdigit()]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values)
    return total - idle, total


def cpu_percent(first: str, second: str) -> float | None:
    a, b = cpu_times(first), cpu_times(second)
    if a is None or b is None or b[1] <= a[1]:
        return None
    return round(100.0 * (b[0] - a[0]) / (b[1] - a[1]), 1)


def memory_used_mib(meminfo: str) -> int | None:
    values = {}
    for line in meminfo.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[key.strip()] = int(parts[0])
    if "MemTotal" not in values or "MemAvailable" not in values:
        return None
    return (values["MemTotal"] - values["MemAvailable"]) // 1024


def disk_used_percent(df: str) -> float | None:
    lines = df.strip().splitlines()
    parts = lines[-1].split() if len(lines) >= 2 else []
    if len(parts) < 4 or not parts[2].isdigit() or not parts[3].isdigit():
        return None
    used, free = int(parts[2]), int(parts[3])
    return round(100.0 * used / (used + free), 1) if used + free else None


def parse_usage(output: str) -> Usage:
    s = probe.parse_sections(output)
    return Usage(
        cpu_percent=cpu_percent(s.get("stat1", ""), s.get("stat2", "")),
        memory_used_mib=memory_used_mib(s.get("memory", "")),
        disk_used_percent=disk_used_percent(s.get("disk", "")),
    )
