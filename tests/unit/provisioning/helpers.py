"""A StepContext over a FakeServer, for unit tests of the engine and of steps."""

from __future__ import annotations

from hydron.api.server import ServerSpec
from hydron.provisioning.facts import HostFacts
from hydron.provisioning.osprofile import profile_for
from hydron.provisioning.settings import ProvisioningSettings
from hydron.provisioning.step import StepContext
from hydron.remote.builders.services import Detached
from hydron.remote.runner import CommandRunner

from tests.unit.provisioning.fakes import FakeServer


def context(server: FakeServer | None = None, *, observe_only: bool = False, login=None, **facts) -> StepContext:
    async def login_ok() -> None:
        return None

    spec = ServerSpec.model_validate({"address": "203.0.113.10", "sshKeySecretRef": {"name": "k", "key": "ssh-privatekey"}})
    return StepContext(
        run=CommandRunner(server or FakeServer(), "root", observe_only=observe_only),
        facts=HostFacts(**{"os_id": "debian", "os_version": "12", "apt_lists_age": 60.0, **facts}),
        os=profile_for("debian", "12"),
        services=Detached(),
        spec=spec,
        settings=ProvisioningSettings(),
        check_new_login=login or login_ok,
    )
