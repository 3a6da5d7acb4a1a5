"""What the monitoring agent's readings become for a person: DiskPressure and
MemoryPressure on the Server, Restarting on the Deployment."""

from __future__ import annotations

from hydron.api.deployment import DeploymentStatus, ServiceStatus
from hydron.api.server import ResourceUsage, ServerStatus
from hydron.controllers.deployment import health_condition
from hydron.controllers.server import pressure_conditions


def condition(status, type_):
    return next(c for c in status.conditions if c.type == type_)


def test_a_nearly_full_disk_and_memory_pressure_become_conditions_that_clear():
    full = pressure_conditions(ServerStatus(), ResourceUsage(disk_used_percent=93.5, memory_used_mi_b=3900,
                                                             memory_total_mi_b=4096), 1)
    disk, memory = condition(full, "DiskPressure"), condition(full, "MemoryPressure")
    assert (disk.status, disk.reason) == ("True", "DiskNearlyFull") and "93.5%" in disk.message
    assert (memory.status, memory.reason) == ("True", "MemoryPressure") and "4096 MiB" in memory.message
    calm = pressure_conditions(full, ResourceUsage(disk_used_percent=40, memory_used_mi_b=1000, memory_total_mi_b=4096), 1)
    assert condition(calm, "DiskPressure").status == "False" and condition(calm, "MemoryPressure").status == "False"
    assert calm.usage.disk_used_percent == 40


def test_unknown_readings_set_no_condition():
    assert pressure_conditions(ServerStatus(), ResourceUsage(), 1).conditions == []


def service(name: str, restarts: int) -> ServiceStatus:
    return ServiceStatus.model_validate({"name": name, "state": "Healthy", "restarts": restarts})


def test_a_service_restarting_since_its_release_is_a_condition():
    restarting = health_condition(DeploymentStatus(), [service("web", 0), service("worker", 3)], 1)
    found = condition(restarting, "Restarting")
    assert (found.status, found.reason) == ("True", "ServiceRestarting") and "worker (3 time(s))" in found.message
    calm = health_condition(restarting, [service("web", 0), service("worker", 0)], 1)
    assert condition(calm, "Restarting").status == "False"
