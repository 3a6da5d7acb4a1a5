"""Package installs: only what is missing, with a refresh of stale lists when apt cannot find a package."""

import pytest

from hydron.provisioning import packages
from hydron.remote.errors import CommandFailed

from tests.unit.provisioning.fakes import FakeServer, Reply
from tests.unit.provisioning.helpers import context


def install_fails_once():
    calls = []

    def reply(line):
        calls.append(line)
        return Reply(exit=100, stderr="E: Unable to locate package caddy\n") if len(calls) == 1 else Reply()

    return reply


async def test_installed_packages_are_not_installed_again():
    server = FakeServer().on("dpkg-query", stdout="curl\tinstalled\t7.88\ncaddy\tinstalled\t2.6.2\n")
    ctx = context(server)
    assert await packages.install(ctx, ["caddy", "curl"]) == []
    assert ctx.run.log.mutations == []


async def test_unknown_package_refreshes_the_lists_once_and_retries():
    server = FakeServer().on("dpkg-query", stdout="curl\tinstalled\t7.88\n").on("apt-get install", install_fails_once())
    ctx = context(server)
    assert await packages.install(ctx, ["caddy", "curl"]) == ["caddy"]
    assert [m.split(" apt-get ")[1].split()[0] for m in ctx.run.log.mutations] == ["install", "update", "install"]


async def test_a_package_still_missing_after_the_refresh_fails():
    server = FakeServer().on("apt-get install", exit=100, stderr="E: Unable to locate package caddy\n")
    ctx = context(server)
    with pytest.raises(CommandFailed, match="Unable to locate package caddy"):
        await packages.install(ctx, ["caddy"])
    assert len(ctx.run.log.mutations) == 3


async def test_no_package_lists_at_all_are_fetched_first():
    ctx = context(FakeServer(), apt_lists_age=None)
    await packages.install(ctx, ["nftables"])
    assert [m.split(" apt-get ")[1].split()[0] for m in ctx.run.log.mutations] == ["update", "install"]


async def test_an_interrupted_dpkg_is_finished_waiting_for_its_lock(monkeypatch):
    attempts = []

    def configure(line):
        attempts.append(line)
        if len(attempts) == 1:
            return Reply(exit=2, stderr="dpkg: error: dpkg frontend lock was locked by another process with pid 812\n")
        return Reply()

    server = FakeServer().on("dpkg --audit", stdout="The following packages are only half configured: docker.io\n")
    server.on("--configure -a", configure)
    monkeypatch.setattr("hydron.provisioning.poll.asyncio.sleep", _no_wait)
    await packages.finish_interrupted(context(server))
    assert len(attempts) == 2


async def _no_wait(_seconds):
    return None
