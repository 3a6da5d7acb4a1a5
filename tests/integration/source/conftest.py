"""Fixtures for the source integration tests: real git servers on loopback."""

from tests.support.git_server import (  # noqa: F401  (fixtures)
    fresh_repo,
    git_daemon,
    git_http,
    served_repos,
    silent_server,
    ssh_server,
)
