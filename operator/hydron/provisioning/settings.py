"""Operator-wide provisioning settings (not per Server: those live in the spec)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hydron.remote.images import ImageSource, RegistryPull


@dataclass(frozen=True)
class ProvisioningSettings:
    image_source: ImageSource = field(default_factory=RegistryPull)
    """Where base images come from: the server pulls them (default), or another source."""
    apt_lists_max_age: float = 24 * 3600
    """Refresh apt's package lists when older than this (seconds) before looking for
    security updates; a fresh cloud image often has none at all."""
    min_free_disk_mib: int = 1024
    """Below this much free space on / nothing is installed: Provisioned=False, DiskFull."""
    compose: bool = True
    """Install Docker Compose with the engine, for people who SSH in and use it."""
    log_max_size: str = "10m"
    log_max_files: int = 5
    daemon_start_timeout: float = 60.0
    """How long a started daemon may take to answer (docker info, Caddy's admin API)."""
