"""git stderr as GitHub, GitLab, Bitbucket, git daemon, curl and ssh print it, mapped
to condition reasons a person can act on."""

from __future__ import annotations

import pytest

from hydron.source import parse_git_url
from hydron.source.classify import classify_failure
from hydron.source.scrub import Scrubber

GH = parse_git_url("https://github.com/org/repo.git")
GH_SSH = parse_git_url("git@github.com:org/repo.git")
GL = parse_git_url("https://gitlab.com/group/repo.git")
BB = parse_git_url("https://bitbucket.org/team/repo.git")
DAEMON = parse_git_url("git://127.0.0.1:9418/nope.git")

CASES = [
    # (url, stderr, has_credentials, reason, retryable, words in message)
    (GH, "fatal: could not read Username for 'https://github.com': terminal prompts disabled", False,
     "AuthenticationFailed", False, "set spec.source.git.credentialsSecretRef"),
    (GH, "remote: Invalid username or password.\nfatal: Authentication failed for 'https://github.com/org/repo.git/'",
     True, "AuthenticationFailed", False, "rejected the credentials"),
    (GH, "remote: Repository not found.\nfatal: repository 'https://github.com/org/repo.git/' not found", True,
     "RepositoryNotFound", False, "the credentials may not see it"),
    (GH, "remote: Permission to org/repo.git denied to bot.\nfatal: unable to access 'https://github.com/org/repo.git/': "
     "The requested URL returned error: 403", True, "AuthenticationFailed", False, "may read this repository"),
    (GH_SSH, "ERROR: Repository not found.\nfatal: Could not read from remote repository.\n\nPlease make sure you have "
     "the correct access rights\nand the repository exists.", True, "RepositoryNotFound", False, "check spec.source.git.url"),
    (GH_SSH, "git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.", True,
     "AuthenticationFailed", False, "rejected the credentials"),
    (GH_SSH, 'Load key "/tmp/hydron-git-x/identity": invalid format\ngit@github.com: Permission denied (publickey).',
     True, "AuthenticationFailed", False, "invalid format"),
    (GL, "remote: HTTP Basic: Access denied. The provided password or token is incorrect or your account has 2FA "
     "enabled and you must use a personal access token instead of a password.\nfatal: Authentication failed for "
     "'https://gitlab.com/group/repo.git/'", True, "AuthenticationFailed", False, "credentialsSecretRef"),
    (GL, "remote: The project you were looking for could not be found or you don't have permission to view it.\n"
     "fatal: repository 'https://gitlab.com/group/repo.git/' not found", False, "RepositoryNotFound", False, "gitlab.com"),
    (BB, "remote: Invalid credentials\nfatal: Authentication failed for 'https://bitbucket.org/team/repo.git/'", True,
     "AuthenticationFailed", False, "rejected"),
    (BB, "fatal: repository 'https://bitbucket.org/team/repo.git/' not found", False, "RepositoryNotFound", False, ""),
    (DAEMON, "fatal: remote error: access denied or repository not exported: /nope.git", False,
     "RepositoryNotFound", False, "no repository at git://127.0.0.1:9418/nope.git"),
    (GH, "fatal: unable to access 'https://github.com/org/repo.git/': Could not resolve host: github.com", False,
     "HostUnreachable", True, "cannot reach github.com:443"),
    (GH_SSH, "ssh: Could not resolve hostname github.com: Name or service not known\nfatal: Could not read from "
     "remote repository.", False, "HostUnreachable", True, "github.com:22"),
    (GH_SSH, "ssh: connect to host github.com port 22: Connection timed out\nfatal: Could not read from remote "
     "repository.", False, "HostUnreachable", True, "firewall"),
    (GH, "fatal: unable to access 'https://github.com/org/repo.git/': Failed to connect to github.com port 443 after "
     "3 ms: Couldn't connect to server", False, "HostUnreachable", True, ""),
    (DAEMON, "fatal: unable to connect to 127.0.0.1:\n127.0.0.1[0: 127.0.0.1]: errno=Connection refused", False,
     "HostUnreachable", True, "127.0.0.1:9418"),
    (GH, "fatal: unable to access 'https://github.com/org/repo.git/': The requested URL returned error: 502", False,
     "HostUnreachable", True, ""),
    (GH, "error: RPC failed; curl 56 GnuTLS recv error (-9): Error decoding the received TLS packet.\nfatal: early EOF\n"
     "fatal: fetch-pack: invalid index-pack output", False, "FetchFailed", True, "broke off"),
    (GH, "fatal: unable to access 'https://git.internal/r.git/': SSL certificate problem: self-signed certificate",
     False, "TLSVerificationFailed", False, "trusted CA"),
    (GH, "fatal: unable to access 'https://git.internal/r.git/': server certificate verification failed. CAfile: "
     "none CRLfile: none", False, "TLSVerificationFailed", False, ""),
    (GH_SSH, "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS "
     "CHANGED!     @\n@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\nHost key verification failed.\n"
     "fatal: Could not read from remote repository.", True, "HostKeyVerificationFailed", False, "known_hosts"),
    (GH_SSH, "No ED25519 host key is known for github.com and you have requested strict checking.\nHost key "
     "verification failed.", True, "HostKeyVerificationFailed", False, "intercepting"),
    (DAEMON, "fatal: transport 'file' not allowed", False, "InvalidURL", False, "file transport"),
    (GH, "fatal: something nobody has seen before", False, "FetchFailed", True, "something nobody has seen before"),
]


@pytest.mark.parametrize("url, stderr, creds, reason, retryable, words", CASES)
def test_classification(url, stderr, creds, reason, retryable, words) -> None:
    err = classify_failure(stderr, url, has_credentials=creds)
    assert (err.reason, err.retryable) == (reason, retryable), err.message
    assert words in err.message


def test_missing_ref_is_ref_not_found_only_for_fetches() -> None:
    stderr = "fatal: couldn't find remote ref refs/heads/nope"
    assert classify_failure(stderr, GH, ref="nope").reason == "RefNotFound"
    assert classify_failure(stderr, GH).reason == "FetchFailed"
    refused = "error: Server does not allow request for unadvertised object 0123abcd"
    assert classify_failure(refused, GH, ref="0123abcd").reason == "RefNotFound"


def test_boilerplate_and_hints_are_dropped() -> None:
    err = classify_failure(
        "hint: Using 'master' as the name...\nERROR: Repository not found.\nfatal: Could not read from remote "
        "repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.",
        GH_SSH,
    )
    assert "hint" not in err.message and "access rights" not in err.message
    assert "Repository not found" in err.message


def test_long_stderr_is_shortened() -> None:
    err = classify_failure("fatal: " + "x" * 5000, GH)
    assert len(err.message) < 800


def test_credentials_in_stderr_are_scrubbed() -> None:
    token = "glpat-Zx81mQ4rT7vW2yB5nC0d"
    stderr = (
        f"remote: invalid token {token}\n"
        f"fatal: unable to access 'https://oauth2:{token}@gitlab.com/group/repo.git/': The requested URL returned error: 401"
    )
    err = classify_failure(stderr, GL, Scrubber([token], ["oauth2"]), has_credentials=True)
    assert err.reason == "AuthenticationFailed"
    assert token not in err.message and token not in repr(err)
    assert "https://***@gitlab.com" in err.message
