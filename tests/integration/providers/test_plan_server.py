"""From the plan to a Server, against the real API server: an Application whose planning
names a provider account gets a Server the CRD accepts, owned by the Application (so
deleting the app follows the Server's deletionPolicy), with the plan's offer, firewall
and sshd settings; the spec as the API server stores it (defaults filled in) is no
edit, while a person's `kubectl patch` wins over the plan and is listed as an override."""

from __future__ import annotations

import json

import pytest

from hydron.api.application import Application
from hydron.api.conditions import set_condition
from hydron.api.infraplan import InfraPlan, InfraPlanSpec, InfraPlanStatus
from hydron.controllers import application
from hydron.controllers.common import ApplyChild, parse
from hydron.kube.resources import child_manifest

pytestmark = [pytest.mark.controlplane, pytest.mark.provider]

APP = """
apiVersion: hydron.dev/v1alpha1
kind: Application
metadata: {name: shop}
spec:
  source: {image: {name: "nginx:1.27", port: 80}}
  planning:
    autoApprove: true
    monthlyBudget: 20
    providerAccount:
      provider: hetzner
      accountSecretRef: {name: hetzner, key: token}
      sshKeySecretRef: {name: shop-ssh, key: ssh-privatekey}
      deletionPolicy: Delete
"""


def approved(offer: str, price: float) -> InfraPlan:
    spec = InfraPlanSpec.model_validate({
        "applicationRef": {"name": "shop"},
        "server": {"provider": "hetzner", "offer": offer, "location": "fsn1", "monthlyPrice": price},
        "firewall": [{"port": 5432, "source": "10.0.0.0/8"}],
        "security": {"ssh": {"maxAuthTries": 2}},
        "services": [{"name": "web", "image": "nginx:1.27", "port": 80, "public": True}],
    })
    ready = set_condition([], "Ready", "True", "Ready", "Revision 1 is valid and approved.", 1)
    return InfraPlan(spec=spec, status=InfraPlanStatus(revision=1, approved_revision=1, conditions=ready))


async def one_pass(kube, plan: InfraPlan, status) -> tuple:
    """An Application pass as the operator runs it: reads the stored Server, writes the child."""
    body = kube.get("applications", "shop")
    app = parse(Application, body).model_copy(update={"status": status})

    async def get_plan(name):
        return plan

    async def nothing(name):
        return None

    async def server_body(name):
        found = kube.run("get", "servers", name, "-o", "json", check=False)
        return json.loads(found.stdout) if found.returncode == 0 else None

    deps = application.ApplicationDeps(namespace=kube.namespace, name="shop", workdir=None,  # type: ignore[arg-type]
                                       read_secret_data=nothing, get_plan=get_plan, get_deployment=nothing,
                                       get_server_body=server_body)
    outcome = await application.reconcile(app, 1, deps)
    child = next(e for e in outcome.effects if isinstance(e, ApplyChild) and e.kind == "Server")
    manifest = child_manifest(body, child.kind, child.name, child.spec, child.labels)
    kube.run("replace" if await server_body("shop") else "create", "-f", "-",
             input=json.dumps({**manifest, "metadata": {**manifest["metadata"], **_version(kube)}}))
    return outcome, kube.get("servers", "shop")


def _version(kube) -> dict:
    found = kube.run("get", "servers", "shop", "-o", "jsonpath={.metadata.resourceVersion}", check=False)
    return {"resourceVersion": found.stdout} if found.returncode == 0 and found.stdout else {}


async def test_the_plans_server_is_owned_by_the_app_and_a_persons_edit_wins(kube):
    kube.apply(APP)
    first, server = await one_pass(kube, approved("CX33", 8.49), None)
    spec = server["spec"]
    assert (spec["provider"], spec["order"]["offer"], spec["order"]["location"]) == ("hetzner", "cx33", "fsn1")
    assert spec["firewall"][0]["port"] == 5432 and spec["ssh"]["maxAuthTries"] == 2 and spec["deletionPolicy"] == "Delete"
    (owner,) = server["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["uid"]) == ("Application", kube.get("applications", "shop")["metadata"]["uid"])

    again, _ = await one_pass(kube, approved("CX33", 8.49), first.status)
    assert again.status.server.overrides == []  # the stored, defaulted spec is no person's edit

    kube.run("patch", "servers", "shop", "--type=merge", "-p", '{"spec":{"firewall":[{"port":8443}]}}')
    grown, server = await one_pass(kube, approved("CX43", 15.99), again.status)
    assert server["spec"]["firewall"] == [{"port": 8443, "protocol": "tcp", "source": "0.0.0.0/0"}]  # the person's
    assert server["spec"]["order"]["offer"] == "cx43"  # the plan's bigger offer: that field nobody edited
    assert [o.split(":")[0] for o in grown.status.server.overrides] == ["firewall"]
