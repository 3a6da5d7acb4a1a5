"""Each way a server can be out of reach or refuse provisioning ends as a condition
with a clear reason, marked retryable or not; none raises."""

from __future__ import annotations

import socket
from dataclasses import replace

import asyncssh
import pytest

from hydron.api.server import Server
from hydron.controllers.server import ServerDeps, reconcile
from hydron.remote import hostkeys
from hydron_testbed.polling import eventually
from hydron_testbed.ports import closed_port
from hydron_testbed.reconcile import Events, condition, run_reconcile, step, with_status

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def host(server_factory):
    """One server for the module's tests that never provision it (wrong keys, ObserveOnly)."""
    (made,) = server_factory.hosts(1)
    yield made
    server_factory.remove(made)


def sshd_answers(host) -> bool:
    """sshd sends its banner again (it re-executes itself on SIGHUP)."""
    try:
        with socket.create_connection((host.fresh.address, host.fresh.port), timeout=2) as sock:
            return sock.recv(4).startswith(b"SSH-")
    except OSError:
        return False


def accepted_logins(host) -> int:
    return host.container.logs().decode(errors="replace").count("Accepted publickey")


async def test_wrong_key_is_authentication_failed_and_not_retried(host, runtime):
    stranger = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
    events = Events()
    result = await reconcile(host.server(), 1, replace(runtime, read_secret=lambda name, key: stranger, emit=events))
    reachable = condition(result, "Reachable")
    assert (reachable.status, reachable.reason) == ("False", "AuthenticationFailed")
    assert "authorized_keys" in reachable.message
    assert condition(result, "Ready").status == "False" and condition(result, "Ready").reason == "AuthenticationFailed"
    assert not result.retryable
    assert ("Warning", "AuthenticationFailed") == events[-1][:2]


async def test_missing_secret_is_retried(host, runtime):
    def missing(name, key):
        raise LookupError(name)

    result = await reconcile(host.server(), 1, replace(runtime, read_secret=missing))
    assert (condition(result, "Reachable").status, condition(result, "Reachable").reason) == ("Unknown", "SecretNotFound")
    assert "cannot read key ssh-privatekey of Secret server-ssh" in condition(result, "Reachable").message
    assert result.retryable


async def test_a_changed_host_key_stops_everything_before_any_command(host, runtime):
    server = host.server(management="ObserveOnly")
    first = await run_reconcile(host, server, runtime)
    assert first.status.host_key == hostkeys.normalize(host.fresh.host_key)

    # The machine is "reinstalled": new host keys, same address.
    host.sh("rm -f /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && kill -HUP $(cat /run/sshd.pid)")
    await runtime.pool.close()
    await eventually(lambda: sshd_answers(host), timeout=30)
    logins = accepted_logins(host)
    events = Events()
    result = await run_reconcile(host, with_status(server, first), runtime, events)
    reachable = condition(result, "Reachable")
    assert (reachable.status, reachable.reason) == ("False", "HostKeyChanged")
    assert first.status.host_key_fingerprint in reachable.message
    assert "spec.hostKey" in reachable.message
    assert not result.retryable
    assert result.commands.observed == 0 and result.commands.mutations == []
    assert accepted_logins(host) == logins, "the client never authenticated, so nothing could run"
    assert events == [("Warning", "HostKeyChanged", reachable.message)]
    assert result.status.host_key == first.status.host_key, "the pin is kept, not replaced by the new key"


def test_a_closed_port_is_host_unreachable_and_retried():
    import asyncio

    server = Server.model_validate({"spec": {"address": "127.0.0.1", "port": closed_port(), "sshKeySecretRef": {"name": "s", "key": "k"}}})
    key = asyncssh.generate_private_key("ssh-ed25519").export_private_key().decode()
    result = asyncio.run(reconcile(server, 3, ServerDeps(read_secret=lambda name, k: key)))
    reachable = condition(result, "Reachable")
    assert (reachable.status, reachable.reason, reachable.observed_generation) == ("False", "HostUnreachable", 3)
    assert condition(result, "Provisioned").status == "Unknown"
    assert result.retryable


async def test_a_full_disk_is_reported_as_disk_full(hosts, runtime):
    (full,) = hosts(1)
    full.sh("mkdir -p /etc/docker && mount -t tmpfs -o size=16k tmpfs /etc/docker && "
            "dd if=/dev/zero of=/etc/docker/filler bs=4k count=8 2>/dev/null; true")
    try:
        result = await run_reconcile(full, full.server(), runtime)
    finally:
        full.sh("umount /etc/docker")
    provisioned = condition(result, "Provisioned")
    assert (provisioned.status, provisioned.reason) == ("False", "DiskFull")
    assert provisioned.message.startswith("log-collection: the disk is full")
    assert "No space left on device" in provisioned.message
    assert step(result, "log-collection").state == "Failed"
    assert step(result, "docker-engine").message == "Blocked: step log-collection failed."
    assert condition(result, "Ready").reason == "DiskFull"


async def test_a_package_that_cannot_be_installed_names_the_step_and_the_apt_sources(hosts, runtime):
    (broken,) = hosts(1)
    broken.sh(": > /etc/apt/sources.list && rm -rf /etc/apt/sources.list.d/* /var/lib/apt/lists/*")
    result = await run_reconcile(broken, broken.server(), runtime)
    provisioned = condition(result, "Provisioned")
    assert (provisioned.status, provisioned.reason) == ("False", "StepFailed")
    assert provisioned.message.startswith("docker-engine: package install failed: E: Unable to locate package docker.io")
    assert "check the server's apt sources" in provisioned.message
    assert not result.retryable
    assert step(result, "docker-engine").state == "Failed"
