"""Run `Command`s on one server: privilege, the observe-only guard, counting, output.

Every command passes through here, which is what makes "a second reconcile with
nothing changed runs zero mutating commands" a number a test can read
(`CommandLog.mutations`) rather than a hope.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from hydron.remote.command import Command, CommandResult, with_privilege
from hydron.remote.errors import MutationRefused
from hydron.remote.session import Input, LineCallback

log = logging.getLogger(__name__)

OBSERVE_TIMEOUT = 60.0
MUTATE_TIMEOUT = 1800.0


class Executor(Protocol):
    """What runs a command line: a `Session`, or a unit test's fake."""

    async def exec(
        self, command_line: str, *, input: Input = None, on_line: LineCallback | None = None, timeout: float | None = None
    ) -> CommandResult: ...


@dataclass
class CommandLog:
    """What one operation ran: how many reads, and every changing command line."""

    observed: int = 0
    mutations: list[str] = field(default_factory=list)


class CommandRunner:
    """Runs commands for one operation on one server."""

    def __init__(
        self,
        executor: Executor,
        user: str = "root",
        *,
        observe_only: bool = False,
        on_line: LineCallback | None = None,
        record: CommandLog | None = None,
    ) -> None:
        self.executor = executor
        self.user = user
        self.observe_only = observe_only
        self.on_line = on_line
        self.log = record if record is not None else CommandLog()

    async def run(
        self,
        command: Command,
        *,
        input: Input = None,
        check: bool = True,
        timeout: float | None = None,
        on_line: LineCallback | None = None,
    ) -> CommandResult:
        """Run one command; raise CommandFailed on an exit status it does not accept."""
        display = self._account(command)
        result = await self.executor.exec(
            shlex.join(with_privilege(command, self.user)),
            input=input if input is not None else command.stdin,
            on_line=None if command.sensitive else _both(self.on_line, on_line),
            timeout=timeout or (MUTATE_TIMEOUT if command.mutates else OBSERVE_TIMEOUT),
        )
        if check and not command.accepts(result.exit_status):
            if command.sensitive:
                raise command.failure_for(result.exit_status)(
                    display, result.exit_status, "", "(output withheld: it may hold secrets)")
            raise command.failure_for(result.exit_status)(display, result.exit_status, result.stdout, result.stderr)
        return result

    def stream(self, command: Command) -> AsyncIterator[bytes]:
        """The command's stdout as raw bytes, as it comes (a tar stream to send elsewhere);
        counted and guarded like run(). The executor must be a Session."""
        self._account(command)
        return self.executor.read_chunks(shlex.join(with_privilege(command, self.user)))  # type: ignore[attr-defined]

    def _account(self, command: Command) -> str:
        """Count the command (refusing a change when observe-only); its display form."""
        display = describe(command) if not command.sensitive else f"{command.argv[0]} (arguments withheld: a secret)"
        if command.mutates:
            if self.observe_only:
                raise MutationRefused(f"observe-only: refused to run `{display}`")
            self.log.mutations.append(command.line() if not command.sensitive else display)
        else:
            self.log.observed += 1
        log.debug("run %s: %s", "change" if command.mutates else "observe", display)
        return display

    async def output(self, command: Command, **kwargs) -> str:
        """stdout of a command that must succeed."""
        return (await self.run(command, **kwargs)).stdout


def describe(command: Command, limit: int = 160) -> str:
    """A readable, bounded rendering of a command for logs and messages."""
    text = command.line()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _both(first: LineCallback | None, second: LineCallback | None) -> LineCallback | None:
    if first is None or second is None:
        return first or second

    def call(stream: str, line: str) -> None:
        first(stream, line)
        second(stream, line)

    return call
