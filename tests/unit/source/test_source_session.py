"""The git environment: credentials reach git only the intended way, temp files are
private and go away, and the models keep secrets out of reprs."""

from __future__ import annotations

import os
import stat
import subprocess

import pytest
from pydantic import ValidationError

from hydron.source import GitCredentials, GitSource, InvalidCredentials, InvalidPath, InvalidRef, parse_git_url
from hydron.source.session import TOKEN_ENV, GitSession

TOKEN = "hyd-unit-token-4b3a2918f7e6d5c4"
KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAkeymaterialAAAA\n-----END OPENSSH PRIVATE KEY-----"
HTTPS = parse_git_url("https://git.example.com:8443/org/repo.git")
SSH = parse_git_url("git@git.example.com:org/repo.git")


def credential_fill(env: dict[str, str], host: str) -> subprocess.CompletedProcess:
    """Ask git for credentials the way a fetch would, through the session's config."""
    return subprocess.run(
        ["git", "credential", "fill"],
        input=f"protocol=https\nhost={host}\n\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_token_reaches_git_only_through_the_scoped_helper() -> None:
    with GitSession(HTTPS, GitCredentials(username="bot", token=TOKEN + "\n")) as s:
        env = s.env
        # the token is one environment variable, never config or a command line
        assert env[TOKEN_ENV] == TOKEN
        holders = [k for k, v in env.items() if TOKEN in v]
        assert holders == [TOKEN_ENV]
        keys = [env[f"GIT_CONFIG_KEY_{i}"] for i in range(int(env["GIT_CONFIG_COUNT"]))]
        assert "credential.https://git.example.com:8443.helper" in keys
        got = credential_fill(env, "git.example.com:8443")
        assert got.returncode == 0 and f"password={TOKEN}" in got.stdout and "username=bot" in got.stdout
        other = credential_fill(env, "evil.example.com")
        assert other.returncode != 0 and TOKEN not in other.stdout + other.stderr


def test_no_prompt_and_no_inherited_config() -> None:
    with GitSession(HTTPS) as s:
        env = s.env
        assert env["GIT_TERMINAL_PROMPT"] == "0"
        assert env["GIT_CONFIG_GLOBAL"] == os.devnull and env["GIT_CONFIG_NOSYSTEM"] == "1"
        assert env["HOME"].startswith(str(s.dir))
        assert env["GIT_ALLOW_PROTOCOL"] == "https"
        config = {env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"] for i in range(int(env["GIT_CONFIG_COUNT"]))}
        assert config["core.hooksPath"] == os.devnull
        assert config["submodule.recurse"] == "false"
        assert "file" not in s.submodule_env()["GIT_ALLOW_PROTOCOL"].split(":")


def test_ssh_key_file_is_private_and_removed() -> None:
    session = GitSession(SSH, GitCredentials(ssh_private_key=KEY + "\r\n"))
    with session as s:
        key = s.dir / "identity"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert stat.S_IMODE(s.dir.stat().st_mode) == 0o700
        assert key.read_text().endswith("-----END OPENSSH PRIVATE KEY-----\n")  # OpenSSH needs the newline
        cmd = s.env["GIT_SSH_COMMAND"]
        assert "IdentitiesOnly=yes" in cmd and f"IdentityFile={key}" in cmd
        assert "StrictHostKeyChecking=accept-new" in cmd
        assert "AAAAkeymaterial" not in cmd
        where = s.dir
    assert not where.exists()


def test_ssh_options_are_understood_by_ssh() -> None:
    """ssh -G prints the effective configuration: our options must be in it."""
    with GitSession(SSH, GitCredentials(ssh_private_key=KEY, known_hosts="git.example.com ssh-ed25519 AAAAC3Nz")) as s:
        out = subprocess.run(
            ["sh", "-c", s.env["GIT_SSH_COMMAND"] + " -G git.example.com"], capture_output=True, text=True, timeout=30
        )
        assert out.returncode == 0, out.stderr
        effective = out.stdout.lower()
        assert "stricthostkeychecking true" in effective
        assert "identitiesonly yes" in effective
        assert "batchmode yes" in effective
        assert f"userknownhostsfile {s.dir / 'known_hosts'}".lower() in effective
        assert (s.dir / "known_hosts").read_text() == "git.example.com ssh-ed25519 AAAAC3Nz\n"


@pytest.mark.parametrize(
    "url, creds, says",
    [
        (SSH, GitCredentials(token=TOKEN), "only with an https URL"),
        (HTTPS, GitCredentials(ssh_private_key=KEY), "only with an ssh URL"),
        (HTTPS, GitCredentials(token=TOKEN, ssh_private_key=KEY), "both"),
        (HTTPS, GitCredentials(username="x"), "neither"),
    ],
)
def test_credentials_that_cannot_work(url, creds, says) -> None:
    with pytest.raises(InvalidCredentials) as info:
        GitSession(url, creds)
    assert says in info.value.message and not info.value.retryable
    assert TOKEN not in str(info.value) and "keymaterial" not in str(info.value)


def test_token_with_a_line_break_inside() -> None:
    with pytest.raises(InvalidCredentials) as info:
        with GitSession(HTTPS, GitCredentials(token="abc\ndef-ghijkl")):
            pass
    assert "line break" in info.value.message and "def-ghijkl" not in str(info.value)


def test_secrets_stay_out_of_reprs() -> None:
    creds = GitCredentials(token=TOKEN, username="u")
    assert TOKEN not in repr(creds) and TOKEN not in str(creds) and TOKEN not in creds.model_dump_json()


def test_from_secret_data_key_names() -> None:
    ssh = GitCredentials.from_secret_data({"identity": KEY.encode(), "known_hosts": b"h ssh-ed25519 AAAA"})
    assert ssh.ssh_private_key is not None and ssh.known_hosts == "h ssh-ed25519 AAAA"
    k8s = GitCredentials.from_secret_data({"ssh-privatekey": KEY})
    assert k8s.ssh_private_key is not None and k8s.token is None
    tok = GitCredentials.from_secret_data({"token": TOKEN})
    assert tok.token is not None and tok.token.get_secret_value() == TOKEN


@pytest.mark.parametrize(
    "path, expect",
    [("app", "app"), ("./services/api/", "services/api"), ("a//b", "a/b"), ("", None), (".", None), ("a/../b", "b")],
)
def test_path_is_normalised(path, expect) -> None:
    assert GitSource(url="https://h/r", path=path).path == expect


@pytest.mark.parametrize("path", ["../etc", "/etc", "a/../../b", ".git", ".git/config", "sub/.git/x", "a\\b"])
def test_path_outside_the_repository_is_refused(path) -> None:
    """A SourceError, not a pydantic ValidationError: the controller's one except clause
    turns it into a SourceReady condition with reason InvalidPath."""
    with pytest.raises(InvalidPath) as info:
        GitSource(url="https://h/r", path=path)
    assert "spec.source.git.path" in info.value.message and not info.value.retryable


@pytest.mark.parametrize("ref", ["-x", "main branch", "a..b", "v1^", "HEAD~1", "x:y", "*"])
def test_refs_git_would_misread_are_refused(ref) -> None:
    with pytest.raises(InvalidRef) as info:
        GitSource(url="https://h/r", ref=ref)
    assert info.value.reason == "InvalidRef"


def test_other_bad_input_is_still_a_validation_error() -> None:
    with pytest.raises(ValidationError):
        GitSource(url="https://h/r", submodules="perhaps")


def test_refs_that_are_fine() -> None:
    for ref in ("main", "release/1.x", "v2.0.1", "refs/pull/12/head", "0123abc", " dev "):
        assert GitSource(url="https://h/r", ref=ref).ref == ref.strip()
    assert GitSource(url="https://h/r", ref="").ref is None
