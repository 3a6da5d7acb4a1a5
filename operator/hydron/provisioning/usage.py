"""Resource usage from the node exporter the monitoring step installs, read over the
SSH connection (port 9100 stays closed): one unprivileged command, parsed by pure
functions. Before that step has run (or when the exporter is down) the same command's
/proc and df sections answer instead, and `source` says which one did.

CPU percent is the busy share of all CPUs over a short window (two samples of the
counters), so it needs no state between calls.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from prometheus_client.parser import text_string_to_metric_families

from hydron.remote.builders import probe
from hydron.remote.command import Command

CPU_WINDOW_S = 0.25
EXPORTER_URL = "http://localhost:9100/metrics"
# Only the families read here cross the connection (a full scrape is ~100 KB).
_FAMILIES = ("node_cpu_seconds_total|node_memory_MemTotal_bytes|node_memory_MemAvailable_bytes|"
             "node_filesystem_size_bytes|node_filesystem_avail_bytes|node_load1|node_load5|node_load15")
_SCRAPE = f"curl -sf --max-time 5 {EXPORTER_URL} | grep -E '^({_FAMILIES})[ {{]'"

USAGE_PROBE = {
    "exporter1": _SCRAPE,
    "exporter2": f"sleep {CPU_WINDOW_S}; {_SCRAPE}",
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
    memory_total_mib: int | None = None
    load: tuple[float, float, float] | None = None  # 1, 5 and 15 minutes
    source: str = "proc"  # node-exporter or proc


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


def memory_total_mib(meminfo: str) -> int | None:
    for line in meminfo.splitlines():
        key, _, rest = line.partition(":")
        if key.strip() == "MemTotal" and rest.split() and rest.split()[0].isdigit():
            return int(rest.split()[0]) // 1024
    return None


def disk_used_percent(df: str) -> float | None:
    lines = df.strip().splitlines()
    parts = lines[-1].split() if len(lines) >= 2 else []
    if len(parts) < 4 or not parts[2].isdigit() or not parts[3].isdigit():
        return None
    used, free = int(parts[2]), int(parts[3])
    return round(100.0 * used / (used + free), 1) if used + free else None


def exporter_samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Metric name → (labels, value) of each sample in exposition text."""
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def exporter_cpu_times(samples: dict) -> tuple[float, float] | None:
    """(busy, total) CPU seconds summed over every CPU and mode."""
    rows = samples.get("node_cpu_seconds_total", [])
    if not rows:
        return None
    total = sum(value for _, value in rows)
    idle = sum(value for labels, value in rows if labels.get("mode") in ("idle", "iowait"))
    return total - idle, total


def _one(samples: dict, name: str, **labels: str) -> float | None:
    return next((v for l, v in samples.get(name, []) if all(l.get(k) == w for k, w in labels.items())), None)


def exporter_usage(first: str, second: str) -> Usage | None:
    """Usage from two node-exporter scrapes; None when the exporter did not answer."""
    try:
        a, b = exporter_samples(first), exporter_samples(second)
    except ValueError:  # not exposition text
        return None
    total, available = _one(b, "node_memory_MemTotal_bytes"), _one(b, "node_memory_MemAvailable_bytes")
    if total is None:
        return None
    size, avail = _one(b, "node_filesystem_size_bytes", mountpoint="/"), _one(b, "node_filesystem_avail_bytes", mountpoint="/")
    times_a, times_b = exporter_cpu_times(a), exporter_cpu_times(b)
    cpu = None
    if times_a and times_b and times_b[1] > times_a[1]:
        cpu = round(100.0 * (times_b[0] - times_a[0]) / (times_b[1] - times_a[1]), 1)
    loads = [_one(b, f"node_load{n}") for n in (1, 5, 15)]
    return Usage(
        cpu_percent=cpu,
        memory_used_mib=int((total - available) // 2**20) if available is not None else None,
        disk_used_percent=round(100.0 * (size - avail) / size, 1) if size and avail is not None else None,
        memory_total_mib=int(total // 2**20),
        load=(loads[0], loads[1], loads[2]) if None not in loads else None,  # type: ignore[arg-type]
        source="node-exporter",
    )


def parse_usage(output: str) -> Usage:
    s = probe.parse_sections(output)
    from_proc = Usage(
        cpu_percent=cpu_percent(s.get("stat1", ""), s.get("stat2", "")),
        memory_used_mib=memory_used_mib(s.get("memory", "")),
        disk_used_percent=disk_used_percent(s.get("disk", "")),
        memory_total_mib=memory_total_mib(s.get("memory", "")),
    )
    from_exporter = exporter_usage(s.get("exporter1", ""), s.get("exporter2", ""))
    if from_exporter is None:
        return from_proc
    # The exporter skips overlay and similar root filesystems (containers): df still knows.
    return replace(from_exporter, **{k: getattr(from_proc, k) for k in ("cpu_percent", "memory_used_mib", "disk_used_percent")
                                     if getattr(from_exporter, k) is None})
