"""sshd's own checks: syntax (`-t`) and the effective configuration (`-T`)."""

from __future__ import annotations

from hydron.remote.command import Command, observe


def check_config() -> Command:
    """Fails (and prints why) if sshd would not start with the configuration on disk."""
    return observe("sshd", "-t")


def effective_config() -> Command:
    """Every setting sshd would use, lowercased `keyword value` lines."""
    return observe("sshd", "-T")


def parse_effective(output: str) -> dict[str, str]:
    settings: dict[str, str] = {}
    for line in output.splitlines():
        keyword, _, value = line.strip().partition(" ")
        if keyword and keyword not in settings:
            settings[keyword.lower()] = value.strip()
    return settings
