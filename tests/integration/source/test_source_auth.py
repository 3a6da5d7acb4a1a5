"""Private repositories over HTTP Basic auth: the token works, and it never shows up in
a message, in any process's argv, or on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from hydron.source import (
    AuthenticationFailed,
    GitCredentials,
    GitSource,
    InvalidCredentials,
    SourceError,
    fetch_source,
    resolve_ref,
)
from hydron_testbed.git_server import PRIVATE_TOKEN, PRIVATE_USER, GitHTTPServer, ServedRepos

PRIVATE = "private/secret.git"


def files_containing(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def test_right_token_fetches_and_leaves_no_trace(
    git_http: GitHTTPServer, served_repos: ServedRepos, tmp_path: Path
) -> None:
    git_http.argv_leaks.clear()
    creds = GitCredentials(username=PRIVATE_USER, token=PRIVATE_TOKEN + "\n")  # Secrets often end in a newline
    got = fetch_source(GitSource(url=git_http.url(PRIVATE)), tmp_path / "co", credentials=creds)
    assert got.commit == served_repos.private.rev_parse("main")
    assert (tmp_path / "co" / "secret.txt").read_text() == "private\n"
    # the server scanned every process's argv while git talked to it
    assert git_http.argv_leaks == []
    assert files_containing(tmp_path, PRIVATE_TOKEN) == []


def test_token_from_secret_data(git_http: GitHTTPServer, tmp_path: Path) -> None:
    """The Secret layouts Flux and basic-auth Secrets use (username/password)."""
    creds = GitCredentials.from_secret_data({"username": PRIVATE_USER.encode(), "password": PRIVATE_TOKEN.encode()})
    got = fetch_source(GitSource(url=git_http.url(PRIVATE)), tmp_path / "co", credentials=creds)
    assert len(got.commit) == 40


def test_wrong_token(git_http: GitHTTPServer, tmp_path: Path) -> None:
    bad = "hyd-wrong-0c9b8a7d6e5f4a3b2c1d"
    with pytest.raises(AuthenticationFailed) as info:
        fetch_source(
            GitSource(url=git_http.url(PRIVATE)),
            tmp_path / "co",
            credentials=GitCredentials(username=PRIVATE_USER, token=bad),
        )
    err = info.value
    assert err.reason == "AuthenticationFailed" and not err.retryable
    assert "rejected the credentials" in err.message and "credentialsSecretRef" in err.message
    assert bad not in str(err) and bad not in repr(err)
    assert not (tmp_path / "co").exists()


def test_no_token_for_a_private_repository(git_http: GitHTTPServer, tmp_path: Path) -> None:
    """Without credentials git would prompt; it must fail at once instead."""
    with pytest.raises(AuthenticationFailed) as info:
        fetch_source(GitSource(url=git_http.url(PRIVATE)), tmp_path / "co")
    assert "set spec.source.git.credentialsSecretRef" in info.value.message


def test_server_echoing_the_token_is_scrubbed(git_http: GitHTTPServer, tmp_path: Path) -> None:
    """/echo/ answers with an error that contains user:token; the message must not."""
    token = "hyd-echoed-5e4d3c2b1a09f8e7d6c5"
    with pytest.raises(SourceError) as info:
        fetch_source(
            GitSource(url=git_http.url("echo/" + PRIVATE)),
            tmp_path / "co",
            credentials=GitCredentials(username="bob", token=token),
        )
    err = info.value
    assert "invalid credentials: bob:***" in err.message  # git did print the echo
    assert token not in str(err) and token not in repr(err)


def test_token_is_not_sent_to_another_host(git_http: GitHTTPServer, tmp_path: Path) -> None:
    """The credential helper is scoped to scheme://host:port of the URL: after a redirect
    to another host name the token is not offered, so the fetch fails."""
    git_http.auth_seen.clear()
    with pytest.raises(AuthenticationFailed) as info:
        fetch_source(
            GitSource(url=git_http.url("redirect/" + PRIVATE)),
            tmp_path / "co",
            credentials=GitCredentials(username=PRIVATE_USER, token=PRIVATE_TOKEN),
        )
    assert "could not read Username for 'http://localhost:" in info.value.message
    assert [seen for seen in git_http.auth_seen if PRIVATE_TOKEN in seen] == []


def test_token_with_a_git_url_is_refused(git_http: GitHTTPServer, tmp_path: Path) -> None:
    with pytest.raises(InvalidCredentials) as info:
        fetch_source(
            GitSource(url="git://127.0.0.1:9/x.git"), tmp_path / "co", credentials=GitCredentials(token=PRIVATE_TOKEN)
        )
    assert "https" in info.value.message and PRIVATE_TOKEN not in str(info.value)


def test_resolve_ref_with_token(git_http: GitHTTPServer, served_repos: ServedRepos) -> None:
    sha = resolve_ref(git_http.url(PRIVATE), "main", GitCredentials(username=PRIVATE_USER, token=PRIVATE_TOKEN))
    assert sha == served_repos.private.rev_parse("main")
