"""`hydron run` as a subprocess against the test control plane, as a cluster runs it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from hydron_testbed import REPO
from hydron_testbed.controlplane import ControlPlane
from hydron_testbed.ports import free_port

WEBHOOK_SECRET = "e2e-webhook-secret"
"""The push webhook's shared secret in the test operators."""

LIVE_DEADLINE_S = 60


class OperatorFailed(AssertionError):
    """The operator exited, never came live, or logged a traceback: a failure of
    Hydron, not of the test bed (so it is an AssertionError, reported as a failed test)."""


@dataclass
class RunningOperator:
    log: Path
    metrics_url: str
    webhook_url: str = ""

    def metrics(self) -> str:
        with urllib.request.urlopen(self.metrics_url, timeout=5) as response:
            return response.read().decode()


def start_operator(plane: ControlPlane, log_path: Path, kubeconfig: Path | None = None, extra: tuple[str, ...] = (),
                   env: dict[str, str] | None = None):
    """`hydron run` as a subprocess; returns the process and its liveness and metrics ports."""
    port, metrics_port = free_port(), free_port()
    env = {
        **(env or {}),
        **plane.env(),
        "HYDRON_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PYTHONPATH": str(REPO / "operator"),
        "HYDRON_WORKDIR": str(log_path.parent / "work"),
        "HYDRON_APPLICATION_RESYNC_SECONDS": "5",  # timers look often, so tests wait less
        "HYDRON_SERVER_USAGE_SECONDS": "5",
        "HYDRON_DEPLOYMENT_RESYNC_SECONDS": "5",
        "HYDRON_BASE_IMAGES_FROM": "local-docker",  # no registry here: base images come from this engine
        # Compose on Debian 12 is Compose v1 with ~40 Python packages: a minute or more per
        # server on these machines. The suite installs it once, in the provisioning tests.
        "HYDRON_SERVER_COMPOSE": "false",
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
    """Poll the operator's liveness endpoint until it answers (or raise OperatorFailed with its log)."""
    deadline = time.monotonic() + LIVE_DEADLINE_S
    while True:
        if proc.poll() is not None:
            raise OperatorFailed(f"operator exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise OperatorFailed(f"operator not live after {LIVE_DEADLINE_S}s:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.2)  # polling interval for the liveness probe


def stop_operator(proc: subprocess.Popen, log_path: Path) -> None:
    """Stop it and raise OperatorFailed if it ever logged a traceback (a crash or an unhandled error)."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    text = log_path.read_text(errors="replace")
    if "Traceback" in text:
        raise OperatorFailed(f"the operator logged a traceback:\n{text[-6000:]}")


@dataclass
class KillableOperator:
    """An operator process a test may SIGKILL and start again."""

    plane: ControlPlane
    folder: Path
    namespace: str
    env: dict[str, str] | None = None
    proc: subprocess.Popen | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        log = self.folder / f"operator-{self.starts}.log"
        self.proc, port, _ = start_operator(self.plane, log, extra=("--namespace", self.namespace), env=self.env)
        wait_live(self.proc, port, log)

    def kill(self) -> None:
        """SIGKILL: no cleanup handler runs, as when a node dies."""
        assert self.proc is not None and self.proc.poll() is None, "the operator died before the chosen point"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            stop_operator(self.proc, self.folder / f"operator-{self.starts}.log")
