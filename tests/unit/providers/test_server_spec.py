"""A Server names either an address (a machine you have) or a provider order."""

from __future__ import annotations

import pytest

from hydron.api import Server
from hydron.controllers.common import InvalidSpec, parse

KEY = {"name": "server-ssh", "key": "ssh-privatekey"}
ORDER = {"accountSecretRef": {"name": "hetzner", "key": "token"}, "offer": "cx33", "location": "fsn1"}


def test_an_ordered_server_needs_no_address_and_defaults_to_debian():
    server = parse(Server, {"spec": {"provider": "hetzner", "order": ORDER, "sshKeySecretRef": KEY}})
    assert server.spec.address is None and server.spec.order.image == "debian-12"


@pytest.mark.parametrize("spec, message", [
    ({"sshKeySecretRef": KEY}, "a byo server needs an address"),
    ({"provider": "hetzner", "sshKeySecretRef": KEY}, "needs spec.order"),
    ({"address": "192.0.2.1", "order": ORDER, "sshKeySecretRef": KEY}, "only for a provider other than byo"),
    ({"provider": "hetzner", "order": {**ORDER, "offer": "CX33 --all"}, "sshKeySecretRef": KEY}, "order.offer"),
])
def test_a_server_without_an_address_or_an_order_is_refused(spec, message):
    with pytest.raises(InvalidSpec, match=message):
        parse(Server, {"spec": spec})


def test_the_crd_carries_the_same_rules():
    import yaml

    from hydron_testbed import REPO

    crd = yaml.safe_load((REPO / "crds" / "hydron.dev_servers.yaml").read_text())
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    rules = [v["rule"] for v in spec["x-kubernetes-validations"]]
    assert "self.provider != 'byo' || has(self.address)" in rules
    assert "address" not in spec.get("required", [])


async def test_deleting_a_server_leaves_a_machine_alone_unless_hydron_ordered_it_under_delete():
    from hydron.controllers.server import ServerDeps, release

    def no_provider(name, token):
        raise AssertionError("no provider call expected")

    deps = ServerDeps(read_secret=lambda name, key: "token", providers=no_provider)
    byo = parse(Server, {"spec": {"address": "192.0.2.1", "sshKeySecretRef": KEY, "deletionPolicy": "Delete"}})
    orphan = parse(Server, {"spec": {"provider": "hetzner", "order": ORDER, "sshKeySecretRef": KEY},
                            "status": {"machine": {"id": "4711"}}})
    assert "not ordered by Hydron" in await release(byo, deps)
    assert "4711 is left running" in await release(orphan, deps)
