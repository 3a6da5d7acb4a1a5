"""Reads a Procfile: one process type per line, e.g. `web: gunicorn app:app` and `worker: celery ...`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .evidence import SourceText
from .models import Role

_LINE = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)[ \t]*:[ \t]*(?P<command>\S.*?)[ \t]*$", re.MULTILINE)
_MAX_PROCESSES = 20


@dataclass(frozen=True)
class Process:
    name: str
    command: str
    line: int

    @property
    def role(self) -> Role:
        """Heroku's conventions: web gets traffic, release runs once per deploy, the rest run in the background."""
        if self.name == "web":
            return "web"
        if self.name in ("release", "migrate", "cron") or self.name.startswith("cron"):
            return "job"
        return "worker"


def parse(source: SourceText) -> list[Process]:
    return [
        Process(m.group("name"), m.group("command"), source.line_of(m.start()))
        for m in list(source.matches(_LINE))[:_MAX_PROCESSES]
    ]
