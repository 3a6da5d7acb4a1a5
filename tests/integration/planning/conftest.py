"""The local Messages API server for the LLM tests."""

from __future__ import annotations

import pytest

from hydron_testbed.llm_server import LlmServer


@pytest.fixture
def llm_server():
    server = LlmServer.start()
    yield server
    server.close()
