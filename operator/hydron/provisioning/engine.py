"""Run steps in order and keep the progress table, events and markers.

For each step: observe; if the server is not as wanted, write the step's pending
marker, change, verify, clear the marker. The first failure stops the run (later
steps depend on earlier ones) and is classified into a reason, a message and
whether retrying helps. A part of the spec a step set aside as invalid (a bad
firewall rule) does not stop it: the step does the rest, ends Failed naming that
part, and the later steps run. Under ObserveOnly every step only observes; what differs is
reported, nothing is changed (the runner refuses changing commands as well).

Events: only steps that change or fail post one, so a timer re-checking a healthy
server every few minutes does not flood the event stream. The progress table goes out
(on_progress) whenever a step starts changing and whenever any step ends, so a person
watching sees each state as it happens.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from hydron import metrics
from hydron.api.conditions import now
from hydron.api.server import ProvisioningStep
from hydron.provisioning import progress
from hydron.provisioning.failures import INVALID_SPEC_PART, StepError, StepFailure, classify
from hydron.provisioning.step import Step, StepContext
from hydron.remote.builders import markers
from hydron.remote.errors import RemoteError

log = logging.getLogger(__name__)

NORMAL, WARNING = "Normal", "Warning"

EventPoster = Callable[[str, str, str], Awaitable[None] | None]
"""post_event(type, reason, message): type is Normal or Warning."""
ProgressSink = Callable[[list[ProvisioningStep]], Awaitable[None] | None]


@dataclass
class RunOutcome:
    steps: list[ProvisioningStep]
    changed: list[tuple[str, str]] = field(default_factory=list)
    """(step, what was done) for every step that changed the server."""
    differs: list[tuple[str, str]] = field(default_factory=list)
    """Observe-only: (step, what differs) for steps not as Hydron would set them."""
    failure: StepFailure | None = None


async def call(callback: Callable | None, *args) -> None:
    """Call a sync or async callback."""
    if callback is None:
        return
    result = callback(*args)
    if inspect.isawaitable(result):
        await result


async def run_steps(
    ctx: StepContext,
    steps: Sequence[Step],
    records: list[ProvisioningStep],
    *,
    observe_only: bool = False,
    post_event: EventPoster | None = None,
    on_progress: ProgressSink | None = None,
    clock: Callable[[], datetime] = now,
) -> RunOutcome:
    outcome = RunOutcome(steps=list(records))

    async def publish() -> None:
        await call(on_progress, list(outcome.steps))

    for step in steps:
        name = step.name
        outcome.steps = progress.start(outcome.steps, name, clock())
        skip = step.skip_reason(ctx)
        if skip:
            outcome.steps = progress.finish(outcome.steps, name, "Skipped", clock(), changed=False, message=skip)
            await publish()
            continue
        try:
            if observe_only:
                found = await step.observe(ctx)
                note = "" if found.ok else " (differs from Hydron's setup; left as it is)"
                outcome.steps = progress.finish(
                    outcome.steps, name, "Skipped", clock(), changed=False, message=f"Observe only: {found.detail}{note}"
                )
                if not found.ok:
                    outcome.differs.append((name, found.detail))
                await _report_spec_problems(ctx, step, outcome, post_event, clock)
                await publish()
                continue
            done = await _converge(ctx, step, post_event, publish, outcome, clock)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - every failure becomes a Failed step, never a crash
            if not isinstance(error, StepError):
                log.info("step %s failed: %s", name, error, exc_info=not _expected(error))
            outcome.failure = classify(name, error)
            outcome.steps = progress.finish(
                outcome.steps, name, "Failed", clock(), changed=False, message=outcome.failure.message
            )
            outcome.steps = progress.block_rest(outcome.steps, f"step {name} failed")
            await call(post_event, WARNING, outcome.failure.reason, outcome.failure.message)
            await publish()
            break
        if done is not None:
            outcome.changed.append((name, done))
        await _report_spec_problems(ctx, step, outcome, post_event, clock)
    _record_durations(outcome.steps, {step.name for step in steps})
    return outcome


async def _report_spec_problems(ctx: StepContext, step: Step, outcome: RunOutcome, post_event, clock) -> None:
    """Mark the step Failed for the part of the spec it set aside; the run goes on."""
    problems = step.spec_problems(ctx)
    if not problems:
        return
    failure = StepFailure(step.name, INVALID_SPEC_PART, f"{step.name}: {problems}", retryable=False)
    outcome.failure = outcome.failure or failure
    changed = any(s.name == step.name and s.changed for s in outcome.steps)
    outcome.steps = progress.finish(outcome.steps, step.name, "Failed", clock(), changed=changed, message=failure.message)
    await call(post_event, WARNING, failure.reason, failure.message)


def _record_durations(records: Sequence[ProvisioningStep], ran: set[str]) -> None:
    """Step durations for the provisioning dashboard (skipped steps took no time)."""
    for record in records:
        if record.name in ran and record.state in ("Succeeded", "Failed") and record.started_at and record.finished_at:
            seconds = (record.finished_at - record.started_at).total_seconds()
            metrics.PROVISIONING_STEP_SECONDS.labels(record.name, record.state).observe(seconds)


async def _converge(ctx: StepContext, step: Step, post_event, publish, outcome: RunOutcome, clock) -> str | None:
    """observe → change → verify for one step; returns what was done (None: nothing)."""
    name = step.name
    resumed = step.uses_marker and name in ctx.facts.pending
    if resumed:
        await call(post_event, NORMAL, "StepResumed", f"{name}: an earlier run stopped midway; finishing it")
        await step.recover(ctx)
    found = await step.observe(ctx)
    if found.ok:
        if resumed:
            await ctx.run.run(markers.clear(name))
        outcome.steps = progress.finish(outcome.steps, name, "Succeeded", clock(), changed=resumed, message=found.detail)
        await publish()
        return None
    outcome.steps = progress.start(outcome.steps, name, clock(), message=f"Changing: {found.detail}")
    await call(post_event, NORMAL, "StepStarted", f"{name}: {found.detail}")
    await publish()
    if step.uses_marker and not resumed:
        await ctx.run.run(markers.write(name))
    done = await step.change(ctx, found)
    checked = await step.verify(ctx)
    if not checked.ok:
        raise StepError(f"still not as wanted after the change: {checked.detail}", retryable=True)
    if step.uses_marker:
        await ctx.run.run(markers.clear(name))
    outcome.steps = progress.finish(outcome.steps, name, "Succeeded", clock(), changed=True, message=done)
    await call(post_event, NORMAL, "StepSucceeded", f"{name}: {done}")
    await publish()
    return done


def _expected(error: BaseException) -> bool:
    return isinstance(error, RemoteError)
