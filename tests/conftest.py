"""Shared fixtures: the real control plane and the operator running against it.

A test whose real component is missing skips on a developer's machine with the
reason, and FAILS on CI (CI=true): CI never passes by skipping.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.controlplane import REPO, ControlPlane, control_plane_bins, free_port

pytest_plugins = ["tests.support.docker_bed"]

ON_CI = os.environ.get("CI", "").lower() == "true"


def missing_component(reason: str) -> None:
    """Fail on CI, skip elsewhere."""
    if ON_CI:
        pytest.fail(f"required component missing on CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """etcd + kube-apiserver on loopback with Hydron's CRDs installed."""
    try:
        bins = control_plane_bins()
    except RuntimeError as error:
        missing_component(f"control plane binaries: {error}")
    plane = ControlPlane(tmp_path_factory.mktemp("controlplane"), bins)
    try:
        plane.start()
        plane.install_crds()
    except (RuntimeError, subprocess.CalledProcessError) as error:
        plane.stop()
        detail = getattr(error, "stderr", "") or ""
        missing_component(f"control plane did not start: {error} {detail}")
    yield plane
    plane.stop()


class Kube:
    """kubectl against the test control plane, with JSON helpers."""

    def __init__(self, plane: ControlPlane, namespace: str) -> None:
        self.plane = plane
        self.namespace = namespace

    def run(self, *args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        return self.plane.kubectl_run("-n", self.namespace, *args, input=input, check=check)

    def apply(self, manifest: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run("apply", "-f", "-", input=manifest, check=check)

    def get(self, resource: str, name: str) -> dict:
        return json.loads(self.run("get", resource, name, "-o", "json").stdout)

    def wait(self, resource: str, name: str, condition: str, timeout: int = 60) -> None:
        """Block (on a watch, via kubectl wait) until the condition holds."""
        result = self.run("wait", f"--for={condition}", f"--timeout={timeout}s", f"{resource}/{name}", check=False)
        if result.returncode != 0:
            obj = self.run("get", resource, name, "-o", "yaml", check=False).stdout
            raise AssertionError(f"{resource}/{name} never reached {condition}: {result.stderr}\n{obj}")


@pytest.fixture
def kube(control_plane: ControlPlane) -> Kube:
    """A fresh namespace per test (namespaces are never deleted: no namespace controller runs)."""
    namespace = f"t-{uuid.uuid4().hex[:8]}"
    control_plane.kubectl_run("create", "namespace", namespace)
    return Kube(control_plane, namespace)


@dataclass
class RunningOperator:
    log: Path
    metrics_url: str
    webhook_url: str = ""

    def metrics(self) -> str:
        with urllib.request.urlopen(self.metrics_url, timeout=5) as response:
            return response.read().decode()


WEBHOOK_SECRET = "e2e-webhook-secret"
"""The push webhook's shared secret in the suite's operators."""


def start_operator(plane: ControlPlane, log_path: Path, kubeconfig: Path | None = None, extra: tuple[str, ...] = ()):
    """`hydron run` as a subprocess; returns the process and its liveness and metrics ports."""
    port, metrics_port = free_port(), free_port()
    env = {
        **plane.env(),
        "HYDRON_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PYTHONPATH": str(REPO / "operator"),
        "HYDRON_WORKDIR": str(log_path.parent / "work"),
        "HYDRON_APPLICATION_RESYNC_SECONDS": "5",  # timers look often, so tests wait less
        "HYDRON_SERVER_USAGE_SECONDS": "5",
        "HYDRON_DEPLOYMENT_RESYNC_SECONDS": "5",
        "HYDRON_BASE_IMAGES_FROM": "local-docker",  # no registry here: base images come from this engine
    }
    if kubeconfig is not None:
        env["KUBECONFIG"] = str(kubeconfig)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hydron", "run", "--liveness", f"http://127.0.0.1:{port}/healthz",
             "--metrics-port", str(metrics_port), "--metrics-address", "127.0.0.1", *extra],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    return proc, port, metrics_port


def wait_live(proc: subprocess.Popen, port: int, log_path: Path) -> None:
    """Poll the operator's liveness endpoint until it answers (or fail with its log)."""
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            pytest.fail(f"operator exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"operator not live after 60s:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.2)  # polling interval for the liveness probe


def stop_operator(proc: subprocess.Popen, log_path: Path) -> None:
    """Stop it and fail if it ever logged a traceback (a crash or an unhandled error)."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    text = log_path.read_text(errors="replace")
    assert "Traceback" not in text, f"the operator logged a traceback:\n{text[-6000:]}"


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
