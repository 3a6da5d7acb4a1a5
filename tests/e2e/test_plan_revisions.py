"""Plan review across revisions on the real API server: a person asks for a change, the
LLM (the real SDK against the Messages API stand-in on loopback) revises the plan into
revision 2, `kubectl hydron plan diff` shows exactly what changed, and approving the
stale revision 1 fails with a message saying what to do.

The operator here is one of the test's own, watching only its namespace, because it is
the one configured with an LLM (the session's runs without one)."""

from __future__ import annotations

import json
import uuid

import pytest

from hydron_testbed.cluster import Kube, kubectl_hydron
from hydron_testbed.llm_server import LlmServer, recorded
from hydron_testbed.operator_process import start_operator, stop_operator, wait_live

pytestmark = pytest.mark.controlplane
REQUEST = "Please move us to a bigger server, we expect more traffic."


@pytest.fixture
def planning(control_plane, tmp_path):
    """A namespace, an operator with an LLM for it, and the LLM stand-in's replies."""
    llm = LlmServer.start()
    namespace = f"rev-{uuid.uuid4().hex[:8]}"
    control_plane.kubectl_run("create", "namespace", namespace)
    log = tmp_path / "operator.log"
    proc, port, _ = start_operator(control_plane, log, extra=("--namespace", namespace), env={
        "ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": llm.url, "HYDRON_LLM_MAX_RETRIES": "0"})
    try:
        wait_live(proc, port, log)
        yield Kube(control_plane, namespace), llm
    finally:
        stop_operator(proc, log)
        llm.close()


def test_a_change_request_makes_revision_2_and_revision_1_can_no_longer_be_approved(planning):
    kube, llm = planning
    # Revision 1 asks the model to fill what the rules left open; it declines (no tool call),
    # which is no failure to retry: the plan stands as the rules made it.
    llm.queue(recorded("end_turn_no_tool"))
    kube.apply(json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Application", "metadata": {"name": "whoami"},
        "spec": {"source": {"image": {"name": "traefik/whoami:v1.10", "port": 80}},
                 "domains": ["whoami.example.com"], "planning": {"autoApprove": False}},
    }))
    kube.wait("applications", "whoami",
              'jsonpath={.status.conditions[?(@.type=="Planned")].reason}=AwaitingApproval', timeout=90)
    assert kube.get("infraplans", "whoami")["status"]["revision"] == 1
    assert kube.get("infraplans", "whoami")["spec"]["server"]["offer"] == "CX23"

    before = len(llm.requests)
    llm.queue(recorded("bigger_server"))
    asked = kubectl_hydron(kube, "plan", "request-changes", "whoami", REQUEST)
    assert asked.returncode == 0 and "request 1" in asked.stdout, asked.stderr
    kube.wait("infraplans", "whoami", "jsonpath={.status.revision}=2", timeout=90)
    asked_model = [r for r in llm.requests[before:] if REQUEST in r.text]
    assert asked_model, [r.text[:200] for r in llm.requests]  # the request reached the model
    assert len(llm.requests) - before == 1  # one call per change request

    diff = kubectl_hydron(kube, "plan", "diff", "whoami")
    assert diff.returncode == 0, diff.stderr
    changed = [line.strip() for line in diff.stdout.splitlines() if line.strip()[:2] in ("+ ", "- ", "~ ")]
    author = kube.get("infraplans", "whoami")["spec"]["changeRequests"][0]["author"]
    assert changed == [f'~ Revision 2: change request by {author}: "{REQUEST}".',
                       "~ server.offer: hetzner/CX23 → hetzner/CX33"], diff.stdout
    assert "Not approved yet: kubectl hydron plan approve whoami --revision 2" in diff.stdout

    stale = kubectl_hydron(kube, "plan", "approve", "whoami", "--revision", "1")
    assert stale.returncode == 1
    assert "revision 1 of InfraPlan whoami is stale: the plan is at revision 2" in stale.stderr
    assert "approve revision 2" in stale.stderr
    # Written past the plugin, the stale approval approves nothing and says why.
    kube.run("patch", "infraplan", "whoami", "--type=merge", "-p", '{"spec":{"approval":{"revision":1}}}')
    kube.wait("infraplans", "whoami", "jsonpath={.status.conditions[?(@.type==\"Approved\")].reason}=StaleApproval")
    approved = next(c for c in kube.get("infraplans", "whoami")["status"]["conditions"] if c["type"] == "Approved")
    assert approved["status"] == "False" and "set spec.approval.revision to 2" in approved["message"]
    assert kube.get("infraplans", "whoami")["status"].get("approvedRevision") is None

    ok = kubectl_hydron(kube, "plan", "approve", "whoami", "--revision", "2")
    assert ok.returncode == 0, ok.stderr
    kube.wait("infraplans", "whoami", "condition=Approved", timeout=60)
    assert kube.get("infraplans", "whoami")["status"]["approvedRevision"] == 2
