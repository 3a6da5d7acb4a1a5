"""Push webhooks from Git hosts: a push to a branch refreshes the Applications that
follow it at once, instead of at their next poll. Pure: headers and body in, a
verdict out (the HTTP server is hydron.webhook_server).

Authenticity is checked the way each host signs: GitHub and Gitea/Forgejo send an
HMAC-SHA256 of the body (X-Hub-Signature-256, X-Gitea-Signature), GitLab sends the
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


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> None:
    """Raise WebhookError(401) unless the request is signed with `secret`."""
    h = {k.lower(): v for k, v in headers.items()}
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if "x-hub-signature-256" in h:
        given = h["x-hub-signature-256"].removeprefix("sha256=")
    elif "x-gitea-signature" in h or "x-forgejo-signature" in h:
        given = h.get("x-gitea-signature") or h["x-forgejo-signature"]
    elif "x-gitlab-token" in h:
        if hmac.compare_digest(h["x-gitlab-token"].encode(), secret.encode()):
            return
        raise WebhookError(401, "X-Gitlab-Token does not match the webhook secret")
    else:
        raise WebhookError(401, "unsigned: configure the webhook with Hydron's secret "
                                "(X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token)")
    if not hmac.compare_digest(given.strip().lower().encode(), expected.encode()):
        raise WebhookError(401, "the signature does not match the body and the webhook secret")


def parse_push(body: bytes) -> Push:
    """The repository and branch of a push event (GitHub, Gitea/Forgejo, GitLab shapes)."""
    try:
        event = json.loads(body)
    except ValueError:
        raise WebhookError(400, "the body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookError(400, "the body is not a JSON object")
    repo = event.get("repository") if isinstance(event.get("repository"), dict) else {}
    project = event.get("project") if isinstance(event.get("project"), dict) else {}
    candidates = [repo.get(k) for k in ("clone_url", "ssh_url", "git_url", "html_url", "url", "git_http_url", "git_ssh_url")]
    candidates += [project.get(k) for k in ("git_http_url", "git_ssh_url", "web_url")]
    urls = frozenset(normalize_url(u) for u in candidates if isinstance(u, str) and u)
    if not urls:
        raise WebhookError(400, "no repository URL in the payload (is this a push event?)")
    ref = event.get("ref")
    branch = ref.removeprefix("refs/heads/") if isinstance(ref, str) and ref.startswith("refs/heads/") else None
    default = repo.get("default_branch") or project.get("default_branch")
    return Push(urls, branch, default if isinstance(default, str) else None)


def normalize_url(url: str) -> str:
    """The repository a URL names, as the Application's own URL is parsed (one parser
    for fetching, polling and the webhook); a URL that does not parse matches only itself."""
    try:
        return parse_git_url(url, SCHEMES).repository
    except InvalidURL:
        return url.strip().lower()


def follows(push: Push, url: str, ref: str | None) -> bool:
    """Does an Application tracking `url` at `ref` care about this push?"""
    if normalize_url(url) not in push.urls or push.branch is None:
        return False
    if ref is None or ref == "HEAD":
        return push.default_branch is None or push.branch == push.default_branch
    return ref.removeprefix("refs/heads/") == push.branch
