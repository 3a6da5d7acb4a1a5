"""The provisioning steps, in the order they run (later steps rely on earlier ones:
the log settings exist before Docker first starts, the firewall before anything
listens, Caddy before its certificates)."""

from __future__ import annotations

from hydron.provisioning.step import Step
from hydron.provisioning.steps.authorized_keys import AuthorizedKeys
from hydron.provisioning.steps.base_images import BaseImages
from hydron.provisioning.steps.certificates import Certificates
from hydron.provisioning.steps.docker_engine import DockerEngine
from hydron.provisioning.steps.firewall import Firewall
from hydron.provisioning.steps.log_collection import LogCollection
from hydron.provisioning.steps.monitoring import MonitoringAgent
from hydron.provisioning.steps.registries import Registries
from hydron.provisioning.steps.reverse_proxy import ReverseProxy
from hydron.provisioning.steps.security_updates import SecurityUpdates
from hydron.provisioning.steps.ssh_hardening import SshHardening

FACTS = "facts"
"""The first row of the table: read-only, run by the controller before any step."""

ALL: tuple[Step, ...] = (
    SecurityUpdates(),
    LogCollection(),
    DockerEngine(),
    Firewall(),
    SshHardening(),
    Registries(),
    BaseImages(),
    ReverseProxy(),
    Certificates(),
    MonitoringAgent(),
    AuthorizedKeys(),
)

NAMES: tuple[str, ...] = (FACTS, *(s.name for s in ALL))
