"""The generated Dockerfiles build with the real Docker engine, and the containers they make
become healthy by their own HEALTHCHECK and answer HTTP.

Base images are the local stand-ins (hack/base-images.sh): nothing is pulled. The
dependencies are real packages installed from the public registries during the build.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.request
import uuid
from pathlib import Path

import docker.errors
import pytest

from hydron.analysis import analyze
from hydron.planning import PlanInputs, plan
from tests.support.docker_bed import OWNER_LABEL, TEST_LABEL
from tests.unit.planning.factories import app_spec

pytestmark = pytest.mark.docker

APPS = Path(__file__).resolve().parents[2] / "fixtures" / "planning-apps"
HEALTHY_DEADLINE_S = 180.0
LABELS = {TEST_LABEL: "1", OWNER_LABEL: str(os.getpid())}


def _wait_healthy(container, deadline_s: float) -> str:
    """Poll Docker's view of the HEALTHCHECK until it settles (healthy/unhealthy) or the container stops."""
    deadline = time.monotonic() + deadline_s
    while True:
        container.reload()
        state = container.attrs["State"]
        health = (state.get("Health") or {}).get("Status", "none")
        if health in ("healthy", "unhealthy") or state["Status"] in ("exited", "dead"):
            return f"{health} ({state['Status']})"
        if time.monotonic() > deadline:
            return f"{health} after {deadline_s:.0f}s"
        time.sleep(0.5)  # polling interval of Docker's health state


@pytest.fixture
def build_and_run(docker_client, base_images, tmp_path):
    made: list = []

    def run(app: str):
        analysis = analyze(APPS / app)
        draft = plan(PlanInputs("t", app_spec(domains=["app.example.com"]), analysis))
        service = draft.spec.services[0]
        assert service.dockerfile_origin == "Generated"
        context = tmp_path / app
        shutil.copytree(APPS / app / service.context, context)
        (context / "Dockerfile.hydron").write_text(service.dockerfile)
        tag = f"hydron-test/{app}:{uuid.uuid4().hex[:8]}"
        try:
            docker_client.images.build(path=str(context), dockerfile="Dockerfile.hydron", tag=tag, pull=False,
                                       rm=True, forcerm=True, labels=LABELS)
        except docker.errors.BuildError as error:
            log = "".join(str(chunk.get("stream") or chunk.get("error") or "") for chunk in error.build_log)
            pytest.fail(f"{app}: the generated Dockerfile did not build:\n{service.dockerfile}\n{log[-4000:]}")
        made.append(("image", tag))
        environment = {e.name: e.value for e in service.env if e.value is not None}
        container = docker_client.containers.run(
            tag, detach=True, environment=environment, labels=LABELS,
            ports={f"{service.port}/tcp": ("127.0.0.1", None)})
        made.append(("container", container))
        return service, container

    yield run
    for kind, item in reversed(made):
        try:
            if kind == "container":
                item.remove(force=True, v=True)
            else:
                docker_client.images.remove(item, force=True)
        except docker.errors.NotFound:
            pass


@pytest.mark.parametrize("app", ["express-api", "flask-api"])
def test_generated_dockerfile_builds_runs_and_becomes_healthy(build_and_run, app):
    service, container = build_and_run(app)
    health = _wait_healthy(container, HEALTHY_DEADLINE_S)
    assert health.startswith("healthy"), (
        f"{app} is {health}; health log: {json.dumps(container.attrs['State'].get('Health'))[-1500:]}\n"
        f"container log: {container.logs(tail=40).decode(errors='replace')}")
    # the image runs as the non-root user the Dockerfile names
    assert container.attrs["Config"]["User"] not in ("", "root", "0")
    port = container.attrs["NetworkSettings"]["Ports"][f"{service.port}/tcp"][0]["HostPort"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"greeting": "hello"}
