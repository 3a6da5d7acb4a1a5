"""The git runner kills the whole process group on expiry or abort, with real processes."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from hydron.source import SourceTimeout, SourceTooLarge
from hydron.source.runner import Deadline, run_git

ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0"}


def hang_args(pidfile: Path) -> list[str]:
    """git runs a shell alias that starts a grandchild (sleep) and waits for it. Neither
    holds git's pipes, so killing only git would return at once and leave sleep alive."""
    return ["-c", f"alias.hang=!exec >/dev/null 2>&1 </dev/null; sleep 120 & echo $! > {pidfile}; wait", "hang"]


def gone(pid: int, within: float = 10.0) -> bool:
    """True once ``pid`` has exited (absent, or a zombie waiting for init)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        threading.Event().wait(0.02)  # poll interval
    return False


def test_deadline_kills_git_and_grandchildren(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    with pytest.raises(SourceTimeout) as info:
        run_git(hang_args(pidfile), env=ENV, cwd=tmp_path, deadline=Deadline(1.0), what="hanging")
    assert "hanging did not finish within the 1s limit" in info.value.message
    assert info.value.retryable
    assert gone(int(pidfile.read_text()))


def test_watch_can_abort(tmp_path: Path) -> None:
    """The size watcher raises while git runs: the error propagates, the group dies."""
    pidfile = tmp_path / "pid"

    def watch() -> None:
        if pidfile.exists() and pidfile.read_text().strip():
            raise SourceTooLarge("too big")

    with pytest.raises(SourceTooLarge):
        run_git(hang_args(pidfile), env=ENV, cwd=tmp_path, deadline=Deadline(60), what="x", watch=watch)
    assert gone(int(pidfile.read_text()))


def test_failure_is_returned_not_raised(tmp_path: Path) -> None:
    res = run_git(["rev-parse", "--verify", "nope"], env=dict(ENV, GIT_DIR=str(tmp_path / "none")),
                  cwd=tmp_path, deadline=Deadline(30), what="x")
    assert not res.ok and res.returncode != 0
    assert "not a git repository" in res.stderr


def test_output_is_returned(tmp_path: Path) -> None:
    res = run_git(["--version"], env=ENV, cwd=tmp_path, deadline=Deadline(30), what="x")
    assert res.ok and res.stdout.startswith("git version")


def test_expired_deadline_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    with pytest.raises(SourceTimeout):
        run_git(["-c", f"alias.t=!touch {marker}", "t"], env=ENV, cwd=tmp_path, deadline=Deadline(-1), what="x")
    assert not marker.exists()
