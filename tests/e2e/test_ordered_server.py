"""The operator orders a Server's machine: `kubectl apply` of a Server that names Hetzner
Cloud and no address, the real operator (its own process, pointed at the Hetzner
stand-in) orders it, pins the host key it generated, learns the address into the spec
and provisions it to Ready; deleting the Server (deletionPolicy Delete) deletes the
machine through the API."""

from __future__ import annotations

import uuid

import asyncssh
import pytest

from hydron.remote import hostkeys
from hydron_testbed.cluster import Kube
from hydron_testbed.hetzner_api import HetznerApi
from hydron_testbed.operator_process import start_operator, stop_operator, wait_live

pytestmark = [pytest.mark.controlplane, pytest.mark.docker, pytest.mark.provider]

TOKEN = "hetzner-e2e-token"


@pytest.fixture
def ordering_operator(control_plane, server_factory, tmp_path):
    """A stand-in and an operator of its own that orders from it, in a namespace only it watches."""
    api = HetznerApi(server_factory, token=TOKEN).start()
    namespace = f"order-{uuid.uuid4().hex[:6]}"
    control_plane.kubectl_run("create", "namespace", namespace)
    log = tmp_path / "operator.log"
    proc, port, _ = start_operator(control_plane, log, extra=("--namespace", "order-*"),
                                   env={"HYDRON_HETZNER_ENDPOINT": api.endpoint})
    wait_live(proc, port, log)
    yield api, Kube(control_plane, namespace)
    stop_operator(proc, log)
    api.stop()


def test_an_applied_server_without_an_address_is_ordered_provisioned_and_deleted_with_its_machine(ordering_operator):
    api, kube = ordering_operator
    login = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
    indented = "\n".join("    " + line for line in login.strip().splitlines())
    kube.apply(f"""
apiVersion: v1
kind: Secret
metadata: {{name: hetzner}}
stringData: {{token: {TOKEN}}}
---
apiVersion: v1
kind: Secret
metadata: {{name: web-ssh}}
type: kubernetes.io/ssh-auth
stringData:
  ssh-privatekey: |
{indented}
---
apiVersion: hydron.dev/v1alpha1
kind: Server
metadata: {{name: web}}
spec:
  provider: hetzner
  order: {{accountSecretRef: {{name: hetzner, key: token}}, offer: cx33, location: fsn1}}
  deletionPolicy: Delete
  sshKeySecretRef: {{name: web-ssh, key: ssh-privatekey}}
""")
    kube.wait("servers", "web", "condition=Ready", timeout=600)
    server = kube.get("servers", "web")
    (machine,) = api.machines.values()
    assert server["spec"]["address"] == machine.ipv4 == server["status"]["machine"]["ipv4"]
    container = api.servers.client.containers.get(machine.container_id)
    shown = container.exec_run(["cat", "/etc/ssh/ssh_host_ed25519_key.pub"]).output.decode()
    assert server["status"]["hostKey"] == hostkeys.normalize(shown)
    assert [s["name"] for s in server["status"]["steps"][:4]] == ["order", "install-os", "boot", "first-ssh"]
    events = kube.run("get", "events", "--field-selector", "involvedObject.name=web", "-o", "jsonpath={.items[*].reason}").stdout
    assert "HostKeyRecorded" not in events

    kube.run("delete", "servers", "web", "--timeout=120s")  # returns once the finalizer's cleanup ran
    assert api.machines == {} and ("DELETE", f"/v1/servers/{machine.id}") in api.requests
