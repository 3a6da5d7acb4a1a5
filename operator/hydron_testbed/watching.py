"""Watching the real API server from a test: what a person watching would have seen.

`StepRecorder` keeps a kube watch on the Servers of a namespace and records every
version of their progress table the API server pushed, so a test can assert on the
order of states (a step seen Running, then Succeeded) without sleeping or polling.
`FollowedCommand` runs a long-lived command (`kubectl hydron status APP -w`,
`logs -f`) and collects its output lines as they come.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from hydron_testbed import REPO
from hydron_testbed.cluster import Kube

Snapshot = dict[str, str]
"""step name -> state, as one event showed it"""


@dataclass
class StepRecorder:
    kube: Kube
    server: str
    snapshots: list[Snapshot] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> StepRecorder:
        from kubernetes import config, watch

        api = config.new_client_from_config(config_file=str(self.kube.plane.kubeconfig))
        from kubernetes import client

        custom = client.CustomObjectsApi(api)
        ready = threading.Event()

        def run() -> None:
            w = watch.Watch()
            version = custom.list_namespaced_custom_object(
                "hydron.dev", "v1alpha1", self.kube.namespace, "servers")["metadata"]["resourceVersion"]
            ready.set()
            while not self._stop.is_set():
                for event in w.stream(custom.list_namespaced_custom_object, "hydron.dev", "v1alpha1",
                                      self.kube.namespace, "servers", resource_version=version,
                                      field_selector=f"metadata.name={self.server}", timeout_seconds=5):
                    obj = event["object"]
                    version = obj["metadata"]["resourceVersion"]
                    steps = (obj.get("status") or {}).get("steps") or []
                    snapshot = {s["name"]: s["state"] for s in steps}
                    if snapshot and (not self.snapshots or self.snapshots[-1] != snapshot):
                        self.snapshots.append(snapshot)
                    if self._stop.is_set():
                        break
            api.close()

        self._thread = threading.Thread(target=run, daemon=True, name="step-recorder")
        self._thread.start()
        ready.wait(30)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def states(self, step: str) -> list[str]:
        """The step's states in the order they were seen, repeats folded."""
        seen: list[str] = []
        for snapshot in self.snapshots:
            state = snapshot.get(step)
            if state is not None and (not seen or seen[-1] != state):
                seen.append(state)
        return seen

    def seen(self, predicate: Callable[[Snapshot], bool]) -> bool:
        return any(predicate(s) for s in self.snapshots)


class FollowedCommand:
    """`kubectl hydron ARGS` left running; its stdout lines as they arrive."""

    def __init__(self, kube: Kube, *args: str) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "hydron.cli.kubectl_plugin", "-n", kube.namespace,
             "--kubeconfig", str(kube.plane.kubeconfig), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**kube.plane.env(), "PYTHONPATH": str(REPO / "operator")},
        )
        self._reader = threading.Thread(target=self._read, daemon=True, name="followed-command")
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[str], bool], timeout: float) -> str:
        """The first line that satisfies `predicate`; AssertionError (with the output) if none comes in time."""
        with self._changed:
            found = self._changed.wait_for(
                lambda: any(predicate(x) for x in self.lines) or self.proc.poll() is not None, timeout)
            match = next((x for x in self.lines if predicate(x)), None)
        if not found or match is None:
            raise AssertionError(f"no such line within {timeout}s; output so far:\n" + "\n".join(self.lines[-40:])
                                 + f"\nstderr: {self.stderr() if self.proc.poll() is not None else ''}")
        return match

    def stderr(self) -> str:
        return self.proc.stderr.read() if self.proc.stderr else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._reader.join(timeout=5)

    def __enter__(self) -> FollowedCommand:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
