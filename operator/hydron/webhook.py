"""Push webhooks from Git hosts: a push to a branch refreshes the Applications that
follow it at once, instead of at their next poll. Pure: headers and body in, a
verdict out (the HTTP server is hydron.webhook_server).

Authenticity is checked the way each host signs: GitHub and Gitea/Forgejo send an
HMAC-SHA256 of the body (X-Hub-Signature-256, X-Gitea-Signature), Bitbucket (Cloud and
Data Center) the same HMAC as `sha256=<hex>` in X-Hub-Signature, GitLab sends the
shared token itself (X-Gitlab-Token). A push only asks Hydron to look at the
repository again: what is deployed is still what `git ls-remote` says, never what
the payload claims.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass

from hydron.source.errors import InvalidURL
from hydron.source.urls import SCHEMES, parse_git_url

REFRESH_ANNOTATION = "refresh.hydron.dev/requested"
"""Set to a new value (the webhook uses the time) to make an Application look at
its branch now; `kubectl annotate application NAME refresh.hydron.dev/requested=$(date +%s) --overwrite`
does the same by hand."""
MAX_BODY = 1024 * 1024


class WebhookError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Push:
    urls: frozenset[str]
    """The repository's URLs, normalised (see normalize_url)."""
    branch: str | None
    """The branch pushed to; None for a tag or anything else."""
    default_branch: str | None = None
    also: frozenset[str] = frozenset()
    """Further branches of the same push (Bitbucket sends every ref a push changed)."""

    @property
    def branches(self) -> frozenset[str]:
        return self.also | ({self.branch} if self.branch else set())


PUSH_EVENTS = frozenset({"push", "push hook", "repo:push", "repo:refs_changed"})
PING_EVENTS = frozenset({"ping", "diagnostics:ping"})


def event_of(headers: Mapping[str, str]) -> str:
    """The event a host says it sends (GitHub, Gitea/Forgejo, GitLab, Bitbucket's X-Event-Key), lowercased."""
    h = {k.lower(): v for k, v in headers.items()}
    for key in ("x-github-event", "x-gitea-event", "x-forgejo-event", "x-gitlab-event", "x-event-key"):
        if h.get(key):
            return h[key].strip().lower()
    return "push"


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> None:
    """Raise WebhookError(401) unless the request is signed with `secret`."""
    h = {k.lower(): v for k, v in headers.items()}
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if "x-hub-signature-256" in h:
        given = h["x-hub-signature-256"].removeprefix("sha256=")
    elif "x-gitea-signature" in h or "x-forgejo-signature" in h:
        given = h.get("x-gitea-signature") or h["x-forgejo-signature"]
    elif "x-hub-signature" in h:  # Bitbucket; GitHub's own X-Hub-Signature (SHA-1) comes with the -256 one
        algorithm, _, given = h["x-hub-signature"].partition("=")
        if algorithm.strip().lower() != "sha256":
            raise WebhookError(401, f"X-Hub-Signature uses {algorithm or 'no algorithm'}; only sha256 is accepted")
    elif "x-gitlab-token" in h:
        if hmac.compare_digest(h["x-gitlab-token"].encode(), secret.encode()):
            return
        raise WebhookError(401, "X-Gitlab-Token does not match the webhook secret")
    else:
        raise WebhookError(401, "unsigned: configure the webhook with Hydron's secret "
                                "(X-Hub-Signature-256, X-Gitea-Signature, Bitbucket's X-Hub-Signature or X-Gitlab-Token)")
    if not hmac.compare_digest(given.strip().lower().encode(), expected.encode()):
        raise WebhookError(401, "the signature does not match the body and the webhook secret")


def parse_push(body: bytes) -> Push:
    """The repository and branch of a push event (GitHub, Gitea/Forgejo, GitLab and Bitbucket shapes)."""
    try:
        event = json.loads(body)
    except ValueError:
        raise WebhookError(400, "the body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookError(400, "the body is not a JSON object")
    repo = _dict(event.get("repository"))
    project = _dict(event.get("project"))
    candidates = [repo.get(k) for k in ("clone_url", "ssh_url", "git_url", "html_url", "url", "git_http_url", "git_ssh_url")]
    candidates += [project.get(k) for k in ("git_http_url", "git_ssh_url", "web_url")]
    links = _dict(repo.get("links"))
    candidates.append(_dict(links.get("html")).get("href"))  # Bitbucket Cloud
    candidates += [_dict(c).get("href") for c in links.get("clone") or [] if isinstance(links.get("clone"), list)]
    urls = frozenset(normalize_url(u) for u in candidates if isinstance(u, str) and u)
    if not urls:
        raise WebhookError(400, "no repository URL in the payload (is this a push event?)")
    refs = [event.get("ref")] if "ref" in event else _bitbucket_refs(event)
    branches = [r.removeprefix("refs/heads/") for r in refs if isinstance(r, str) and r.startswith("refs/heads/")]
    default = repo.get("default_branch") or project.get("default_branch")
    return Push(urls, branches[0] if branches else None, default if isinstance(default, str) else None,
                frozenset(branches[1:]))


def _dict(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _bitbucket_refs(event: dict) -> list[str]:
    """Branches a Bitbucket push changed, as refs: Cloud's push.changes[].new (None when a
    branch was deleted), Data Center's changes[].ref."""
    refs = []
    for change in _dict(event.get("push")).get("changes") or []:
        new = _dict(_dict(change).get("new"))
        if new.get("type") == "branch" and isinstance(new.get("name"), str):
            refs.append(f"refs/heads/{new['name']}")
    for change in event.get("changes") or [] if isinstance(event.get("changes"), list) else []:
        ref = _dict(_dict(change).get("ref"))
        if _dict(change).get("type") != "DELETE" and isinstance(ref.get("id"), str):
            refs.append(ref["id"])
    return refs


def normalize_url(url: str) -> str:
    """The repository a URL names, as the Application's own URL is parsed (one parser
    for fetching, polling and the webhook); a URL that does not parse matches only itself."""
    try:
        return parse_git_url(url, SCHEMES).repository
    except InvalidURL:
        return url.strip().lower()


def follows(push: Push, url: str, ref: str | None) -> bool:
    """Does an Application tracking `url` at `ref` care about this push?"""
    if normalize_url(url) not in push.urls or not push.branches:
        return False
    if ref is None or ref == "HEAD":
        return push.default_branch is None or push.default_branch in push.branches
    return ref.removeprefix("refs/heads/") in push.branches
