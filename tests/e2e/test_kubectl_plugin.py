"""`kubectl hydron` against the real API server with the operator running: a person
reviews a plan, approves it with the plugin, and a script reads the app's status."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from hydron_testbed import REPO

pytestmark = pytest.mark.controlplane


def plugin(kube, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """The plugin as kubectl would run it, pointed at the test cluster by flags only."""
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["PYTHONPATH"] = str(REPO / "operator")
    result = subprocess.run(
        [sys.executable, "-m", "hydron.cli.kubectl_plugin", *args, "-n", kube.namespace,
         "--kubeconfig", str(kube.plane.kubeconfig)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    if check:
        assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    return result


def test_approve_with_the_plugin_and_read_status_as_json(kube, operator):
    kube.apply(json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Application", "metadata": {"name": "whoami"},
        "spec": {"source": {"image": {"name": "traefik/whoami:v1.10", "port": 80}},
                 "domains": ["whoami.example.com"], "planning": {"autoApprove": False}},
    }))
    kube.wait("applications", "whoami",
              'jsonpath={.status.conditions[?(@.type=="Planned")].reason}=AwaitingApproval', timeout=90)

    shown = plugin(kube, "plan", "show", "whoami").stdout
    assert "waiting for approval of revision 1" in shown and "whoami.example.com" in shown

    refused = plugin(kube, "plan", "approve", "whoami", "--revision", "2", check=False)
    assert refused.returncode == 1 and "has no revision 2" in refused.stderr

    approved = plugin(kube, "plan", "approve", "whoami")
    assert "Approved revision 1 of InfraPlan whoami" in approved.stdout
    kube.wait("applications", "whoami", "condition=Planned", timeout=60)
    approval = kube.get("infraplans", "whoami")["spec"]["approval"]
    assert approval["revision"] == 1 and approval["approvedBy"]

    summary = json.loads(plugin(kube, "status", "whoami", "-o", "json").stdout)
    assert summary["name"] == "whoami" and summary["namespace"] == kube.namespace
    assert summary["source"] == {"image": "traefik/whoami:v1.10"}
    assert [s["name"] for s in summary["services"]] == ["web"]
    assert summary["plan"]["approvedRevision"] == summary["plan"]["revision"] == 1
    planned = next(c for c in summary["conditions"] if c["type"] == "Planned")
    assert planned["status"] == "True"

    listed = plugin(kube, "status").stdout
    assert listed.splitlines()[0].split()[:3] == ["NAME", "READY", "REASON"] and "whoami" in listed


def test_a_missing_app_names_the_namespace_searched(kube):
    result = plugin(kube, "status", "nope", check=False)
    assert result.returncode == 1
    assert f"Application 'nope' not found in namespace '{kube.namespace}'" in result.stderr
