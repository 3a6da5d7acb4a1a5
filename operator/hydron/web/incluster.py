"""The web view run in the cluster (the Helm chart's `ui.enabled`, off by default).

There the server has its own ServiceAccount, so it must not let a visitor act as it.
A person logs in with a Kubernetes bearer token, which the API server checks
(TokenReview); then every call the server makes on that person's behalf (each get,
list, patch, the Events and the SSH key Secret a log needs) is first put to the API
server as a SubjectAccessReview for that person, and refused with its reason when
RBAC does not allow it. So in the cluster, as on a laptop, RBAC decides what each
person sees and may do.

The login keeps the token in this server's memory under a random session id (an
HttpOnly, SameSite=Strict cookie), and reviews it again every REVIEW_SECONDS, so a
revoked or expired token stops working; `Authorization: Bearer` works too.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hydron.api import GROUP
from hydron.cli.plugin_kube import PLURALS, PluginError, Session

REVIEW_SECONDS = 60.0
MAX_LOGINS = 10_000
REJECTIONS_BURST = 20
REJECTION_REFILL_SECONDS = 2.0
"""Tokens the API server turned down: up to REJECTIONS_BURST at once, then one more every
REJECTION_REFILL_SECONDS. Beyond that nobody can make this server ask TokenReview again for
a while: guessing tokens cannot succeed, but each guess would cost the API server a review."""
COOKIE = "hydron_session"
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"


@dataclass(frozen=True)
class User:
    """Who a token belongs to, as the API server said (TokenReview)."""

    name: str
    uid: str = ""
    groups: tuple[str, ...] = ()
    extra: dict[str, list[str]] = field(default_factory=dict, hash=False)

    @property
    def home_namespace(self) -> str | None:
        """A ServiceAccount's own namespace (system:serviceaccount:NS:NAME), else None."""
        if self.name.startswith(SERVICE_ACCOUNT_PREFIX):
            return self.name[len(SERVICE_ACCOUNT_PREFIX):].split(":", 1)[0] or None
        return None


class Reviews:
    """TokenReview and SubjectAccessReview, asked with the server's own identity."""

    def __init__(self, api_client: Any) -> None:
        self.api_client = api_client

    def user_of(self, token: str) -> User | None:
        """The token's user, or None when the API server does not accept the token."""
        from kubernetes import client

        review = client.AuthenticationV1Api(self.api_client).create_token_review(
            client.V1TokenReview(spec=client.V1TokenReviewSpec(token=token)))
        status = review.status
        if not status or not status.authenticated or not status.user or not status.user.username:
            return None
        info = status.user
        return User(info.username, info.uid or "", tuple(info.groups or ()), dict(info.extra or {}))

    def allowed(self, user: User, verb: str, resource: str, namespace: str | None, name: str | None = None,
                group: str = GROUP) -> tuple[bool, str]:
        """May `user` do `verb` on `resource` (namespace None: in all namespaces)? And the reason given."""
        from kubernetes import client

        attributes = client.V1ResourceAttributes(group=group, resource=resource, verb=verb,
                                                 namespace=namespace or "", name=name or None)
        review = client.AuthorizationV1Api(self.api_client).create_subject_access_review(
            client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(
                user=user.name, uid=user.uid or None, groups=list(user.groups) or None,
                extra=user.extra or None, resource_attributes=attributes)))
        status = review.status
        return bool(status and status.allowed), (status.reason or status.evaluation_error or "") if status else ""


def refusal(user: User, verb: str, resource: str, namespace: str | None, name: str | None, reason: str) -> PluginError:
    where = f"in namespace {namespace!r}" if namespace else "in all namespaces"
    what = f"{resource} {name!r}" if name else resource
    because = f": {reason}" if reason else " (no RBAC rule allows it)"
    return PluginError(f"{user.name} may not {verb} {what} {where} (HTTP 403, SubjectAccessReview){because}",
                       status=403)


class GuardedSession:
    """The server's Session, with a SubjectAccessReview for `user` before each call."""

    def __init__(self, inner: Session, user: User, reviews: Reviews) -> None:
        self.inner = inner
        self.user = user
        self.reviews = reviews

    @property
    def namespace(self) -> str:
        return self.inner.namespace

    @property
    def context(self) -> str | None:
        return "in-cluster"

    def require(self, verb: str, resource: str, name: str | None = None, group: str = GROUP,
                everywhere: bool = False) -> None:
        namespace = None if everywhere else self.namespace
        try:
            allowed, reason = self.reviews.allowed(self.user, verb, resource, namespace, name, group)
        except Exception as error:  # noqa: BLE001 (no answer is no permission)
            raise PluginError(f"cannot ask the API server whether {self.user.name} may {verb} {resource}: "
                              f"{getattr(error, 'reason', None) or error}", status=502) from None
        if not allowed:
            raise refusal(self.user, verb, resource, namespace, name, reason)

    def in_namespace(self, namespace: str) -> GuardedSession:
        return GuardedSession(self.inner.in_namespace(namespace), self.user, self.reviews)

    def get(self, kind: str, name: str, missing_ok: bool = False) -> dict[str, Any] | None:
        self.require("get", PLURALS[kind], name)
        return self.inner.get(kind, name, missing_ok)

    def list(self, kind: str, all_namespaces: bool = False) -> list[dict[str, Any]]:
        self.require("list", PLURALS[kind], everywhere=all_namespaces)
        return self.inner.list(kind, all_namespaces)

    def merge_patch(self, kind: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
        self.require("patch", PLURALS[kind], name)
        return self.inner.merge_patch(kind, name, body)

    def events(self, kind: str, name: str) -> list[dict[str, Any]]:
        self.require("list", "events", group="")
        return self.inner.events(kind, name)

    def secret_data(self, name: str) -> dict[str, str]:
        self.require("get", "secrets", name, group="")
        return self.inner.secret_data(name)

    def whoami(self) -> str:
        return self.user.name


@dataclass
class _Login:
    token: str
    user: User
    reviewed: float


class TooManyRejections(Exception):
    """Too many tokens were turned down lately; try again after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many rejected tokens: try again in {retry_after:.0f} s")
        self.retry_after = retry_after


class RejectionBudget:
    """A token bucket of rejected reviews, shared by every client: behind an Ingress the
    client's address is the Ingress's, so a per-address count would say nothing."""

    def __init__(self, clock: Callable[[], float], burst: int = REJECTIONS_BURST,
                 refill_seconds: float = REJECTION_REFILL_SECONDS) -> None:
        self.clock, self.burst, self.refill_seconds = clock, burst, refill_seconds
        self._left, self._at = float(burst), clock()
        self._lock = threading.Lock()

    def check(self) -> None:
        """Raise TooManyRejections when no rejection is left to spend."""
        with self._lock:
            self._refill()
            if self._left < 1:
                raise TooManyRejections((1 - self._left) * self.refill_seconds)

    def spend(self) -> None:
        with self._lock:
            self._refill()
            self._left = max(0.0, self._left - 1)

    def _refill(self) -> None:
        now = self.clock()
        self._left = min(float(self.burst), self._left + (now - self._at) / self.refill_seconds)
        self._at = now


class Logins:
    """Who is logged in: a random session id per login, the token reviewed again when
    the last review is older than REVIEW_SECONDS. Bearer tokens share the cache, keyed
    by their hash."""

    def __init__(self, reviews: Reviews, clock: Callable[[], float] = time.monotonic) -> None:
        self.reviews = reviews
        self.clock = clock
        self._logins: OrderedDict[str, _Login] = OrderedDict()
        self._lock = threading.Lock()
        self.rejections = RejectionBudget(clock)

    def _review(self, token: str) -> User | None:
        """Ask the API server about a token not known here; raises TooManyRejections when too
        many tokens were turned down lately."""
        self.rejections.check()
        user = self.reviews.user_of(token)
        if user is None:
            self.rejections.spend()
        return user

    def login(self, token: str) -> tuple[str, User] | None:
        user = self._review(token)
        if user is None:
            return None
        session_id = secrets.token_urlsafe(32)
        self._remember(session_id, _Login(token, user, self.clock()))
        return session_id, user

    def logout(self, session_id: str) -> None:
        with self._lock:
            self._logins.pop(session_id, None)

    def user_for_session(self, session_id: str) -> User | None:
        with self._lock:
            login = self._logins.get(session_id)
        return self._fresh(session_id, login)

    def user_for_token(self, token: str) -> User | None:
        key = "bearer:" + hashlib.sha256(token.encode()).hexdigest()
        with self._lock:
            login = self._logins.get(key)
        if login is None:
            user = self._review(token)
            if user is not None:
                self._remember(key, _Login(token, user, self.clock()))
            return user
        return self._fresh(key, login)

    def _fresh(self, key: str, login: _Login | None) -> User | None:
        if login is None:
            return None
        if self.clock() - login.reviewed < REVIEW_SECONDS:
            return login.user
        user = self.reviews.user_of(login.token)
        if user is None:  # revoked or expired since: logged out
            self.logout(key)
            return None
        self._remember(key, _Login(login.token, user, self.clock()))
        return user

    def _remember(self, key: str, login: _Login) -> None:
        with self._lock:
            self._logins[key] = login
            self._logins.move_to_end(key)
            while len(self._logins) > MAX_LOGINS:
                self._logins.popitem(last=False)
