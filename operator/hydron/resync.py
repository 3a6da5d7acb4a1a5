"""Periodic passes (resyncs, repairs, usage reads) over every object, from one task.

kopf runs a timer as one task per object and keeps that object's whole body for it:
its managedFields and kopf's own copy of the last handled spec are most of it, and
they are what an idle operator held per Application (about 185 KB each at 1,000).
Here the operator keeps, per object, the slim copy its passes read and when each pass
is next due; one loop starts the passes that are due.

The rule is kopf's `idle`: any change to an object (a watch event) puts its next pass
a full interval away, since the change handler has just looked; objects left alone
are visited every interval. A pass may ask for an earlier or later next visit (a retry
delay) by returning it.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from itertools import count
from typing import Any

log = logging.getLogger(__name__)

Key = tuple[str, str, str]
"""(plural, namespace, name)"""

Pass = Callable[[dict[str, Any]], Awaitable[float | None]]
"""Runs on the object's copy; returns the seconds until its next visit, or None for the job's interval."""

LONGEST_NAP = 1.0
"""The loop looks at least this often: an object seen for the first time is due one
interval later, which may be sooner than anything queued when the loop went to sleep."""

KEPT_METADATA = ("name", "namespace", "uid", "generation", "labels", "ownerReferences", "deletionTimestamp")
NOT_KEPT_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)
NOT_KEPT_SUFFIX = "/last-handled-configuration"
"""kopf's copy of the spec it last handled: as large as the spec, and no pass reads it."""


@dataclass(frozen=True)
class Job:
    """A pass run on each object of one kind after every `interval` seconds of quiet."""

    plural: str
    name: str
    interval: float
    run: Pass


def slim_copy(body: Mapping[str, Any]) -> dict[str, Any]:
    """What a pass reads of an object: identity, labels, owners, annotations but for
    the copies of the spec that tools keep there, spec and status."""
    metadata = body.get("metadata") or {}
    annotations = {key: value for key, value in (metadata.get("annotations") or {}).items()
                   if key not in NOT_KEPT_ANNOTATIONS and not key.endswith(NOT_KEPT_SUFFIX)}
    return {
        "apiVersion": body.get("apiVersion"), "kind": body.get("kind"),
        "metadata": {**{key: metadata[key] for key in KEPT_METADATA if key in metadata}, "annotations": annotations},
        "spec": body.get("spec") or {},
        "status": body.get("status") or {},
    }


class Schedule:
    """When each job is next due for each object, and the object's copy. No I/O."""

    def __init__(self, jobs: list[Job], clock: Callable[[], float] = time.monotonic) -> None:
        self._jobs: dict[str, list[Job]] = {}
        for job in jobs:
            self._jobs.setdefault(job.plural, []).append(job)
        self._clock = clock
        self._bodies: dict[Key, dict[str, Any]] = {}
        self._due: dict[tuple[str, Key], int] = {}
        """(job, object) → the order number of its live queue entry (older entries are stale)."""
        self._running: set[tuple[str, Key]] = set()
        self._queue: list[tuple[float, int, Job, Key]] = []
        self._order = count()

    def seen(self, plural: str, namespace: str, name: str, body: Mapping[str, Any]) -> None:
        """The watch delivered the object (added or changed): keep its copy, push its passes back."""
        jobs = self._jobs.get(plural)
        if not jobs:
            return
        key = (plural, namespace, name)
        self._bodies[key] = slim_copy(body)
        for job in jobs:
            self._set_due(job, key, job.interval)

    def forget(self, plural: str, namespace: str, name: str) -> None:
        """The object is gone: nothing of it stays."""
        key = (plural, namespace, name)
        if self._bodies.pop(key, None) is None:
            return
        for job in self._jobs.get(plural, ()):
            self._due.pop((job.name, key), None)

    def take_due(self) -> list[tuple[Job, Key, dict[str, Any]]]:
        """The passes due now, marked running (none starts twice at once). An object being
        deleted is left to its delete handler."""
        now = self._clock()
        due = []
        while self._queue and self._queue[0][0] <= now:
            _, order, job, key = heapq.heappop(self._queue)
            entry = (job.name, key)
            if self._due.get(entry) != order or entry in self._running:
                continue  # pushed back since, forgotten, or still running (its end sets the next)
            body = self._bodies[key]
            if body["metadata"].get("deletionTimestamp"):
                del self._due[entry]
                continue
            self._running.add(entry)
            due.append((job, key, body))
        return due

    def finished(self, job: Job, key: Key, delay: float | None) -> None:
        """A pass ended: the next one is `delay` (or the interval) from now, if the object is still there."""
        self._running.discard((job.name, key))
        if key in self._bodies:
            self._set_due(job, key, job.interval if delay is None else delay)

    def seconds_to_next(self) -> float:
        """How long the loop may sleep."""
        if not self._queue:
            return LONGEST_NAP
        return min(LONGEST_NAP, max(0.0, self._queue[0][0] - self._clock()))

    @property
    def has_jobs(self) -> bool:
        return bool(self._jobs)

    def __len__(self) -> int:
        """Objects kept (each with its copy and one due time per job)."""
        return len(self._bodies)

    def keys(self) -> list[Key]:
        return list(self._bodies)

    def _set_due(self, job: Job, key: Key, delay: float) -> None:
        order = next(self._order)
        self._due[(job.name, key)] = order
        heapq.heappush(self._queue, (self._clock() + delay, order, job, key))
        if len(self._queue) > 4 * len(self._due) + 64:  # superseded entries: drop them now and then
            self._queue = [item for item in self._queue if self._due.get((item[2].name, item[3])) == item[1]]
            heapq.heapify(self._queue)


async def run_forever(schedule: Schedule) -> None:
    """Start every due pass as its own task; a pass that fails is logged and runs again
    one interval later (the operator never stops visiting because of one object)."""
    running: set[asyncio.Task] = set()

    async def visit(job: Job, key: Key, body: dict[str, Any]) -> None:
        delay = None
        try:
            delay = await job.run(body)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s of %s/%s failed; it runs again in %ss", job.name, key[1], key[2], job.interval)
        finally:
            schedule.finished(job, key, delay)

    try:
        while True:
            for job, key, body in schedule.take_due():
                task = asyncio.create_task(visit(job, key, body), name=f"{job.name} {key[1]}/{key[2]}")
                running.add(task)
                task.add_done_callback(running.discard)
            await asyncio.sleep(schedule.seconds_to_next())
    finally:
        for task in running:
            task.cancel()
