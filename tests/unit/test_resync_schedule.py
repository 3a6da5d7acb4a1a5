"""Periodic passes from one schedule: each object visited after an interval of quiet,
never two passes of one job at once, nothing kept of a deleted object, and only the
slim copy a pass reads kept of each object."""

from __future__ import annotations

import asyncio

import kopf
import pytest

from hydron import main, resync
from hydron.settings import OperatorSettings


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def app(name: str = "shop", **metadata) -> dict:
    return {"apiVersion": "hydron.dev/v1alpha1", "kind": "Application",
            "metadata": {"name": name, "namespace": "ns", "uid": "u1", "generation": 2, **metadata},
            "spec": {"source": {"image": "nginx"}}, "status": {"phase": "Planned"}}


async def nothing(body: dict) -> None:
    return None


@pytest.fixture
def clock() -> Clock:
    return Clock()


def schedule(clock: Clock) -> resync.Schedule:
    return resync.Schedule([resync.Job("applications", "resync", 30, nothing),
                            resync.Job("deployments", "usage", 10, nothing)], clock=clock)


def due_names(plan: resync.Schedule) -> list[tuple[str, str]]:
    return [(job.name, key[2]) for job, key, _ in plan.take_due()]


def test_an_object_is_visited_after_an_interval_of_quiet_and_every_interval_after(clock):
    plan = schedule(clock)
    plan.seen("applications", "ns", "shop", app())
    clock.now += 29
    assert due_names(plan) == []
    clock.now += 1
    [(job, key, body)] = plan.take_due()
    assert (job.name, key) == ("resync", ("applications", "ns", "shop"))
    plan.finished(job, key, None)
    clock.now += 30
    assert due_names(plan) == [("resync", "shop")]


def test_a_change_pushes_the_next_visit_a_full_interval_away(clock):
    plan = schedule(clock)
    plan.seen("applications", "ns", "shop", app())
    clock.now += 20
    plan.seen("applications", "ns", "shop", app())  # its change handler just looked
    clock.now += 20
    assert due_names(plan) == []
    clock.now += 10
    assert due_names(plan) == [("resync", "shop")]


def test_a_pass_still_running_is_not_started_again(clock):
    plan = schedule(clock)
    plan.seen("applications", "ns", "shop", app())
    clock.now += 30
    [(job, key, _)] = plan.take_due()
    plan.seen("applications", "ns", "shop", app())  # its own status write
    clock.now += 60
    assert due_names(plan) == []  # the running pass sets the next visit when it ends
    plan.finished(job, key, 5)  # a retry asked for in 5 s
    clock.now += 5
    assert due_names(plan) == [("resync", "shop")]


def test_a_deleted_object_is_forgotten_and_one_being_deleted_is_left_to_its_delete_handler(clock):
    plan = schedule(clock)
    plan.seen("applications", "ns", "shop", app())
    plan.seen("applications", "ns", "gone", app("gone"))
    plan.forget("applications", "ns", "gone")
    plan.seen("applications", "ns", "ending", app("ending", deletionTimestamp="2026-12-03T10:00:00Z"))
    clock.now += 30
    assert due_names(plan) == [("resync", "shop")]
    assert sorted(key[2] for key in plan.keys()) == ["ending", "shop"]
    plan.forget("applications", "ns", "ending")
    assert len(plan) == 1


def test_a_kind_without_jobs_keeps_nothing(clock):
    plan = schedule(clock)
    plan.seen("infraplans", "ns", "shop", app())
    assert len(plan) == 0


def test_the_copy_kept_leaves_out_the_spec_copies_tools_keep_in_annotations_and_managed_fields():
    body = app(annotations={"hydron.dev/last-handled-configuration": "{...}", "views.hydron.dev/plan": "v1",
                            "kubectl.kubernetes.io/last-applied-configuration": "{...}"},
               managedFields=[{"manager": "kubectl"}], resourceVersion="7")
    copy = resync.slim_copy(body)
    assert copy["metadata"] == {"name": "shop", "namespace": "ns", "uid": "u1", "generation": 2,
                                "annotations": {"views.hydron.dev/plan": "v1"}}
    assert copy["spec"] == body["spec"] and copy["status"] == body["status"] and copy["kind"] == "Application"


def test_superseded_queue_entries_do_not_pile_up(clock):
    plan = schedule(clock)
    for _ in range(1000):
        plan.seen("applications", "ns", "shop", app())
    assert len(plan._queue) < 100


async def test_a_failing_pass_runs_again_one_interval_later_and_the_loop_goes_on():
    visits: list[str] = []
    second_visit = asyncio.Event()

    async def flaky(body: dict) -> float | None:
        visits.append(body["metadata"]["name"])
        if len(visits) == 1:
            raise RuntimeError("the API hiccuped")
        second_visit.set()
        return None

    plan = resync.Schedule([resync.Job("applications", "resync", 0.01, flaky)])
    plan.seen("applications", "ns", "shop", app())
    loop = asyncio.create_task(resync.run_forever(plan))
    try:
        await asyncio.wait_for(second_visit.wait(), timeout=10)
    finally:
        loop.cancel()
    assert visits[:2] == ["shop", "shop"]


async def test_a_periodic_pass_runs_the_handler_with_the_copy_and_patches_the_spec_it_set(monkeypatch):
    runtime = main.Runtime(settings=OperatorSettings())
    memo = kopf.Memo(runtime=runtime)
    patched: list[tuple] = []

    async def merge_patch(plural, namespace, name, patch):
        patched.append((plural, namespace, name, patch))

    monkeypatch.setattr(main, "merge_patch", merge_patch)
    seen: list[dict] = []

    async def handler(body, patch, logger, memo, **_):
        seen.append(dict(body))
        patch.spec.update({"address": "203.0.113.7"})

    delay = await main._periodic_pass(main.Server, handler, memo, kopf.OperatorSettings(), resync.slim_copy(app()))
    assert delay is None and seen[0]["metadata"]["name"] == "shop"
    assert patched == [("servers", "ns", "shop", {"spec": {"address": "203.0.113.7"}})]


async def test_a_periodic_pass_that_asks_for_a_retry_sets_the_next_visit_and_a_busy_object_is_skipped():
    runtime = main.Runtime(settings=OperatorSettings())
    memo = kopf.Memo(runtime=runtime)
    calls: list[str] = []

    async def retrying(body, patch, logger, memo, **_):
        calls.append(body.metadata.name)
        raise kopf.TemporaryError("server not ready yet", delay=12)

    copy = resync.slim_copy(app())
    assert await main._periodic_pass(main.Application, retrying, memo, kopf.OperatorSettings(), copy) == 12
    async with runtime.locks.hold("Application/ns/shop"):  # a change handler's pass is running
        assert await main._periodic_pass(main.Application, retrying, memo, kopf.OperatorSettings(), copy) is None
    assert calls == ["shop"]
