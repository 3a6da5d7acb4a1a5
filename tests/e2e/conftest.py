"""One provisioned server that the e2e tests of deployed apps share.

Provisioning a server (Docker, firewall, sshd, Caddy, base images) is the same work for
every app and the tests that deploy an app do not assert on it (test_server.py and the
chaos tests do, on servers of their own). So those tests deploy side by side onto one
server, as a user's apps would: each in the shared namespace, under its own name and
domain, looked at only through its own containers and routes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from hydron_testbed.acme import AcmeServer, acme_server
from hydron_testbed.bind import ZONE
from hydron_testbed.cluster import Kube
from hydron_testbed.secret_scan import SecretLedger
from hydron_testbed.servers import Host

# What the apps deployed here build on, delivered once with the server.
SHARED_BASE_IMAGES = ["node:18-slim", "python:3.11-slim"]
_live: list[Host] = []  # the shared server, once a test asked for it


@dataclass
class SharedSite:
    """The shared namespace and its provisioned server (with pebble, the ACME CA)."""

    kube: Kube
    server: AcmeServer

    def domain(self, app: str) -> str:
        """The app's own domain, resolving to the server there so pebble can validate it."""
        domain = f"{app}.{ZONE}"
        self.server.serve_domain(domain)
        return domain


@pytest.fixture(scope="session")
def shared_site(control_plane, operator, server_factory) -> Iterator[SharedSite]:
    namespace = f"t-site-{uuid.uuid4().hex[:6]}"  # t-*: the session operator watches it
    control_plane.kubectl_run("create", "namespace", namespace)
    kube = Kube(control_plane, namespace)
    (host,) = server_factory.hosts(1)
    _live.append(host)
    yield SharedSite(kube, acme_server(kube, host, base_images=SHARED_BASE_IMAGES))
    _live.remove(host)
    server_factory.remove(host)


@pytest.fixture
def shared_servers_scanned(secret_ledger: SecretLedger) -> None:
    """The shared server outlives the last test, so the secret scan (which runs last)
    greps its state folder now rather than when it is removed; none started, no cost."""
    for host in _live:
        secret_ledger.scan_server(host.container)
