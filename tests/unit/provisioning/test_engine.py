"""The step runner: observe → change → verify, markers, events, failures, observe-only."""

import asyncio

import pytest

from hydron.provisioning import engine, progress
from hydron.provisioning.failures import StepError
from hydron.provisioning.step import Observation, Step
from hydron.remote.command import mutate

from tests.unit.provisioning.fakes import FakeServer
from tests.unit.provisioning.helpers import context


class Toggle(Step):
    """Not as wanted until its change runs (one changing command)."""

    uses_marker = True

    def __init__(self, name, ok=False, fails=None, verify_ok=True, blocker=None):
        self.name, self.ok, self.fails, self.verify_ok, self.blocker = name, ok, fails, verify_ok, blocker
        self.recovered = False

    async def observe(self, ctx):
        return Observation(self.ok, "as wanted" if self.ok else "not yet")

    async def change(self, ctx, found):
        if self.blocker is not None:
            await self.blocker.wait()
        if self.fails:
            raise self.fails
        await ctx.run.run(mutate("touch", f"/{self.name}"))
        self.ok = self.verify_ok
        return f"made {self.name}"

    async def recover(self, ctx):
        self.recovered = True


class Events(list):
    def __call__(self, type_, reason, message):
        self.append((type_, reason, message))


async def run(ctx, steps, **kwargs):
    records = progress.plan([s.name for s in steps])
    return await engine.run_steps(ctx, steps, records, **kwargs)


async def test_nothing_to_do_runs_no_changing_command_and_posts_no_event():
    server, events = FakeServer(), Events()
    ctx = context(server)
    outcome = await run(ctx, [Toggle("a", ok=True), Toggle("b", ok=True)], post_event=events)
    assert [s.state for s in outcome.steps] == ["Succeeded", "Succeeded"]
    assert [s.changed for s in outcome.steps] == [False, False]
    assert ctx.run.log.mutations == [] and events == []


async def test_a_change_is_wrapped_in_its_pending_marker():
    server, events = FakeServer(), Events()
    ctx = context(server)
    outcome = await run(ctx, [Toggle("a")], post_event=events)
    assert ctx.run.log.mutations == [
        "sh -c 'mkdir -p -- \"$(dirname -- \"$1\")\" && : > \"$1\"' sh /var/lib/hydron/steps/a.pending",
        "touch /a",
        "rm -f -- /var/lib/hydron/steps/a.pending",
    ]
    assert outcome.steps[0].state == "Succeeded" and outcome.steps[0].changed is True
    assert outcome.steps[0].message == "made a"
    assert outcome.changed == [("a", "made a")]
    assert [e[1] for e in events] == ["StepStarted", "StepSucceeded"]


async def test_failure_stops_the_run_and_blocks_later_steps():
    events = Events()
    ctx = context()
    outcome = await run(ctx, [Toggle("a", fails=StepError("no way", retryable=True)), Toggle("b")], post_event=events)
    assert [s.state for s in outcome.steps] == ["Failed", "Pending"]
    assert outcome.steps[0].message == "a: no way"
    assert outcome.steps[1].message == "Blocked: step a failed."
    assert outcome.failure.retryable and outcome.failure.reason == "StepFailed"
    assert events[-1] == ("Warning", "StepFailed", "a: no way")
    assert "rm -f -- /var/lib/hydron/steps/a.pending" not in ctx.run.log.mutations, "marker stays for the next run"


async def test_a_change_that_does_not_verify_fails():
    outcome = await run(context(), [Toggle("a", verify_ok=False)])
    assert outcome.steps[0].state == "Failed"
    assert "still not as wanted after the change" in outcome.steps[0].message


async def test_an_unexpected_exception_becomes_a_failed_step_not_a_crash():
    outcome = await run(context(), [Toggle("a", fails=RuntimeError("bug"))])
    assert outcome.failure.message == "a: unexpected RuntimeError: bug" and not outcome.failure.retryable


async def test_observe_only_changes_nothing_and_reports_what_differs():
    ctx = context(observe_only=True)
    a, b = Toggle("a"), Toggle("b", ok=True)
    outcome = await run(ctx, [a, b], observe_only=True)
    assert [s.state for s in outcome.steps] == ["Skipped", "Skipped"]
    assert outcome.steps[0].message == "Observe only: not yet (differs from Hydron's setup; left as it is)"
    assert outcome.differs == [("a", "not yet")]
    assert ctx.run.log.mutations == [] and not a.recovered


async def test_a_marker_from_an_interrupted_run_gets_recover_then_converges():
    ctx = context(pending=frozenset({"a", "b"}))
    a, b = Toggle("a"), Toggle("b", ok=True)
    events = Events()
    outcome = await run(ctx, [a, b], post_event=events)
    assert a.recovered and b.recovered
    assert ctx.run.log.mutations == [
        "touch /a",  # no new marker: the old one is still there
        "rm -f -- /var/lib/hydron/steps/a.pending",
        "rm -f -- /var/lib/hydron/steps/b.pending",
    ]
    assert [s.changed for s in outcome.steps] == [True, True]
    assert ("Normal", "StepResumed", "a: an earlier run stopped midway; finishing it") in events


async def test_cancelling_mid_change_leaves_the_marker_in_place():
    gate = asyncio.Event()
    ctx = context()
    task = asyncio.create_task(run(ctx, [Toggle("a", blocker=gate)]))
    while not ctx.run.log.mutations:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert ctx.run.log.mutations == [
        "sh -c 'mkdir -p -- \"$(dirname -- \"$1\")\" && : > \"$1\"' sh /var/lib/hydron/steps/a.pending"
    ]


async def test_skip_reason_skips():
    class NotHere(Toggle):
        def skip_reason(self, ctx):
            return "nothing to do here"

    outcome = await run(context(), [NotHere("a")])
    assert (outcome.steps[0].state, outcome.steps[0].message) == ("Skipped", "nothing to do here")


async def test_progress_is_published_when_a_step_starts_a_change_and_when_any_step_ends():
    seen = []
    await run(context(), [Toggle("a", ok=True), Toggle("b")], on_progress=lambda steps: seen.append([s.state for s in steps]))
    assert seen == [["Succeeded", "Pending"], ["Succeeded", "Running"], ["Succeeded", "Succeeded"]]


class SetsAside(Toggle):
    """Does its job without a part of the spec it found invalid."""

    def spec_problems(self, ctx):
        return "spec.firewall[1] (port 5432/tcp from '10.0.0.0/33'): not a range; that opening stays closed"


async def test_a_part_of_the_spec_set_aside_fails_its_step_by_name_and_later_steps_still_run():
    events = Events()
    ctx = context()
    outcome = await run(ctx, [Toggle("a"), SetsAside("firewall"), Toggle("c")], post_event=events)
    assert [s.state for s in outcome.steps] == ["Succeeded", "Failed", "Succeeded"]
    assert "touch /firewall" in ctx.run.log.mutations and "touch /c" in ctx.run.log.mutations
    assert outcome.steps[1].message.startswith("firewall: spec.firewall[1] (port 5432/tcp from '10.0.0.0/33')")
    assert outcome.steps[1].changed is True
    assert outcome.failure.reason == "InvalidFirewallRule" and not outcome.failure.retryable
    assert ("Warning", "InvalidFirewallRule", outcome.failure.message) in events


async def test_a_blocking_failure_after_a_set_aside_part_still_stops_the_run():
    outcome = await run(context(), [SetsAside("firewall", ok=True), Toggle("b", fails=StepError("no way")), Toggle("c")])
    assert [s.state for s in outcome.steps] == ["Failed", "Failed", "Pending"]
    assert outcome.failure.reason == "StepFailed"


async def test_observe_only_still_names_the_part_set_aside():
    outcome = await run(context(observe_only=True), [SetsAside("firewall", ok=True), Toggle("b", ok=True)], observe_only=True)
    assert [s.state for s in outcome.steps] == ["Failed", "Skipped"]
    assert outcome.failure.reason == "InvalidFirewallRule"
