"""What a person sees and does in the web view, in Chromium, against the real API server."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.ui.conftest import start_ui, stop_ui
from tests.ui.objects import SECRET_VALUE, application, condition, patch_status, plan, server_and_deployment


def test_the_list_shows_an_app_and_follows_its_status_live(kube, ui, page, shot):
    application(kube, "shop")
    page.goto(ui.url)
    row = page.get_by_test_id("app-row-shop")
    expect(row).to_be_visible()
    shot("list-before")

    patch_status(kube, "applications", "shop", {"url": "https://shop.example.com",
                                                "conditions": [condition("Ready", "True", "Deployed", "serving")]})
    expect(row.get_by_test_id("ready")).to_have_text("True")  # no reload: the watch brought it
    expect(row.get_by_test_id("reason")).to_have_text("Deployed")
    expect(row).to_contain_text("https://shop.example.com")
    shot("list-live")


def test_the_infrastructure_panel_shows_the_plan_and_approves_the_shown_revision(kube, ui, page, shot):
    application(kube, "shop")
    plan(kube, "shop")
    page.goto(f"{ui.url}#/apps/shop/infra")
    expect(page.get_by_test_id("plan-heading")).to_contain_text("revision 1")
    server = page.get_by_test_id("plan-server")
    for text in ("hetzner / CX22", "4.59 EUR/month", "hel1", "2 vCPU is plenty"):
        expect(server).to_contain_text(text)
    service = page.get_by_test_id("plan-service-web")
    expect(service).to_contain_text("HTTP /health")
    expect(service.get_by_test_id("secret-ref")).to_have_text("from Secret shop-secrets key API_TOKEN")
    expect(page.get_by_test_id("plan-routes")).to_contain_text("shop.example.com/")
    expect(page.get_by_test_id("plan-findings")).to_contain_text("no backups planned")
    assert SECRET_VALUE not in page.content()
    shot("infrastructure")

    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("approve-note")).to_contain_text("Approved revision 1")
    approval = kube.get("infraplans", "shop")["spec"]["approval"]
    assert approval["revision"] == 1 and approval["approvedBy"]


def test_approving_a_revision_that_is_no_longer_current_is_refused_with_a_message(kube, ui, page, shot):
    application(kube, "shop")
    plan(kube, "shop")
    page.route("**/api/events", lambda route: route.abort())  # this page hears of no change: it keeps revision 1
    page.goto(f"{ui.url}#/apps/shop/infra")
    expect(page.get_by_test_id("plan-heading")).to_contain_text("revision 1")

    patch_status(kube, "infraplans", "shop", {"revision": 2, "changes": ["server.offer: CX22 -> CX32"]})
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("error")).to_contain_text("revision 1 of InfraPlan shop is stale: the plan is at revision 2")
    shot("stale-approval")
    assert "approval" not in kube.get("infraplans", "shop")["spec"]


def test_a_change_request_appears_on_the_plan_with_the_reply(kube, ui, page, shot):
    application(kube, "shop")
    plan(kube, "shop")
    page.goto(f"{ui.url}#/apps/shop/chat")
    page.get_by_test_id("chat-input").fill("use a server in Falkenstein")
    page.get_by_test_id("chat-send").click()
    first = page.get_by_test_id("chat-1")
    expect(first).to_contain_text("use a server in Falkenstein")
    expect(first.get_by_test_id("waiting")).to_be_visible()
    [request] = kube.get("infraplans", "shop")["spec"]["changeRequests"]
    assert request["message"] == "use a server in Falkenstein" and request["author"]
    expect(first).to_contain_text(request["author"])

    patch_status(kube, "infraplans", "shop", {
        "revision": 2, "changes": ["server.location: hel1 -> fsn1"],
        "basis": {"changeRequests": 1, "planner": "RulesAndLLM"},
        "assistant": [{"changeRequests": 1, "summary": "Moved the server to Falkenstein (fsn1).",
                       "declined": ["a GPU: no offer in the catalog has one"]}]})
    expect(first.get_by_test_id("reply")).to_contain_text("Moved the server to Falkenstein")
    expect(first.get_by_test_id("reply")).to_contain_text("Declined: a GPU")
    expect(page.locator("text=Revision 2 changed: server.location: hel1 -> fsn1")).to_be_visible()
    shot("chat")

    # Once the operator runs without an LLM API key, a request says so instead of waiting.
    page.get_by_test_id("chat-input").fill("add a redis cache")
    page.get_by_test_id("chat-send").click()
    expect(page.get_by_test_id("chat-2").get_by_test_id("waiting")).to_be_visible()
    patch_status(kube, "infraplans", "shop", {"findings": [{
        "severity": "Warning", "source": "LLM", "field": "changeRequests",
        "message": "1 change request(s) wait for the LLM, which is not configured (ANTHROPIC_API_KEY is unset)"}]})
    expect(page.get_by_test_id("chat-2").get_by_test_id("no-assistant")).to_contain_text("ANTHROPIC_API_KEY is unset")
    expect(page.get_by_test_id("no-llm")).to_contain_text("no model reads them")
    shot("chat-without-llm")


def test_runs_and_services_panels_show_steps_releases_and_usage_and_roll_back(kube, ui, page, shot):
    application(kube, "shop")
    plan(kube, "shop")
    server_and_deployment(kube, "shop", "box")
    patch_status(kube, "infraplans", "shop", {"revision": 1})
    kube.run("patch", "infraplans", "shop", "--type=merge", "-p", '{"spec":{"server":{"serverRef":{"name":"box"}}}}')
    page.goto(f"{ui.url}#/apps/shop/runs")
    expect(page.get_by_test_id("step-docker")).to_contain_text("Running")
    patch_status(kube, "servers", "box", {"steps": [
        {"name": "connect", "state": "Succeeded", "startedAt": "2026-01-01T00:00:00Z", "finishedAt": "2026-01-01T00:00:02Z"},
        {"name": "docker", "state": "Succeeded", "startedAt": "2026-01-01T00:00:02Z", "finishedAt": "2026-01-01T00:01:05Z"},
        {"name": "firewall", "state": "Running", "startedAt": "2026-01-01T00:01:05Z"}]})
    expect(page.get_by_test_id("step-docker")).to_contain_text(re.compile(r"Succeeded\s*1m 3s"))
    expect(page.get_by_test_id("step-firewall")).to_contain_text("Running")
    shot("runs")

    page.get_by_test_id("rollback-1").click()
    expect(page.get_by_test_id("rollback-note")).to_contain_text("back to release 1")
    assert kube.get("deployments.hydron.dev", "shop")["spec"]["rollbackTo"] == 1

    page.get_by_test_id("tab-services").click()
    row = page.get_by_test_id("service-web")
    for text in ("Healthy", "2", "1.5%", "12 MiB"):
        expect(row).to_contain_text(text)
    shot("services")


def test_a_user_without_patch_on_infraplans_sees_the_api_servers_refusal(kube, page, shot, viewer_kubeconfig):
    application(kube, "shop")
    plan(kube, "shop")
    viewer = start_ui(viewer_kubeconfig, kube.namespace)
    try:
        page.goto(f"{viewer.url}#/apps/shop/infra")
        expect(page.get_by_test_id("plan-heading")).to_contain_text("revision 1")
        page.get_by_test_id("approve").click()
        error = page.get_by_test_id("error")
        expect(error).to_contain_text("Forbidden")
        expect(error).to_contain_text("HTTP 403")
        shot("forbidden")
    finally:
        stop_ui(viewer)
    assert "approval" not in kube.get("infraplans", "shop")["spec"]


def test_an_app_that_does_not_exist_is_a_message_not_a_blank_page(kube, ui, page):
    page.goto(f"{ui.url}#/apps/nope/runs")
    expect(page.get_by_test_id("error")).to_contain_text("Application 'nope' not found")


def test_any_two_kept_revisions_of_the_plan_can_be_compared(kube, ui, page, shot):
    application(kube, "shop")
    plan(kube, "shop")
    base = ["server.offer=hetzner/CX22", "server.location=hel1", "services[web].port=80"]
    patch_status(kube, "infraplans", "shop", {"revision": 3, "history": [
        {"revision": 1, "why": "Revision 1: the first plan.", "material": base},
        {"revision": 2, "why": "Revision 2: a change request", "material": [base[0], "server.location=fsn1", base[2]]},
        {"revision": 3, "why": "Revision 3: edited in the spec",
         "material": ["server.offer=hetzner/CX32", "server.location=fsn1", base[2]]}]})
    page.goto(f"{ui.url}#/apps/shop/infra")
    diff = page.get_by_test_id("revision-diff")
    expect(diff).to_have_text("server.offer: hetzner/CX22 → hetzner/CX32")  # the last two, at first
    page.get_by_test_id("diff-from").select_option("1")
    expect(diff).to_contain_text("server.location: hel1 → fsn1")
    expect(diff).to_contain_text("server.offer: hetzner/CX22 → hetzner/CX32")
    shot("revision-diff")


def test_without_a_namespace_the_list_spans_all_namespaces_and_each_app_opens_in_its_own(kube, page, shot):
    application(kube, "shop")
    plan(kube, "shop")
    everywhere = start_ui(kube.plane.kubeconfig, None)
    try:
        page.goto(everywhere.url)
        expect(page.get_by_test_id("identity")).to_contain_text("all namespaces you may read")
        row = page.locator(f'[data-testid="app-row-shop"][data-namespace="{kube.namespace}"]')
        expect(row).to_contain_text(kube.namespace)
        shot("list-all-namespaces")
        row.get_by_role("link", name="shop").click()
        expect(page).to_have_url(re.compile(f"#/ns/{kube.namespace}/apps/shop/runs$"))
        page.get_by_test_id("tab-infra").click()
        page.get_by_test_id("approve").click()
        expect(page.get_by_test_id("approve-note")).to_contain_text("Approved revision 1")
    finally:
        stop_ui(everywhere)
    assert kube.get("infraplans", "shop")["spec"]["approval"]["revision"] == 1
