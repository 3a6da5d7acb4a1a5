"""Waiting for something to become true, with a deadline (never a fixed sleep)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def eventually(check: Callable[[], bool], timeout: float = 60.0, interval: float = 0.2) -> None:
    """Poll check() (in a thread: it may block) until it holds; AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        if await asyncio.to_thread(check):
            return
        if time.monotonic() >= deadline:
            raise AssertionError("condition not reached before the deadline")
        await asyncio.sleep(interval)
