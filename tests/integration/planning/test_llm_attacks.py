"""The attack corpus through the real Anthropic SDK and the local Messages API server: the
server replays the answer of a model that obeys whatever an attacker planted, and the plan
that comes out must contain nothing unsafe."""

from __future__ import annotations

import asyncio

import pytest

from hydron.llm import Assistant, LlmClient, LlmSettings
from hydron.planning import plan
from hydron_testbed.llm_server import Reply
from tests.unit.llm import corpus

CASES = corpus.load()


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_an_obedient_model_gets_nothing_unsafe_into_the_plan(llm_server, case):
    inputs = corpus.inputs(case)
    draft = plan(inputs)
    llm_server.queue(Reply(body=corpus.reply_body(case.answer)))
    assistant = Assistant(LlmClient(LlmSettings(api_key="test-key", base_url=llm_server.url, timeout_seconds=5,
                                                max_retries=0)))
    result = asyncio.run(assistant.improve(draft, inputs, case.change_requests))
    verdict = corpus.judge(case, draft.spec, result.draft.spec)
    assert verdict.safe, verdict.unsafe
