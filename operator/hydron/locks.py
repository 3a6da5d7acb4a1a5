"""One lock per object, kept only while a pass holds or waits for it.

A plain table of locks keyed by every object the operator ever handled grows with
objects created and deleted and never shrinks; this one is empty whenever the
operator is idle, whatever the number of objects.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Entry:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0
    """Passes holding or waiting for the lock: the entry goes when the last one leaves."""


class ObjectLocks:
    """Locks by key (e.g. "Kind/namespace/name")."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def locked(self, key: str) -> bool:
        """A pass holds this object's lock now (a newer pass would have to wait)."""
        entry = self._entries.get(key)
        return entry is not None and entry.lock.locked()

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        entry = self._entries.setdefault(key, _Entry())
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if not entry.users:
                del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))
