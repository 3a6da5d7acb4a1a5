"""A repository written by an attacker: symlinks out of the checkout, hook scripts,
LFS pointers, submodules over file://."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from hydron.source import GitSource, InvalidURL, fetch_source
from hydron_testbed.git_server import TEST_GIT_ENV, GitDaemon, GitHTTPServer, ServedRepos


@pytest.fixture
def hooks_everywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, served_repos: ServedRepos) -> Path:
    """The operator's own environment set up to run a post-checkout hook: a template dir
    with hooks and a global config with core.hooksPath, both writing the marker."""
    hook = f"#!/bin/sh\necho ran >> {served_repos.hook_marker}\n"
    template_hooks = tmp_path / "template" / "hooks"
    template_hooks.mkdir(parents=True)
    (template_hooks / "post-checkout").write_text(hook)
    (template_hooks / "post-checkout").chmod(0o755)
    global_config = tmp_path / "gitconfig"
    global_config.write_text(f"[core]\n\thooksPath = {template_hooks}\n")
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(tmp_path / "template"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    monkeypatch.setenv("HOME", str(tmp_path))
    if served_repos.hook_marker.exists():
        served_repos.hook_marker.unlink()
    return served_repos.hook_marker


def test_symlinks_leaving_the_checkout_are_removed_and_reported(
    git_daemon: GitDaemon, tmp_path: Path
) -> None:
    got = fetch_source(GitSource(url=git_daemon.url("hostile.git")), tmp_path / "co")
    co = tmp_path / "co"
    removed = {r.path: r.target for r in got.removed_symlinks}
    assert removed == {
        "passwd": "/etc/passwd",
        "etc": "/etc",
        "escape": "../../..",
        "deep/er/link": "../../../outside",
        "via-escape": "escape/etc",
    }
    for path in removed:
        assert not os.path.lexists(co / path)
    # links that stay inside are kept, and work
    assert os.readlink(co / "inside") == "app/main.py"
    assert (co / "inside").read_text() == "print('hi')\n"
    assert os.readlink(co / "app" / "up") == ".."
    # nothing left in the tree resolves outside it
    real = os.path.realpath(co)
    for dirpath, dirnames, filenames in os.walk(co):
        for name in dirnames + filenames:
            assert os.path.realpath(os.path.join(dirpath, name)).startswith(real)


def test_no_hook_runs(
    git_daemon: GitDaemon, served_repos: ServedRepos, tmp_path: Path, hooks_everywhere: Path
) -> None:
    """Neither the repository's hook-like files nor the machine's hook config run."""
    # control: a plain clone in this environment does run the hook
    subprocess.run(
        ["git", "clone", "-q", git_daemon.url("hostile.git"), str(tmp_path / "control")],
        check=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
    )
    assert hooks_everywhere.read_text() == "ran\n"
    hooks_everywhere.unlink()

    fetch_source(GitSource(url=git_daemon.url("hostile.git")), tmp_path / "co")
    assert not hooks_everywhere.exists()
    hooks_dir = tmp_path / "co" / ".git" / "hooks"
    assert not hooks_dir.exists() or list(hooks_dir.iterdir()) == []


def test_lfs_files_stay_pointers(git_http: GitHTTPServer, tmp_path: Path) -> None:
    fetch_source(GitSource(url=git_http.url("hostile.git")), tmp_path / "co")
    assert (tmp_path / "co" / "model.bin").read_text().startswith("version https://git-lfs.github.com/spec/v1")


def test_submodules_only_when_asked(git_daemon: GitDaemon, served_repos: ServedRepos, tmp_path: Path) -> None:
    without = fetch_source(GitSource(url=git_daemon.url("with-submodule.git")), tmp_path / "a")
    assert not (tmp_path / "a" / "vendor" / "lib" / "README.md").exists()
    with_ = fetch_source(GitSource(url=git_daemon.url("with-submodule.git"), submodules=True), tmp_path / "b")
    assert (tmp_path / "b" / "vendor" / "lib" / "README.md").read_text() == "# public\n"
    sub_head = subprocess.check_output(
        ["git", "-C", str(tmp_path / "b" / "vendor" / "lib"), "rev-parse", "HEAD"], text=True,
        env={**os.environ, **TEST_GIT_ENV},
    ).strip()
    assert sub_head == served_repos.public.c3
    assert with_.files > without.files


def test_submodule_over_file_url_is_refused(git_daemon: GitDaemon, tmp_path: Path) -> None:
    """A remote repository must not make the operator read its own disk."""
    with pytest.raises(InvalidURL) as info:
        fetch_source(GitSource(url=git_daemon.url("file-submodule.git"), submodules=True), tmp_path / "co")
    assert "file transport" in info.value.message
    assert "spec.source.git.submodules" in info.value.message
    assert not (tmp_path / "co").exists()
