"""The web view against the real thing: the session's operator provisions a fresh test-bed
server and builds an app from Git on it while the page watches. Nothing is written into
the API server by the test but the Server and the Application a person would write, so
what the page shows is what Hydron did: the Server's steps advance without a reload,
the build's lines arrive while the build runs, and the release, its rollout events and
the healthy service follow. One provisioning for all of it."""

from __future__ import annotations

import json
import uuid

import pytest
from playwright.sync_api import expect

from hydron_testbed import REPO
from hydron_testbed.acme import DOMAIN, acme_server
from hydron_testbed.cluster import Kube, git_application
from hydron_testbed.git_server import served_app
from tests.ui.conftest import start_ui, stop_ui

pytestmark = pytest.mark.docker
HELLO = REPO / "examples" / "apps" / "hello-node"

# Records, on every change of the page, what each step's state cell said and how many
# lines the build log had, so the test sees what changed while it happened.
RECORD = """() => {
  window.seen = { steps: {}, logLengths: [] };
  const look = () => {
    document.querySelectorAll('[data-testid^="step-"]').forEach((row) => {
      const name = row.dataset.testid.slice(5), state = row.children[1]?.textContent ?? "";
      const states = (window.seen.steps[name] ??= []);
      if (states[states.length - 1] !== state) states.push(state);
    });
    const log = document.querySelector('[data-testid="build-log"]');
    if (log) {
      const lines = log.textContent.split("\\n").filter(Boolean).length;
      const lengths = window.seen.logLengths;
      if (lengths[lengths.length - 1] !== lines) lengths.push(lines);
    }
  };
  new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true });
  look();
}"""


@pytest.fixture
def watched(control_plane) -> Kube:
    """A namespace the session's operator watches (t-*), unlike the other ui tests'."""
    namespace = f"t-{uuid.uuid4().hex[:8]}"
    control_plane.kubectl_run("create", "namespace", namespace)
    return Kube(control_plane, namespace)


@pytest.fixture
def hello_repo(tmp_path):
    with served_app(tmp_path, HELLO, "hello") as served:
        yield served


def test_the_page_follows_a_real_server_and_build_as_hydron_runs_them(watched, operator, hosts, hello_repo,
                                                                     page, shot):
    _, daemon = hello_repo
    ui = start_ui(watched.plane.kubeconfig, watched.namespace)
    try:
        page.goto(f"{ui.url}#/apps/hello/runs")
        page.evaluate(RECORD)
        server = acme_server(watched, hosts(1)[0], base_images=["node:18-slim"])
        watched.apply(git_application("hello", daemon.url("hello.git"), DOMAIN, server.name))

        # The Server's steps, live: each seen before it succeeded, then Succeeded.
        steps = page.get_by_test_id("steps")
        expect(steps).to_be_visible(timeout=120_000)
        shot("runs-provisioning")
        toggle = page.get_by_test_id("toggle-build-log")
        expect(toggle).to_be_visible(timeout=600_000)  # the Deployment exists once the Server is Ready
        toggle.click()
        log = page.get_by_test_id("build-log")
        expect(log).to_contain_text("Step", timeout=600_000)
        shot("runs-building")
        watched.wait("applications", "hello", "condition=Ready", timeout=900)
        expect(log).to_contain_text("Successfully built", timeout=60_000)

        seen = page.evaluate("() => window.seen")
        assert seen["steps"], "no provisioning step was shown"
        advanced = [name for name, states in seen["steps"].items()
                    if states[-1] == "Succeeded" and len(states) > 1]
        assert advanced, f"no step was seen before it succeeded: {seen['steps']}"
        assert len(seen["logLengths"]) >= 2 and seen["logLengths"][-1] > seen["logLengths"][0], \
            f"the build log arrived at once, not line by line: {seen['logLengths']}"

        # Then the release, the rollout events and the service, as Hydron reported them.
        expect(page.get_by_test_id("release-1")).to_contain_text("Active")
        expect(page.get_by_test_id("rollout-events")).to_contain_text("Released")
        expect(page.get_by_test_id("app-reason")).not_to_have_text("ServerNotReady")
        shot("runs-released")
        page.get_by_test_id("tab-services").click()
        expect(page.locator('[data-testid^="service-"]').first).to_contain_text("Healthy")
        page.locator('[data-testid^="logs-"]').first.click()
        expect(page.get_by_test_id("service-log")).to_contain_text("listening on 3000")
        shot("services-live")
        page.get_by_test_id("tab-infra").click()
        expect(page.get_by_test_id("plan-heading")).to_contain_text("revision 1")
        shot("infrastructure-real")
        page.goto(ui.url)
        expect(page.get_by_test_id("app-row-hello").get_by_test_id("ready")).to_have_text("True")
        shot("list-real")
        key = server.host.fresh.private_key_pem.strip().splitlines()[1]
        assert key not in page.content()
    except AssertionError:
        shot("failure")  # what the page showed when it went wrong
        raise
    finally:
        stop_ui(ui)
        watched.run("delete", "applications", "hello", "--timeout=120s", check=False)
        watched.run("delete", "deployments.hydron.dev", "hello", "--timeout=120s", check=False)
