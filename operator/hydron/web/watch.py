"""Live updates: one Kubernetes watch per Hydron kind, fanned out to every open page.

Each kind is listed once (for a resourceVersion) and then watched from there, with
the user's own identity, so a page only hears of objects the user may list. A watch
the API server ends is resumed from the last version seen; an expired version (410)
lists again. A refusal (403) is told to the pages, and retried with a growing pause,
not in a loop. The watch client is blocking, so each kind runs in a daemon thread and
hands events to the event loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from hydron.api import GROUP, VERSION
from hydron.cli.plugin_kube import PLURALS, Session
from hydron.web.views import event_view

log = logging.getLogger(__name__)

WATCH_SECONDS = 240
"""The API server ends each watch after this long; it is resumed at once."""
MAX_PAUSE = 60.0


EVENT = "Event"
"""Besides the four kinds, the Events Hydron posts about them (rollout events)."""
HYDRON_EVENTS = f"involvedObject.apiVersion={GROUP}/{VERSION}"


class Hub:
    """Watches the four kinds (and their Events) in one namespace, or in all namespaces
    when `all_namespaces` and the user may list them there, and tells every subscriber
    what changed."""

    def __init__(self, session: Session, loop: asyncio.AbstractEventLoop, all_namespaces: bool = False) -> None:
        self.session = session
        self.loop = loop
        self.all_namespaces = all_namespaces
        self.subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for kind in [*PLURALS, EVENT]:
            thread = threading.Thread(target=self._run, args=(kind,), name=f"hydron-ui-watch-{kind}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self.subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self.subscribers.discard(queue)

    def _publish(self, event: dict[str, Any]) -> None:
        def deliver() -> None:
            for queue in list(self.subscribers):
                if queue.full():  # a page that stopped reading: it re-reads everything on reconnect
                    continue
                queue.put_nowait(event)

        try:
            self.loop.call_soon_threadsafe(deliver)
        except RuntimeError:  # the loop closed: we are shutting down
            self._stop.set()

    def _run(self, kind: str) -> None:
        pause = 1.0
        everywhere = self.all_namespaces
        while not self._stop.is_set():
            try:
                self._watch(kind, everywhere, lambda: self._stop.is_set())
                pause = 1.0
            except Exception as error:  # noqa: BLE001 (told to the pages, then retried)
                status = getattr(error, "status", None)
                if status == 410:  # the version expired: list again at once
                    continue
                if status == 403 and everywhere:  # not allowed cluster-wide: the user's namespace then
                    everywhere = False
                    continue
                where = "all namespaces" if everywhere else f"namespace {self.session.namespace!r}"
                what = "events" if kind == EVENT else PLURALS[kind]
                message = (f"cannot watch {what} in {where}"
                           f"{f' (HTTP {status})' if status else ''}: {getattr(error, 'reason', None) or error}")
                log.warning("%s", message)
                if kind != EVENT:  # missing rollout events are said in the Runs panel, not on every page
                    self._publish({"kind": kind, "type": "ERROR", "status": status, "message": message})
                if self._stop.wait(pause):
                    return
                pause = min(pause * 2, MAX_PAUSE)

    def _lister(self, kind: str, everywhere: bool) -> tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]:
        """The list call a watch of `kind` is made from: function, arguments, keywords."""
        from kubernetes import client

        namespace = self.session.namespace
        if kind == EVENT:
            core = client.CoreV1Api(self.session.api_client)
            keywords = {"field_selector": HYDRON_EVENTS}
            if everywhere:
                return core.list_event_for_all_namespaces, (), keywords
            return core.list_namespaced_event, (namespace,), keywords
        custom = self.session.custom
        if everywhere:
            return custom.list_cluster_custom_object, (GROUP, VERSION, PLURALS[kind]), {}
        return custom.list_namespaced_custom_object, (GROUP, VERSION, namespace, PLURALS[kind]), {}

    def _watch(self, kind: str, everywhere: bool, stopped: Callable[[], bool]) -> None:
        """List for a version, then watch from it until the API server ends the watch or
        the version expires (then the caller lists again)."""
        from kubernetes import watch

        function, args, keywords = self._lister(kind, everywhere)
        listed = function(*args, limit=1, _preload_content=False, **keywords)
        version = (json.loads(listed.data).get("metadata") or {}).get("resourceVersion")
        while not stopped():
            watcher = watch.Watch()
            for event in watcher.stream(function, *args, resource_version=version, timeout_seconds=WATCH_SECONDS,
                                        allow_watch_bookmarks=True, **keywords):
                if stopped():
                    watcher.stop()
                    return
                obj = event.get("raw_object") or event.get("object") or {}
                version = (obj.get("metadata") or {}).get("resourceVersion") or version
                if event.get("type") in ("ADDED", "MODIFIED", "DELETED"):
                    self._publish(event_view(kind, event["type"], obj))
