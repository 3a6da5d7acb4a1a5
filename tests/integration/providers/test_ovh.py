"""OVHcloud dedicated servers through the official `ovh` library and the stand-in (API v1
and IAM v2 tags, signed requests): a Server takes a server delivered to the account,
installs the OS template with the SSH key and a post-installation script that pins
the host key Hydron chose, is found again by its tag, reinstalls in place, and is
"deleted" as a termination request. Wrong keys, unknown templates and no free server
each end as their own reason."""

from __future__ import annotations

import uuid
from dataclasses import replace

import asyncssh
import pytest

from hydron.api.server import Server
from hydron.controllers.server import reconcile, release
from hydron.providers import cloudinit, ordering
from hydron.providers.base import InvalidToken, OfferUnavailable, ProviderError, RateLimited, UnknownOffer
from hydron.providers.ordering import OrderSettings, Owner
from hydron.providers.ovh import OvhDedicated
from hydron.remote import hostkeys
from hydron_testbed.ordering import Recorder
from hydron_testbed.ovh_api import OvhApi
from hydron_testbed.reconcile import condition

pytestmark = [pytest.mark.provider, pytest.mark.docker]


@pytest.fixture
def api(server_factory):
    api = OvhApi(server_factory, [("KS-LE-B", "gra3")]).start()
    yield api
    api.stop()


def host_key_of(api: OvhApi, name: str) -> str:
    container = api.servers.client.containers.get(api.machines[name].container_id)
    return hostkeys.normalize(container.exec_run(["cat", "/etc/ssh/ssh_host_ed25519_key.pub"]).output.decode())


async def test_refusals_are_told_apart(api):
    with pytest.raises(InvalidToken):
        await OvhDedicated("ak-stand-in:wrong:ck-stand-in", api.endpoint).check("ks-le-b", "gra", "debian12_64")
    cloud = OvhDedicated(api.token, api.endpoint)
    with pytest.raises(UnknownOffer, match="template"):
        await cloud.check("ks-le-b", "gra", "beos5_64")
    with pytest.raises(UnknownOffer, match="Control Panel"):
        await cloud.check("ks-le-c", "gra", "debian12_64")
    await cloud.check("ks-le-b", "gra", "debian12_64")
    api.rate_limited = 1
    with pytest.raises(RateLimited):
        await cloud.check("ks-le-b", "gra", "debian12_64")


async def test_an_order_cut_off_before_its_tag_takes_the_same_server_again_never_a_second(server_factory):
    api = OvhApi(server_factory, [("KS-LE-B", "gra3"), ("KS-LE-B", "gra3")]).start()
    try:
        cloud = OvhDedicated(api.token, api.endpoint, poll_interval=0.2)
        label = {ordering.OWNER_LABEL: "u-1"}
        api.failing_tags = 1
        with pytest.raises(ProviderError):
            await cloud.create("web", "ks-le-b", "gra", "debian12_64", "ssh-ed25519 AAAA x", cloudinit.host_key()[0], label)
        assert await cloud.find_by_label(ordering.OWNER_LABEL, "u-1") is None
        made = await cloud.create("web", "ks-le-b", "gra", "debian12_64", "ssh-ed25519 AAAA x", cloudinit.host_key()[0], label)
        await cloud.wait_running(made.id, timeout=120)
        installed = [t["_server"] for t in api.tasks.values() if t["function"] == "reinstallServer"]
        assert installed == [made.id, made.id]  # the same server installed again; the second one untouched
        assert (await cloud.find_by_label(ordering.OWNER_LABEL, "u-1")).id == made.id
    finally:
        api.stop()


async def test_a_server_ordered_from_ovh_is_installed_with_a_pinned_key_reinstalled_and_released(api, runtime):
    login = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
    owner = Owner("shop", "web", str(uuid.uuid4()))

    def read_secret(name: str, key: str) -> str:
        return api.token if name == "ovh" else login

    deps = replace(runtime, steps=(), read_secret=read_secret, owner=owner, emit=(recorder := Recorder()),
                   providers=lambda name, token: OvhDedicated(token, api.endpoint, poll_interval=0.2),
                   ordering=OrderSettings(ssh_retry_interval=0.5))
    server = Server.model_validate({"spec": {
        "provider": "ovh", "sshKeySecretRef": {"name": "login", "key": "k"}, "deletionPolicy": "Delete",
        "order": {"accountSecretRef": {"name": "ovh", "key": "token"}, "offer": "ks-le-b", "location": "gra",
                  "image": "debian12_64"}}})
    first = await reconcile(server, 1, deps)
    assert condition(first, "Reachable").status == "True", first.status.conditions
    (name,) = api.machines
    machine = api.machines[name]
    assert first.status.machine.id == name and first.status.machine.ipv4 == machine.ip
    assert machine.tags[ordering.OWNER_LABEL] == owner.uid and machine.os == "debian12_64"
    assert first.status.host_key == host_key_of(api, name) and "HostKeyRecorded" not in recorder.reasons()

    # The one delivered server is taken: another order waits for a delivery.
    cloud = OvhDedicated(api.token, api.endpoint)
    with pytest.raises(OfferUnavailable):
        await cloud.create("other", "ks-le-b", "gra", "debian12_64", "ssh-ed25519 AAAA x", cloudinit.host_key()[0], {})
    assert (await cloud.find_by_label(ordering.OWNER_LABEL, owner.uid)).id == name

    stored = first.status
    asked = server.model_copy(update={"spec": server.spec.model_copy(update={"address": machine.ip, "reinstall": "1"}),
                                      "status": stored})
    container = machine.container_id
    again = await reconcile(asked, 2, deps)
    assert condition(again, "Reachable").status == "True", again.status.conditions
    assert machine.container_id != container and again.status.host_key != stored.host_key
    assert again.status.host_key == host_key_of(api, name)

    said = await release(asked.model_copy(update={"status": again.status}), deps)
    assert machine.terminate_requested and name in said
