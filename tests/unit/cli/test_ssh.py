import subprocess
from pathlib import Path

import pytest

from hydron.cli.plugin_kube import PluginError
from hydron.cli.plugin_ssh import known_hosts_line, pinned_host_key, remote_line, ssh_argv
from tests.hostile import HOSTILE

SERVER = {
    "metadata": {"name": "fra-1"},
    "spec": {"address": "127.0.0.1", "port": 2222, "user": "deploy", "sshKeySecretRef": {"name": "k", "key": "id"}},
    "status": {"hostKey": "ssh-ed25519 AAAAC3Nza"},
}


def test_argv_uses_only_the_given_key_and_the_pinned_host_key():
    argv = ssh_argv(SERVER, Path("/t/key"), Path("/t/known_hosts"), ["uptime"])
    assert argv == [
        "ssh", "-i", "/t/key", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
        "-o", "UserKnownHostsFile=/t/known_hosts", "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "StrictHostKeyChecking=yes", "-l", "deploy", "-p", "2222", "--", "127.0.0.1", "uptime",
    ]


def _with(**spec):
    return {**SERVER, "spec": {**SERVER["spec"], **spec}}


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("field", ["user", "address"])
def test_a_server_with_an_option_or_shell_shaped_user_or_address_is_refused_before_ssh_runs(field, value):
    with pytest.raises(PluginError, match=f"spec.{field} must be"):
        ssh_argv(_with(**{field: value}), Path("/t/key"), Path("/t/known_hosts"), [])


@pytest.mark.parametrize("port", ["22 -oProxyCommand=x", 0, 70000, True])
def test_a_port_that_is_no_port_is_refused(port):
    with pytest.raises(PluginError, match="spec.port"):
        ssh_argv(_with(port=port), Path("/t/key"), Path("/t/known_hosts"), [])


@pytest.mark.parametrize("key", ["ssh-ed25519 AAAA\n@cert-authority * ssh-ed25519 BBBB", "-oProxyCommand=x AAAA"])
def test_a_host_key_that_would_add_a_known_hosts_line_is_refused(key):
    with pytest.raises(PluginError, match="spec.hostKey must be one OpenSSH public key line"):
        pinned_host_key(_with(hostKey=key))


def test_remote_words_arrive_as_typed_and_no_words_mean_a_shell():
    assert remote_line(["ls", "-la", "$(touch /tmp/x)", "a;b"]) == ["ls -la '$(touch /tmp/x)' 'a;b'"]
    assert remote_line([]) == []


def test_real_ssh_reads_no_option_from_the_words_after_the_host(tmp_path):
    """OpenSSH parses options again after the destination unless `--` came before it:
    `ssh HOST -oProxyCommand=...` runs the proxy command. Our argv must not."""
    marker = tmp_path / "pwned"
    server = _with(address="nonexistent.invalid")
    argv = ssh_argv(server, tmp_path / "key", tmp_path / "known_hosts", [f"-oProxyCommand=touch {marker}"])
    subprocess.run([*argv[:1], "-o", "BatchMode=yes", *argv[1:]], capture_output=True, timeout=30, check=False)
    assert not marker.exists()


def test_known_hosts_brackets_a_non_default_port():
    assert known_hosts_line("10.1.2.3", 22, "ssh-ed25519 AAA") == "10.1.2.3 ssh-ed25519 AAA\n"
    assert known_hosts_line("h.example", 2222, "ssh-ed25519 AAA ") == "[h.example]:2222 ssh-ed25519 AAA\n"


def test_the_spec_pin_wins_and_no_pin_at_all_is_refused():
    pinned = {**SERVER, "spec": {**SERVER["spec"], "hostKey": "ssh-ed25519 SPEC"}}
    assert pinned_host_key(pinned) == "ssh-ed25519 SPEC"
    with pytest.raises(PluginError, match="no pinned host key yet"):
        pinned_host_key({"metadata": {"name": "fra-1"}, "spec": SERVER["spec"]})
