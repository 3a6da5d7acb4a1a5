"""The four resources on a real kube-apiserver with the operator running."""

from __future__ import annotations

import json

import pytest

from hydron_testbed import REPO

pytestmark = pytest.mark.controlplane

VALID = {
    "applications": """
apiVersion: hydron.dev/v1alpha1
kind: Application
metadata: {name: shop}
spec:
  source:
    image: {name: "nginx:1.27", port: 80}
  domains: [shop.example.com]
""",
    "infraplans": """
apiVersion: hydron.dev/v1alpha1
kind: InfraPlan
metadata: {name: shop}
spec:
  applicationRef: {name: shop}
  services:
  - {name: web, port: 3000, public: true}
""",
    "servers": """
apiVersion: hydron.dev/v1alpha1
kind: Server
metadata: {name: fra-1}
spec:
  address: 127.0.0.1
  port: 1
  sshKeySecretRef: {name: fra-1-ssh, key: ssh-privatekey}
""",
    "deployments.hydron.dev": """
apiVersion: hydron.dev/v1alpha1
kind: Deployment
metadata: {name: shop}
spec:
  serverRef: {name: fra-1}
  services:
  - {name: web, image: "nginx:1.27", port: 80}
""",
}
WITH_CLEANUP = {"applications", "servers", "deployments.hydron.dev"}
NAMES = {"applications": "shop", "infraplans": "shop", "servers": "fra-1", "deployments.hydron.dev": "shop"}


@pytest.mark.parametrize("resource", list(VALID))
def test_valid_resource_gets_initial_conditions_and_deletes_cleanly(kube, operator, resource):
    name = NAMES[resource]
    kube.apply(VALID[resource])
    kube.wait(resource, name, "jsonpath={.status.observedGeneration}=1")

    obj = kube.get(resource, name)
    ready = next(c for c in obj["status"]["conditions"] if c["type"] == "Ready")
    if resource == "deployments.hydron.dev":  # its serverRef names no Server: said at once, not "pending"
        assert (ready["status"], ready["reason"]) == ("False", "ServerNotFound") and "fra-1" in ready["message"]
    else:
        assert ready["status"] == "Unknown"
    assert ready["reason"] and ready["message"]
    assert ready["observedGeneration"] == 1
    if resource in WITH_CLEANUP:  # the operator removes something on deletion
        assert "hydron.dev/finalizer" in obj["metadata"]["finalizers"]
    else:  # nothing to clean up: deletion never waits for the operator
        assert "hydron.dev/finalizer" not in (obj["metadata"].get("finalizers") or [])
    # kopf keeps its bookkeeping in hydron.dev/ annotations, never in status.
    annotations = obj["metadata"]["annotations"]
    assert any(key.startswith("hydron.dev/") for key in annotations), annotations
    assert not any("kopf.zalando.org" in key for key in annotations), annotations
    assert "kopf" not in json.dumps(obj["status"])

    result = kube.run("delete", resource, name, "--wait", "--timeout=60s", check=False)
    assert result.returncode == 0, result.stderr
    assert kube.run("get", resource, name, check=False).returncode != 0


def test_spec_change_is_observed_without_moving_transition_time(kube, operator):
    kube.apply(VALID["applications"])
    kube.wait("applications", "shop", "jsonpath={.status.observedGeneration}=1")
    before = kube.get("applications", "shop")["status"]["conditions"]

    kube.run("patch", "applications", "shop", "--type=merge", "-p", '{"spec":{"domains":["shop.example.org"]}}')
    kube.wait("applications", "shop", "jsonpath={.status.observedGeneration}=2")
    after = kube.get("applications", "shop")["status"]["conditions"]

    times = lambda conds: {c["type"]: c["lastTransitionTime"] for c in conds}  # noqa: E731
    assert times(after) == times(before)
    assert all(c["observedGeneration"] == 2 for c in after)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            "spec: {domains: [a.example.com]}",
            "spec.source: Required value",
        ),
        (
            "spec: {source: {git: {url: 'https://h/r.git'}, image: {name: 'nginx'}}}",
            "set exactly one of git, image or template",
        ),
        (
            "spec: {source: {}}",
            "set exactly one of git, image or template",
        ),
        (
            "spec: {source: {git: {url: 'ftp://h/r.git'}}}",
            "must be an https://, http://, ssh://, git://, file:// or user@host:path Git URL",
        ),
        (
            "spec: {source: {git: {url: 'https://h/r.git', path: '../etc'}}}",
            "must be a relative path inside the repository",
        ),
        (
            "spec: {source: {image: {name: nginx}}, domains: ['Not A Domain']}",
            "spec.domains[0]",
        ),
        (
            "spec: {source: {image: {name: nginx}}, env: [{name: A, value: x, valueFrom: {secretKeyRef: {name: s, key: k}}}]}",
            "set either value or valueFrom, not both",
        ),
    ],
)
def test_invalid_application_is_refused_with_a_readable_message(kube, manifest, message):
    result = kube.apply(f"apiVersion: hydron.dev/v1alpha1\nkind: Application\nmetadata: {{name: bad}}\n{manifest}\n", check=False)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr


def test_server_address_is_immutable(kube):
    kube.apply(VALID["servers"])
    result = kube.run("patch", "servers", "fra-1", "--type=merge", "-p", '{"spec":{"address":"198.51.100.7"}}', check=False)
    assert result.returncode != 0
    assert "is immutable" in result.stderr


def test_deployment_service_needs_exactly_one_of_build_or_image(kube):
    manifest = VALID["deployments.hydron.dev"].replace('image: "nginx:1.27", ', "")
    result = kube.apply(manifest, check=False)
    assert result.returncode != 0
    assert "set exactly one of build or image" in result.stderr


def test_duplicate_service_names_are_refused(kube):
    manifest = VALID["infraplans"] + "  - {name: web, port: 8080}\n"
    result = kube.apply(manifest, check=False)
    assert result.returncode != 0
    assert "Duplicate value" in result.stderr


def test_kubectl_get_hydron_lists_all_four_kinds(kube):
    for manifest in VALID.values():
        kube.apply(manifest)
    out = kube.run("get", "hydron").stdout
    for kind in ("application.hydron.dev/shop", "infraplan.hydron.dev/shop", "server.hydron.dev/fra-1", "deployment.hydron.dev/shop"):
        assert kind in out, out


@pytest.mark.parametrize("short_name", ["hyapp", "hyplan", "hysrv", "hydeploy"])
def test_short_names_resolve(kube, short_name):
    assert kube.run("get", short_name).returncode == 0


def test_kubectl_explain_teaches_the_api(kube):
    out = kube.run("explain", "applications.hydron.dev.spec.source.git").stdout
    assert "Clone URL" in out
    assert "Branch, tag or commit to deploy" in out
    out = kube.run("explain", "deployments.hydron.dev.spec.deletionPolicy").stdout
    assert "Delete stops and removes the" in out and "Orphan leaves them running" in out


def test_examples_are_accepted_by_the_api_server(kube):
    examples = kube.plane.kubectl_run("-n", kube.namespace, "apply", "--dry-run=server", "-f", str(REPO / "examples"), check=False)
    assert examples.returncode == 0, examples.stderr


def test_reconciles_are_counted_on_the_metrics_endpoint(kube, operator):
    kube.apply(VALID["applications"])
    kube.wait("applications", "shop", "jsonpath={.status.observedGeneration}=1")
    samples = [line for line in operator.metrics().splitlines() if line.startswith("hydron_reconciles_total{")]
    ok = [line for line in samples if 'kind="Application"' in line and 'result="ok"' in line]
    assert ok and float(ok[0].rsplit(" ", 1)[1]) >= 1, samples
