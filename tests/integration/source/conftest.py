"""Fixtures for the source integration tests: real git servers on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from hydron_testbed.git_server import (
    GitDaemon,
    GitHTTPServer,
    ServedRepos,
    SilentServer,
    SSHServer,
    WorkRepo,
    build_served,
)
from tests.conftest import test_bed_required


@pytest.fixture(scope="session")
def served_repos(tmp_path_factory: pytest.TempPathFactory) -> ServedRepos:
    """The fixture repositories, built once per test session."""
    return build_served(tmp_path_factory.mktemp("git"))


@pytest.fixture(scope="session")
def git_daemon(served_repos: ServedRepos) -> Iterator[GitDaemon]:
    daemon = GitDaemon(served_repos.root).start()
    yield daemon
    daemon.stop()


@pytest.fixture(scope="session")
def git_http(served_repos: ServedRepos) -> Iterator[GitHTTPServer]:
    server = GitHTTPServer(served_repos.root).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHServer]:
    """sshd on loopback (Debian package openssh-server)."""
    with test_bed_required():
        SSHServer.require()
    server = SSHServer(tmp_path_factory.mktemp("sshd")).start()
    yield server
    server.stop()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


@pytest.fixture
def fresh_repo(served_repos: ServedRepos, request: pytest.FixtureRequest) -> Iterator[tuple[WorkRepo, str]]:
    """A repository only this test uses (it may push to it): ``(work repo, served name)``."""
    name = _SAFE_NAME.sub("-", request.node.name)[:60]
    work = WorkRepo(served_repos.root.parent / "work" / f"fresh-{name}")
    yield work, f"fresh/{name}.git"
