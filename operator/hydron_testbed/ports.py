"""Loopback ports for the test bed's servers: a free one, a closed one, waiting for one."""

from __future__ import annotations

import socket
import subprocess
import threading
import time

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A loopback port nothing listens on right now (the kernel picked it)."""
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def closed_port() -> int:
    """A loopback port that was free a moment ago and has no listener: a refused connection."""
    return free_port()


def wait_for_port(port: int, deadline: float, proc: subprocess.Popen | None = None) -> None:
    """Poll until ``port`` accepts a connection; fail early if ``proc`` exits."""
    while True:
        try:
            with socket.create_connection((LOOPBACK, port), timeout=0.5):
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing listens on {LOOPBACK}:{port}")
        if proc is not None:
            try:
                proc.wait(timeout=0.05)  # doubles as the pause between polls
                raise RuntimeError(f"server exited with {proc.returncode} before listening on port {port}")
            except subprocess.TimeoutExpired:
                pass
        else:
            threading.Event().wait(0.05)  # poll interval, not synchronisation
