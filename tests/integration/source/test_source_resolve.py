"""resolve_ref / ls_remote: the cheap poll for new commits, agreeing with fetch_source."""

from __future__ import annotations

from pathlib import Path

import pytest

from hydron.source import GitSource, HostUnreachable, RefNotFound, fetch_source, ls_remote, resolve_ref
from hydron_testbed.git_server import GitDaemon, GitHTTPServer, ServedRepos, WorkRepo
from hydron_testbed.ports import closed_port


def test_resolve_branch_tag_and_default(git_daemon: GitDaemon, served_repos: ServedRepos) -> None:
    url, p = git_daemon.url("public.git"), served_repos.public
    assert resolve_ref(url) == p.c3
    assert resolve_ref(url, "main") == p.c3
    assert resolve_ref(url, "dev") == p.c4
    assert resolve_ref(url, "v1.0") == p.c1
    assert resolve_ref(url, "v2.0") == p.c2  # annotated tag: the commit, not the tag object
    assert resolve_ref(url, "refs/heads/release/1.x") == p.c1


def test_resolve_sha(git_daemon: GitDaemon, served_repos: ServedRepos) -> None:
    url, p = git_daemon.url("public.git"), served_repos.public
    assert resolve_ref(url, p.c2) == p.c2
    assert resolve_ref(url, p.c4[:8]) == p.c4  # a short sha that is a branch tip
    with pytest.raises(RefNotFound) as info:
        resolve_ref(url, p.c0[:8])  # not a tip: needs a fetch
    assert "full 40-character commit sha" in info.value.message


def test_unknown_branch_lists_branches(git_http: GitHTTPServer) -> None:
    with pytest.raises(RefNotFound) as info:
        resolve_ref(git_http.url("public.git"), "feature")
    assert "branches on the remote are: dev, main, release/1.x" in info.value.message


def test_unreachable(tmp_path: Path) -> None:
    with pytest.raises(HostUnreachable):
        resolve_ref(f"git://127.0.0.1:{closed_port()}/x.git", "main")


def test_ls_remote_lists_heads_and_peeled_tags(git_daemon: GitDaemon, served_repos: ServedRepos) -> None:
    refs = ls_remote(git_daemon.url("public.git"))
    assert refs.head_target == "refs/heads/main"
    assert refs.branches() == ["dev", "main", "release/1.x"]
    assert refs.tags() == ["v1.0", "v2.0"]
    assert refs.refs["refs/tags/v2.0"] == served_repos.public.c2


def test_polling_sees_a_new_commit_and_fetch_agrees(
    git_daemon: GitDaemon, served_repos: ServedRepos, fresh_repo: tuple[WorkRepo, str], tmp_path: Path
) -> None:
    work, name = fresh_repo
    work.write("a.txt", "1\n")
    first = work.commit("first")
    work.publish(served_repos.root / name)
    url = git_daemon.url(name)
    assert resolve_ref(url, "main") == first

    work.write("a.txt", "2\n")
    second = work.commit("second")
    work.publish(served_repos.root / name)
    assert resolve_ref(url, "main") == second
    assert fetch_source(GitSource(url=url, ref="main"), tmp_path / "co").commit == second


def test_a_name_that_is_both_tag_and_branch_means_the_tag(
    git_daemon: GitDaemon, served_repos: ServedRepos, fresh_repo: tuple[WorkRepo, str], tmp_path: Path
) -> None:
    """git's own rule (refs/tags before refs/heads), in both resolve_ref and fetch_source."""
    work, name = fresh_repo
    tagged = work.commit("tagged")
    work.tag("same")
    branched = work.commit("branched")
    work.branch("same")
    work.publish(served_repos.root / name)
    url = git_daemon.url(name)
    assert resolve_ref(url, "same") == tagged != branched
    got = fetch_source(GitSource(url=url, ref="same"), tmp_path / "co")
    assert (got.commit, got.ref) == (tagged, "refs/tags/same")
