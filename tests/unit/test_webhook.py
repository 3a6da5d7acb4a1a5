"""Push webhooks: who may call, what a push means, and which Applications it refreshes."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import urllib.error
import urllib.request

import pytest

from hydron.webhook import Push, WebhookError, follows, normalize_url, parse_push, verify
from hydron.webhook_server import PATH, Tracked, serve
from hydron_testbed.ports import free_port

SECRET = "s3cret"
BODY = json.dumps({"ref": "refs/heads/main", "repository": {
    "clone_url": "https://github.com/Acme/Shop.git", "ssh_url": "git@github.com:Acme/Shop.git", "default_branch": "main"}}).encode()


def github_signature(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("headers", [
    {"X-Hub-Signature-256": github_signature(BODY)},
    {"X-Gitea-Signature": github_signature(BODY).removeprefix("sha256=")},
    {"X-Gitlab-Token": SECRET},
])
def test_each_hosts_signature_is_accepted(headers):
    verify(headers, BODY, SECRET)


@pytest.mark.parametrize(("headers", "words"), [
    ({}, "unsigned"),
    ({"X-Hub-Signature-256": github_signature(BODY, "other")}, "does not match"),
    ({"X-Hub-Signature-256": github_signature(BODY + b" ")}, "does not match"),
    ({"X-Gitlab-Token": "guess"}, "X-Gitlab-Token does not match"),
])
def test_an_unsigned_or_forged_request_is_refused(headers, words):
    with pytest.raises(WebhookError) as caught:
        verify(headers, BODY, SECRET)
    assert caught.value.status == 401 and words in caught.value.message


@pytest.mark.parametrize("url", [
    "https://github.com/Acme/Shop.git", "https://GitHub.com/Acme/Shop/", "git@github.com:Acme/Shop.git",
    "ssh://git@github.com:22/Acme/Shop", "https://token@github.com/Acme/Shop",
])
def test_urls_of_one_repository_normalise_alike(url):
    assert normalize_url(url) == "github.com/Acme/Shop"


def test_a_github_push_and_a_gitlab_push_are_read():
    push = parse_push(BODY)
    assert push.branch == "main" and push.default_branch == "main" and "github.com/Acme/Shop" in push.urls
    gitlab = parse_push(json.dumps({"ref": "refs/heads/dev", "project": {
        "git_http_url": "https://gitlab.example/team/api.git", "default_branch": "main"}}).encode())
    assert gitlab == Push(frozenset({"gitlab.example/team/api"}), "dev", "main")


@pytest.mark.parametrize(("body", "words"), [
    (b"{not json", "not JSON"), (b"[]", "not a JSON object"), (b'{"ref": "refs/heads/main"}', "no repository URL"),
])
def test_payloads_that_are_not_pushes_are_refused(body, words):
    with pytest.raises(WebhookError) as caught:
        parse_push(body)
    assert caught.value.status == 400 and words in caught.value.message


@pytest.mark.parametrize(("url", "ref", "expected"), [
    ("git@github.com:Acme/Shop", "main", True),
    ("https://github.com/Acme/Shop", "refs/heads/main", True),
    ("https://github.com/Acme/Shop", None, True),  # the default branch
    ("https://github.com/Acme/Shop", "release", False),
    ("https://github.com/Acme/Other", "main", False),
])
def test_which_applications_follow_a_push(url, ref, expected):
    assert follows(parse_push(BODY), url, ref) is expected


def test_a_tag_push_refreshes_no_branch():
    tag = parse_push(json.dumps({"ref": "refs/tags/v1", "repository": {"clone_url": "https://github.com/Acme/Shop"}}).encode())
    assert not follows(tag, "https://github.com/Acme/Shop", "main")


def post(url: str, body: bytes, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def test_the_server_refreshes_followers_and_refuses_forgeries():
    refreshed = []
    apps = [Tracked("shop", "web", "git@github.com:Acme/Shop.git", "main"),
            Tracked("shop", "docs", "https://github.com/Acme/Docs", "main")]

    async def refresh(namespace: str, name: str) -> None:
        refreshed.append((namespace, name))

    port = free_port()
    runner = await serve(port, "127.0.0.1", SECRET, lambda: apps, refresh)
    url = f"http://127.0.0.1:{port}{PATH}"
    try:
        ok = await asyncio.to_thread(post, url, BODY, {"X-Hub-Signature-256": github_signature(BODY)})
        forged = await asyncio.to_thread(post, url, BODY, {"X-Hub-Signature-256": github_signature(BODY, "x")})
        ping = await asyncio.to_thread(post, url, b"{}", {"X-GitHub-Event": "ping", "X-Hub-Signature-256": github_signature(b"{}")})
    finally:
        await runner.cleanup()
    assert ok == (202, {"refreshed": ["shop/web"]}) and refreshed == [("shop", "web")]
    assert forged[0] == 401
    assert ping[0] == 200


# Bitbucket Cloud's repo:push (push.changes[].new) and Data Center's repo:refs_changed
# (changes[].ref), signed as `sha256=<hex>` in X-Hub-Signature.
BITBUCKET = json.dumps({
    "actor": {"display_name": "Ann"},
    "repository": {"type": "repository", "full_name": "acme/shop", "name": "shop",
                   "links": {"html": {"href": "https://bitbucket.org/acme/shop"}}},
    "push": {"changes": [
        {"new": {"type": "branch", "name": "main", "target": {"hash": "a" * 40}}, "old": {"type": "branch", "name": "main"}},
        {"new": {"type": "branch", "name": "release"}, "old": None},
        {"new": {"type": "tag", "name": "v1"}, "old": None},
        {"new": None, "old": {"type": "branch", "name": "gone"}},
    ]},
}).encode()
BITBUCKET_DC = json.dumps({
    "eventKey": "repo:refs_changed",
    "repository": {"slug": "shop", "links": {"clone": [{"href": "ssh://git@bitbucket.example:7999/acme/shop.git", "name": "ssh"},
                                                        {"href": "https://bitbucket.example/scm/acme/shop.git", "name": "http"}]}},
    "changes": [{"ref": {"id": "refs/heads/main", "displayId": "main", "type": "BRANCH"}, "type": "UPDATE"},
                {"ref": {"id": "refs/heads/old", "type": "BRANCH"}, "type": "DELETE"}],
}).encode()


def bitbucket_headers(body: bytes, secret: str = SECRET, event: str = "repo:push") -> dict:
    return {"X-Event-Key": event, "X-Hook-UUID": "{5a1f0c6e-0000-4000-8000-000000000001}",
            "X-Request-UUID": "b3f1d2a0-0000-4000-8000-000000000002", "Content-Type": "application/json",
            "X-Hub-Signature": github_signature(body, secret)}


def test_a_bitbucket_cloud_push_names_its_repository_and_every_branch_it_moved():
    verify(bitbucket_headers(BITBUCKET), BITBUCKET, SECRET)
    push = parse_push(BITBUCKET)
    assert push.urls == {"bitbucket.org/acme/shop"} and push.branches == {"main", "release"}
    assert follows(push, "git@bitbucket.org:acme/shop.git", "release")
    assert follows(push, "https://bitbucket.org/acme/shop", None)  # no default branch in the payload: look again
    assert not follows(push, "https://bitbucket.org/acme/shop", "gone")


def test_a_bitbucket_data_center_push_is_read_from_its_clone_links():
    push = parse_push(BITBUCKET_DC)
    assert push.branches == {"main"} and follows(push, "https://bitbucket.example/scm/acme/shop.git", "main")


@pytest.mark.parametrize(("signature", "words"), [
    (github_signature(BITBUCKET, "other"), "does not match"),
    ("sha1=" + hmac.new(SECRET.encode(), BITBUCKET, hashlib.sha1).hexdigest(), "only sha256"),
])
def test_a_forged_or_weak_bitbucket_signature_is_refused(signature, words):
    with pytest.raises(WebhookError) as caught:
        verify({**bitbucket_headers(BITBUCKET), "X-Hub-Signature": signature}, BITBUCKET, SECRET)
    assert caught.value.status == 401 and words in caught.value.message


async def test_the_server_takes_bitbucket_pushes_and_ignores_its_other_events():
    refreshed = []
    apps = [Tracked("shop", "web", "git@bitbucket.org:acme/shop.git", "main"),
            Tracked("shop", "next", "https://bitbucket.org/acme/shop", "next")]

    async def refresh(namespace: str, name: str) -> None:
        refreshed.append((namespace, name))

    port = free_port()
    runner = await serve(port, "127.0.0.1", SECRET, lambda: apps, refresh)
    url = f"http://127.0.0.1:{port}{PATH}"
    try:
        pushed = await asyncio.to_thread(post, url, BITBUCKET, bitbucket_headers(BITBUCKET))
        other = await asyncio.to_thread(post, url, BITBUCKET, bitbucket_headers(BITBUCKET, event="pullrequest:created"))
        unsigned = await asyncio.to_thread(post, url, BITBUCKET, {"X-Event-Key": "repo:push"})
    finally:
        await runner.cleanup()
    assert pushed == (202, {"refreshed": ["shop/web"]})
    assert other[0] == 200 and "not a push" in other[1]["message"]
    assert unsigned[0] == 401
    assert refreshed == [("shop", "web")]
