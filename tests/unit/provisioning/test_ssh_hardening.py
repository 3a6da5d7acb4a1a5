"""SSH hardening must never lock Hydron out: validate, reload, prove a new login,
roll back otherwise."""

import pytest

from hydron.provisioning.failures import StepError
from hydron.provisioning.steps import ssh_hardening
from hydron.provisioning.steps.ssh_hardening import DROP_IN, SshHardening, drop_in

from tests.unit.provisioning.fakes import FakeServer
from tests.unit.provisioning.helpers import context

RELOAD = "start-stop-daemon --stop --quiet --signal HUP --pidfile /run/sshd.pid"
REMOVE = f"rm -f -- {DROP_IN}"


def test_drop_in_content():
    assert drop_in().splitlines()[1:] == [
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
    ]


def test_effective_settings_accept_the_old_name_of_prohibit_password():
    ok = {"passwordauthentication": "no", "kbdinteractiveauthentication": "no", "permitrootlogin": "without-password"}
    assert ssh_hardening.effective_mismatches(ok) == []
    assert ssh_hardening.effective_mismatches({**ok, "passwordauthentication": "yes"}) == ["passwordauthentication yes"]


async def test_invalid_configuration_is_removed_before_any_reload():
    server = FakeServer().on(r"^sshd -t$", exit=255, stderr="/etc/ssh/sshd_config line 3: Bad configuration option\n")
    ctx = context(server)
    with pytest.raises(StepError, match="sshd rejected the configuration, drop-in removed"):
        await SshHardening().change(ctx, None)
    assert server.ran(RELOAD) == []
    assert ctx.run.log.mutations[-1] == REMOVE


async def test_failed_new_login_rolls_back_and_reloads_again(monkeypatch):
    monkeypatch.setattr(ssh_hardening, "RELOAD_GRACE", 0.0)
    attempts = []

    async def refused():
        attempts.append(1)
        raise ConnectionRefusedError("refused")

    server = FakeServer()
    ctx = context(server, login=refused)
    with pytest.raises(StepError, match="a new SSH login failed after the reload .*refused.*drop-in was removed"):
        await SshHardening().change(ctx, None)
    assert attempts
    mutations = ctx.run.log.mutations
    assert mutations[0].startswith("sh -c") and DROP_IN in mutations[0]
    assert mutations[1:] == [RELOAD, REMOVE, RELOAD]


async def test_success_keeps_the_drop_in():
    server = FakeServer()
    ctx = context(server)
    message = await SshHardening().change(ctx, None)
    assert "new key login verified" in message
    assert ctx.run.log.mutations[1:] == [RELOAD]
    assert server.inputs[server.ran(DROP_IN)[0]] == drop_in().encode()
