"""A remote command as data: its argv and whether it changes the server.

Builders return `Command`s and do no I/O. The `mutates` flag is what lets the runner
count changing commands (zero on a no-change reconcile) and refuse them outright
under `management: ObserveOnly`. Input that may be sensitive or large travels on
stdin, never in argv, so argv is always safe to log.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

from hydron.remote.errors import CommandFailed

ROOT = "root"
SUDO = ("sudo", "-n", "--")


@dataclass(frozen=True)
class Command:
    """One process to run on the server."""

    argv: tuple[str, ...]
    mutates: bool = False
    ok_exit: frozenset[int] = field(default=frozenset({0}))
    privileged: bool = True
    """Run as root (through `sudo -n` when the SSH user is not root)."""
    sensitive: bool = False
    """Its output may hold secrets (a file of registry logins): never passed to line
    callbacks (logs) nor copied into errors."""
    stdin: bytes | None = field(default=None, repr=False, compare=False)
    """What to send on stdin unless the caller gives other input (files.write)."""
    failures: tuple[tuple[int, type[CommandFailed]], ...] = ()
    """(exit status, CommandFailed subclass) for exits that mean something specific."""

    def line(self) -> str:
        """The shell-quoted command line sent to the server."""
        return shlex.join(self.argv)

    def accepts(self, exit_status: int | None) -> bool:
        return exit_status in self.ok_exit

    def failure_for(self, exit_status: int | None) -> type[CommandFailed]:
        """The error class for a refused exit status (CommandFailed unless named)."""
        return next((error for status, error in self.failures if status == exit_status), CommandFailed)


def observe(*argv: str, ok_exit: Iterable[int] = (0,), privileged: bool = True) -> Command:
    """A command that only reads."""
    return Command(tuple(argv), mutates=False, ok_exit=frozenset(ok_exit), privileged=privileged)


def mutate(*argv: str, ok_exit: Iterable[int] = (0,)) -> Command:
    """A command that changes the server."""
    return Command(tuple(argv), mutates=True, ok_exit=frozenset(ok_exit))


def shell(script: str, *args: str, mutates: bool = False, ok_exit: Iterable[int] = (0,), privileged: bool = True) -> Command:
    """`sh -c SCRIPT sh ARGS...`: values reach the script as "$1"... never spliced into
    its text, so they need no quoting."""
    return Command(("sh", "-c", script, "sh", *args), mutates=mutates, ok_exit=frozenset(ok_exit), privileged=privileged)


def with_privilege(command: Command, user: str) -> tuple[str, ...]:
    """The argv to send for `user`: unchanged for root, else behind `sudo -n` (never
    prompts: a sudo that wants a password fails at once with a clear message)."""
    if not command.privileged or user == ROOT:
        return command.argv
    return (*SUDO, *command.argv)


@dataclass(frozen=True)
class CommandResult:
    """What a finished command left behind."""

    exit_status: int | None
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_status == 0
