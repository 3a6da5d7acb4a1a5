"""How much CPU, memory and disk an application needs: a small, explainable model.

Numbers are typical resident sizes of a modest production process of each runtime
(one worker pool, light traffic), not benchmarks. They are deliberately simple so the
rationale can show its arithmetic, and so a person can correct one service with an
override instead of arguing with a formula.

    steady = system overhead + Σ services + Σ databases
    peak   = steady + the largest image build (builds run on the server)
    need   = max(steady × (1 + headroom), peak)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hydron.analysis.models import Analysis, BackingService, Service

HEADROOM = 0.25
"""Spare memory and CPU on top of the steady state, for traffic spikes and growth."""


@dataclass(frozen=True)
class Footprint:
    cpus: float
    memory_mib: int
    disk_gib: int = 0  # data volumes (databases) or image size (services)
    build_memory_mib: int = 0  # what `docker build` of this service needs at its peak


# The host itself: OS 512, Docker engine 256, reverse proxy 64, monitoring agent 32.
SYSTEM = Footprint(cpus=0.25, memory_mib=864, disk_gib=8)
SYSTEM_PARTS = "OS, Docker, proxy and monitoring agent"
BUILD_CACHE_GIB = 8
RELEASES_KEPT = 2

_DEFAULT = Footprint(cpus=0.25, memory_mib=256, disk_gib=1, build_memory_mib=1024)
# (language, framework) → footprint; framework None is the language's default.
_RUNTIMES: dict[tuple[str, str | None], Footprint] = {
    ("node", None): Footprint(0.25, 256, 1, 1024),
    ("node", "Next.js"): Footprint(0.5, 512, 1, 2048),
    ("node", "Nuxt"): Footprint(0.5, 384, 1, 2048),
    ("node", "Remix"): Footprint(0.5, 384, 1, 1536),
    ("node", "SvelteKit"): Footprint(0.5, 384, 1, 1536),
    ("node", "NestJS"): Footprint(0.25, 320, 1, 1536),
    ("bun", None): Footprint(0.25, 192, 1, 1024),
    ("python", None): Footprint(0.25, 256, 1, 768),
    ("python", "Django"): Footprint(0.5, 384, 1, 768),
    ("python", "Celery"): Footprint(0.5, 384, 1, 768),
    ("python", "Streamlit"): Footprint(0.5, 512, 1, 768),
    ("ruby", None): Footprint(0.5, 384, 1, 1024),
    ("ruby", "Rails"): Footprint(0.5, 512, 1, 1536),
    ("go", None): Footprint(0.1, 64, 1, 1024),
    ("rust", None): Footprint(0.1, 64, 1, 2048),
    ("java", None): Footprint(0.5, 768, 1, 2048),
    ("java", "Quarkus"): Footprint(0.5, 384, 1, 2048),
    ("php", None): Footprint(0.25, 256, 1, 512),
    ("dotnet", None): Footprint(0.25, 256, 1, 1536),
    ("elixir", None): Footprint(0.25, 256, 1, 1536),
}
_STATIC = Footprint(0.05, 32, 1, 1024)
_JOB = Footprint(0.0, 0, 0, 0)  # runs to completion before a release; not part of the steady state

BACKING: dict[str, Footprint] = {
    "postgres": Footprint(0.5, 512, 5),
    "mysql": Footprint(0.5, 768, 5),
    "mariadb": Footprint(0.5, 512, 5),
    "mongodb": Footprint(0.5, 1024, 5),
    "redis": Footprint(0.1, 128, 1),
    "memcached": Footprint(0.1, 128, 0),
    "rabbitmq": Footprint(0.25, 512, 2),
    "kafka": Footprint(1.0, 1536, 20),
    "nats": Footprint(0.1, 64, 1),
    "elasticsearch": Footprint(1.0, 2048, 20),
    "opensearch": Footprint(1.0, 2048, 20),
    "clickhouse": Footprint(1.0, 2048, 20),
    "minio": Footprint(0.25, 512, 50),
    "libsql": Footprint(0.25, 256, 5),
}


def service_footprint(service: Service) -> Footprint:
    """What one service needs while running (and to build its image)."""
    if service.role.value == "job":
        return _JOB
    if service.role.value == "static":
        return _STATIC
    language = service.language.name if service.language else None
    if language == "kotlin":
        language = service.language.runtime or language
    framework = service.framework.name if service.framework else None
    return _RUNTIMES.get((language, framework)) or _RUNTIMES.get((language, None)) or _DEFAULT


def backing_footprint(backing: BackingService) -> Footprint:
    return BACKING.get(backing.kind, _DEFAULT)


@dataclass(frozen=True)
class Need:
    """The application's total need, with the parts the rationale quotes."""

    cpus: float
    memory_mib: int
    disk_gib: int
    services_memory_mib: int
    backing_memory_mib: int
    system_memory_mib: int
    build_memory_mib: int
    steady_memory_mib: int
    steady_cpus: float


def total_need(services: list[tuple[Service, Footprint]], backing: list[tuple[BackingService, Footprint]]) -> Need:
    """Add up footprints: steady state with headroom, or steady state plus the largest build."""
    services_mem = sum(f.memory_mib for _, f in services)
    backing_mem = sum(f.memory_mib for _, f in backing)
    steady_mem = SYSTEM.memory_mib + services_mem + backing_mem
    steady_cpu = SYSTEM.cpus + sum(f.cpus for _, f in services) + sum(f.cpus for _, f in backing)
    build_mem = max((f.build_memory_mib for _, f in services), default=0)
    memory = max(math.ceil(steady_mem * (1 + HEADROOM)), steady_mem + build_mem)
    cpus = max(1.0, round(steady_cpu * (1 + HEADROOM), 2))
    images = sum(f.disk_gib for _, f in services) * RELEASES_KEPT
    disk = SYSTEM.disk_gib + BUILD_CACHE_GIB + images + sum(f.disk_gib for _, f in backing)
    return Need(cpus=cpus, memory_mib=memory, disk_gib=disk, services_memory_mib=services_mem,
                backing_memory_mib=backing_mem, system_memory_mib=SYSTEM.memory_mib, build_memory_mib=build_mem,
                steady_memory_mib=steady_mem, steady_cpus=round(steady_cpu, 2))


def analysis_need(analysis: Analysis, deployed: set[str] | None = None) -> Need:
    """The need of the services (all, or those named in `deployed`) and the databases they use."""
    services = [(s, service_footprint(s)) for s in analysis.services if deployed is None or s.name in deployed]
    backing = [(b, backing_footprint(b)) for b in analysis.databases]
    return total_need(services, backing)
