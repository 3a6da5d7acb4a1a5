"""The web view as the Helm chart runs it in the cluster (`hydron ui-server`): a person
logs in with a Kubernetes bearer token that the API server checks (TokenReview), and
each action is put to the API server as a SubjectAccessReview for that person. Against
the real API server, with the tokens of a ServiceAccount that may approve plans and one
that may only read them. The server runs as the chart's own ServiceAccount with the
ClusterRole the chart renders (so that role is enough, and its rights, wider than
either person's, are held back by the reviews alone)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
import yaml
from playwright.sync_api import expect

from hydron_testbed import REPO
from hydron_testbed.controlplane import kubeconfig_text
from tests.ui.objects import SECRET_VALUE, application, plan

READ = ["get", "list", "watch"]


def service_account_token(kube, name: str, infraplan_verbs: list[str]) -> str:
    """A ServiceAccount that may read Hydron's kinds, with `infraplan_verbs` on InfraPlans."""
    kube.apply(json.dumps({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}))
    kube.apply(json.dumps({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": name},
        "rules": [{"apiGroups": ["hydron.dev"], "resources": ["applications", "servers", "deployments"], "verbs": READ},
                  {"apiGroups": ["hydron.dev"], "resources": ["infraplans"], "verbs": infraplan_verbs}]}))
    kube.apply(json.dumps({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": kube.namespace}]}))
    return kube.run("create", "token", name).stdout.strip()


def chart_identity(kube, tmp_path) -> str:
    """A kubeconfig for the ServiceAccount the chart gives the web view, with its ClusterRole."""
    plane = kube.plane
    rendered = subprocess.run(
        [str(plane.bins / "helm"), "template", kube.namespace, str(REPO / "charts" / "hydron"),
         "--namespace", kube.namespace, "--set", "ui.enabled=true"],
        env=plane.env(), capture_output=True, text=True, check=True).stdout
    docs = [d for d in yaml.safe_load_all(rendered) if d and d["metadata"]["name"].endswith("-ui")
            and d["kind"] in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding")]
    assert len(docs) == 3, docs
    plane.kubectl_run("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}))
    account = next(d for d in docs if d["kind"] == "ServiceAccount")["metadata"]["name"]
    token = kube.run("create", "token", account).stdout.strip()
    path = tmp_path / "ui-server.kubeconfig"
    path.write_text(kubeconfig_text(plane.server, plane.directory / "pki" / "ca.crt", token=token))
    return str(path)


@pytest.fixture
def ui_server(kube, tmp_path) -> Iterator[str]:
    """`hydron ui-server` as the chart runs it: all namespaces, the chart's ServiceAccount."""
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["PYTHONPATH"] = str(REPO / "operator")
    process = subprocess.Popen(
        [sys.executable, "-m", "hydron.cli.main", "ui-server", "--address", "127.0.0.1", "--port", "0",
         "--kubeconfig", chart_identity(kube, tmp_path)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = process.stdout.readline()
    if " is at " not in first:
        process.kill()
        raise AssertionError(f"hydron ui-server did not start: {first}{process.stderr.read()}")
    yield first.split(" is at ", 1)[1].split()[0]
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def test_in_the_cluster_a_token_logs_in_and_rbac_decides_each_action(kube, ui_server, page, shot):
    application(kube, "shop")
    plan(kube, "shop")
    approver = service_account_token(kube, "approver", [*READ, "patch"])
    viewer = service_account_token(kube, "viewer", READ)
    ns = kube.namespace

    anonymous = requests.get(f"{ui_server}api/apps", timeout=30)
    assert anonymous.status_code == 401 and anonymous.json()["login"] is True
    bogus = requests.post(f"{ui_server}api/login", json={"token": "not-a-token"}, timeout=30)
    assert bogus.status_code == 401 and "TokenReview" in bogus.json()["error"]

    # The viewer logs in on the page; the list falls back to its own namespace.
    page.goto(ui_server)
    page.get_by_test_id("login-token").fill(viewer)
    page.get_by_test_id("login").click()
    expect(page.get_by_test_id("identity")).to_contain_text(f"system:serviceaccount:{ns}:viewer")
    expect(page.get_by_test_id("app-row-shop")).to_be_visible()
    expect(page.get_by_test_id("list-note")).to_contain_text(f"namespace {ns}")
    shot("in-cluster-list")
    page.goto(f"{ui_server}#/ns/{ns}/apps/shop/infra")
    expect(page.get_by_test_id("plan-heading")).to_contain_text("revision 1")
    page.get_by_test_id("approve").click()
    error = page.get_by_test_id("error")
    expect(error).to_contain_text(f"system:serviceaccount:{ns}:viewer may not patch infraplans 'shop'")
    expect(error).to_contain_text("SubjectAccessReview")
    shot("in-cluster-refused")
    assert SECRET_VALUE not in page.content() and viewer not in page.content()
    assert "approval" not in kube.get("infraplans", "shop")["spec"]

    # The approver, with its token as a bearer header, may.
    headers = {"Authorization": f"Bearer {approver}"}
    approved = requests.post(f"{ui_server}api/apps/shop/approve?namespace={ns}", json={"revision": 1},
                             headers=headers, timeout=30)
    assert approved.status_code == 200, approved.text
    assert kube.get("infraplans", "shop")["spec"]["approval"] == {
        "revision": 1, "approvedBy": f"system:serviceaccount:{ns}:approver"}
    # Its Role is in its namespace only: another namespace is refused, not served with the server's rights.
    other = requests.get(f"{ui_server}api/apps/shop?namespace=default", headers=headers, timeout=30)
    assert other.status_code == 403 and "may not get applications 'shop' in namespace 'default'" in other.json()["error"]

    page.get_by_test_id("logout").click()
    expect(page.get_by_test_id("login-token")).to_be_visible()
