"""The Helm chart: lints, renders least-privilege RBAC, and its ServiceAccount is
enough to run the operator against a real API server (a missing permission fails)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid

import pytest
import yaml

from hydron_testbed import REPO
from hydron_testbed.cluster import Kube
from hydron_testbed.controlplane import kubeconfig_text
from hydron_testbed.operator_process import start_operator, stop_operator, wait_live
from tests.conftest import missing_component

pytestmark = pytest.mark.controlplane
CHART = REPO / "charts" / "hydron"


def helm(plane, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(plane.bins / "helm"), *args], env=plane.env(), capture_output=True, text=True, check=check)


def render(plane, *sets: str) -> list[dict]:
    args = ["template", "hydron", str(CHART), "--namespace", "hydron-system"]
    for value in sets:
        args += ["--set", value]
    return [d for d in yaml.safe_load_all(helm(plane, *args).stdout) if d]


def secret_verbs(docs: list[dict]) -> list[tuple[str, str, list[str]]]:
    return [
        (doc["kind"], doc["metadata"].get("namespace", ""), rule["verbs"])
        for doc in docs
        if doc["kind"] in ("Role", "ClusterRole")
        for rule in doc["rules"]
        if "secrets" in rule["resources"]
    ]


def test_chart_lints_strictly(control_plane):
    result = helm(control_plane, "lint", "--strict", str(CHART), check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_replica_recreated_never_two_operators(control_plane):
    deployment = next(d for d in render(control_plane) if d["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}


SECRET_VERBS = ["get", "create", "patch"]  # read keys and tokens; keep generated credentials


def test_secrets_are_never_listed_or_watched(control_plane):
    assert secret_verbs(render(control_plane)) == [("ClusterRole", "", SECRET_VERBS)]


def test_watched_namespaces_narrow_secret_access_to_them(control_plane):
    docs = render(control_plane, "watchNamespaces={shop,blog}")
    assert sorted(secret_verbs(docs)) == [("Role", "blog", SECRET_VERBS), ("Role", "shop", SECRET_VERBS)]
    args = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--namespace=shop" in args and "--namespace=blog" in args


def test_optional_monitoring_objects_render(control_plane):
    kinds = {d["kind"] for d in render(control_plane, "metrics.serviceMonitor.enabled=true", "grafanaDashboard.enabled=true")}
    assert {"ServiceMonitor", "ConfigMap", "Service"} <= kinds
    dashboard = next(d for d in render(control_plane, "grafanaDashboard.enabled=true") if d["kind"] == "ConfigMap")
    panels = json.loads(dashboard["data"]["hydron.json"])["panels"]
    assert any("hydron_reconciles_total" in p["targets"][0]["expr"] for p in panels)


ALERT_TESTS = """
rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
- interval: 1m
  input_series:
  - {series: 'hydron_server_disk_used_percent{namespace="shop",server="srv"}', values: '95x20'}
  - {series: 'hydron_server_disk_used_percent{namespace="shop",server="calm"}', values: '40x20'}
  - {series: 'hydron_server_memory_used_bytes{namespace="shop",server="srv"}', values: '950x20'}
  - {series: 'hydron_server_memory_total_bytes{namespace="shop",server="srv"}', values: '1000x20'}
  - {series: 'hydron_service_restarts{namespace="shop",app="web",service="api"}', values: '0 1 2 3 4 5 6 7 8'}
  alert_rule_test:
  - eval_time: 15m
    alertname: HydronServerDiskNearlyFull
    exp_alerts:
    - exp_labels: {severity: warning, namespace: shop, server: srv}
      exp_annotations:
        summary: Server shop/srv root disk is 95% full
        description: "Builds and deploys fail when the disk fills: prune images (docker image prune) or grow the disk."
  - eval_time: 5m
    alertname: HydronServerDiskNearlyFull
    exp_alerts: []
  - eval_time: 15m
    alertname: HydronServerMemoryPressure
    exp_alerts:
    - exp_labels: {severity: warning, namespace: shop, server: srv}
      exp_annotations:
        summary: Server shop/srv uses 95% of its memory
        description: "Services may be killed for lack of memory: lower their limits or move to a larger server."
  - eval_time: 8m
    alertname: HydronServiceRestarting
    exp_alerts:
    - exp_labels: {severity: warning, namespace: shop, app: web, service: api}
      exp_annotations:
        summary: Service shop/web/api keeps restarting (3 or more restarts in 15m)
        description: See kubectl hydron logs web api.
"""


def test_alert_rules_fire_on_the_metrics_the_operator_exports(control_plane, tmp_path):
    """Off by default; enabled, each rule reads only series the operator exports, and promtool
    (Debian's prometheus package) sees disk, memory and restart alerts fire as a user expects."""
    assert "PrometheusRule" not in {d["kind"] for d in render(control_plane)}
    rule = next(d for d in render(control_plane, "alerts.enabled=true") if d["kind"] == "PrometheusRule")
    rules = rule["spec"]["groups"][0]["rules"]
    assert {r["alert"] for r in rules} == {"HydronServerDiskNearlyFull", "HydronServerMemoryPressure",
                                           "HydronServiceRestarting"}
    import hydron.metrics  # noqa: F401  registers the operator's series in the default registry
    from prometheus_client import REGISTRY
    exported = {m.name for m in REGISTRY.collect()}
    for r in rules:
        for name in re.findall(r"\bhydron_[a-z_]+", r["expr"]):
            assert name in exported, f"{r['alert']} reads {name}, which the operator does not export"
    promtool = shutil.which("promtool")
    if promtool is None:
        missing_component("promtool (Debian's prometheus package) is not installed")
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(rule["spec"]))
    (tmp_path / "tests.yaml").write_text(ALERT_TESTS)
    checked = subprocess.run([promtool, "check", "rules", "rules.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run([promtool, "test", "rules", "tests.yaml"], cwd=tmp_path, capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_push_webhook_is_wired_only_with_its_secret(control_plane):
    assert not any(d["kind"] == "Service" and d["metadata"]["name"].endswith("-webhook") for d in render(control_plane))
    docs = render(control_plane, "webhook.existingSecret=git-hook")
    container = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert "--webhook-port=8082" in container["args"]
    (env,) = [e for e in container["env"] if e["name"] == "HYDRON_WEBHOOK_SECRET"]
    assert env["valueFrom"]["secretKeyRef"] == {"name": "git-hook", "key": "secret"}
    (service,) = [d for d in docs if d["kind"] == "Service" and d["metadata"]["name"].endswith("-webhook")]
    assert service["spec"]["ports"][0]["targetPort"] == "webhook"


def test_provider_endpoints_reach_the_operator_only_when_set(control_plane):
    def env(*sets: str) -> dict[str, str]:
        docs = render(control_plane, *sets)
        container = next(d for d in docs if d["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]
        return {e["name"]: e.get("value") for e in container["env"]}

    unset = env()
    assert "HYDRON_HETZNER_ENDPOINT" not in unset and "HYDRON_OVH_ENDPOINT" not in unset
    both = env("providers.hetznerEndpoint=http://hetzner.proxy/v1", "providers.ovhEndpoint=kimsufi-eu")
    assert both["HYDRON_HETZNER_ENDPOINT"] == "http://hetzner.proxy/v1" and both["HYDRON_OVH_ENDPOINT"] == "kimsufi-eu"


def test_operator_runs_with_the_charts_service_account(control_plane, tmp_path):
    install = helm(control_plane, "install", "hydron", str(CHART), "--namespace", "hydron-system", "--create-namespace", check=False)
    assert install.returncode == 0, install.stderr
    sa = "system:serviceaccount:hydron-system:hydron"
    can = lambda verb, what: control_plane.kubectl_run("auth", "can-i", verb, what, f"--as={sa}", "-A", check=False).stdout.strip()  # noqa: E731
    assert can("get", "secrets") == "yes"
    assert can("list", "secrets") == "no"
    assert can("watch", "secrets") == "no"

    # A namespace the suite's admin operator does not watch, so this one does the work.
    kube = Kube(control_plane, f"rbac-{uuid.uuid4().hex[:8]}")
    control_plane.kubectl_run("create", "namespace", kube.namespace)
    token = control_plane.kubectl_run("create", "token", "hydron", "-n", "hydron-system").stdout.strip()
    kubeconfig = tmp_path / "sa-kubeconfig"
    kubeconfig.write_text(kubeconfig_text(control_plane.server, control_plane.directory / "pki" / "ca.crt", token=token))
    log = tmp_path / "operator.log"
    proc, port, _ = start_operator(control_plane, log, kubeconfig=kubeconfig)
    try:
        wait_live(proc, port, log)
        kube.apply("""
apiVersion: hydron.dev/v1alpha1
kind: Application
metadata: {name: rbac-check}
spec:
  source: {image: {name: "nginx:1.27"}}
""")
        kube.wait("applications", "rbac-check", "jsonpath={.status.observedGeneration}=1")
        result = kube.run("delete", "applications", "rbac-check", "--wait", "--timeout=60s", check=False)
        assert result.returncode == 0, result.stderr
    finally:
        stop_operator(proc, log)
    text = log.read_text()
    assert "forbidden" not in text.lower(), text[-4000:]
    # This operator (not the suite's admin one) did the work, create and delete.
    handled = [line for line in text.splitlines() if f"{kube.namespace}/rbac-check" in line and "succeeded" in line]
    assert any("'reconcile" in line for line in handled), text[-4000:]
    assert any("'cleanup'" in line for line in handled), text[-4000:]


def test_the_in_cluster_web_view_is_off_by_default_and_never_lists_secrets(control_plane):
    assert not [d for d in render(control_plane) if d["metadata"]["name"].endswith("-ui")]
    docs = render(control_plane, "ui.enabled=true")
    ui = {d["kind"]: d for d in docs if d["metadata"]["name"].endswith("-ui")}
    assert set(ui) == {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment", "Service"}
    assert ui["Deployment"]["spec"]["template"]["spec"]["containers"][0]["args"][0] == "ui-server"
    assert [r["verbs"] for r in ui["ClusterRole"]["rules"] if "secrets" in r["resources"]] == [["get"]]
    operator = next(d for d in docs if d["kind"] == "Deployment" and d is not ui["Deployment"])
    labels = ui["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert not all(labels.get(k) == v for k, v in operator["spec"]["selector"]["matchLabels"].items())
