"""fetch_source against real git servers: every kind of ref, over git:// and http://."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from hydron.source import FetchedSource, GitSource, fetch_source
from hydron_testbed.git_server import GitDaemon, GitHTTPServer, ServedRepos, run_git


@pytest.fixture(params=["git", "http"])
def public_url(request, git_daemon: GitDaemon, git_http: GitHTTPServer) -> str:
    """public.git over both transports: the same refs must resolve the same way."""
    server = git_daemon if request.param == "git" else git_http
    return server.url("public.git")


def head_of(checkout: Path) -> str:
    return run_git(checkout, "rev-parse", "HEAD").strip()


def test_default_branch_pins_the_tip_of_main(public_url: str, served_repos: ServedRepos, tmp_path: Path) -> None:
    """No ref means the remote's HEAD, and the pinned sha is what git itself says."""
    got = fetch_source(GitSource(url=public_url), tmp_path / "co")
    source_tip = subprocess.check_output(
        ["git", "-C", str(served_repos.public.work.path), "rev-parse", "main"], text=True
    ).strip()
    assert got.commit == source_tip == served_repos.public.c3
    assert got.ref == "refs/heads/main"
    assert head_of(tmp_path / "co") == got.commit
    assert (tmp_path / "co" / "CHANGELOG.md").read_text() == "c3\n"
    assert got.root == tmp_path / "co" == got.checkout_dir


def test_branch(public_url: str, served_repos: ServedRepos, tmp_path: Path) -> None:
    got = fetch_source(GitSource(url=public_url, ref="dev"), tmp_path / "co")
    assert (got.commit, got.ref) == (served_repos.public.c4, "refs/heads/dev")
    assert (tmp_path / "co" / "app" / "dev.py").exists()


def test_branch_with_slash(public_url: str, served_repos: ServedRepos, tmp_path: Path) -> None:
    got = fetch_source(GitSource(url=public_url, ref="release/1.x"), tmp_path / "co")
    assert (got.commit, got.ref) == (served_repos.public.c1, "refs/heads/release/1.x")


def test_lightweight_tag(public_url: str, served_repos: ServedRepos, tmp_path: Path) -> None:
    got = fetch_source(GitSource(url=public_url, ref="v1.0"), tmp_path / "co")
    assert (got.commit, got.ref) == (served_repos.public.c1, "refs/tags/v1.0")
    assert (tmp_path / "co" / "app" / "main.py").read_text() == "print('v1')\n"


def test_annotated_tag_pins_the_commit_not_the_tag_object(
    public_url: str, served_repos: ServedRepos, tmp_path: Path
) -> None:
    got = fetch_source(GitSource(url=public_url, ref="v2.0"), tmp_path / "co")
    assert (got.commit, got.ref) == (served_repos.public.c2, "refs/tags/v2.0")
    assert head_of(tmp_path / "co") == served_repos.public.c2


def test_full_ref_name(public_url: str, served_repos: ServedRepos, tmp_path: Path) -> None:
    got = fetch_source(GitSource(url=public_url, ref="refs/heads/dev"), tmp_path / "co")
    assert got.commit == served_repos.public.c4


def test_full_sha_of_a_non_tip_commit(public_url: str, served_repos: ServedRepos, tmp_path: Path) -> None:
    """Protocol v2 servers hand out any commit: this stays a shallow fetch."""
    got = fetch_source(GitSource(url=public_url, ref=served_repos.public.c0), tmp_path / "co")
    assert got.commit == got.ref == served_repos.public.c0
    assert head_of(tmp_path / "co") == served_repos.public.c0
    assert (tmp_path / "co" / ".git" / "shallow").read_text().split() == [served_repos.public.c0]


def test_fetch_is_shallow(public_url: str, served_repos: ServedRepos, tmp_path: Path) -> None:
    """Only the requested commit comes over, not the history."""
    fetch_source(GitSource(url=public_url), tmp_path / "co")
    assert (tmp_path / "co" / ".git" / "shallow").read_text().split() == [served_repos.public.c3]
    count = run_git(tmp_path / "co", "rev-list", "--count", "HEAD").strip()
    assert count == "1"


def test_short_sha_of_a_non_tip_commit(public_url: str, served_repos: ServedRepos, tmp_path: Path) -> None:
    """A short sha cannot be asked for directly; the full-fetch fallback finds it."""
    short = served_repos.public.c0[:7]
    got = fetch_source(GitSource(url=public_url, ref=short), tmp_path / "co")
    assert got.commit == got.ref == served_repos.public.c0
    assert head_of(tmp_path / "co") == served_repos.public.c0
    assert sorted(p.name for p in (tmp_path / "co").iterdir()) == [".git", "README.md"]
    assert not (tmp_path / "co" / ".git" / "shallow").exists()  # came through the full fetch


def test_short_sha_of_a_tip_stays_shallow(git_daemon: GitDaemon, served_repos: ServedRepos, tmp_path: Path) -> None:
    got = fetch_source(GitSource(url=git_daemon.url("public.git"), ref=served_repos.public.c4[:8]), tmp_path / "co")
    assert got.commit == served_repos.public.c4
    assert (tmp_path / "co" / ".git" / "shallow").exists()


def test_sha_on_a_server_that_refuses_unadvertised_commits(
    git_http: GitHTTPServer, served_repos: ServedRepos, tmp_path: Path
) -> None:
    """/v0/ speaks protocol v0, which refuses a want for a non-tip sha; we fall back."""
    url = git_http.url("v0/public.git")
    probe = tmp_path / "probe"
    run_git(tmp_path, "init", "-q", str(probe))
    refused = subprocess.run(
        ["git", "-C", str(probe), "fetch", "--depth=1", url, served_repos.public.c0], capture_output=True, text=True
    )
    assert refused.returncode != 0 and "unadvertised object" in refused.stderr  # the server really refuses

    got = fetch_source(GitSource(url=url, ref=served_repos.public.c0), tmp_path / "co")
    assert got.commit == served_repos.public.c0
    assert head_of(tmp_path / "co") == served_repos.public.c0
    assert not (tmp_path / "co" / ".git" / "shallow").exists()  # came through the full fetch


def test_subdirectory_path(public_url: str, served_repos: ServedRepos, tmp_path: Path) -> None:
    got = fetch_source(GitSource(url=public_url, path="app/"), tmp_path / "co")
    assert got.checkout_dir == tmp_path / "co" / "app"
    assert got.root == tmp_path / "co"
    assert sorted(p.name for p in got.checkout_dir.iterdir()) == ["main.py", "requirements.txt"]
    assert got.files == 2
    assert got.bytes == len("print('v2')\n") + len("flask==3.0.0\n")


def test_counts_cover_the_whole_checkout_without_git_dir(
    git_daemon: GitDaemon, served_repos: ServedRepos, tmp_path: Path
) -> None:
    got: FetchedSource = fetch_source(GitSource(url=git_daemon.url("public.git"), ref="v1.0"), tmp_path / "co")
    files = run_git(served_repos.public.work.path, "ls-tree", "-r", "--name-only", "v1.0").split()
    assert got.files == len(files) == 4


def test_existing_destination_is_replaced(git_daemon: GitDaemon, served_repos: ServedRepos, tmp_path: Path) -> None:
    dest = tmp_path / "co"
    fetch_source(GitSource(url=git_daemon.url("public.git"), ref="dev"), dest)
    got = fetch_source(GitSource(url=git_daemon.url("public.git"), ref="v1.0"), dest)
    assert head_of(dest) == got.commit == served_repos.public.c1
    assert not (dest / "app" / "dev.py").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["co"]


def test_file_url(served_repos: ServedRepos, tmp_path: Path) -> None:
    url = (served_repos.root / "public.git").as_uri()
    got = fetch_source(GitSource(url=url, ref="dev"), tmp_path / "co")
    assert got.commit == served_repos.public.c4


def test_checkout_has_no_credentials_and_no_hooks_config_left_open(
    git_daemon: GitDaemon, tmp_path: Path
) -> None:
    """Later stages may run git in the checkout: hooks stay off there too."""
    fetch_source(GitSource(url=git_daemon.url("public.git")), tmp_path / "co")
    config = (tmp_path / "co" / ".git" / "config").read_text()
    assert "hooksPath = /dev/null" in config
    assert f"url = {git_daemon.url('public.git')}" in config
    assert not (tmp_path / "co" / ".git" / "hooks").exists()
