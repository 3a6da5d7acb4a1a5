"""Live progress that cannot be written is logged and counted, never silently dropped."""

from __future__ import annotations

import logging

import pytest

from hydron import metrics
from hydron.kube.live import write_live_status


def _errors(kind: str) -> float:
    return metrics.LIVE_STATUS_ERRORS.labels(kind)._value.get()


async def test_a_failed_progress_write_is_logged_and_counted_and_the_pass_goes_on(caplog):
    async def forbidden(*_):
        raise PermissionError("servers.hydron.dev/status is forbidden")

    before = _errors("Server")
    with caplog.at_level(logging.WARNING, logger="hydron.kube.live"):
        written = await write_live_status(forbidden, "Server", "servers", "ns", "fra-1", {"steps": []})
    assert written is False
    assert _errors("Server") == before + 1
    assert "live progress of Server ns/fra-1 not written" in caplog.text and "forbidden" in caplog.text


async def test_a_durable_write_that_fails_stops_the_pass():
    async def down(*_):
        raise ConnectionError("API server unreachable")

    before = _errors("Server")
    with pytest.raises(ConnectionError):
        await write_live_status(down, "Server", "servers", "ns", "fra-1", {}, durable=True)
    assert _errors("Server") == before


async def test_a_written_progress_counts_nothing():
    seen = []

    async def ok(*args):
        seen.append(args)

    before = _errors("Deployment")
    assert await write_live_status(ok, "Deployment", "deployments", "ns", "shop", {"a": 1}) is True
    assert seen == [("deployments", "ns", "shop", {"a": 1})] and _errors("Deployment") == before
