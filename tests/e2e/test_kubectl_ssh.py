"""kubectl hydron ssh reaches a real server with the key from its Secret and the pinned host key."""

import json

import pytest

from hydron_testbed.cluster import kubectl_hydron

pytestmark = [pytest.mark.controlplane, pytest.mark.docker]


def plugin(kube, *args):
    return kubectl_hydron(kube, *args)


def apply_server(kube, fresh, host_key):
    kube.run("create", "secret", "generic", "srv-ssh", f"--from-literal=ssh-privatekey={fresh.private_key_pem}")
    kube.apply(json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Server", "metadata": {"name": "srv"},
        "spec": {"address": fresh.address, "port": fresh.port, "hostKey": host_key,
                 "sshKeySecretRef": {"name": "srv-ssh", "key": "ssh-privatekey"}},
    }))


def test_runs_a_command_on_the_server(kube, fresh_servers):
    fresh = fresh_servers(1)[0]
    apply_server(kube, fresh, fresh.host_key)
    result = plugin(kube, "ssh", "srv", "--", "cat", "/etc/hostname")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == fresh.name


def test_remote_words_arrive_as_typed_not_as_shell_text(kube, fresh_servers):
    fresh = fresh_servers(1)[0]
    apply_server(kube, fresh, fresh.host_key)
    result = plugin(kube, "ssh", "srv", "--", "printf", "%s|", "$(touch /tmp/pwned)", "a;b", "-oProxyCommand=x")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "$(touch /tmp/pwned)|a;b|-oProxyCommand=x|"
    assert plugin(kube, "ssh", "srv", "--", "test", "-e", "/tmp/pwned").returncode == 1


def test_refuses_a_server_whose_host_key_is_not_the_pinned_one(kube, fresh_servers):
    fresh, other = fresh_servers(2)
    apply_server(kube, fresh, other.host_key)
    result = plugin(kube, "ssh", "srv", "--", "true")
    assert result.returncode != 0
    assert "Host key verification failed" in result.stderr
