"""An Application on the real API server: its source is fetched and pinned, the
code analysed, new commits picked up, and failures explained in conditions."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request

import pytest

from hydron_testbed import REPO
from hydron_testbed.git_server import GitDaemon, GitHTTPServer, WorkRepo
from hydron_testbed.operator_process import WEBHOOK_SECRET

pytestmark = pytest.mark.controlplane
HELLO = REPO / "examples" / "apps" / "hello-node"


@pytest.fixture(scope="module")
def git_daemon(tmp_path_factory):
    root = tmp_path_factory.mktemp("served")
    daemon = GitDaemon(root).start()
    yield daemon
    daemon.stop()


@pytest.fixture
def hello_repo(git_daemon, tmp_path):
    """The sample app, committed and served by git daemon; returns (work repo, url)."""
    work = WorkRepo(tmp_path / "hello")
    for path in HELLO.iterdir():
        work.write(path.name, path.read_text())
    work.commit("hello")
    name = f"{tmp_path.name}.git"
    work.publish(git_daemon.root / name)
    return work, git_daemon.url(name)


def app_manifest(url: str, ref: str = "main", poll: int | None = None) -> str:
    git = {"url": url, "ref": ref}
    if poll:
        git["pollIntervalSeconds"] = poll
    return json.dumps({
        "apiVersion": "hydron.dev/v1alpha1", "kind": "Application", "metadata": {"name": "hello"},
        "spec": {"source": {"git": git}},
    })


def condition(obj: dict, type_: str) -> dict:
    return next(c for c in obj["status"]["conditions"] if c["type"] == type_)


def test_git_source_is_pinned_and_analysed(kube, operator, hello_repo):
    work, url = hello_repo
    kube.apply(app_manifest(url))
    kube.wait("applications", "hello", "condition=Analyzed")

    app = kube.get("applications", "hello")
    assert app["status"]["source"]["commit"] == work.rev_parse("HEAD")
    services = app["status"]["analysis"]["services"]
    assert [s["name"] for s in services] == ["hello-node"]
    assert services[0]["port"]["value"] == 3000
    assert services[0]["healthCheck"]["path"] == "/health"
    assert "hello-node" in condition(app, "Analyzed")["message"]
    # Ready waits on the later stages, and says which.
    assert condition(app, "Ready")["status"] == "Unknown"


def test_a_new_commit_on_the_branch_is_picked_up(kube, operator, hello_repo, git_daemon, tmp_path):
    work, url = hello_repo
    kube.apply(app_manifest(url, poll=30))
    kube.wait("applications", "hello", "condition=Analyzed")
    first = kube.get("applications", "hello")["status"]["source"]["commit"]

    work.write("worker.js", "setInterval(() => console.log(process.env.QUEUE_URL), 1000);\n")
    second = work.commit("add a file")
    work.publish(git_daemon.root / f"{tmp_path.name}.git")
    # The resync timer sees the new head once the poll interval is due.
    kube.wait("applications", "hello", f"jsonpath={{.status.source.commit}}={second}", timeout=120)
    app = kube.get("applications", "hello")
    assert first != second
    assert app["status"]["source"]["analyzedCommit"] == second
    assert f"New commit since {first[:12]}" in condition(app, "SourceReady")["message"]


def post_push(webhook_url: str, payload: dict, secret: str) -> tuple[int, dict]:
    """A push event as GitHub sends it: JSON signed with HMAC-SHA256 of the body."""
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(webhook_url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-GitHub-Event": "push", "X-Hub-Signature-256": signature})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_a_push_webhook_rolls_in_the_new_commit_without_waiting_for_the_poll(kube, operator, hello_repo, git_daemon, tmp_path):
    work, url = hello_repo
    kube.apply(app_manifest(url, poll=3600))  # the poll alone would take an hour
    kube.wait("applications", "hello", "condition=Analyzed")
    work.write("worker.js", "console.log('pushed');\n")
    second = work.commit("pushed")
    work.publish(git_daemon.root / f"{tmp_path.name}.git")
    payload = {"ref": "refs/heads/main", "after": second, "repository": {"clone_url": url, "default_branch": "main"}}

    status, answer = post_push(operator.webhook_url, payload, "not-the-secret")
    assert status == 401 and "signature does not match" in answer["error"]
    status, answer = post_push(operator.webhook_url, {**payload, "ref": "refs/heads/other"}, WEBHOOK_SECRET)
    assert status == 200 and answer["refreshed"] == []

    status, answer = post_push(operator.webhook_url, payload, WEBHOOK_SECRET)
    assert status == 202 and answer["refreshed"] == [f"{kube.namespace}/hello"]
    kube.wait("applications", "hello", f"jsonpath={{.status.source.commit}}={second}", timeout=60)


def test_a_missing_branch_says_which_branches_exist(kube, operator, hello_repo):
    _, url = hello_repo
    kube.apply(app_manifest(url, ref="release"))
    kube.wait("applications", "hello", "condition=SourceReady=False")
    source_ready = condition(kube.get("applications", "hello"), "SourceReady")
    assert source_ready["reason"] == "RefNotFound"
    assert "main" in source_ready["message"]

    # Fixing the spec recovers without anyone restarting anything.
    kube.apply(app_manifest(url, ref="main"))
    kube.wait("applications", "hello", "condition=SourceReady")


def test_a_repository_that_does_not_exist_is_reported(kube, operator, git_daemon):
    kube.apply(app_manifest(git_daemon.url("nope.git")))
    kube.wait("applications", "hello", "condition=SourceReady=False")
    assert condition(kube.get("applications", "hello"), "SourceReady")["reason"] == "RepositoryNotFound"


def test_missing_credentials_secret_is_reported_not_crashed(kube, operator, hello_repo):
    _, url = hello_repo
    manifest = json.loads(app_manifest(url))
    manifest["spec"]["source"]["git"]["credentialsSecretRef"] = {"name": "git-creds"}
    kube.apply(json.dumps(manifest))
    kube.wait("applications", "hello", "condition=SourceReady=False")
    source_ready = condition(kube.get("applications", "hello"), "SourceReady")
    assert source_ready["reason"] == "SecretNotFound"
    assert "git-creds" in source_ready["message"]


def test_image_and_template_sources_skip_fetching(kube, operator):
    kube.apply("""
apiVersion: hydron.dev/v1alpha1
kind: Application
metadata: {name: whoami}
spec: {source: {image: {name: "traefik/whoami:v1.10", port: 80}}}
---
apiVersion: hydron.dev/v1alpha1
kind: Application
metadata: {name: blog}
spec: {source: {template: {name: ghost}}}
""")
    kube.wait("applications", "whoami", "condition=Analyzed")
    kube.wait("applications", "blog", "condition=Analyzed")
    blog = kube.get("applications", "blog")
    assert blog["status"]["analysis"]["template"] == "ghost"
    assert blog["status"]["analysis"]["databases"]


def test_an_unknown_template_is_explained(kube, operator):
    kube.apply("""
apiVersion: hydron.dev/v1alpha1
kind: Application
metadata: {name: nope}
spec: {source: {template: {name: wordpres}}}
""")
    kube.wait("applications", "nope", "condition=SourceReady=False")
    source_ready = condition(kube.get("applications", "nope"), "SourceReady")
    assert source_ready["reason"] == "TemplateNotFound"
    assert "wordpress" in source_ready["message"]


def test_file_urls_are_refused_unless_the_operator_allows_them(kube, operator):
    """file:// would let anyone who can create an Application read the operator's disk."""
    kube.apply(app_manifest("file:///etc"))
    kube.wait("applications", "hello", "condition=SourceReady=False")
    source_ready = condition(kube.get("applications", "hello"), "SourceReady")
    assert source_ready["reason"] == "InvalidURL"
    assert "file transport is not allowed" in source_ready["message"]


@pytest.fixture
def operator_log(operator):
    return lambda: operator.log.read_text(errors="replace")


@pytest.fixture(scope="module")
def git_http(tmp_path_factory):
    server = GitHTTPServer(tmp_path_factory.mktemp("http-served")).start()
    yield server
    server.stop()


def test_a_private_repository_is_fetched_with_the_token_from_a_secret(kube, operator, git_http, operator_log, tmp_path):
    from hydron_testbed.git_server import PRIVATE_TOKEN, PRIVATE_USER

    work = WorkRepo(tmp_path / "private")
    for path in HELLO.iterdir():
        work.write(path.name, path.read_text())
    commit = work.commit("private hello")
    work.publish(git_http.root / "private" / f"{tmp_path.name}.git")
    url = git_http.url(f"private/{tmp_path.name}.git")

    manifest = json.loads(app_manifest(url))
    manifest["spec"]["source"]["git"]["credentialsSecretRef"] = {"name": "git-token"}
    kube.run("create", "secret", "generic", "git-token", f"--from-literal=username={PRIVATE_USER}",
             "--from-literal=token=not-the-token")
    kube.apply(json.dumps(manifest))
    kube.wait("applications", "hello", "condition=SourceReady=False")
    failed = condition(kube.get("applications", "hello"), "SourceReady")
    assert failed["reason"] == "AuthenticationFailed"
    assert "not-the-token" not in failed["message"]

    # The right token: the same Application recovers by itself.
    kube.run("delete", "secret", "git-token")
    kube.run("create", "secret", "generic", "git-token", f"--from-literal=username={PRIVATE_USER}",
             f"--from-literal=token={PRIVATE_TOKEN}")
    kube.wait("applications", "hello", "condition=Analyzed", timeout=120)
    app = kube.get("applications", "hello")
    assert app["status"]["source"]["commit"] == commit
    assert PRIVATE_TOKEN not in json.dumps(app) and PRIVATE_TOKEN not in operator_log()
