from pathlib import Path

import pytest

from hydron.cli.plugin_kube import PluginError
from hydron.cli.plugin_ssh import known_hosts_line, pinned_host_key, ssh_argv

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
        "-o", "StrictHostKeyChecking=yes", "-p", "2222", "deploy@127.0.0.1", "uptime",
    ]


def test_known_hosts_brackets_a_non_default_port():
    assert known_hosts_line("10.1.2.3", 22, "ssh-ed25519 AAA") == "10.1.2.3 ssh-ed25519 AAA\n"
    assert known_hosts_line("h.example", 2222, "ssh-ed25519 AAA ") == "[h.example]:2222 ssh-ed25519 AAA\n"


def test_the_spec_pin_wins_and_no_pin_at_all_is_refused():
    pinned = {**SERVER, "spec": {**SERVER["spec"], "hostKey": "ssh-ed25519 SPEC"}}
    assert pinned_host_key(pinned) == "ssh-ed25519 SPEC"
    with pytest.raises(PluginError, match="no pinned host key yet"):
        pinned_host_key({"metadata": {"name": "fra-1"}, "spec": SERVER["spec"]})
