"""Private repositories over SSH with a deploy key, against a real sshd on loopback."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from hydron.source import (
    AuthenticationFailed,
    GitCredentials,
    GitSource,
    HostKeyVerificationFailed,
    fetch_source,
    resolve_ref,
)
from hydron_testbed.git_server import ServedRepos, SSHServer


def public_over_ssh(ssh_server: SSHServer, served_repos: ServedRepos) -> str:
    return ssh_server.url(served_repos.root / "public.git")


def test_deploy_key_first_use(ssh_server: SSHServer, served_repos: ServedRepos, tmp_path: Path) -> None:
    """No known_hosts: the host key is accepted on first use (see session.py for the tradeoff)."""
    creds = GitCredentials(ssh_private_key=ssh_server.client_key)
    got = fetch_source(GitSource(url=public_over_ssh(ssh_server, served_repos), ref="dev"), tmp_path / "co", credentials=creds)
    assert got.commit == served_repos.public.c4


def test_deploy_key_with_pinned_host_key(ssh_server: SSHServer, served_repos: ServedRepos, tmp_path: Path) -> None:
    creds = GitCredentials(ssh_private_key=ssh_server.client_key, known_hosts=ssh_server.known_hosts())
    url = public_over_ssh(ssh_server, served_repos)
    assert fetch_source(GitSource(url=url), tmp_path / "co", credentials=creds).commit == served_repos.public.c3
    assert resolve_ref(url, "v2.0", creds) == served_repos.public.c2


def test_wrong_key(ssh_server: SSHServer, served_repos: ServedRepos, tmp_path: Path) -> None:
    with pytest.raises(AuthenticationFailed) as info:
        fetch_source(
            GitSource(url=public_over_ssh(ssh_server, served_repos)),
            tmp_path / "co",
            credentials=GitCredentials(ssh_private_key=ssh_server.other_key),
        )
    assert "Permission denied (publickey" in info.value.message
    body = ssh_server.other_key.splitlines()[1]
    assert body not in str(info.value)
    assert not (tmp_path / "co").exists()


def test_changed_host_key_is_refused(ssh_server: SSHServer, served_repos: ServedRepos, tmp_path: Path) -> None:
    creds = GitCredentials(
        ssh_private_key=ssh_server.client_key, known_hosts=ssh_server.known_hosts(ssh_server.other_host_pub)
    )
    with pytest.raises(HostKeyVerificationFailed) as info:
        fetch_source(GitSource(url=public_over_ssh(ssh_server, served_repos)), tmp_path / "co", credentials=creds)
    assert not info.value.retryable and "known_hosts" in info.value.message


@pytest.fixture
def agent_with_client_key(ssh_server: SSHServer, tmp_path: Path) -> Iterator[str]:
    """An ssh-agent holding the authorised key, as an operator's machine might run."""
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 15
        while not sock.exists():
            assert agent.poll() is None and time.monotonic() < deadline, "ssh-agent did not start"
            threading.Event().wait(0.02)  # poll interval
        key = tmp_path / "client"
        key.write_text(ssh_server.client_key)
        key.chmod(0o600)
        subprocess.run(["ssh-add", "-q", str(key)], env={**os.environ, "SSH_AUTH_SOCK": str(sock)}, check=True)
        yield str(sock)
    finally:
        agent.kill()
        agent.wait()


def test_operator_agent_keys_are_not_used(
    ssh_server: SSHServer,
    served_repos: ServedRepos,
    tmp_path: Path,
    agent_with_client_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An agent holding an authorised key must not open the door for an Application
    that gave no credentials."""
    url = public_over_ssh(ssh_server, served_repos)
    monkeypatch.setenv("SSH_AUTH_SOCK", agent_with_client_key)
    control = subprocess.run(  # plain git with the agent gets in
        ["git", "ls-remote", url, "HEAD"],
        env={**os.environ, "GIT_SSH_COMMAND": "ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert control.returncode == 0, control.stderr
    with pytest.raises(AuthenticationFailed):
        fetch_source(GitSource(url=url), tmp_path / "co")
