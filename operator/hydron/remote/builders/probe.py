"""Several reads in one round trip: each section's output follows a marker line.

A no-change reconcile is mostly observation; batching the reads keeps it to a few
round trips instead of dozens.
"""

from __future__ import annotations

from collections.abc import Mapping

from hydron.remote.command import Command, shell

MARKER = "@@hydron-section "


def sections(parts: Mapping[str, str], *, privileged: bool = True) -> Command:
    """One observe command running each shell snippet under its section name. A
    failing snippet leaves its section empty; the probe itself always succeeds."""
    script = "; ".join(f"echo '{MARKER}{name}'; {{ {snippet}; }} 2>/dev/null" for name, snippet in parts.items())
    return shell(script + "; true", privileged=privileged)


def parse_sections(output: str) -> dict[str, str]:
    """Section name → its output (without the trailing newline)."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        if line.startswith(MARKER):
            current = found.setdefault(line[len(MARKER):].strip(), [])
        elif current is not None:
            current.append(line)
    return {name: "\n".join(lines) for name, lines in found.items()}
