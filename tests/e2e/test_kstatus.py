"""Our conditions read right in kstatus, the library Flux and kpt use for health:
no custom health checks needed."""

from __future__ import annotations

import json
import subprocess

import pytest

from hydron.api import Application
from hydron.api.application import ApplicationStatus
from hydron.api.conditions import set_condition, summarize_ready
from hydron.controllers.common import conclude, with_invalid_spec
from tests.conftest import missing_component
from hydron_testbed import REPO

pytestmark = pytest.mark.controlplane


@pytest.fixture(scope="session")
def kstatus() -> str:
    result = subprocess.run(["bash", str(REPO / "hack" / "kstatus-bin.sh")], capture_output=True, text=True)
    if result.returncode != 0:
        missing_component(f"kstatus checker did not build: {result.stderr[-2000:]}")
    return result.stdout.strip().splitlines()[-1]


def compute(kstatus: str, obj: dict) -> dict:
    out = subprocess.run([kstatus], input=json.dumps(obj), capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def body(status: ApplicationStatus, generation: int) -> dict:
    return {
        "apiVersion": "hydron.dev/v1alpha1",
        "kind": Application.kind,
        "metadata": {"name": "shop", "namespace": "default", "generation": generation},
        "status": status.to_api(),
    }


def test_a_freshly_reconciled_object_from_the_api_server_is_in_progress(kube, operator, kstatus):
    kube.apply("""
apiVersion: hydron.dev/v1alpha1
kind: Application
metadata: {name: shop}
spec: {source: {image: {name: "nginx:1.27"}}}
""")
    kube.wait("applications", "shop", "jsonpath={.status.observedGeneration}=1")
    assert compute(kstatus, kube.get("applications", "shop"))["status"] == "InProgress"


def test_an_invalid_spec_is_failed_with_its_message(kstatus):
    status = with_invalid_spec(ApplicationStatus(), 3, "spec.port: not a number")
    assert compute(kstatus, body(status, 3)) == {"status": "Failed", "message": "spec.port: not a number"}


def test_all_conditions_true_is_current(kstatus):
    conditions = []
    for type_ in ("SourceReady", "Analyzed"):
        conditions = set_condition(conditions, type_, "True", "Done", "", 2)
    status = ApplicationStatus(conditions=summarize_ready(conditions, ["SourceReady", "Analyzed"], 2), observed_generation=2)
    assert compute(kstatus, body(status, 2))["status"] == "Current"


def test_a_spec_not_yet_observed_is_in_progress_even_if_ready(kstatus):
    conditions = summarize_ready(set_condition([], "SourceReady", "True", "Done", "", 1), ["SourceReady"], 1)
    status = ApplicationStatus(conditions=conditions, observed_generation=1)
    assert compute(kstatus, body(status, 2))["status"] == "InProgress"


def test_a_new_generation_after_a_failure_is_retried_not_failed(kstatus):
    failed = with_invalid_spec(ApplicationStatus(), 1, "bad")
    retried = conclude(failed, 2, {"SourceReady": "fetching"})
    assert compute(kstatus, body(retried, 2))["status"] == "InProgress"
