"""Wait for a server-side condition by polling it, with a deadline (daemons take a
moment to answer after they start)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def until(check: Callable[[], Awaitable[bool]], timeout: float, interval: float = 0.25) -> bool:
    """True as soon as `check()` is; False if the deadline passes first."""
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(interval)  # poll interval, bounded by the deadline above
