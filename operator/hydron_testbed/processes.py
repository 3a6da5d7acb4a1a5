"""Stopping the test bed's local daemons (named, pebble): politely, then for sure."""

from __future__ import annotations

import subprocess


def stop_process(process: subprocess.Popen | None, grace: float = 10) -> None:
    """SIGTERM, and SIGKILL if it is still there after `grace` seconds; None or an
    exited process is left alone."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
