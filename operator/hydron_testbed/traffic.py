"""HTTP through a server's reverse proxy, as users send it: one GET, or a constant load."""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field

from hydron_testbed.hello_app import DOMAIN


def get(address: str, path: str = "/", host: str = DOMAIN, timeout: float = 10) -> tuple[int, str]:
    """GET `path` on port 80 of `address` for the site `host`: (status, body)."""
    conn = http.client.HTTPConnection(address, 80, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Host": host})
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


@dataclass
class Load:
    """GETs through the proxy from a thread at a constant rate until stopped (bounded
    count). Each request opens a new connection; the pacing keeps the client's own
    ephemeral ports from running out (TIME_WAIT), which would be a failure of the
    load generator, not of the server."""

    address: str
    limit: int = 20000
    rate: float = 100.0
    """Requests per second (at most)."""
    host: str = DOMAIN
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    bodies: set[str] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> "Load":
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        next_at = time.monotonic()
        for _ in range(self.limit):
            # Pacing the generator (not synchronisation): wait for the next slot or stop.
            if self._stop.wait(max(0.0, next_at - time.monotonic())):
                return
            next_at += 1 / self.rate
            try:
                status, body = get(self.address, host=self.host)
            except OSError as error:
                self.failures.append(f"{type(error).__name__}: {error}")
                continue
            if status == 200:
                self.ok += 1
                self.bodies.add(body)
            else:
                self.failures.append(f"HTTP {status}: {body[:200]}")

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
