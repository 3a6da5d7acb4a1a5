"""management: ObserveOnly adopts a server someone else set up: facts and health are
read, nothing is changed, not a single changing command is sent."""

from __future__ import annotations

import pytest

from hydron.provisioning import steps
from hydron_testbed.reconcile import Events, condition, run_reconcile, step

pytestmark = pytest.mark.docker


async def test_observe_only_reads_facts_and_changes_nothing(hosts, runtime):
    (host,) = hosts(1)
    before = host.sh("find /etc /var/lib -newer /etc/hostname -type f 2>/dev/null | sort | md5sum")
    events = Events()
    result = await run_reconcile(host, host.server(management="ObserveOnly"), runtime, events)

    assert result.commands.mutations == []
    assert result.commands.observed > 0
    assert condition(result, "Reachable").status == "True"
    provisioned = condition(result, "Provisioned")
    assert (provisioned.status, provisioned.reason) == ("True", "ObserveOnly")
    assert "docker-engine: docker.io is not installed" in provisioned.message
    assert condition(result, "Ready").status == "True"
    assert step(result, "facts").state == "Succeeded"
    assert result.status.facts.os == "debian" and result.status.facts.docker_version is None
    assert [step(result, n).state for n in steps.NAMES[1:]] == ["Skipped"] * (len(steps.NAMES) - 1)
    assert step(result, "firewall").message.startswith("Observe only: nftables is not installed")

    # The machine is exactly as it was: no package, no marker, no file written.
    assert host.sh("command -v docker nft caddy", check=False) == ""
    assert host.sh("test -e /var/lib/hydron && echo present", check=False) == ""
    assert host.sh("find /etc /var/lib -newer /etc/hostname -type f 2>/dev/null | sort | md5sum") == before
    assert [reason for reason in events.reasons() if reason != "HostKeyRecorded"] == []
