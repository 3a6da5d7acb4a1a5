"""The web view's JSON API over a stand-in API server: what a person sees, what their
clicks patch, and how refusals come back (always JSON with a message)."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hydron.web import app as web_app
from hydron.web.app import make_app
from hydron.web.watch import Hub
from tests.unit.web.fakes import SECRET_VALUE, FakeSession, shop

JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def served():
    session = shop(FakeSession())
    hub = Hub(session, asyncio.get_running_loop())  # not started: tests publish into it
    client = TestClient(TestServer(make_app(session, hub), host="127.0.0.1"))
    await client.start_server()
    yield client, session, hub
    await client.close()


async def test_the_list_shows_each_app_with_ready_reason_url_server_and_last_release(served):
    client, _, _ = served
    body = await (await client.get("/api/apps")).json()
    assert body["namespace"] == "shop"
    [row] = body["items"]
    assert (row["name"], row["ready"], row["reason"]) == ("shop", "False", "AwaitingApproval")
    assert row["url"] == "https://shop.example.com" and row["server"] == "box"
    assert row["lastRelease"]["number"] == 3 and row["lastRelease"]["state"] == "Failed"


async def test_the_detail_carries_plan_steps_releases_and_services(served):
    client, _, _ = served
    body = await (await client.get("/api/apps/shop")).json()
    plan = body["planView"]
    assert plan["revision"] == 2 and plan["server"]["location"] == "gra" and plan["server"]["monthlyPrice"] == 12.5
    assert plan["server"]["rationale"] == "fits 2 services"
    assert plan["services"][0]["healthCheck"] == {"path": "/health"}
    assert plan["routes"] == [{"domain": "shop.example.com", "service": "web", "port": 3000}]
    assert plan["changes"] == ["server.location: gra -> hel1"]
    assert [s["state"] for s in body["server"]["steps"]] == ["Succeeded", "Running"]
    assert body["server"]["steps"][0]["finishedAt"] == "2026-01-01T00:01:00Z"
    assert [r["number"] for r in body["deployment"]["releases"]] == [1, 2, 3]
    assert body["deployment"]["services"][0] == {"name": "web", "state": "Healthy", "restarts": 1,
                                                 "cpuPercent": 3.5, "memoryMiB": 80}


async def test_secret_values_never_reach_the_browser(served):
    client, _, _ = served
    for path in ("/api/apps", "/api/apps/shop", "/api/whoami"):
        text = await (await client.get(path)).text()
        assert SECRET_VALUE not in text, path
    env = (await (await client.get("/api/apps/shop")).json())["planView"]["services"][0]["env"]
    assert {"name": "DATABASE_PASSWORD", "secretRef": {"name": "shop-secrets", "key": "DATABASE_PASSWORD"}} in env
    assert {"name": "API_TOKEN", "withheld": True} in env
    assert {"name": "NODE_ENV", "value": "production"} in env


async def test_approving_the_shown_revision_records_who_approved(served):
    client, session, _ = served
    response = await client.post("/api/apps/shop/approve", json={"revision": 2})
    assert response.status == 200, await response.text()
    assert session.objects[("InfraPlan", "shop")]["spec"]["approval"] == {"revision": 2, "approvedBy": "alice@example.com"}


async def test_approving_a_stale_revision_is_refused_with_the_current_one(served):
    client, session, _ = served
    response = await client.post("/api/apps/shop/approve", json={"revision": 1})
    assert response.status == 409
    assert "revision 1 of InfraPlan shop is stale: the plan is at revision 2" in (await response.json())["error"]
    assert session.patches == []


async def test_a_plan_revised_while_approving_refuses_the_approval(served):
    client, session, _ = served

    def revise() -> None:  # the planner writes revision 3 between the page's read and its patch
        plan = session.objects[("InfraPlan", "shop")]
        plan["status"]["revision"] = 3
        session.add(plan)

    session.before_patch = revise
    response = await client.post("/api/apps/shop/approve", json={"revision": 2})
    assert response.status == 409
    assert "plan is at revision 3" in (await response.json())["error"]
    assert "approval" not in session.objects[("InfraPlan", "shop")]["spec"]


async def test_a_forbidden_approval_shows_the_api_servers_refusal(served):
    client, session, _ = served
    session.forbidden_patch.add("InfraPlan")
    response = await client.post("/api/apps/shop/approve", json={"revision": 2})
    assert response.status == 403
    assert "HTTP 403" in (await response.json())["error"]


async def test_a_missing_app_is_a_404_with_the_namespace(served):
    client, _, _ = served
    response = await client.get("/api/apps/nope")
    assert response.status == 404 and "namespace 'shop'" in (await response.json())["error"]
    response = await client.get("/api/no/such/endpoint")
    assert response.status == 404 and "error" in await response.json()


async def test_a_change_request_is_appended_with_the_users_identity(served):
    client, session, _ = served
    response = await client.post("/api/apps/shop/change-requests", json={"message": "  add a redis cache "})
    assert response.status == 200
    assert session.objects[("InfraPlan", "shop")]["spec"]["changeRequests"] == [
        {"message": "use a server in Helsinki", "author": "bob"},
        {"message": "add a redis cache", "author": "alice@example.com"}]
    empty = await client.post("/api/apps/shop/change-requests", json={"message": "  "})
    assert empty.status == 409 and "say what to change" in (await empty.json())["error"]


async def test_rollback_pins_a_kept_release_and_refuses_a_failed_one(served):
    client, session, _ = served
    response = await client.post("/api/apps/shop/rollback", json={"release": 1})
    assert response.status == 200
    assert session.objects[("Deployment", "shop")]["spec"]["rollbackTo"] == 1
    failed = await client.post("/api/apps/shop/rollback", json={"release": 3})
    assert failed.status == 409 and "never served" in (await failed.json())["error"]
    cleared = await client.post("/api/apps/shop/rollback", json={"release": None})
    assert cleared.status == 200 and "rollbackTo" not in session.objects[("Deployment", "shop")]["spec"]


async def test_a_bad_body_is_a_400_that_says_what_to_send(served):
    client, _, _ = served
    response = await client.post("/api/apps/shop/approve", json={})
    assert response.status == 400 and "revision" in (await response.json())["error"]
    response = await client.post("/api/apps/shop/approve", data="{", headers=JSON)
    assert response.status == 400


async def test_other_hosts_and_cross_site_changes_are_refused(served):
    client, session, _ = served
    rebound = await client.get("/api/apps", headers={"Host": "evil.example:80"})
    assert rebound.status == 403
    cross = await client.post("/api/apps/shop/approve", json={"revision": 2}, headers={"Origin": "http://evil.example"})
    assert cross.status == 403
    form = await client.post("/api/apps/shop/approve", data="revision=2",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status == 415
    assert session.patches == []


async def test_watch_events_reach_the_page_as_server_sent_events(served):
    client, _, hub = served
    response = await client.get("/api/events")
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert (await response.content.readline()).startswith(b"event: hello")
    await response.content.readline(), await response.content.readline()
    hub._publish({"kind": "Application", "type": "MODIFIED", "name": "shop", "app": "shop"})
    assert await response.content.readline() == b"event: change\n"
    data = json.loads((await response.content.readline()).removeprefix(b"data: "))
    assert data["name"] == "shop" and data["kind"] == "Application"
    response.close()


async def test_a_page_without_built_assets_says_how_to_build_them(served, tmp_path, monkeypatch):
    client, _, _ = served
    monkeypatch.setattr(web_app, "STATIC", tmp_path)
    response = await client.get("/")
    assert response.status == 503 and "hack/ui-build.sh" in await response.text()


async def test_logs_of_an_undeployed_app_are_a_json_error(served):
    client, session, _ = served
    del session.objects[("Deployment", "shop")]
    response = await client.get("/api/apps/shop/logs?service=web")
    assert response.status == 404 and "not deployed yet" in (await response.json())["error"]


def posted(reason: str, message: str, at: str, kind: str = "Deployment", type_: str = "Normal") -> dict:
    return {"metadata": {"name": f"shop.{reason}"}, "involvedObject": {"kind": kind, "name": "shop"},
            "type": type_, "reason": reason, "message": message, "count": 1, "lastTimestamp": at,
            "source": {"component": "hydron"}}


async def test_the_runs_panel_gets_the_deployments_rollout_events_oldest_first(served):
    client, session, _ = served
    session.events_posted += [posted("HealthCheckPassed", "web answers on /health", "2026-01-01T00:02:00Z"),
                              posted("BuildStarted", "building web", "2026-01-01T00:01:00Z"),
                              posted("StepStarted", "docker: installing", "2026-01-01T00:00:00Z", kind="Server")]
    events = (await (await client.get("/api/apps/shop")).json())["deployment"]["events"]
    assert [e["reason"] for e in events["items"]] == ["BuildStarted", "HealthCheckPassed"]
    assert events["items"][0] == {"type": "Normal", "reason": "BuildStarted", "message": "building web",
                                  "count": 1, "at": "2026-01-01T00:01:00Z"}


async def test_events_the_user_may_not_read_are_explained_and_the_rest_still_shows(served):
    client, session, _ = served
    session.forbidden_events = True
    response = await client.get("/api/apps/shop")
    assert response.status == 200
    body = await response.json()
    assert body["deployment"]["events"] == {"items": [], "problem": body["deployment"]["events"]["problem"]}
    assert "HTTP 403" in body["deployment"]["events"]["problem"] and body["planView"]["revision"] == 2


@pytest.fixture
async def everywhere():
    session = shop(FakeSession())
    other = session.in_namespace("blog")
    other.add({"kind": "Application", "metadata": {"name": "blog"}, "spec": {}})
    other.add({"kind": "InfraPlan", "metadata": {"name": "blog"},
               "spec": {"applicationRef": {"name": "blog"}}, "status": {"revision": 1}})
    hub = Hub(session, asyncio.get_running_loop(), all_namespaces=True)
    client = TestClient(TestServer(make_app(session, hub, all_namespaces=True), host="127.0.0.1"))
    await client.start_server()
    yield client, session, other
    await client.close()


async def test_without_a_namespace_the_list_spans_every_namespace_the_user_may_list(everywhere):
    client, _, _ = everywhere
    body = await (await client.get("/api/apps")).json()
    assert body["allNamespaces"] is True
    assert sorted((row["namespace"], row["name"]) for row in body["items"]) == [("blog", "blog"), ("shop", "shop")]


async def test_a_user_who_may_not_list_all_namespaces_gets_their_own_with_a_note(everywhere):
    client, session, _ = everywhere
    session.forbidden_everywhere = True
    body = await (await client.get("/api/apps")).json()
    assert body["allNamespaces"] is False and [row["name"] for row in body["items"]] == ["shop"]
    assert "namespace shop" in body["note"] and "HTTP 403" in body["note"]


async def test_an_apps_reads_and_actions_go_to_the_namespace_the_list_named(everywhere):
    client, session, other = everywhere
    body = await (await client.get("/api/apps/blog?namespace=blog")).json()
    assert body["namespace"] == "blog" and body["planView"]["revision"] == 1
    response = await client.post("/api/apps/blog/approve?namespace=blog", json={"revision": 1})
    assert response.status == 200, await response.text()
    assert other.objects[("InfraPlan", "blog")]["spec"]["approval"]["revision"] == 1
    assert session.patches == []
    bad = await client.get("/api/apps/blog?namespace=Not_A_Namespace")
    assert bad.status == 400


async def test_any_two_kept_revisions_are_compared_and_secret_values_withheld(served):
    client, session, _ = served
    plan = session.objects[("InfraPlan", "shop")]
    plan["status"]["history"] = [
        {"revision": 1, "why": "Revision 1: the first plan.",
         "material": ["server.location=gra", f"services[web].env[API_TOKEN]={SECRET_VALUE}", "services[web].port=3000"]},
        {"revision": 2, "why": "Revision 2: change request", "material": ["server.location=hel1",
         "services[web].env[API_TOKEN]=rotated", "services[web].port=3000"]},
        {"revision": 3, "why": "Revision 3: edited", "material": ["server.location=hel1",
         "services[web].env[API_TOKEN]=rotated", "services[web].port=8080"]}]
    detail = await (await client.get("/api/apps/shop")).json()
    assert [r["revision"] for r in detail["planView"]["revisions"]] == [1, 2, 3]
    assert "material" not in detail["planView"]["revisions"][0]
    response = await client.get("/api/apps/shop/plan-diff?from=1&to=3")
    body = await response.json()
    assert body["changes"] == ["server.location: gra → hel1",
                               "services[web].env[API_TOKEN]: (secret value changed, not shown)",
                               "services[web].port: 3000 → 8080"]
    assert SECRET_VALUE not in await response.text()
    backwards = await (await client.get("/api/apps/shop/plan-diff?from=3&to=2")).json()
    assert backwards["changes"] == ["services[web].port: 8080 → 3000"]
    gone = await client.get("/api/apps/shop/plan-diff?from=0&to=3")
    assert gone.status == 404 and "keeps revisions 1 to 3" in (await gone.json())["error"]
