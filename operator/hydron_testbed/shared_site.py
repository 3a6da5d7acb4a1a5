"""One provisioned server that the tests of deployed apps share.

Provisioning a server (Docker, firewall, sshd, Caddy, base images) is the same work for
every app, and most tests that deploy an app do not assert on it (the server tests and
the chaos tests do, on servers of their own). So those tests deploy side by side onto
one server, as a user's apps would: each in the shared namespace, under its own name
and domain, looked at only through its own containers and routes."""

from __future__ import annotations

from dataclasses import dataclass

from hydron_testbed.acme import AcmeServer
from hydron_testbed.bind import ZONE
from hydron_testbed.cluster import Kube

# What the apps deployed there build on, delivered once with the server.
SHARED_BASE_IMAGES = ["node:18-slim", "python:3.11-slim"]


@dataclass
class SharedSite:
    """The shared namespace and its server (with pebble, the ACME CA, on it)."""

    kube: Kube
    server: AcmeServer

    def domain(self, app: str) -> str:
        """The app's own domain, resolving to the server there so pebble can validate it."""
        domain = f"{app}.{ZONE}"
        self.server.serve_domain(domain)
        return domain
