"""Build output kept on the server, written as it arrives, so `kubectl hydron logs
--build -f` can follow a build from any terminal (and read the last one later)
without going through the operator.

One file per service, replaced by each build: /var/lib/hydron/logs/<app>/build-<service>.log.
The build runs in a worker thread; lines cross to the event loop and down one SSH
channel (`cat` appending to the file) in order.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

from hydron.remote.command import shell
from hydron.remote.runner import CommandRunner

LOG_ROOT = "/var/lib/hydron/logs"
WRITE_TIMEOUT = 3600.0
"""A build may run this long; the channel closes with it."""


def build_log_path(app: str, service: str) -> str:
    return f"{LOG_ROOT}/{app}/build-{service}.log"


def write_file(path: str):
    """`cat` stdin into the file (dir 0700: build output can name internal hosts). Not
    files.write: that renames a finished file into place, and a follower must see
    this one grow."""
    return shell('umask 077 && mkdir -p "${1%/*}" && cat > "$1"', path, mutates=True)


class BuildLogWriter:
    """Thread-safe `line()`; nothing runs on the server until the first line, so a
    reconcile that builds nothing changes nothing."""

    def __init__(self, run: CommandRunner, path: str) -> None:
        self.run, self.path = run, path
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.task: asyncio.Task | None = None

    def line(self, text: str) -> None:
        self.loop.call_soon_threadsafe(self._put, (text.rstrip("\n") + "\n").encode("utf-8", "replace"))

    def _put(self, data: bytes) -> None:
        if self.task is None:
            self.task = self.loop.create_task(self.run.run(write_file(self.path), input=self._chunks(), timeout=WRITE_TIMEOUT))
        self.queue.put_nowait(data)

    async def _chunks(self):
        while (chunk := await self.queue.get()) is not None:
            yield chunk

    async def close(self) -> None:
        """Flush and close the file; a failure to keep the log never fails the build."""
        if self.task is None:
            return
        self.queue.put_nowait(None)
        with suppress(Exception):
            await self.task
