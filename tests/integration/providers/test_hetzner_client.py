"""The Hetzner Cloud module on its own, through the real hcloud client and the stand-in:
what the ordering stage and deletion rely on, one call at a time."""

from __future__ import annotations

import pytest

from hydron.providers import cloudinit
from hydron.providers.base import InvalidToken, ProviderError, UnknownOffer
from hydron.providers.hetzner import HetznerCloud
from hydron_testbed.hetzner_api import HetznerApi

pytestmark = [pytest.mark.provider, pytest.mark.docker]

TOKEN = "hetzner-stand-in-token"


@pytest.fixture
def api(server_factory):
    api = HetznerApi(server_factory, token=TOKEN).start()
    yield api
    api.stop()


async def test_a_machine_is_found_by_its_label_resized_rebuilt_and_deleted(api):
    cloud = HetznerCloud(TOKEN, api.endpoint, poll_interval=0.2)
    private, _ = cloudinit.host_key()
    assert await cloud.find_by_label("hydron.dev/server-uid", "u-1") is None
    made = await cloud.create("web-u1", "cx33", "fsn1", "debian-12", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMk4ZVtqHKOTj7Y0Qb3QFq1t0bOqCnq6zq2HBZ5GxkcE x",
                              private, {"hydron.dev/server-uid": "u-1"})
    found = await cloud.find_by_label("hydron.dev/server-uid", "u-1")
    assert found is not None and found.id == made.id and found.ipv4 == made.ipv4
    running = await cloud.wait_running(made.id, timeout=120)
    assert running.state == "running"

    with pytest.raises(ProviderError, match="stopped"):  # Hetzner changes the type of a server that is off only
        await cloud.resize(made.id, "cx43")
    await cloud.stop(made.id)
    await cloud.resize(made.id, "cx43")
    await cloud.start(made.id)
    assert (await cloud.wait_running(made.id, timeout=120)).offer == "cx43"

    container, new_private = api.machines[int(made.id)].container_id, cloudinit.host_key()[0]
    await cloud.rebuild(made.id, "debian-12", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMk4ZVtqHKOTj7Y0Qb3QFq1t0bOqCnq6zq2HBZ5GxkcE x",
                        new_private)
    rebuilt = await cloud.wait_running(made.id, timeout=120)
    assert rebuilt.ipv4 == made.ipv4 and api.machines[int(made.id)].container_id != container

    await cloud.delete(made.id)
    await cloud.delete(made.id)  # already gone: not an error
    assert await cloud.get(made.id) is None and api.machines == {}


async def test_a_wrong_token_and_an_unknown_offer_are_told_apart(api):
    with pytest.raises(InvalidToken):
        await HetznerCloud("wrong", api.endpoint).find_by_label("a", "b")
    cloud = HetznerCloud(TOKEN, api.endpoint)
    for offer, location, image in (("cx99", "fsn1", "debian-12"), ("cx33", "mars1", "debian-12"), ("cx33", "fsn1", "beos-5")):
        with pytest.raises(UnknownOffer):
            await cloud.check(offer, location, image)
    await cloud.check("cx33", "fsn1", "debian-12")
