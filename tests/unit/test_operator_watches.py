"""What an operator with many objects costs when nothing changes, and how soon an
Application sees its children change: children are read from kopf's watches, an
unchanged status or child is not written again, and a child's change that the
Application reads nudges it at once."""

from __future__ import annotations

import kopf
import pytest

from hydron import main
from hydron.api.conditions import set_condition
from hydron.api.infraplan import InfraPlan
from hydron.controllers import application
from hydron.planning import plan_server
from hydron.kube.resources import up_to_date
from hydron.settings import OperatorSettings


def plan_body(ready: str = "Unknown", revision: int | None = None, approval: dict | None = None) -> dict:
    conditions = [c.to_api() for c in set_condition([], "Ready", ready, "Ready", "Revision 1 is valid and approved.", 1)]
    spec = {"applicationRef": {"name": "shop"}, **({"approval": approval} if approval else {})}
    return {"apiVersion": "hydron.dev/v1alpha1", "kind": "InfraPlan",
            "metadata": {"name": "shop", "namespace": "ns", "uid": "u1", "annotations": {}},
            "spec": spec, "status": {"conditions": conditions, "revision": revision}}


@pytest.fixture
def runtime(monkeypatch):
    runtime = main.Runtime(settings=OperatorSettings())
    runtime.views[("ns", "shop")] = {}
    calls: list[tuple] = []

    async def annotate(plural, namespace, name, annotations):
        calls.append((plural, namespace, name, annotations))

    monkeypatch.setattr(main, "annotate", annotate)
    runtime.calls = calls
    return runtime


async def test_an_approved_plan_nudges_its_application_once(runtime):
    await main._watch_child(InfraPlan, "ADDED", kopf.Body(plan_body()), runtime)
    await main._watch_child(InfraPlan, "MODIFIED", kopf.Body(plan_body("True", 1)), runtime)
    await main._watch_child(InfraPlan, "MODIFIED", kopf.Body(plan_body("True", 1)), runtime)  # a status rewrite

    annotation = main.VIEW_ANNOTATIONS["infraplans"]
    assert [(c[2], list(c[3])) for c in runtime.calls] == [("shop", [annotation]), ("shop", [annotation])]
    assert runtime.calls[0][3] != runtime.calls[1][3]  # pending, then approved: two views, no third nudge


async def test_children_are_read_from_the_watch_and_forgotten_when_deleted(runtime, monkeypatch):
    async def no_get(*_):
        raise AssertionError("a watched child must not cost a GET")

    monkeypatch.setattr(main, "get_object", no_get)
    await main._watch_child(InfraPlan, "ADDED", kopf.Body(plan_body("True", 1)), runtime)
    plan = await main._read(InfraPlan, "ns", "shop", runtime)
    assert application.planned_condition("shop", plan.status)[0] == "True"

    await main._watch_child(InfraPlan, "DELETED", kopf.Body(plan_body()), runtime)
    assert ("infraplans", "ns", "shop") not in runtime.children


async def test_an_application_not_seen_yet_is_not_nudged(runtime):
    runtime.views.clear()
    await main._watch_child(InfraPlan, "ADDED", kopf.Body(plan_body("True", 1)), runtime)
    assert runtime.calls == []  # its own resume or create handler reads the plan anyway


def test_a_view_changes_with_what_the_application_reads_and_only_that():
    pending = InfraPlan.model_validate({"spec": plan_body()["spec"], "status": plan_body()["status"]})
    ready = InfraPlan.model_validate({"spec": plan_body()["spec"], "status": plan_body("True", 1)["status"]})
    approved = InfraPlan.model_validate({"spec": plan_body(approval={"revision": 1})["spec"],
                                         "status": plan_body("True", 1)["status"]})
    assert application.plan_view("shop", pending) != application.plan_view("shop", ready)
    assert application.plan_view("shop", ready) == application.plan_view("shop", approved)  # no Deployment in it
    assert application.plan_view("shop", ready) == application.plan_view("shop", ready.model_copy(deep=True))


def test_only_changed_status_fields_are_patched():
    current = {"conditions": [{"type": "Ready", "status": "True"}], "url": "https://a/", "usage": {"cpu": 1}}
    assert main.status_changes(current, {"conditions": [{"type": "Ready", "status": "True"}], "url": "https://a/"}) == {}
    assert main.status_changes(current, {"url": "https://b/", "analysis": None}) == {"url": "https://b/"}
    assert main.status_changes({}, {"url": None, "observedGeneration": 2}) == {"observedGeneration": 2}


def test_a_child_the_watch_shows_up_to_date_is_not_written_again():
    known = {"metadata": {"annotations": {main.INPUTS_ANNOTATION: "abc/1"}},
             "spec": {"services": [1], "rollbackTo": 2}}
    assert up_to_date(known, {}, annotations={main.INPUTS_ANNOTATION: "abc/1"})
    assert not up_to_date(known, {}, annotations={main.INPUTS_ANNOTATION: "def/1"})
    assert up_to_date(known, {"services": [1]}, keep=("rollbackTo",))  # a person's pin is kept, not a change
    assert not up_to_date(known, {"services": [1]})  # without keep, the pin would have to go
    assert not up_to_date(None, {"services": [1]})  # never seen: write (the API decides)


@pytest.mark.parametrize("annotation", [main.INPUTS_ANNOTATION, *main.VIEW_ANNOTATIONS.values()])
def test_annotations_meant_to_run_a_handler_are_in_kopfs_diff(annotation):
    """kopf leaves annotations under its storage prefix out of the diff: a nudge there
    would run no handler at all."""
    storage = kopf.AnnotationsDiffBaseStorage(prefix=main.ANNOTATION_PREFIX, key="last-handled-configuration")
    body = kopf.Body({"metadata": {"name": "x", "annotations": {
        f"{main.ANNOTATION_PREFIX}/kopf-managed": "yes", annotation: "v2"}}, "spec": {}})
    essence = storage.build(body=body)
    assert essence["metadata"]["annotations"] == {annotation: "v2"}


async def test_twenty_servers_blocking_transfers_run_side_by_side():
    """Blocking I/O (image exports, API calls) must not queue behind a pool sized for
    the CPU count: twenty transfers in flight at once all make progress."""
    import asyncio
    import threading

    await main.configure(settings=kopf.OperatorSettings(), memo=kopf.Memo(runtime=main.Runtime(OperatorSettings())),
                         logger=__import__("logging").getLogger("test"))
    barrier = threading.Barrier(20, timeout=30)  # breaks unless all twenty run at the same time
    await asyncio.gather(*(asyncio.to_thread(barrier.wait) for _ in range(20)))


def test_a_plan_that_names_a_server_changes_the_view():
    """Once the plan hands a Deployment spec over, a change to it nudges the Application."""
    status = plan_body("True", 1)["status"]
    web = {"name": "web", "role": "web", "image": "traefik/whoami:v1.10", "port": 80}
    bare = InfraPlan.model_validate({"spec": {**plan_body()["spec"], "services": [web]}, "status": status})
    on_server = bare.model_copy(update={"spec": InfraPlan.model_validate(
        {"spec": {**plan_body()["spec"], "services": [web], "server": {"serverRef": {"name": "fra-1"}}}}).spec})
    moved_port = InfraPlan.model_validate({"spec": {**on_server.spec.to_api(), "services": [{**web, "port": 8080}]},
                                           "status": status})
    views = {application.plan_view("shop", plan) for plan in (bare, on_server, moved_port)}
    assert len(views) == 3


async def test_a_watched_child_is_kept_without_what_nothing_reads(runtime):
    body = plan_body("True", 1)
    read = dict(body["status"])
    body["status"]["material"] = {"files": ["Dockerfile"]}  # the plan's own, not the Application's
    body["metadata"]["managedFields"] = [{"manager": "hydron", "fieldsV1": {"f:spec": {}}}]
    body["metadata"]["annotations"] = {main.INPUTS_ANNOTATION: "k1", "hydron.dev/last-handled-configuration": "{}"}
    await main._watch_child(InfraPlan, "ADDED", kopf.Body(body), runtime)

    kept = runtime.children[("infraplans", "ns", "shop")]
    assert kept == {"metadata": {"annotations": {main.INPUTS_ANNOTATION: "k1"}}, "spec": body["spec"], "status": read}
    assert up_to_date(kept, body["spec"]) and up_to_date(kept, {}, annotations={main.INPUTS_ANNOTATION: "k1"})
    plan = await main._read(InfraPlan, "ns", "shop", runtime)
    assert application.planned_condition("shop", plan.status)[:2] == ("True", "Approved")
    assert runtime.entries() == {("children", "ns"): 1, ("views", "ns"): 1}


async def test_a_watched_server_is_read_without_a_get_by_its_deployment_and_its_application(runtime, monkeypatch):
    """Every Deployment pass reads its Server and every resync of an Application that
    orders one checks who owns it: from the watch, so idle resyncs make no request."""
    async def no_get(*_):
        raise AssertionError("a watched Server must not cost a GET")

    monkeypatch.setattr(main, "get_object", no_get)
    owner = {"kind": "Application", "name": "shop", "uid": "u1", "apiVersion": "hydron.dev/v1alpha1"}
    body = {"apiVersion": "hydron.dev/v1alpha1", "kind": "Server",
            "metadata": {"name": "shop", "namespace": "ns", "uid": "s1", "ownerReferences": [owner],
                         "managedFields": [{"manager": "hydron"}]},
            "spec": {"address": "192.0.2.10", "sshKeySecretRef": {"name": "key", "key": "id"}},
            "status": {"conditions": [c.to_api() for c in set_condition([], "Ready", "True", "Ready", "Ready.", 1)]}}
    memo = kopf.Memo(runtime=runtime)
    await main.watch_server(type="ADDED", body=kopf.Body(body), memo=memo)

    deps = main._deployment_deps(kopf.Body({**body, "kind": "Deployment", "spec": {}}), runtime)
    server = await deps.get_server("shop")
    assert server.spec.address == "192.0.2.10" and server.status.conditions[0].status == "True"
    app_deps = main._application_deps(kopf.Body({**body, "kind": "Application"}), runtime)
    stored = await app_deps.get_server_body("shop")
    assert plan_server.owned_by(stored, "shop") and "managedFields" not in stored["metadata"]

    await main.watch_server(type="DELETED", body=kopf.Body(body), memo=memo)
    assert ("servers", "ns", "shop") not in runtime.children


async def test_planning_passes_run_a_few_at_a_time_however_many_objects_change_at_once(monkeypatch):
    """A thousand Applications created together: their passes queue for a few slots
    instead of all holding their working memory at once."""
    import asyncio
    import logging

    from hydron.controllers.common import Outcome

    async def no_write(*_):
        return None

    monkeypatch.setattr(main, "patch_status", no_write)
    runtime = main.Runtime(settings=OperatorSettings())
    runtime.planning_passes = asyncio.Semaphore(2)
    running, most = 0, 0

    async def reconcile(plan, generation):
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0)  # let the others in, if the slots would
        await asyncio.sleep(0)
        running -= 1
        return Outcome(status=plan.status)

    def body(i: int) -> kopf.Body:
        raw = plan_body()
        raw["metadata"]["name"] = f"shop-{i}"
        return kopf.Body(raw)

    await asyncio.gather(*(main._reconcile(InfraPlan, body(i), kopf.Patch(), logging.getLogger("t"), runtime,
                                           reconcile, runtime.planning_passes) for i in range(6)))
    assert most == 2
