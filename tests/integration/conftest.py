"""What the integration tests that drive the controllers in-process share."""

from __future__ import annotations

import pytest

from hydron_testbed.reconcile import make_runtime


@pytest.fixture
async def runtime(docker_client):
    """A controller runtime (its own SSH connection pool) for one test."""
    made = make_runtime(docker_client)
    yield made
    await made.pool.close()
