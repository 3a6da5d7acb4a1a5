"""What the whole-pipeline e2e tests share: an example app committed to a Git
repository served on loopback, and a fresh server whose own ACME CA (pebble) issues
the certificates, declared to the API server as a `Server` with its SSH key Secret."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.integration.provisioning.conftest import Host
from tests.support.acme import https_get, listener_certificate, start_pebble
from tests.support.controlplane import REPO
from tests.support.git_server import GitDaemon, WorkRepo


@contextmanager
def served_app(tmp_path: Path, source: Path, name: str) -> Iterator[tuple[WorkRepo, GitDaemon]]:
    """The files under `source`, committed on main and served by git daemon as NAME.git."""
    served = tmp_path / "served"
    served.mkdir()
    daemon = GitDaemon(served).start()
    try:
        work = WorkRepo(tmp_path / name)
        work.write_tree(source)
        work.commit(name)
        work.publish(daemon.root / f"{name}.git")
        yield work, daemon
    finally:
        daemon.stop()


@dataclass
class AcmeServer:
    """A fresh server with pebble on it, known to the API server as Server `name`."""

    name: str
    host: Host

    def pebble_root(self) -> str:
        """The root that signs the certificates pebble issues (clients trust this)."""
        return self.host.sh("curl -sS -k https://localhost:15000/roots/0")

    def https_get(self, timeout: float = 120) -> str:
        """GET https://DOMAIN/ through the server's proxy, verified against pebble's root."""
        return https_get(self.host.ip, self.pebble_root(), time.monotonic() + timeout)


def acme_server(kube, fresh_servers, docker_client, base_images: list[str], name: str = "srv") -> AcmeServer:
    """Start a fresh server and pebble on it, then apply a Server for it whose proxy orders from pebble."""
    fresh = fresh_servers(1)[0]
    host = Host(fresh, docker_client.containers.get(fresh.container_id))
    listener_cert, listener_key = listener_certificate()
    start_pebble(host, listener_cert, listener_key)  # the ACME CA, on the server itself

    kube.run("create", "secret", "generic", f"{name}-ssh", f"--from-literal=ssh-privatekey={fresh.private_key_pem}")
    kube.run("create", "secret", "generic", "pebble-root", f"--from-literal=ca.crt={listener_cert}")
    kube.apply(json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Server", "metadata": {"name": name},
        "spec": {"address": fresh.address, "port": fresh.port, "publicAddress": host.ip, "baseImages": base_images,
                 "sshKeySecretRef": {"name": f"{name}-ssh", "key": "ssh-privatekey"},
                 "proxy": {"acmeCa": "https://localhost:14000/dir", "acmeEmail": "ops@example.test",
                           "acmeCaRootSecretRef": {"name": "pebble-root", "key": "ca.crt"}}},
    }))
    return AcmeServer(name, host)


def git_application(name: str, url: str, domain: str, server: str, poll_seconds: int = 30) -> str:
    """An Application from a Git branch, on `server`, its plans approved by policy."""
    return json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Application", "metadata": {"name": name},
        "spec": {"source": {"git": {"url": url, "ref": "main", "pollIntervalSeconds": poll_seconds}},
                 "domains": [domain], "planning": {"serverRef": {"name": server}, "autoApprove": True}},
    })


def kubectl_hydron(kube, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """The kubectl plugin as a user runs it, against the test control plane."""
    return subprocess.run(
        # Flags first: everything after `--` belongs to a remote command.
        [sys.executable, "-m", "hydron.cli.kubectl_plugin", "-n", kube.namespace,
         "--kubeconfig", str(kube.plane.kubeconfig), *args],
        capture_output=True, text=True, env={**kube.plane.env(), "PYTHONPATH": str(REPO / "operator")}, timeout=timeout,
    )
