"""The main job on a real API server with the operator running: an app in a Git
repository is analysed, planned, approved by policy, built on a provisioned server
(the one the e2e apps share) and answers over HTTPS through the proxy, with a
certificate issued by a real ACME CA (pebble) on that server."""

from __future__ import annotations

import json

import pytest

from hydron_testbed import REPO
from hydron_testbed.cluster import git_application, kubectl_hydron
from hydron_testbed.git_server import served_app

pytestmark = [pytest.mark.controlplane, pytest.mark.docker]
HELLO = REPO / "examples" / "apps" / "hello-node"


@pytest.fixture
def hello_repo(tmp_path):
    with served_app(tmp_path, HELLO, "hello") as served:
        yield served


def test_an_app_from_git_answers_over_https_from_its_server(shared_site, hello_repo, bind):
    work, daemon = hello_repo
    kube, server = shared_site.kube, shared_site.server
    host, domain = server.host, shared_site.domain("hello")
    kube.run("create", "secret", "generic", "dns-tsig", f"--from-literal=secret={bind.secret}")
    application = json.loads(git_application("hello", daemon.url("hello.git"), domain, server.name))
    application["spec"]["dns"] = {"rfc2136": bind.rfc2136()}  # Hydron points the domain at the server
    kube.apply(json.dumps(application))
    kube.wait("applications", "hello", "condition=Ready", timeout=900)
    assert bind.answers(domain) == {host.ip}

    app = kube.get("applications", "hello")
    assert app["status"]["url"] == f"https://{domain}/"
    page = server.https_get(timeout=120, domain=domain)
    assert "200 OK" in page.splitlines()[0] and "Hello from Hydron" in page
    deployment = kube.get("deployments.hydron.dev", "hello")
    assert deployment["metadata"]["ownerReferences"][0]["name"] == "hello"
    assert deployment["status"]["releases"][-1]["sourceRevision"] == work.rev_parse("HEAD")

    # A new commit on the branch is built and rolled out by itself.
    work.write("server.js", (HELLO / "server.js").read_text().replace("Hello from Hydron", "Hello again"))
    second = work.commit("new greeting")
    work.publish(daemon.root / "hello.git")
    kube.wait("deployments.hydron.dev", "hello", f"jsonpath={{.status.releases[-1].sourceRevision}}={second}", timeout=300)
    kube.wait("deployments.hydron.dev", "hello", "condition=Ready", timeout=300)
    assert "Hello again" in server.https_get(timeout=60, domain=domain)

    # Day two with the kubectl plugin: logs read on the server, a rollback and its release.
    logs = kubectl_hydron(kube, "logs", "hello", "--tail", "20")
    assert logs.returncode == 0 and "listening on 3000" in logs.stdout, logs.stderr
    build = kubectl_hydron(kube, "logs", "hello", "--build")
    assert build.returncode == 0 and "Successfully built" in build.stdout, build.stderr
    status = kubectl_hydron(kube, "status", "hello")
    assert status.returncode == 0 and "Healthy" in status.stdout, status.stdout + status.stderr

    back = kubectl_hydron(kube, "rollback", "hello")
    assert back.returncode == 0 and "back to release 1" in back.stdout, back.stderr
    kube.wait("deployments.hydron.dev", "hello", "jsonpath={.status.releases[-1].rollbackOf}=1", timeout=300)
    kube.wait("deployments.hydron.dev", "hello", "condition=Ready", timeout=300)
    assert "Hello from Hydron" in server.https_get(timeout=60, domain=domain)
    # The Application's own rewrite of the Deployment leaves the pin alone.
    assert kube.get("deployments.hydron.dev", "hello")["spec"]["rollbackTo"] == 1

    clear = kubectl_hydron(kube, "rollback", "hello", "--clear")
    assert clear.returncode == 0, clear.stderr
    kube.wait("deployments.hydron.dev", "hello", f"jsonpath={{.status.releases[-1].sourceRevision}}={second}", timeout=300)
    kube.wait("deployments.hydron.dev", "hello", "condition=Ready", timeout=300)
    assert "Hello again" in server.https_get(timeout=60, domain=domain)

    # Deleted (no garbage collector runs here: the Deployment by hand), the domain's record goes too.
    kube.run("delete", "applications", "hello", "--timeout=120s")
    kube.run("delete", "deployments.hydron.dev", "hello", "--timeout=120s")
    assert bind.answers(domain) == set()
