"""What a running service looks like from outside: its state from Docker's view of the
container, and its CPU and memory from the engine's stats. Pure: the engine's
answers go in, ServiceStatus fields come out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hydron.deploy.containers import Observed


def state_of(container: Observed | None) -> str:
    """Stopped (gone or exited), Starting (health check still settling), Unhealthy
    (failing its health check, or restarting), else Healthy."""
    if container is None or (not container.running and container.exit_code is not None):
        return "Stopped"
    if not container.running or container.health == "unhealthy":
        return "Unhealthy"
    if container.health == "starting":
        return "Starting"
    return "Healthy"


def cpu_percent(stats: Mapping[str, Any]) -> float | None:
    """CPU use in percent of one CPU over the engine's sampling window (docker stats' formula)."""
    cpu, pre = stats.get("cpu_stats") or {}, stats.get("precpu_stats") or {}
    try:
        used = cpu["cpu_usage"]["total_usage"] - pre["cpu_usage"]["total_usage"]
        system = cpu["system_cpu_usage"] - pre["system_cpu_usage"]
    except (KeyError, TypeError):
        return None
    cpus = cpu.get("online_cpus") or len(cpu["cpu_usage"].get("percpu_usage") or []) or 1
    if system <= 0 or used < 0:
        return None
    return round(used / system * cpus * 100, 1)


def memory_mib(stats: Mapping[str, Any]) -> int | None:
    """Memory in use without the reclaimable page cache (what `docker stats` shows)."""
    memory = stats.get("memory_stats") or {}
    usage = memory.get("usage")
    if usage is None:
        return None
    details = memory.get("stats") or {}
    cache = details.get("inactive_file", details.get("total_inactive_file", 0))
    return max(0, usage - cache) // (1024 * 1024)
