"""The test control plane as a user sees it: kubectl in one namespace, the kubectl-hydron
plugin, and the Application manifest the whole-pipeline runs apply."""

from __future__ import annotations

import json
import subprocess
import sys

from hydron_testbed import REPO
from hydron_testbed.controlplane import ControlPlane


class Kube:
    """kubectl against the test control plane in one namespace, with JSON helpers."""

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


def kubectl_hydron(kube: Kube, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """The kubectl plugin as a user runs it, against the test control plane."""
    return subprocess.run(
        # Flags first: everything after `--` belongs to a remote command.
        [sys.executable, "-m", "hydron.cli.kubectl_plugin", "-n", kube.namespace,
         "--kubeconfig", str(kube.plane.kubeconfig), *args],
        capture_output=True, text=True, env={**kube.plane.env(), "PYTHONPATH": str(REPO / "operator")}, timeout=timeout,
    )


def git_application(name: str, url: str, domain: str, server: str, poll_seconds: int = 30) -> str:
    """An Application from a Git branch, on `server`, its plans approved by policy."""
    return json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Application", "metadata": {"name": name},
        "spec": {"source": {"git": {"url": url, "ref": "main", "pollIntervalSeconds": poll_seconds}},
                 "domains": [domain], "planning": {"serverRef": {"name": server}, "autoApprove": True}},
    })
