"""Unit tests need no network, server or cluster: each gets a short timeout, so a
hang (an await that never returns, a lock never released) fails at once, by name.
Only the test function is timed: the last unit test of a full run also tears down the
session's control plane, which takes its own time."""

from __future__ import annotations

import pytest

UNIT_TIMEOUT_SECONDS = 10


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/tests/unit/" in str(item.path) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(UNIT_TIMEOUT_SECONDS, func_only=True))
