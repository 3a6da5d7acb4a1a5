"""The web view in a real browser: Debian's Chromium driven by Playwright, against
`kubectl hydron ui` run as a user runs it, on the test control plane.

Chromium, Playwright and the built page are components: missing, the tests skip on a
developer's machine and FAIL on CI (tests/conftest.py's missing_component)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hydron_testbed import REPO
from hydron_testbed.cluster import Kube
from hydron_testbed.controlplane import kubeconfig_text
from tests.conftest import missing_component

CHROMIUM = Path("/usr/bin/chromium")
PAGE = REPO / "operator" / "hydron" / "web" / "static" / "index.html"
TIMEOUT_MS = 30_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/tests/ui/" in str(item.path):
            item.add_marker(pytest.mark.ui)
            item.add_marker(pytest.mark.controlplane)


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """One Chromium for the tests of this folder, stopped when they end: Playwright's
    sync API keeps an event loop running in the main thread while it is open."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_component("playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        missing_component(f"{CHROMIUM} is missing (hack/ui-build.sh installs Debian's chromium)")
    if not PAGE.exists():
        missing_component("the web view is not built (hack/ui-build.sh)")
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)  # the machine is shared: slow is not wrong
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


@dataclass
class Ui:
    url: str
    user: str
    process: subprocess.Popen


def start_ui(kubeconfig: Path, namespace: str | None) -> Ui:
    """`kubectl hydron ui` as a user runs it: it prints the URL and serves until stopped
    (namespace None: without -n, every namespace the user may list)."""
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "DISPLAY", "WAYLAND_DISPLAY", "BROWSER")}
    env["PYTHONPATH"] = str(REPO / "operator")
    process = subprocess.Popen(
        [sys.executable, "-m", "hydron.cli.kubectl_plugin", "ui", "--no-browser",
         *(["-n", namespace] if namespace else []), "--kubeconfig", str(kubeconfig)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = process.stdout.readline()  # the URL line: the server is listening once it is printed
    if "http://127.0.0.1:" not in first:
        process.kill()
        raise AssertionError(f"kubectl hydron ui did not start: {first}{process.stderr.read()}")
    url = first.split(" is at ", 1)[1].split()[0]
    return Ui(url, "", process)


def stop_ui(ui: Ui) -> None:
    ui.process.terminate()
    try:
        ui.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        ui.process.kill()


@pytest.fixture
def kube(control_plane) -> Kube:
    """A fresh namespace per test that the session's operator does not watch (it watches
    t-*): these tests write status as the operator would, and must not race it."""
    namespace = f"ui-{uuid.uuid4().hex[:8]}"
    control_plane.kubectl_run("create", "namespace", namespace)
    return Kube(control_plane, namespace)


@pytest.fixture
def ui(kube: Kube) -> Iterator[Ui]:
    started = start_ui(kube.plane.kubeconfig, kube.namespace)
    yield started
    stop_ui(started)


@pytest.fixture
def page(browser, tmp_path: Path) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shot(page, tmp_path: Path) -> Callable[[str], Path]:
    """Save a screenshot of the page into the test's output folder."""
    def take(name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    return take


@pytest.fixture
def viewer_kubeconfig(kube: Kube, tmp_path: Path) -> Path:
    """A kubeconfig for a user who may read the four kinds but not change InfraPlans."""
    kube.apply(json.dumps({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "viewer"}}))
    kube.apply(json.dumps({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "hydron-viewer"},
        "rules": [{"apiGroups": ["hydron.dev"], "resources": ["applications", "infraplans", "servers", "deployments"],
                   "verbs": ["get", "list", "watch"]}]}))
    kube.apply(json.dumps({
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "hydron-viewer"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "hydron-viewer"},
        "subjects": [{"kind": "ServiceAccount", "name": "viewer", "namespace": kube.namespace}]}))
    token = kube.run("create", "token", "viewer").stdout.strip()
    pki = kube.plane.directory / "pki"
    path = tmp_path / "viewer.kubeconfig"
    path.write_text(kubeconfig_text(kube.plane.server, pki / "ca.crt", token=token))
    return path
