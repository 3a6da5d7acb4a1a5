"""Faults on the operator's side of the wire: the API server restarted under a running
operator, and the operator SIGKILLed between a provider's create call and recording
the machine's id. Neither needs an app, so neither shares the app scenarios.

The API server restart uses a control plane of its own: restarting the session's would
make every other operator of the run reconnect too.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import asyncssh
import pytest

from hydron_testbed.cluster import Kube
from hydron_testbed.controlplane import ControlPlane, control_plane_bins
from hydron_testbed.hetzner_api import HetznerApi
from hydron_testbed.operator_process import KillableOperator
from hydron_testbed.ordering import ACCOUNT, LOGIN
from hydron_testbed.polling import eventually

pytestmark = [pytest.mark.chaos, pytest.mark.controlplane, pytest.mark.timeout(600)]


def reasons(kube: Kube, kind: str, name: str) -> set[str]:
    status = kube.get(kind, name).get("status") or {}
    return {c.get("reason") for c in status.get("conditions") or []}


def server_without_its_key(name: str) -> str:
    """A Server whose SSH key Secret does not exist: the operator says so in a condition
    at once, without a machine to reach."""
    return json.dumps({"apiVersion": "hydron.dev/v1alpha1", "kind": "Server", "metadata": {"name": name},
                       "spec": {"address": "192.0.2.1", "sshKeySecretRef": {"name": "absent", "key": "k"}}})


@pytest.fixture
def private_plane(tmp_path) -> Iterator[ControlPlane]:
    plane = ControlPlane(tmp_path / "plane", control_plane_bins())
    try:
        plane.start()
        plane.install_crds()
        yield plane
    finally:
        plane.stop()


async def test_the_operator_reconnects_after_the_api_server_restarts_and_handles_a_later_change(private_plane, tmp_path):
    namespace = f"chaos-{uuid.uuid4().hex[:8]}"
    private_plane.kubectl_run("create", "namespace", namespace)
    kube = Kube(private_plane, namespace)
    operator = KillableOperator(private_plane, tmp_path, namespace)
    operator.start()
    try:
        kube.apply(server_without_its_key("before"))
        await eventually(lambda: "SecretNotFound" in reasons(kube, "servers", "before"), timeout=120)

        private_plane.restart_apiserver()
        kube.apply(server_without_its_key("after"))  # only a watch that reconnected sees this

        await eventually(lambda: "SecretNotFound" in reasons(kube, "servers", "after"), timeout=180)
        assert operator.proc.poll() is None, "the operator exited when the API server went away"
    finally:
        operator.stop()  # fails the test if the operator logged a traceback


@pytest.fixture
def hetzner(server_factory) -> Iterator[HetznerApi]:
    api = HetznerApi(server_factory, token="hetzner-stand-in-token").start()
    yield api
    api.stop()


@pytest.mark.provider
@pytest.mark.docker
async def test_killed_between_the_create_call_and_recording_the_id_exactly_one_machine_exists(
        control_plane, hetzner, tmp_path):
    namespace = f"chaos-{uuid.uuid4().hex[:8]}"
    control_plane.kubectl_run("create", "namespace", namespace)
    kube = Kube(control_plane, namespace)
    operator = KillableOperator(control_plane, tmp_path, namespace, env={"HYDRON_HETZNER_ENDPOINT": hetzner.endpoint})
    operator.start()
    try:
        kube.run("create", "secret", "generic", ACCOUNT["name"], f"--from-literal={ACCOUNT['key']}={hetzner.token}")
        login = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
        kube.run("create", "secret", "generic", LOGIN["name"], f"--from-literal={LOGIN['key']}={login}")

        def crash(machine) -> None:
            """The chosen point: the provider made the machine, its answer not yet sent."""
            hetzner.after_create = None
            operator.kill()

        hetzner.after_create = crash
        kube.apply(json.dumps({"apiVersion": "hydron.dev/v1alpha1", "kind": "Server", "metadata": {"name": "web"},
                               "spec": {"provider": "hetzner", "sshKeySecretRef": LOGIN,
                                        "order": {"accountSecretRef": ACCOUNT, "offer": "cx33", "location": "fsn1",
                                                  "image": "debian-12"}}}))
        await eventually(lambda: hetzner.after_create is None and operator.proc.poll() is not None, timeout=120)
        operator.start()

        def recorded() -> str | None:
            return ((kube.get("servers", "web").get("status") or {}).get("machine") or {}).get("id")

        await eventually(lambda: recorded() is not None, timeout=180)
        (machine,) = hetzner.machines.values()
        assert recorded() == str(machine.id)
        assert hetzner.requests.count(("POST", "/v1/servers")) == 1
        events = json.loads(kube.run("get", "events", "-o", "json").stdout)["items"]
        assert "OrderRecovered" in {e.get("reason") for e in events}
    finally:
        operator.stop()
