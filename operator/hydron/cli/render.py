"""Text building blocks for `kubectl hydron`: colour, tables, durations, JSON/YAML.

Pure functions: a caller decides whether colour is on (a TTY and no NO_COLOR) and
passes a Style, so rendering is tested by plain string comparison.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

import yaml

ANSI = re.compile(r"\x1b\[[0-9;]*m")
CODES = {"green": "32", "red": "31", "yellow": "33", "cyan": "36", "dim": "2", "bold": "1"}
STATUS_COLOURS = {"True": "green", "False": "red", "Unknown": "yellow"}
STATE_COLOURS = {
    "Succeeded": "green", "Healthy": "green", "Active": "green",
    "Failed": "red", "Unhealthy": "red", "RolledBack": "red",
    "Running": "cyan", "Building": "cyan", "Starting": "cyan",
    "Pending": "dim", "Skipped": "dim", "Superseded": "dim", "Stopped": "dim",
}


@dataclass(frozen=True)
class Style:
    """Colour on or off; every coloured word goes through here."""

    colour: bool = False

    def paint(self, text: str, colour: str | None) -> str:
        if not self.colour or not colour or not text:
            return text
        return f"\x1b[{CODES[colour]}m{text}\x1b[0m"

    def status(self, value: str) -> str:
        """A condition status (True/False/Unknown) in its colour."""
        return self.paint(value, STATUS_COLOURS.get(value))

    def state(self, value: str) -> str:
        """A step, release or service state in its colour."""
        return self.paint(value, STATE_COLOURS.get(value))

    def bold(self, text: str) -> str:
        return self.paint(text, "bold")


PLAIN = Style(False)


def wants_colour(stream: TextIO, environ: Mapping[str, str] = os.environ) -> bool:
    """Colour only for a person at a terminal who did not opt out (https://no-color.org)."""
    return "NO_COLOR" not in environ and hasattr(stream, "isatty") and stream.isatty()


def visible_len(text: str) -> int:
    return len(ANSI.sub("", text))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], indent: str = "") -> str:
    """Columns padded to their widest visible cell (colour codes do not count), kubectl style."""
    if not rows:
        return ""
    all_rows = [list(headers), *[list(r) for r in rows]]
    widths = [max(visible_len(r[i]) for r in all_rows) for i in range(len(headers))]
    lines = []
    for row in all_rows:
        cells = [cell + " " * (widths[i] - visible_len(cell)) for i, cell in enumerate(row)]
        lines.append((indent + "   ".join(cells)).rstrip())
    return "\n".join(lines) + "\n"


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def duration(seconds: float | None) -> str:
    """kubectl's compact form: 45s, 3m12s, 2h5m, 4d3h."""
    if seconds is None:
        return ""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60}s" if s % 60 else f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60}m" if s % 3600 // 60 else f"{s // 3600}h"
    return f"{s // 86400}d{s % 86400 // 3600}h" if s % 86400 // 3600 else f"{s // 86400}d"


def span(start: str | None, end: str | None, now: datetime) -> str:
    """How long something took, or has been running when it has not ended."""
    began = parse_time(start)
    if began is None:
        return ""
    return duration(((parse_time(end) or now) - began).total_seconds())


def age(timestamp: str | None, now: datetime) -> str:
    began = parse_time(timestamp)
    return duration((now - began).total_seconds()) if began else ""


def utcnow() -> datetime:
    return datetime.now(UTC)


def dump(data: Any, fmt: str) -> str:
    """Machine-readable output for scripts: json or yaml."""
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=False, default=str) + "\n"
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True)


def condition(obj: Mapping[str, Any] | None, type_: str) -> dict[str, Any] | None:
    """The condition of this type in an object's status, if any."""
    for c in ((obj or {}).get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


def short(text: str | None, limit: int = 80) -> str:
    """One line, cut to `limit` characters for table cells."""
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
