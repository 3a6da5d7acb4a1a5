"""The in-cluster login's bookkeeping: a token is reviewed again once its review is old,
and a token the API server stops accepting logs the person out (reviews stand in for
the API server at the network edge; the real one is in tests/ui/test_ui_in_cluster.py)."""

from __future__ import annotations

from hydron.web.incluster import REVIEW_SECONDS, Logins, User


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
