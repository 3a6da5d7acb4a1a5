"""The generated Dockerfiles build with the real Docker engine, and the containers they make
become healthy by their own HEALTHCHECK, run as a non-root user and answer HTTP.

One app per ecosystem and version line the test bed can build (hack/testbed/README.md
says which cannot, and why). Base images are the local stand-ins (hack/base-images.sh):
nothing is pulled. The dependencies are real packages installed from the public
registries during the build, pinned by the apps' real lockfiles.

The images build side by side (they mostly wait on downloads) as soon as the first test
asks for one; each test then waits for its own image only.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
import urllib.request
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import pytest

from hydron.analysis import analyze
from hydron.planning import PlanInputs, plan
from tests.conftest import missing_component
from hydron_testbed.servers import OWNER_LABEL, TEST_LABEL
from tests.unit.planning.factories import app_spec

pytestmark = pytest.mark.docker

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
HEALTHY_DEADLINE_S = 180.0
BUILD_TIMEOUT_S = 1200
PARALLEL_BUILDS = 3
LABELS = {TEST_LABEL: "1", OWNER_LABEL: str(os.getpid())}
GREETING = {"greeting": "hello"}


@dataclass(frozen=True)
class App:
    path: str  # under tests/fixtures/
    answer: dict | str  # the JSON body of GET /, or a piece of the HTML page
    slow: bool = False  # a long compile: its build starts first, so it is not the last to finish

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


APPS = [
    App("planning-apps/express-api", GREETING),  # node 18, npm, Express
    App("planning-apps/fastify-api", GREETING),  # node 22, npm, Fastify
    App("planning-apps/bun-api", GREETING),  # bun 1, Hono
    App("planning-apps/flask-api", GREETING),  # python 3.11, pip, Flask + gunicorn
    App("planning-apps/fastapi-uv", GREETING),  # python 3.12, uv, FastAPI + uvicorn
    App("planning-apps/go-api", GREETING, slow=True),  # go 1.23, chi
    App("planning-apps/axum-api", GREETING, slow=True),  # rust 1, cargo, axum
    App("planning-apps/spring-maven", GREETING, slow=True),  # java 17, maven, Spring Boot
    App("planning-apps/php-api", GREETING),  # php 8.2, composer (no packages: Packagist is unreachable), Apache
    App("planning-apps/vite-site", '<h1 id="greeting">hello</h1>'),  # node 22 build, nginx
    App("apps/static-site", "<h1>Lakeside Bakery</h1>"),  # plain HTML, nginx (analysis corpus)
]


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


@dataclass
class Built:
    service: object  # the planned service
    tag: str | None  # None when the build failed
    error: str = ""
    missing_base: str = ""  # a base image hack/base-images.sh could not make on this machine


class Builder:
    """Builds each app's generated Dockerfile once, several at a time, in the background."""

    def __init__(self, workdir: Path, apps: list[App]):
        self.workdir = workdir
        self.futures: dict[str, Future] = {}
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=PARALLEL_BUILDS, thread_name_prefix="docker-build")
        for app in sorted(apps, key=lambda a: not a.slow):  # long compiles first, then in test order
            self.get(app, wait=False)

    def get(self, app: App, wait: bool = True) -> Built | None:
        with self.lock:
            if app.path not in self.futures:
                self.futures[app.path] = self.pool.submit(self._build, app)
            future = self.futures[app.path]
        return future.result() if wait else None

    def _build(self, app: App) -> Built:
        analysis = analyze(FIXTURES / app.path)
        draft = plan(PlanInputs("t", app_spec(domains=["app.example.com"]), analysis))
        service = draft.spec.services[0]
        if service.dockerfile_origin != "Generated":
            return Built(service, None, f"the Dockerfile is {service.dockerfile_origin}, not Generated")
        context = self.workdir / app.name
        shutil.copytree(FIXTURES / app.path / service.context, context)
        (context / "Dockerfile.hydron").write_text(service.dockerfile)
        tag = f"hydron-test/{app.name}:{uuid.uuid4().hex[:8]}"
        client = docker.from_env(timeout=BUILD_TIMEOUT_S)  # one per thread: the SDK's session is not shared
        bases = {line.split()[1] for line in service.dockerfile.splitlines() if line.startswith("FROM ")}
        stages = {line.split()[-1] for line in service.dockerfile.splitlines() if line.startswith("FROM ") and " AS " in line}
        for base in sorted(bases - stages):
            try:
                client.images.get(base)
            except docker.errors.ImageNotFound:
                client.close()
                return Built(service, None, f"no local base image {base}", missing_base=base)
        try:
            client.images.build(path=str(context), dockerfile="Dockerfile.hydron", tag=tag, pull=False,
                                rm=True, forcerm=True, labels=LABELS)
        except docker.errors.BuildError as error:
            log = "".join(str(chunk.get("stream") or chunk.get("error") or "") for chunk in error.build_log)
            return Built(service, None, f"the generated Dockerfile did not build:\n{service.dockerfile}\n{log[-4000:]}")
        finally:
            client.close()
        return Built(service, tag)

    def close(self, docker_client) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        for future in self.futures.values():
            if future.done() and not future.cancelled() and future.exception() is None and future.result().tag:
                try:
                    docker_client.images.remove(future.result().tag, force=True)
                except docker.errors.NotFound:
                    pass


@pytest.fixture(scope="module")
def builder(request, docker_client, base_images, tmp_path_factory):
    """Starts the builds of every app this session will test (only those `-k` selected)."""
    selected = {item.callspec.params["app"].path for item in request.session.items
                if item.originalname == test_generated_dockerfile_builds_runs_and_becomes_healthy.__name__}
    builds = Builder(tmp_path_factory.mktemp("dockerfile-builds"), [a for a in APPS if a.path in selected])
    yield builds
    builds.close(docker_client)


@pytest.fixture
def run_container(docker_client):
    made: list = []

    def run(tag: str, service):
        environment = {e.name: e.value for e in service.env if e.value is not None}
        container = docker_client.containers.run(
            tag, detach=True, environment=environment, labels=LABELS,
            ports={f"{service.port}/tcp": ("127.0.0.1", None)})
        made.append(container)
        return container

    yield run
    for container in made:
        try:
            container.remove(force=True, v=True)
        except docker.errors.NotFound:
            pass


@pytest.mark.parametrize("app", APPS, ids=[a.name for a in APPS])
def test_generated_dockerfile_builds_runs_and_becomes_healthy(builder, run_container, app):
    built = builder.get(app)
    if built.missing_base:
        missing_component(f"base image {built.missing_base}: hack/base-images.sh could not make it on this machine")
    if built.tag is None:
        pytest.fail(f"{app.name}: {built.error}")
    service = built.service
    container = run_container(built.tag, service)
    health = _wait_healthy(container, HEALTHY_DEADLINE_S)
    assert health.startswith("healthy"), (
        f"{app.name} is {health}; health log: {json.dumps(container.attrs['State'].get('Health'))[-1500:]}\n"
        f"container log: {container.logs(tail=40).decode(errors='replace')}")
    # the image runs as the non-root user the Dockerfile names
    assert container.attrs["Config"]["User"] not in ("", "root", "0")
    port = container.attrs["NetworkSettings"]["Ports"][f"{service.port}/tcp"][0]["HostPort"]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
        assert response.status == 200
        body = response.read()
    if isinstance(app.answer, dict):
        assert json.loads(body) == app.answer
    else:
        assert app.answer in body.decode()
