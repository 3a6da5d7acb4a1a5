"""hello-node (examples/apps/hello-node), the app the deploy tests and benchmark roll
out: a Git repository of it where each release is a commit, and a Deployment of it."""

from __future__ import annotations

from pathlib import Path

from hydron.api.deployment import Deployment
from hydron_testbed import REPO
from hydron_testbed.git_server import WorkRepo

DOMAIN = "hello.localhost"
"""A `.localhost` name: Caddy issues it from its internal CA and never calls out to a
public ACME server."""
DOCKERFILE = 'FROM node:18-slim\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n'
HELLO = REPO / "examples" / "apps" / "hello-node"


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


def deployment(revision: str, *, retries: int = 30, **service) -> Deployment:
    """A Deployment of one service, `web`, built from the app at `revision` on Server `srv`;
    `service` adds or overrides the service's fields."""
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
