"""URL vetting: what git may be pointed at, and how a refusal reads."""

from __future__ import annotations

import pytest

from hydron.source import InvalidURL, parse_git_url
from hydron.source.urls import default_port


@pytest.mark.parametrize(
    "raw, scheme, host, port, user, path, display",
    [
        ("https://github.com/org/repo.git", "https", "github.com", None, None, "/org/repo.git", "https://github.com/org/repo.git"),
        ("https://gitlab.example.com:8443/group/sub/repo", "https", "gitlab.example.com", 8443, None, "/group/sub/repo", None),
        ("https://jane@bitbucket.org/team/repo.git", "https", "bitbucket.org", None, "jane", "/team/repo.git", "https://bitbucket.org/team/repo.git"),
        ("http://10.0.0.5:3000/me/app.git", "http", "10.0.0.5", 3000, None, "/me/app.git", None),
        ("http://[::1]:8080/x.git", "http", "[::1]", 8080, None, "/x.git", None),
        ("ssh://git@gitlab.com:2222/g/r.git", "ssh", "gitlab.com", 2222, "git", "/g/r.git", None),
        ("git+ssh://git@host.example/r.git", "ssh", "host.example", None, "git", "/r.git", "ssh://git@host.example/r.git"),
        ("git@github.com:org/repo.git", "ssh", "github.com", None, "git", "org/repo.git", None),
        ("git@bitbucket.org:team/repo.git", "ssh", "bitbucket.org", None, "git", "team/repo.git", None),
        ("deploy@git.internal:/srv/git/app.git", "ssh", "git.internal", None, "deploy", "/srv/git/app.git", None),
        ("git://127.0.0.1:9418/public.git", "git", "127.0.0.1", 9418, None, "/public.git", None),
        ("file:///srv/git/app.git", "file", "", None, None, "/srv/git/app.git", None),
        ("  https://github.com/org/repo  ", "https", "github.com", None, None, "/org/repo", "https://github.com/org/repo"),
    ],
)
def test_accepted(raw, scheme, host, port, user, path, display) -> None:
    u = parse_git_url(raw)
    assert (u.scheme, u.host, u.port, u.user, u.path) == (scheme, host, port, user, path)
    assert u.display == (display or raw.strip())


def test_scp_like_is_flagged() -> None:
    assert parse_git_url("git@github.com:org/repo.git").scp_like
    assert not parse_git_url("ssh://git@github.com/org/repo.git").scp_like


def test_credential_scope_keeps_the_port() -> None:
    assert parse_git_url("http://127.0.0.1:8080/x.git").credential_scope == "http://127.0.0.1:8080"
    assert parse_git_url("https://github.com/o/r").credential_scope == "https://github.com"


def test_default_ports() -> None:
    assert default_port(parse_git_url("git@github.com:o/r")) == 22
    assert default_port(parse_git_url("git://h/r")) == 9418
    assert default_port(parse_git_url("https://h:444/r")) == 444


@pytest.mark.parametrize(
    "raw, says",
    [
        ("", "empty"),
        ("ext::sh -c touch% /tmp/pwned", "whitespace"),
        ("ext::sh%20-c%20id", "remote helpers"),
        ("fd::17", "remote helpers"),
        ("ftp://example.com/repo.git", "unsupported scheme 'ftp'"),
        ("rsync://example.com/repo.git", "unsupported scheme"),
        ("/srv/git/repo.git", "local paths"),
        ("./repo", "local paths"),
        ("github.com/org/repo", "did you mean https://github.com/org/repo"),
        ("ssh://-oProxyCommand=touch%20x/repo", "may not begin with '-'"),
        ("--upload-pack=touch", "may not begin with '-'"),
        ("git@-oProxyCommand=x:repo", "may not begin with '-'"),
        ("https://github.com/", "no repository"),
        ("https://github.com", "no repository"),
        ("git@github.com:", "no repository"),
        ("https://github.com/org/repo?x=1", "query string"),
        ("https://exa mple.com/r", "whitespace"),
        ("https://github.com/org/repo\n", None),  # trailing newline is stripped: accepted
        ("file://otherhost/srv/repo", "local path"),
        ("https://host:0/r", "port"),
        ("https://host:99999/r", "cannot be parsed"),
        ("https://bad_host!/r", "not a valid host"),
    ],
)
def test_rejected(raw: str, says) -> None:
    if says is None:
        parse_git_url(raw)
        return
    with pytest.raises(InvalidURL) as info:
        parse_git_url(raw)
    assert info.value.reason == "InvalidURL" and not info.value.retryable
    assert says in info.value.message
    assert "spec.source.git.url" in info.value.message


def test_password_in_url_is_refused_and_not_echoed() -> None:
    with pytest.raises(InvalidURL) as info:
        parse_git_url("https://bob:hunter2-secret@github.com/org/repo.git")
    assert "hunter2-secret" not in str(info.value)
    assert "credentialsSecretRef" in info.value.message


def test_token_as_user_is_not_displayed() -> None:
    """https://TOKEN@github.com/... is accepted (git supports it) but never shown."""
    u = parse_git_url("https://ghp_abcdefghijklmnop@github.com/org/repo.git")
    assert "ghp_" not in u.display


def test_allowed_schemes_restrict() -> None:
    with pytest.raises(InvalidURL) as info:
        parse_git_url("file:///srv/repo.git", allowed_schemes=frozenset({"https", "ssh"}))
    assert "file transport is not allowed" in info.value.message
