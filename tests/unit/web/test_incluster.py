"""The in-cluster login's bookkeeping: a token is reviewed again once its review is old,
and a token the API server stops accepting logs the person out (reviews stand in for
the API server at the network edge; the real one is in tests/ui/test_ui_in_cluster.py)."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hydron.web.app import make_app
from hydron.web.incluster import (REJECTION_REFILL_SECONDS, REJECTIONS_BURST, REVIEW_SECONDS, Logins, TooManyRejections,
                                  User)
from hydron.web.watch import Hub
from tests.unit.web.fakes import FakeSession, shop


class Reviews:
    def __init__(self) -> None:
        self.accepted = {"good": User("alice", groups=("devs",))}
        self.asked = 0

    def user_of(self, token: str) -> User | None:
        self.asked += 1
        return self.accepted.get(token)


def test_a_login_is_reviewed_again_when_old_and_ends_when_the_token_is_revoked():
    now = [0.0]
    reviews = Reviews()
    logins = Logins(reviews, clock=lambda: now[0])  # type: ignore[arg-type]
    assert logins.login("bad") is None
    session_id, user = logins.login("good")
    assert user.name == "alice" and reviews.asked == 2
    assert logins.user_for_session(session_id) == user and reviews.asked == 2  # fresh: not asked again
    now[0] += REVIEW_SECONDS + 1
    del reviews.accepted["good"]  # revoked
    assert logins.user_for_session(session_id) is None
    assert logins.user_for_session(session_id) is None and reviews.asked == 3  # forgotten, not asked again


def test_a_bearer_token_is_cached_by_its_hash_and_a_service_account_has_a_home_namespace():
    reviews = Reviews()
    logins = Logins(reviews, clock=lambda: 0.0)  # type: ignore[arg-type]
    assert logins.user_for_token("good") == logins.user_for_token("good") and reviews.asked == 1
    assert all("good" not in key for key in logins._logins)
    assert User("system:serviceaccount:shop:viewer").home_namespace == "shop"
    assert User("alice@example.com").home_namespace is None


def test_guessed_tokens_stop_reaching_the_api_server_after_a_burst_and_a_known_login_keeps_working():
    now = [0.0]
    reviews = Reviews()
    logins = Logins(reviews, clock=lambda: now[0])  # type: ignore[arg-type]
    session_id, _ = logins.login("good")
    for guess in range(REJECTIONS_BURST):
        assert logins.login(f"guess-{guess}") is None
    asked = reviews.asked
    with pytest.raises(TooManyRejections) as refused:
        logins.login("guess-again")
    with pytest.raises(TooManyRejections):
        logins.user_for_token("another-guess")
    assert reviews.asked == asked, "refused without a TokenReview"
    assert refused.value.retry_after == pytest.approx(REJECTION_REFILL_SECONDS)
    assert logins.user_for_session(session_id).name == "alice", "who is logged in stays logged in"
    now[0] += REJECTION_REFILL_SECONDS
    assert logins.login("good") is not None, "one more review once the budget refilled"


async def test_a_refused_login_answers_429_with_retry_after():
    reviews = Reviews()
    session = shop(FakeSession())
    hub = Hub(session, asyncio.get_running_loop())
    client = TestClient(TestServer(make_app(session, hub, logins=Logins(reviews)), host="127.0.0.1"))  # type: ignore[arg-type]
    await client.start_server()
    try:
        statuses = [(await client.post("/api/login", json={"token": f"guess-{i}"})).status
                    for i in range(REJECTIONS_BURST)]
        refused = await client.post("/api/login", json={"token": "guess"})
        message = (await refused.json())["error"]
        bearer = await client.get("/api/apps", headers={"Authorization": "Bearer guess"})
    finally:
        await client.close()
    assert statuses == [401] * REJECTIONS_BURST
    assert refused.status == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "too many rejected tokens" in message
    assert bearer.status == 429
