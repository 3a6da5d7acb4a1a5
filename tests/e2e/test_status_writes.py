"""Status written by two passes of one object, on the real API server: a pass that
waited for the object's lock (a resync timer queued behind a rollout) works from
what the pass before it wrote, not from the older body kopf handed it, so no release
it recorded is lost."""

from __future__ import annotations

import asyncio
import logging

import kopf
import pytest

from hydron import main
from hydron.api.deployment import Deployment, DeploymentStatus, Release, ServiceStatus
from hydron.controllers.common import LiveStatus, Outcome
from hydron.kube import client
from hydron.settings import OperatorSettings

pytestmark = pytest.mark.controlplane

MANIFEST = """
apiVersion: hydron.dev/v1alpha1
kind: Deployment
metadata: {name: shop}
spec:
  serverRef: {name: fra-1}
  services: [{name: web, image: nginx, port: 80}]
"""


@pytest.fixture
def api(control_plane, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(control_plane.kubeconfig))
    client.api_client.cache_clear()
    yield
    client.api_client.cache_clear()


async def test_a_pass_queued_behind_another_keeps_what_the_first_one_wrote(kube, api):
    kube.apply(MANIFEST)
    body = kopf.Body(kube.get("deployments.hydron.dev", "shop"))  # both passes start from this body
    runtime = main.Runtime(settings=OperatorSettings())
    first_running, first_may_finish = asyncio.Event(), asyncio.Event()

    async def record_a_release(resource: Deployment, generation: int | None) -> Outcome:
        """A pass that adds one release to those it read."""
        releases = list((resource.status or DeploymentStatus()).releases)
        if not releases:
            first_running.set()
            await first_may_finish.wait()
        releases.append(Release(number=len(releases) + 1, state="Active"))
        return Outcome(status=DeploymentStatus(releases=releases))

    def run_pass():
        return main._reconcile(Deployment, body, kopf.Patch(), logging.getLogger("test"), runtime, record_a_release)

    first = asyncio.create_task(run_pass())
    await first_running.wait()
    second = asyncio.create_task(run_pass())  # queued on the lock with the same, now old, body
    first_may_finish.set()
    await asyncio.gather(first, second)

    stored = kube.get("deployments.hydron.dev", "shop")["status"]["releases"]
    assert [release["number"] for release in stored] == [1, 2]


async def test_a_status_left_unchanged_is_not_written_again(kube, api):
    kube.apply(MANIFEST)
    runtime = main.Runtime(settings=OperatorSettings())

    async def same_status(resource: Deployment, generation: int | None) -> Outcome:
        return Outcome(status=DeploymentStatus(urls=["https://shop.example"]))

    async def run_pass():
        body = kopf.Body(kube.get("deployments.hydron.dev", "shop"))
        await main._reconcile(Deployment, body, kopf.Patch(), logging.getLogger("test"), runtime, same_status)

    await run_pass()
    written = kube.get("deployments.hydron.dev", "shop")["metadata"]["resourceVersion"]
    await run_pass()
    assert kube.get("deployments.hydron.dev", "shop")["metadata"]["resourceVersion"] == written


async def test_a_field_shown_live_and_then_back_to_its_old_value_ends_with_the_old_value(kube, api):
    """A redeploy shows the service Starting while it runs and ends Healthy, as before it."""
    kube.apply(MANIFEST)
    runtime = main.Runtime(settings=OperatorSettings())
    healthy = DeploymentStatus(services=[ServiceStatus(name="web", state="Healthy")])

    async def settle(resource: Deployment, generation: int | None) -> Outcome:
        return Outcome(status=healthy)

    async def redeploy(resource: Deployment, generation: int | None) -> Outcome:
        emit = main._applier(body, Deployment)
        await emit(LiveStatus(DeploymentStatus(services=[ServiceStatus(name="web", state="Starting")])))
        return Outcome(status=healthy)

    async def run_pass(reconcile):
        nonlocal body
        body = kopf.Body(kube.get("deployments.hydron.dev", "shop"))
        await main._reconcile(Deployment, body, kopf.Patch(), logging.getLogger("test"), runtime, reconcile)

    body = None
    await run_pass(settle)
    await run_pass(redeploy)
    stored = kube.get("deployments.hydron.dev", "shop")["status"]["services"]
    assert [(service["name"], service["state"]) for service in stored] == [("web", "Healthy")]
