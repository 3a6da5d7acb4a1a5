"""A Server that names Hetzner Cloud and an offer, and no address, is ordered through the
API (the real hcloud client, against the local stand-in whose machines are fresh-server
containers), its host key pinned before first contact, then provisioned like any other.
Nothing is ordered twice, not even across a crash between the create call and
recording its answer; the API's refusals end as clear condition reasons."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import docker.errors
import pytest

from hydron.api.server import Server
from hydron.controllers.common import PatchSpec
from hydron.controllers.server import reconcile, release
from hydron.providers import ordering
from hydron.providers.ordering import OrderSettings
from hydron.provisioning import steps
from hydron.remote import hostkeys
from hydron_testbed.hetzner_api import HetznerApi
from hydron_testbed.ordering import Account, Recorder, ordered_server
from hydron_testbed.reconcile import condition, make_runtime

pytestmark = [pytest.mark.provider, pytest.mark.docker]


@pytest.fixture
def hetzner(server_factory):
    api = HetznerApi(server_factory, token="hetzner-stand-in-token").start()
    yield api
    api.stop()


def handed_back(server: Server, outcome) -> Server:
    """The resource as the next pass reads it: the status written, the spec patches applied."""
    spec = server.spec
    for effect in outcome.effects:
        if isinstance(effect, PatchSpec):
            spec = spec.model_copy(update=effect.fields)
    return server.model_copy(update={"spec": spec, "status": outcome.status})


def machine_host_key(api: HetznerApi, machine_id: int) -> str:
    container = api.servers.client.containers.get(api.machines[machine_id].container_id)
    return hostkeys.normalize(container.exec_run(["cat", "/etc/ssh/ssh_host_ed25519_key.pub"]).output.decode())


def creates(api: HetznerApi) -> int:
    return api.requests.count(("POST", "/v1/servers"))


class Provisioned:
    def __init__(self, api, account, server, first, recorder, runtime) -> None:
        self.api, self.account, self.server, self.first, self.recorder = api, account, server, first, recorder
        self.runtime = runtime


@pytest.fixture(scope="module")
async def provisioned(server_factory, docker_client):
    """One ordered server taken all the way to Ready, for the module's tests in file order."""
    api = HetznerApi(server_factory, token="hetzner-stand-in-token").start()
    account, recorder, runtime = Account(api), Recorder(), make_runtime(docker_client)
    server = ordered_server(deletionPolicy="Delete")
    first = await reconcile(server, 1, account.deps(runtime, recorder))
    yield Provisioned(api, account, handed_back(server, first), first, recorder, runtime)
    await runtime.pool.close()
    api.stop()


async def test_an_ordered_server_is_installed_with_a_pinned_host_key_and_provisioned_to_ready(provisioned):
    api, result = provisioned.api, provisioned.first
    assert condition(result, "Ready").status == "True", result.status.conditions
    assert condition(result, "Ordered").reason == "MachineRunning"
    (machine,) = api.machines.values()
    status = result.status
    assert status.machine.id == str(machine.id) and status.machine.ipv4 == machine.ipv4
    assert machine.labels[ordering.OWNER_LABEL] == provisioned.account.owner.uid
    assert (machine.server_type, machine.location, machine.image) == ("cx33", "fsn1", "debian-12")
    assert status.machine.pending_order is None

    # The host key was Hydron's from the start: the machine shows it, and nothing was trusted on first use.
    assert status.host_key == machine_host_key(api, machine.id)
    assert "HostKeyRecorded" not in provisioned.recorder.reasons()
    assert provisioned.recorder.durable and provisioned.recorder.durable[0].machine.pending_order.host_key == status.host_key

    rows = [(s.name, s.state) for s in status.steps]
    assert rows[:4] == [(n, "Succeeded") for n in ordering.STEPS]
    assert [n for n, _ in rows[4:]] == list(steps.NAMES)  # then the provisioning table, as for any server
    assert all(state in ("Succeeded", "Skipped") for _, state in rows), rows
    assert provisioned.server.spec.address == machine.ipv4  # the provider's address, for Deployments


async def test_reconciling_an_ordered_server_again_orders_nothing(provisioned):
    api = provisioned.api
    before = list(api.requests)
    again = await reconcile(provisioned.server, 2, provisioned.account.deps(provisioned.runtime, Recorder()))
    assert condition(again, "Ready").status == "True", again.status.conditions
    assert len(api.machines) == 1 and api.requests == before  # not even a lookup: the order is done
    assert [s.state for s in again.status.steps[:4]] == ["Succeeded"] * 4


async def test_a_bigger_offer_resizes_the_machine_in_place_with_the_stop_said_in_status(provisioned):
    api = provisioned.api
    (machine,) = api.machines.values()
    container = machine.container_id
    bigger = provisioned.server.model_copy(update={"spec": provisioned.server.spec.model_copy(update={
        "order": provisioned.server.spec.order.model_copy(update={"offer": "cx43"})})})
    recorder = Recorder()
    resized = await reconcile(bigger, 3, provisioned.account.deps(provisioned.runtime, recorder))
    assert condition(resized, "Ready").status == "True", resized.status.conditions
    assert resized.status.machine.offer == "cx43" and machine.server_type == "cx43"
    assert list(api.machines) == [machine.id] and machine.container_id == container  # the same machine, not a move
    calls = [path.rsplit("/", 1)[-1] for method, path in api.requests if method == "POST" and "/actions/" in path]
    assert calls[-3:] == ["poweroff", "change_type", "poweron"]
    said = [message for _, reason, message in recorder.events if reason == "Resizing"]
    assert said and "off" in said[0] and "down until it runs again" in said[0]
    provisioned.server = handed_back(bigger, resized)


async def test_a_reinstall_request_installs_the_os_again_pins_a_new_host_key_and_provisions_again(provisioned):
    api = provisioned.api
    (machine,) = api.machines.values()
    old_container, old_key, address = machine.container_id, provisioned.server.status.host_key, machine.ipv4
    asked = provisioned.server.model_copy(update={"spec": provisioned.server.spec.model_copy(update={"reinstall": "1"})})
    recorder = Recorder()
    # Only the facts step after the reinstall (the full provisioning was proved above): the
    # progress table starts afresh, so every step runs again on the new installation.
    quick = provisioned.account.deps(provisioned.runtime, recorder, steps=())
    again = await reconcile(asked, 4, quick)
    assert condition(again, "Reachable").status == "True", again.status.conditions
    assert ("POST", f"/v1/servers/{machine.id}/actions/rebuild") in api.requests
    assert machine.container_id != old_container, (again.status.conditions, recorder.events)  # a fresh disk
    assert machine.ipv4 == address  # the same address
    assert again.status.host_key != old_key and again.status.host_key == machine_host_key(api, machine.id)
    assert "HostKeyRecorded" not in recorder.reasons()  # pinned before the first connection, not trusted on use
    assert again.status.machine.reinstalled == "1"
    rows = {s.name: s.state for s in again.status.steps}
    assert set(steps.NAMES) - {steps.FACTS} <= {n for n, state in rows.items() if state == "Pending"}, rows
    assert again.status.facts.os == "debian"  # read again from the new installation
    provisioned.server = handed_back(asked, again)
    before = len(api.requests)
    await reconcile(provisioned.server, 5, provisioned.account.deps(provisioned.runtime, Recorder(), steps=()))
    assert not any(path.endswith("/rebuild") for _, path in api.requests[before:])  # once per value


async def test_deletion_policy_delete_deletes_the_machine_through_the_api(provisioned):
    api = provisioned.api
    (machine,) = api.machines.values()
    said = await release(provisioned.server, provisioned.account.deps(provisioned.runtime))
    assert api.machines == {} and ("DELETE", f"/v1/servers/{machine.id}") in api.requests
    assert str(machine.id) in said
    with pytest.raises(docker.errors.NotFound):
        api.servers.client.containers.get(machine.container_id)


# --- faults: each on a fresh stand-in, with only the facts step after ordering ------------


@pytest.fixture
def quick(runtime):
    """Deps that stop after the facts step: the tests below are about ordering."""
    return replace(runtime, steps=())


class CrashAfterCreate:
    """The operator dies right after the create call returned: nothing after it is recorded."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def create(self, *args, **kwargs):
        await self.inner.create(*args, **kwargs)
        raise asyncio.CancelledError


async def test_a_crash_between_create_and_recording_never_orders_twice(hetzner, quick):
    account, recorder = Account(hetzner), Recorder()
    server = ordered_server()
    crashing = account.deps(quick, recorder, providers=lambda name, token: CrashAfterCreate(account.provider(name, token)))
    with pytest.raises(asyncio.CancelledError):
        await reconcile(server, 1, crashing)
    assert len(hetzner.machines) == 1
    marker = recorder.status.machine.pending_order  # what reached the API server before the crash
    assert marker is not None and recorder.status.machine.id is None

    after = Recorder()
    result = await reconcile(server.model_copy(update={"status": recorder.status}), 1, account.deps(quick, after))
    assert condition(result, "Ready").status == "True", result.status.conditions
    (machine,) = hetzner.machines.values()
    assert creates(hetzner) == 1 and result.status.machine.id == str(machine.id)
    assert result.status.host_key == marker.host_key == machine_host_key(hetzner, machine.id)
    assert "OrderRecovered" in after.reasons() and "HostKeyRecorded" not in after.reasons()


async def test_an_answer_lost_on_the_way_back_is_found_again_not_reordered(hetzner, quick):
    account, recorder = Account(hetzner), Recorder()

    def lose_answer(machine) -> None:
        hetzner.after_create = None
        raise RuntimeError("connection reset")  # the API made the machine; its answer never arrives

    hetzner.after_create = lose_answer
    server = ordered_server()
    first = await reconcile(server, 1, account.deps(quick, recorder))
    assert condition(first, "Ordered").reason == "ProviderUnavailable" and first.retryable
    second = await reconcile(server.model_copy(update={"status": first.status}), 1, account.deps(quick, Recorder()))
    assert condition(second, "Ready").status == "True", second.status.conditions
    assert creates(hetzner) == 1 and len(hetzner.machines) == 1


async def test_an_invalid_token_says_so_and_is_not_retried(hetzner, quick):
    account = Account(hetzner, token="revoked")
    result = await reconcile(ordered_server(), 1, account.deps(quick, Recorder()))
    ordered = condition(result, "Ordered")
    assert (ordered.status, ordered.reason) == ("False", "ProviderInvalidToken")
    assert "revoked" not in ordered.message and "token" in ordered.message
    assert not result.retryable and hetzner.machines == {}
    assert condition(result, "Ready").status == "False"


async def test_a_rate_limited_order_is_retried_and_then_made_once(hetzner, quick):
    account = Account(hetzner)
    hetzner.rate_limited = 1
    server = ordered_server()
    first = await reconcile(server, 1, account.deps(quick, Recorder()))
    assert condition(first, "Ordered").reason == "ProviderRateLimited" and first.retryable
    assert hetzner.machines == {}
    second = await reconcile(server.model_copy(update={"status": first.status}), 1, account.deps(quick, Recorder()))
    assert condition(second, "Ready").status == "True", second.status.conditions
    assert len(hetzner.machines) == 1


@pytest.mark.parametrize("fault, reason, retried", [
    ("out_of_stock", "OfferUnavailable", True),
    ("full_location", "LocationFull", True),
    ("unknown_offer", "UnknownOffer", False),
    ("server_limit", "QuotaExceeded", False),
])
async def test_a_refused_order_gives_a_clear_reason_and_orders_nothing(hetzner, quick, fault, reason, retried):
    offer = "cx99" if fault == "unknown_offer" else "cx33"
    if fault == "out_of_stock":
        hetzner.out_of_stock.add(("cx33", "fsn1"))
    elif fault == "full_location":
        hetzner.full_locations.add("fsn1")
    elif fault == "server_limit":
        hetzner.server_limit = 0
    result = await reconcile(ordered_server(offer=offer), 1, Account(hetzner).deps(quick, Recorder()))
    ordered = condition(result, "Ordered")
    assert (ordered.status, ordered.reason) == ("False", reason), ordered.message
    assert result.retryable is retried and hetzner.machines == {}
    order_row = result.status.steps[0]
    assert (order_row.name, order_row.state) == ("order", "Failed") and order_row.message == ordered.message


async def test_a_machine_that_never_boots_says_so_and_is_looked_at_again_not_reordered(hetzner, quick):
    hetzner.never_boots = True
    account = Account(hetzner)
    server = ordered_server()
    first = await reconcile(server, 1, account.deps(quick, Recorder(), ordering=OrderSettings(boot_timeout=1)))
    ordered = condition(first, "Ordered")
    assert (ordered.status, ordered.reason) == ("False", "MachineNotBooting") and first.retryable
    rows = [(s.name, s.state) for s in first.status.steps[:4]]
    assert rows == [("order", "Succeeded"), ("install-os", "Succeeded"), ("boot", "Failed"), ("first-ssh", "Pending")]
    again = await reconcile(server.model_copy(update={"status": first.status}), 1,
                            account.deps(quick, Recorder(), ordering=OrderSettings(boot_timeout=1)))
    assert condition(again, "Ordered").reason == "MachineNotBooting"
    assert creates(hetzner) == 1 and len(hetzner.machines) == 1  # the same machine, looked at again
