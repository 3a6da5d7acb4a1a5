"""The shape of a provisioning step: observe → change if needed → verify.

A step does one job. `observe` only reads and says whether the server is already as
wanted; `change` is called only when it is not; `verify` reads again and must find
it so. A step that finds its pending marker (an earlier run died inside `change`)
gets `recover` first, to finish or undo what was half done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hydron.api.server import ServerSpec
from hydron.provisioning.facts import HostFacts
from hydron.provisioning.osprofile import OsProfile
from hydron.provisioning.settings import ProvisioningSettings
from hydron.remote.builders.services import ServiceManager
from hydron.remote.keys import ReadSecret
from hydron.remote.runner import CommandRunner


@dataclass(frozen=True)
class Observation:
    """What a step found: whether it is as wanted, in words, and findings for `change`."""

    ok: bool
    detail: str
    data: Any = None


@dataclass
class StepContext:
    """Everything a step may use: the runner and what is known of the server."""

    run: CommandRunner
    facts: HostFacts
    os: OsProfile
    services: ServiceManager
    spec: ServerSpec
    settings: ProvisioningSettings
    check_new_login: Callable[[], Awaitable[None]]
    """Log in on a brand-new connection; raises if the server no longer lets us in."""
    acme_root_pem: str | None = None
    read_secret: ReadSecret | None = None
    """Reads a key of a Secret in the Server's namespace (registry logins and CAs)."""
    read_config_map: ReadSecret | None = None
    """Reads a key of a ConfigMap in the Server's namespace (people's SSH keys)."""
    memo: dict[str, Any] = field(default_factory=dict)
    """Per-run scratch shared by steps (e.g. apt lists already refreshed)."""


class Step:
    """Base class; subclasses set `name` and implement the three phases."""

    name: ClassVar[str]
    uses_marker: ClassVar[bool] = True

    def skip_reason(self, ctx: StepContext) -> str | None:
        """Why this step does not apply to this server (None: it applies)."""
        return None

    def spec_problems(self, ctx: StepContext) -> str | None:
        """Parts of the spec this step set aside as invalid (None: none). The step still
        does the rest; it then ends Failed with this message, and later steps run."""
        return None

    async def observe(self, ctx: StepContext) -> Observation:
        raise NotImplementedError

    async def change(self, ctx: StepContext, found: Observation) -> str:
        """Make the server as wanted; return what was done, for a person."""
        raise NotImplementedError

    async def verify(self, ctx: StepContext) -> Observation:
        return await self.observe(ctx)

    async def recover(self, ctx: StepContext) -> None:
        """Called when an earlier run died inside `change`; by default the usual
        observe → change path converges on its own."""
