"""The suite's fixtures over the test bed (operator/hydron_testbed): the real control
plane, the operator running against it, the Docker engine and fresh servers.

A test whose real component is missing (the test bed raises TestBedUnavailable) skips
on a developer's machine with the reason, and FAILS on CI (CI=true): CI never passes by
skipping.

What is shared, and why (the suite must finish in 30 minutes on two cores):
* session: the control plane, the operator, the Docker client, the base images and the
  server factory; each test still gets its own namespace (`kube`), so tests on the one
  cluster never see each other's resources;
* a server is started for the test (or module) that asks for it and removed when that
  test (or module) ends: tests that provision, break or pin a server need one nobody
  else touched (see `fresh_servers`), and servers left running would load the machine
  for the rest of the run.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import docker
import pytest

from hydron_testbed import TestBedUnavailable
from hydron_testbed.bind import Bind, start_bind
from hydron_testbed.cluster import Kube
from hydron_testbed.controlplane import ControlPlane, control_plane_bins
from hydron_testbed.operator_process import RunningOperator, start_operator, stop_operator, wait_live
from hydron_testbed.ports import free_port
from hydron_testbed.acme import acme_server
from hydron_testbed.secret_scan import SecretLedger
from hydron_testbed.shared_site import SHARED_BASE_IMAGES, SharedSite
from hydron_testbed.servers import (
    FreshServer,
    FreshServers,
    Host,
    ensure_base_images,
    ensure_docker,
    ensure_network,
    remove_stale_containers,
)

ON_CI = os.environ.get("CI", "").lower() == "true"


def missing_component(reason: str) -> None:
    """Fail on CI, skip elsewhere."""
    if ON_CI:
        pytest.fail(f"required component missing on CI: {reason}", pytrace=False)
    pytest.skip(reason)


@contextmanager
def test_bed_required() -> Iterator[None]:
    """TestBedUnavailable inside the block is a missing component (skip, or fail on CI)."""
    try:
        yield
    except TestBedUnavailable as error:
        missing_component(str(error))


@pytest.fixture(scope="session")
def secret_ledger() -> SecretLedger:
    """What the session's servers held when they went, for the final secret scan
    (tests/e2e/test_secrets_stay_put.py)."""
    return SecretLedger()


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory, secret_ledger: SecretLedger) -> Iterator[ControlPlane]:
    """etcd + kube-apiserver on loopback with Hydron's CRDs installed."""
    with test_bed_required():
        plane = ControlPlane(tmp_path_factory.mktemp("controlplane"), control_plane_bins())
    try:
        plane.start()
        plane.install_crds()
    except (TestBedUnavailable, subprocess.CalledProcessError) as error:
        plane.stop()
        detail = getattr(error, "stderr", "") or ""
        missing_component(f"control plane did not start: {error} {detail}")
    secret_ledger.kubeconfig = str(plane.kubeconfig)
    yield plane
    plane.stop()


@pytest.fixture(scope="session")
def bind(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bind]:
    """BIND 9 on loopback serving a test zone that takes updates signed with its TSIG key."""
    with test_bed_required():
        server = start_bind(tmp_path_factory.mktemp("bind"))
    yield server
    server.stop()


@pytest.fixture
def kube(control_plane: ControlPlane) -> Kube:
    """A fresh namespace per test (namespaces are never deleted: no namespace controller runs)."""
    namespace = f"t-{uuid.uuid4().hex[:8]}"
    control_plane.kubectl_run("create", "namespace", namespace)
    return Kube(control_plane, namespace)


@pytest.fixture(scope="session")
def operator(control_plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningOperator]:
    """The operator running against the test control plane with admin rights."""
    log_path = tmp_path_factory.mktemp("operator") / "operator.log"
    # Only the per-test namespaces (t-*): tests that run an operator of their own
    # (with other credentials) use namespaces this one leaves alone.
    webhook_port = free_port()
    proc, port, metrics_port = start_operator(control_plane, log_path, extra=(
        "--namespace", "t-*", "--webhook-port", str(webhook_port), "--webhook-address", "127.0.0.1"))
    wait_live(proc, port, log_path)
    yield RunningOperator(log_path, f"http://127.0.0.1:{metrics_port}/metrics",
                          f"http://127.0.0.1:{webhook_port}/hooks/git")
    stop_operator(proc, log_path)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """An SDK client for a running engine (started if needed)."""
    with test_bed_required():
        client = ensure_docker()
    yield client
    client.close()


@pytest.fixture(scope="session")
def base_images(docker_client) -> str:
    """The local stand-in and server images, built once and cached across runs."""
    with test_bed_required():
        return ensure_base_images()


@pytest.fixture(scope="session")
def server_factory(docker_client, base_images, secret_ledger: SecretLedger) -> Iterator[FreshServers]:
    """The session's one factory of fresh servers; whatever is left goes at session end.
    Module-scoped fixtures start their servers here and remove them at their own end."""
    remove_stale_containers(docker_client)
    ensure_network(docker_client)
    factory = FreshServers(docker_client)
    factory.before_remove.append(secret_ledger.scan_server)
    yield factory
    factory.close()


@pytest.fixture
def fresh_servers(server_factory: FreshServers) -> Iterator[Callable[[int], list[FreshServer]]]:
    """``fresh_servers(n=1) -> list[FreshServer]``: servers nobody else has touched, removed
    when the test ends. Fresh, because the tests that take one provision it and assert
    every step changed something, pin its host key, or check it is still bare."""
    started: list[FreshServer] = []

    def start(n: int = 1) -> list[FreshServer]:
        made = server_factory.start(n)
        started.extend(made)
        return made

    yield start
    for server in started:
        server_factory.remove(server)


@pytest.fixture
def hosts(server_factory: FreshServers) -> Iterator[Callable[[int], list[Host]]]:
    """``hosts(n=1) -> list[Host]``: like `fresh_servers`, each paired with its container."""
    started: list[Host] = []

    def start(n: int = 1) -> list[Host]:
        made = server_factory.hosts(n)
        started.extend(made)
        return made

    yield start
    for host in started:
        server_factory.remove(host)


_shared_hosts: list[Host] = []  # the shared site's server, once a test asked for it


@pytest.fixture(scope="session")
def shared_site(control_plane, operator, server_factory: FreshServers) -> Iterator[SharedSite]:
    """One provisioned server the tests of deployed apps share (hydron_testbed.shared_site).
    Its Server is applied here and provisioned by the operator while the first test
    that asked for it runs (RUNS_FIRST: the web view watches that)."""
    namespace = f"t-site-{uuid.uuid4().hex[:6]}"  # t-*: the session operator watches it
    control_plane.kubectl_run("create", "namespace", namespace)
    kube = Kube(control_plane, namespace)
    (host,) = server_factory.hosts(1)
    _shared_hosts.append(host)
    yield SharedSite(kube, acme_server(kube, host, base_images=SHARED_BASE_IMAGES))
    _shared_hosts.remove(host)
    server_factory.remove(host)


@pytest.fixture
def shared_servers_scanned(secret_ledger: SecretLedger) -> None:
    """The shared server outlives the last test, so the secret scan (which runs last)
    greps its state folder now rather than when it is removed; none started, no cost."""
    for host in _shared_hosts:
        secret_ledger.scan_server(host.container)


# Watches the shared server's steps advance, so it must be the first to ask for it.
RUNS_FIRST = "test_the_page_follows_a_real_server_and_build_as_hydron_runs_them"
RUNS_LAST = "test_no_secret_value_outside_its_secret"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test under tests/e2e carries the `e2e` marker, so `-m e2e` (or `-m "not e2e"`)
    selects that layer alone. The secret scan runs last, over what every other test left;
    the web view's scenario first, while the shared server is being provisioned."""
    for item in items:
        if "/tests/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: (item.name != RUNS_FIRST, item.name == RUNS_LAST))
