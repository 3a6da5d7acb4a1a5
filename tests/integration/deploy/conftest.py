"""A provisioned server (once per module) and a Git checkout of hello-node to deploy."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hydron_testbed.hello_app import App
from hydron_testbed.reconcile import condition, make_runtime, run_reconcile, with_status


@dataclass
class Provisioned:
    host: object
    server: object
    runtime: object


@pytest.fixture(scope="module")
async def provisioned(server_factory, docker_client):
    """One provisioned server the module's tests deploy to, one after another."""
    (host,) = server_factory.hosts(1)
    runtime = make_runtime(docker_client)
    server = host.server(baseImages=["node:18-slim"])
    first = await run_reconcile(host, server, runtime)
    assert condition(first, "Ready").status == "True", first.status.conditions
    yield Provisioned(host, with_status(server, first), runtime)
    await runtime.pool.close()
    server_factory.remove(host)


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> App:
    return App(tmp_path_factory.mktemp("hello-node") / "repo")
