"""What is kept of the model's replies for the reviewer: small, one per number of requests."""

from __future__ import annotations

from hydron.api.infraplan import AssistantReply
from hydron.llm.assist import MAX_REPLIES, remember


def reply(n: int, summary: str = "s") -> AssistantReply:
    return AssistantReply(change_requests=n, summary=summary)


def test_a_new_reply_to_the_same_requests_replaces_the_old_one_and_goes_last():
    kept = remember([reply(0), reply(1, "first answer"), reply(2)], reply(1, "second answer"))
    assert [(r.change_requests, r.summary) for r in kept] == [(0, "s"), (2, "s"), (1, "second answer")]


def test_only_the_last_few_replies_are_kept_and_no_reply_changes_nothing():
    kept = []
    for n in range(MAX_REPLIES + 5):
        kept = remember(kept, reply(n))
    assert [r.change_requests for r in kept] == list(range(5, MAX_REPLIES + 5))
    assert remember(kept, None) == kept
