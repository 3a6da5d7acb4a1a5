"""A scripted stand-in for a server's SSH session, for unit tests of runner and steps."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from hydron.remote.command import CommandResult


@dataclass
class Reply:
    stdout: str = ""
    exit: int = 0
    stderr: str = ""


class FakeServer:
    """Answers command lines with the most recently added matching rule (regex search
    over the shell-quoted line); records every line and any stdin it was given."""

    def __init__(self) -> None:
        self.rules: list[tuple[re.Pattern[str], Reply | Callable[[str], Reply]]] = []
        self.lines: list[str] = []
        self.inputs: dict[str, bytes] = {}

    def on(self, pattern: str, reply: Reply | Callable[[str], Reply] | None = None, **kwargs) -> FakeServer:
        self.rules.append((re.compile(pattern), reply if reply is not None else Reply(**kwargs)))
        return self

    def ran(self, pattern: str) -> list[str]:
        return [line for line in self.lines if re.search(pattern, line)]

    async def exec(self, command_line, *, input=None, on_line=None, timeout=None) -> CommandResult:
        self.lines.append(command_line)
        if isinstance(input, bytes):
            self.inputs[command_line] = input
        reply = Reply()
        for pattern, answer in reversed(self.rules):
            if pattern.search(command_line):
                reply = answer(command_line) if callable(answer) else answer
                break
        if on_line is not None:
            for line in reply.stdout.splitlines():
                on_line("stdout", line)
        return CommandResult(reply.exit, reply.stdout, reply.stderr)
