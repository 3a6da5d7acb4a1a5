"""Build output streamed into the Runs panel line by line, read on a real server over ssh
with the key and pinned host key Hydron holds (the same code as `kubectl hydron logs`)."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from hydron.build.buildlog import build_log_path
from hydron_testbed.cluster import kubectl_hydron
from tests.ui.objects import API, application, patch_status

pytestmark = pytest.mark.docker


def on_server(kube, script: str) -> None:
    # `kubectl hydron ssh` passes each word as typed (quoted for the remote shell).
    result = kubectl_hydron(kube, "ssh", "srv", "--", "sh", "-c", script)
    assert result.returncode == 0, result.stderr


def test_build_lines_arrive_while_the_build_runs(kube, fresh_servers, ui, page, shot):
    fresh = fresh_servers(1)[0]
    kube.run("create", "secret", "generic", "srv-ssh", f"--from-literal=ssh-privatekey={fresh.private_key_pem}")
    kube.apply(json.dumps({"apiVersion": API, "kind": "Server", "metadata": {"name": "srv"},
                           "spec": {"address": fresh.address, "port": fresh.port, "hostKey": fresh.host_key,
                                    "sshKeySecretRef": {"name": "srv-ssh", "key": "ssh-privatekey"}}}))
    application(kube, "shop")
    kube.apply(json.dumps({"apiVersion": API, "kind": "Deployment", "metadata": {"name": "shop"},
                           "spec": {"serverRef": {"name": "srv"}, "applicationRef": {"name": "shop"},
                                    "services": [{"name": "web", "build": {"context": "."}}]}}))
    patch_status(kube, "applications", "shop", {"deploymentRef": {"name": "shop"}})
    log = build_log_path("shop", "web")

    # Opened before any build ran on the server: the page waits for the build to start.
    page.goto(f"{ui.url}#/apps/shop/runs")
    page.get_by_test_id("toggle-build-log").click()
    output = page.get_by_test_id("build-log")
    on_server(kube, f'mkdir -p "$(dirname {log})" && printf "Step 1/2 : FROM node:20\\n" > {log}')
    expect(output).to_contain_text("Step 1/2 : FROM node:20")

    on_server(kube, f'printf "Step 2/2 : RUN npm ci\\nadded 42 packages\\n" >> {log}')
    expect(output).to_contain_text("added 42 packages")  # followed: the page was not reloaded
    shot("build-log")
    assert fresh.private_key_pem.strip().splitlines()[1] not in page.content()
