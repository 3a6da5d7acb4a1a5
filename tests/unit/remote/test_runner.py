import pytest

from hydron.remote.builders import files
from hydron.remote.command import mutate, observe
from hydron.remote.errors import CommandFailed, MutationRefused
from hydron.remote.runner import CommandLog, CommandRunner
from tests.unit.provisioning.fakes import FakeServer


async def test_counts_reads_and_records_every_changing_command():
    server = FakeServer()
    record = CommandLog()
    runner = CommandRunner(server, "root", record=record)
    await runner.run(observe("uname", "-r"))
    await runner.run(mutate("apt-get", "update"))
    assert record.observed == 1
    assert record.mutations == ["apt-get update"]


async def test_observe_only_refuses_changing_commands_before_sending_them():
    server = FakeServer()
    runner = CommandRunner(server, "root", observe_only=True)
    await runner.run(observe("uname"))
    with pytest.raises(MutationRefused):
        await runner.run(mutate("apt-get", "update"))
    assert server.lines == ["uname"]
    assert runner.log.mutations == []


async def test_non_root_commands_go_through_sudo_on_the_wire():
    server = FakeServer()
    await CommandRunner(server, "deploy").run(mutate("systemctl", "restart", "docker"))
    await CommandRunner(server, "deploy").run(observe("uname", "-r", privileged=False))
    assert server.lines == ["sudo -n -- systemctl restart docker", "uname -r"]


async def test_unaccepted_exit_status_raises_with_the_output_tail():
    server = FakeServer().on("apt-get", exit=100, stderr="E: Unable to locate package nope\n")
    with pytest.raises(CommandFailed) as caught:
        await CommandRunner(server).run(mutate("apt-get", "install", "nope"))
    assert caught.value.exit_status == 100
    assert "Unable to locate package nope" in caught.value.message
    result = await CommandRunner(server).run(mutate("apt-get", "install", "nope"), check=False)
    assert result.exit_status == 100


async def test_output_lines_reach_the_callbacks():
    server = FakeServer().on("ls", stdout="a\nb\n")
    seen: list[tuple[str, str]] = []
    runner = CommandRunner(server, on_line=lambda s, line: seen.append(("runner", line)))
    await runner.run(observe("ls"), on_line=lambda s, line: seen.append(("call", line)))
    assert seen == [("runner", "a"), ("call", "a"), ("runner", "b"), ("call", "b")]


async def test_a_sensitive_read_reaches_no_callback_and_no_error_message():
    secret = '{"auths": {"r:5000": {"auth": "dXNlcjpodW50ZXIy"}}}'
    server = FakeServer().on("config.json", stdout=secret)
    seen: list[str] = []
    runner = CommandRunner(server, on_line=lambda s, line: seen.append(line))
    result = await runner.run(files.read_sensitive("/root/.docker/config.json"))
    assert result.stdout == secret and seen == []

    server.on("config.json", exit=1, stdout=secret, stderr=secret)
    with pytest.raises(CommandFailed) as caught:
        await runner.run(files.read_sensitive("/root/.docker/config.json"))
    assert "dXNlcjpodW50ZXIy" not in str(caught.value) and seen == []
