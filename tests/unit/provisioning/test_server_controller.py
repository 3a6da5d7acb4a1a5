"""Server controller decisions that need no server: key handling, blockers, results."""

from __future__ import annotations

from hydron.api.server import Server
from hydron.controllers import server as controller
from hydron.provisioning.facts import HostFacts
from hydron.provisioning.settings import ProvisioningSettings

SPEC = {"address": "127.0.0.1", "port": 1, "sshKeySecretRef": {"name": "fra-1-ssh", "key": "ssh-privatekey"}}
NOT_A_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LXNlY3JldC1zZWNyZXQ=\n-----END OPENSSH PRIVATE KEY-----\n"


def condition(result, type_):
    return next(c for c in result.status.conditions if c.type == type_)


async def test_without_a_secret_reader_the_server_waits_and_is_retried():
    result = await controller.reconcile(Server.model_validate({"spec": SPEC}), 2, controller.ServerDeps())
    reachable = condition(result, "Reachable")
    assert (reachable.status, reachable.reason, reachable.observed_generation) == ("Unknown", "SecretNotFound", 2)
    assert "no Secret reader" in reachable.message
    assert condition(result, "Ready").status == "Unknown"
    assert condition(result, "Provisioned").status == "Unknown"
    assert result.retryable and result.status.observed_generation == 2
    assert result.to_api() == result.status.to_api()


async def test_a_secret_that_is_not_a_key_names_the_secret_never_its_content():
    events = []
    result = await controller.reconcile(
        Server.model_validate({"spec": SPEC}), 1,
        controller.ServerDeps(read_secret=lambda name, key: NOT_A_KEY, emit=events.append),
    )
    reachable = condition(result, "Reachable")
    assert reachable.reason == "AuthenticationFailed" and not result.retryable
    assert "Secret fra-1-ssh key ssh-privatekey does not hold" in reachable.message
    for text in (reachable.message, repr(events), result.message):
        assert "c2VjcmV0" not in text


async def test_an_invalid_pinned_host_key_is_a_spec_problem():
    server = Server.model_validate({"spec": {**SPEC, "hostKey": "ssh-ed25519 nonsense"}})
    result = await controller.reconcile(server, 1, controller.ServerDeps(read_secret=lambda n, k: NOT_A_KEY))
    assert condition(result, "Reachable").reason == "InvalidHostKey" and not result.retryable


def facts(**kw) -> HostFacts:
    return HostFacts(**{"os_id": "debian", "os_version": "12", "disk_free_mib": 50_000, **kw})


def test_a_nearly_full_disk_blocks_provisioning_with_disk_full():
    spec = Server.model_validate({"spec": SPEC}).spec
    reason, message = controller._blocker(facts(disk_free_mib=300), spec, ProvisioningSettings(), observe_only=False)
    assert reason == "DiskFull"
    assert message.startswith("Only 300 MiB free on / (at least 1024 MiB needed)")
    assert controller._blocker(facts(), spec, ProvisioningSettings(), observe_only=False) is None
    assert controller._blocker(facts(disk_free_mib=300), spec, ProvisioningSettings(), observe_only=True) is None


def test_an_unsupported_release_blocks_unless_only_observed():
    spec = Server.model_validate({"spec": SPEC}).spec
    reason, message = controller._blocker(facts(os_version="11"), spec, ProvisioningSettings(), observe_only=False)
    assert reason == "UnsupportedOS" and "ObserveOnly" in message


def test_facts_summary_for_the_progress_table():
    text = controller.describe_facts(facts(cpus=4, memory_mib=8192, disk_gib=80, disk_used_percent=12.5, docker_version="24.0.7", systemd=True))
    assert text == "debian 12, 4 CPUs, 8 GiB RAM, 80 GiB disk (12.5% used), Docker 24.0.7, systemd."
