"""Every failure has an actionable reason, the right retryability, and leaves no
half-written checkout behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from hydron.source import (
    FetchLimits,
    GitSource,
    HostUnreachable,
    PathNotFound,
    RefNotFound,
    RepositoryNotFound,
    SourceError,
    SourceTimeout,
    SourceTooLarge,
    fetch_source,
)
from hydron_testbed.git_server import GitDaemon, GitHTTPServer, ServedRepos, SilentServer, run_git
from hydron_testbed.ports import closed_port


def assert_untouched(tmp_path: Path, dest: Path) -> None:
    """Neither the destination nor a temporary sibling exists after a failure."""
    assert not dest.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(f".{dest.name}.")] == []


def fetch_fails(spec: GitSource, tmp_path: Path, **kw) -> SourceError:
    dest = tmp_path / "co"
    with pytest.raises(SourceError) as info:
        fetch_source(spec, dest, **kw)
    assert_untouched(tmp_path, dest)
    return info.value


@pytest.mark.parametrize("transport", ["git", "http"])
def test_unknown_ref_lists_the_branches(
    transport: str, git_daemon: GitDaemon, git_http: GitHTTPServer, tmp_path: Path
) -> None:
    server = git_daemon if transport == "git" else git_http
    err = fetch_fails(GitSource(url=server.url("public.git"), ref="mian"), tmp_path)
    assert isinstance(err, RefNotFound) and err.reason == "RefNotFound" and not err.retryable
    assert "check spec.source.git.ref" in err.message
    assert "branches on the remote are: dev, main, release/1.x" in err.message


def test_unknown_commit_sha(git_daemon: GitDaemon, tmp_path: Path) -> None:
    err = fetch_fails(GitSource(url=git_daemon.url("public.git"), ref="0123456789abcdef0123456789abcdef01234567"), tmp_path)
    assert err.reason == "RefNotFound"
    assert "branches on the remote are" in err.message


def test_unknown_short_sha(git_daemon: GitDaemon, tmp_path: Path) -> None:
    err = fetch_fails(GitSource(url=git_daemon.url("public.git"), ref="abcdef0"), tmp_path)
    assert err.reason == "RefNotFound"


@pytest.mark.parametrize("transport", ["git", "http", "file"])
def test_repository_not_found(
    transport: str, git_daemon: GitDaemon, git_http: GitHTTPServer, served_repos: ServedRepos, tmp_path: Path
) -> None:
    url = {
        "git": git_daemon.url("nope.git"),
        "http": git_http.url("nope.git"),
        "file": (served_repos.root / "nope.git").as_uri(),
    }[transport]
    err = fetch_fails(GitSource(url=url), tmp_path)
    assert isinstance(err, RepositoryNotFound), err
    assert not err.retryable
    assert "check spec.source.git.url" in err.message


def test_empty_repository(git_daemon: GitDaemon, served_repos: ServedRepos, fresh_repo, tmp_path: Path) -> None:
    work, name = fresh_repo
    run_git(served_repos.root, "init", "-q", "--bare", name)
    err = fetch_fails(GitSource(url=git_daemon.url(name)), tmp_path)
    assert err.reason == "RefNotFound" and "has no commits yet" in err.message


def test_path_not_found_lists_top_level_directories(git_daemon: GitDaemon, tmp_path: Path) -> None:
    err = fetch_fails(GitSource(url=git_daemon.url("public.git"), path="services/api"), tmp_path)
    assert isinstance(err, PathNotFound) and not err.retryable
    assert "'services/api' does not exist" in err.message
    assert "app/, docs/" in err.message


def test_path_that_is_a_file(git_daemon: GitDaemon, tmp_path: Path) -> None:
    err = fetch_fails(GitSource(url=git_daemon.url("public.git"), path="README.md"), tmp_path)
    assert err.reason == "PathNotFound" and "is not a directory" in err.message


@pytest.mark.parametrize("scheme", ["git", "http"])
def test_unreachable_port_is_retryable(scheme: str, tmp_path: Path) -> None:
    port = closed_port()
    err = fetch_fails(GitSource(url=f"{scheme}://127.0.0.1:{port}/public.git"), tmp_path)
    assert isinstance(err, HostUnreachable), err
    assert err.retryable
    assert f"127.0.0.1:{port}" in err.message


def test_incompressible_repository_over_the_size_limit(git_daemon: GitDaemon, tmp_path: Path) -> None:
    """3 MiB of random data against a 1 MiB limit: stopped on the fetched objects."""
    err = fetch_fails(GitSource(url=git_daemon.url("big.git")), tmp_path, limits=FetchLimits(max_bytes=1 << 20))
    assert isinstance(err, SourceTooLarge) and not err.retryable
    assert "1.0 MiB" in err.message


def test_compressed_bomb_refused_before_checkout(git_daemon: GitDaemon, tmp_path: Path) -> None:
    """8 MiB of zeros packs into a few KiB; the tree is measured before it is written."""
    err = fetch_fails(GitSource(url=git_daemon.url("bomb.git")), tmp_path, limits=FetchLimits(max_bytes=1 << 20))
    assert isinstance(err, SourceTooLarge)
    assert "checks out to 8.0 MiB" in err.message


def test_too_many_files(git_daemon: GitDaemon, tmp_path: Path) -> None:
    err = fetch_fails(GitSource(url=git_daemon.url("public.git")), tmp_path, limits=FetchLimits(max_files=3))
    assert isinstance(err, SourceTooLarge) and "5 files" in err.message


def test_within_limits_passes(git_daemon: GitDaemon, tmp_path: Path) -> None:
    """The same limit machinery lets a repository under the limits through."""
    got = fetch_source(
        GitSource(url=git_daemon.url("bomb.git")), tmp_path / "co", limits=FetchLimits(max_bytes=9 << 20)
    )
    assert got.bytes == 8 << 20


def test_timeout_kills_git_and_its_helpers(silent_server: SilentServer, tmp_path: Path) -> None:
    """An http remote that never answers: git-remote-http holds the connection, so the
    server seeing it closed proves the whole process group was killed."""
    err = fetch_fails(
        GitSource(url=f"http://127.0.0.1:{silent_server.port}/public.git"),
        tmp_path,
        limits=FetchLimits(timeout_seconds=1.5),
    )
    assert isinstance(err, SourceTimeout) and err.retryable
    assert "1.5s" in err.message
    assert silent_server.all_closed_by_client(timeout=10)


def test_failure_keeps_the_previous_checkout(git_daemon: GitDaemon, served_repos: ServedRepos, tmp_path: Path) -> None:
    dest = tmp_path / "co"
    fetch_source(GitSource(url=git_daemon.url("public.git"), ref="dev"), dest)
    with pytest.raises(RefNotFound):
        fetch_source(GitSource(url=git_daemon.url("public.git"), ref="gone"), dest)
    assert (dest / "app" / "dev.py").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["co"]
