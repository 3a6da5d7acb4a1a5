"""From an analysed Application to an approved InfraPlan on the real API server."""

from __future__ import annotations

import base64
import json
import time

import pytest

pytestmark = pytest.mark.controlplane


def condition(obj: dict, type_: str) -> dict:
    return next(c for c in obj["status"]["conditions"] if c["type"] == type_)


def app(name: str, source: dict, auto_approve: bool) -> str:
    return json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Application", "metadata": {"name": name},
        "spec": {"source": source, "domains": [f"{name}.example.com"], "planning": {"autoApprove": auto_approve}},
    })


def test_auto_approved_plan_marks_the_application_planned(kube, operator):
    kube.apply(app("whoami", {"image": {"name": "traefik/whoami:v1.10", "port": 80}}, auto_approve=True))
    kube.wait("applications", "whoami", "condition=Planned", timeout=90)

    plan = kube.get("infraplans", "whoami")
    assert plan["metadata"]["ownerReferences"][0]["kind"] == "Application"
    assert plan["status"]["approvedRevision"] == plan["status"]["revision"] == 1
    services = plan["spec"]["services"]
    assert services[0]["image"] == "traefik/whoami:v1.10" and services[0]["port"] == 80
    assert any(r["domain"] == "whoami.example.com" for r in plan["spec"]["routes"])
    assert kube.get("applications", "whoami")["status"]["planRef"] == {"name": "whoami"}

    # An edit of the Application is planned again by itself (the plan has no timer: the
    # Application's inputs annotation must run its handler), and Planned follows.
    edited = json.loads(app("whoami", {"image": {"name": "traefik/whoami:v1.10", "port": 80}}, auto_approve=True))
    edited["spec"]["domains"].append("www.whoami.example.com")
    kube.apply(json.dumps(edited))
    kube.wait("infraplans", "whoami", "jsonpath={.status.approvedRevision}=2", timeout=90)
    plan = kube.get("infraplans", "whoami")
    assert any(r["domain"] == "www.whoami.example.com" for r in plan["spec"]["routes"])
    kube.wait("applications", "whoami", "condition=Planned", timeout=60)


def test_a_person_approves_the_revision_named_in_the_hint(kube, operator):
    kube.apply(app("whoami", {"image": {"name": "traefik/whoami:v1.10", "port": 80}}, auto_approve=False))
    kube.wait("applications", "whoami", "jsonpath={.status.conditions[?(@.type==\"Planned\")].reason}=AwaitingApproval", timeout=90)
    planned = condition(kube.get("applications", "whoami"), "Planned")
    assert "kubectl patch infraplan whoami" in planned["message"]

    kube.run("patch", "infraplan", "whoami", "--type=merge", "-p", '{"spec":{"approval":{"revision":1}}}')
    kube.wait("infraplans", "whoami", "condition=Approved")
    kube.wait("applications", "whoami", "condition=Planned", timeout=60)


def test_generated_database_credentials_land_in_a_secret_not_the_plan(kube, operator):
    kube.apply(app("blog", {"template": {"name": "ghost"}}, auto_approve=True))
    kube.wait("applications", "blog", "condition=Planned", timeout=90)
    plan = kube.get("infraplans", "blog")
    generated = [s for s in plan["spec"]["secrets"] if s["purpose"] == "Generated"]
    assert generated, plan["spec"]["secrets"]

    secret = kube.get("secret", generated[0]["name"])
    values = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    passwords = [v for v in values.values() if len(v) >= 16]
    assert passwords, list(values)
    assert all(p not in json.dumps(plan) for p in passwords)
    assert secret["metadata"]["ownerReferences"][0]["kind"] == "InfraPlan"


def entries(operator, namespace: str) -> dict[str, float]:
    """hydron_operator_entries of one namespace, by table (tables with none left out)."""
    found = {}
    for line in operator.metrics().splitlines():
        if line.startswith("hydron_operator_entries{") and f'namespace="{namespace}"' in line:
            table = line.split('table="')[1].split('"')[0]
            if float(line.rsplit(" ", 1)[1]):
                found[table] = float(line.rsplit(" ", 1)[1])
    return found


def test_the_operator_keeps_nothing_of_objects_once_they_are_deleted(kube, operator):
    """What the operator holds per object (watched children, views, locks) follows the
    objects: entries that outlived them would make its memory grow with every object
    ever created. No namespace controller or garbage collector runs here, so the plans
    are deleted by hand."""
    names = [f"tiny-{i}" for i in range(3)]
    for name in names:
        kube.apply(app(name, {"image": {"name": "traefik/whoami:v1.10", "port": 80}}, auto_approve=True))
    for name in names:
        kube.wait("applications", name, "condition=Planned", timeout=120)
    held = entries(operator, kube.namespace)
    assert held.get("children") == 3 and held.get("views") == 3  # the gauge sees them while they live

    kube.run("delete", "applications", *names, "--timeout=120s")
    kube.run("delete", "infraplans", *names, "--ignore-not-found", "--timeout=120s")
    deadline = time.monotonic() + 60
    while (left := entries(operator, kube.namespace)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert left == {}, f"kept after deletion: {left}"
