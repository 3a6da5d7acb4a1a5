"""A provisioned server (once per module) and a Git checkout of hello-node to deploy."""

from __future__ import annotations

import http.client
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hydron.api.deployment import Deployment
from tests.integration.provisioning.conftest import (  # noqa: F401 - hosts and runtime are fixtures
    condition,
    hosts,
    make_runtime,
    run_reconcile,
    runtime,
    with_status,
)
from tests.support.docker_bed import REPO_ROOT
from tests.support.git_server import WorkRepo

DOMAIN = "hello.localhost"
"""A `.localhost` name: Caddy issues it from its internal CA and never calls out to a
public ACME server."""
DOCKERFILE = 'FROM node:18-slim\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n'
HELLO = REPO_ROOT / "examples" / "apps" / "hello-node"


@dataclass
class Provisioned:
    host: object
    server: object
    runtime: object


@pytest.fixture(scope="module")
async def provisioned(hosts, docker_client):
    (host,) = hosts(1)
    runtime = make_runtime(docker_client)
    server = host.server(baseImages=["node:18-slim"])
    first = await run_reconcile(host, server, runtime)
    assert condition(first, "Ready").status == "True", first.status.conditions
    yield Provisioned(host, with_status(server, first), runtime)
    await runtime.pool.close()


class App:
    """hello-node in a Git repository; each `release(greeting)` is a new commit."""

    def __init__(self, path: Path) -> None:
        self.repo = WorkRepo(path)
        for name in ("package.json", "server.js"):
            self.repo.write(name, (HELLO / name).read_text())
        self.server_js = (HELLO / "server.js").read_text()

    def release(self, greeting: str, server_js: str | None = None) -> str:
        text = server_js if server_js is not None else self.server_js.replace('"Hello from Hydron"', f'"{greeting}"')
        self.repo.write("server.js", text)
        return self.repo.commit(f"release {greeting}")

    @property
    def path(self) -> Path:
        return self.repo.path


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> App:
    return App(tmp_path_factory.mktemp("hello-node") / "repo")


def deployment(revision: str, *, retries: int = 30, **service) -> Deployment:
    base = {
        "name": "web",
        "build": {"context": ".", "dockerfile": DOCKERFILE},
        "port": 3000,
        "domains": [DOMAIN],
        "healthCheck": {"path": "/health", "intervalSeconds": 1, "retries": retries},
        "env": [{"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hello-secrets", "key": "token"}}}],
    }
    return Deployment.model_validate({
        "spec": {"serverRef": {"name": "srv"}, "applicationRef": {"name": "hello"}, "sourceRevision": revision,
                 "services": [{**base, **service}]}
    })


def get(address: str, host: str = DOMAIN, timeout: float = 10) -> tuple[int, str]:
    conn = http.client.HTTPConnection(address, 80, timeout=timeout)
    try:
        conn.request("GET", "/", headers={"Host": host})
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
                status, body = get(self.address)
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
