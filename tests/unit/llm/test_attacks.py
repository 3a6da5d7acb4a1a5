"""The attack corpus against the policy and apply functions (no network): whatever an obedient
model answers, nothing unsafe reaches the plan, and the reviewer is told what was declined."""

from __future__ import annotations

import json

import pytest

from hydron.llm.assist import decide
from hydron.llm.prompt import user_message
from hydron.planning import plan
from tests.unit.llm import corpus

CASES = corpus.load()
PLANTED_IN_ANALYSIS = ("env_name", "file_name", "script")


def test_the_corpus_has_at_least_forty_attacks_from_every_place_an_attacker_writes():
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
    places = {c.planted["where"] for c in CASES}
    assert {"env_name", "file_name", "package_description", "script", "change_request"} <= places


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_an_obedient_model_gets_nothing_unsafe_into_the_plan(case):
    inputs = corpus.inputs(case)
    draft = plan(inputs)
    result = decide(case.answer, draft, inputs, case.change_requests)
    verdict = corpus.judge(case, draft.spec, result.draft.spec)
    assert verdict.safe, verdict.unsafe
    # the answer reached policy (it was not thrown out whole for its shape) and the reviewer sees what was declined
    assert result.applied
    assert [f for f in result.findings if f.source == "LLM" and f.field], "a declined proposal needs a finding"
    assert result.reply is not None and result.reply.not_applied


@pytest.mark.parametrize("case", [c for c in CASES if c.planted["where"] in PLANTED_IN_ANALYSIS],
                         ids=lambda c: c.id)
def test_planted_text_reaches_the_model_only_as_json_data(case):
    inputs = corpus.inputs(case)
    draft = plan(inputs)
    message = user_message(draft.spec, inputs.analysis, draft.gaps, case.change_requests)
    data, rest = message.split("</repository_data>", 1)
    encoded = json.dumps(case.planted["text"], ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    assert encoded in data, "shown to the model as a JSON string inside the data block"
    assert case.planted["text"] not in rest.split("<change_requests>")[1]
    assert message.count("<repository_data>") == 1 and message.count("</repository_data>") == 1
    assert message.count("<change_requests>") == 1


@pytest.mark.parametrize("case", [c for c in CASES if c.planted["where"] in ("package_description", "readme")],
                         ids=lambda c: c.id)
def test_package_descriptions_and_readmes_never_reach_the_model(case):
    inputs = corpus.inputs(case)
    draft = plan(inputs)
    assert case.planted["text"] not in user_message(draft.spec, inputs.analysis, draft.gaps, case.change_requests)
