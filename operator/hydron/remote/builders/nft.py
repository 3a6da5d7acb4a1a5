"""nftables: check a ruleset file, then load it."""

from __future__ import annotations

from hydron.remote.command import Command, mutate, observe


def check(path: str) -> Command:
    """Parse and validate a ruleset file against the kernel without applying it."""
    return observe("nft", "-c", "-f", path)


def load(path: str) -> Command:
    """Apply a ruleset file as one transaction: all of it, or nothing."""
    return mutate("nft", "-f", path)
