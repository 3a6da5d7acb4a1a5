"""Run one git command through GitPython, bounded in time and watched while it runs.

GitPython's ``Git.execute`` starts the process (``as_process=True``) in a session of its
own, so on expiry the whole process group dies: ``git fetch`` together with its
``git-remote-http``, ``ssh`` or local ``upload-pack`` children. A ``watch`` callback
runs a few times a second while the command is alive; it raises to abort (the size
limit uses this to stop a fetch as soon as the objects on disk pass the limit).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

from git.cmd import Git

from .errors import SourceTimeout

log = logging.getLogger(__name__)

WATCH_INTERVAL = 0.2
MAX_STDERR = 64 * 1024


@dataclass(frozen=True)
class GitResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


class Deadline:
    """One deadline shared by every git call of a fetch."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0


def _kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL git and everything it started, then reap it. A descendant that left the
    group could still hold the pipes open, so reading them is bounded too."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        proc.wait()


def run_git(
    args: Sequence[str],
    *,
    env: dict[str, str],
    cwd: Path,
    deadline: Deadline,
    what: str,
    watch: Optional[Callable[[], None]] = None,
) -> GitResult:
    """Run ``git <args>``; raise :class:`SourceTimeout` when the deadline passes.

    ``what`` names the step for the timeout message ("fetching refs/heads/main").
    Never raises on a non-zero exit: callers classify ``stderr`` themselves.
    """
    if deadline.expired():
        raise SourceTimeout(_timeout_message(what, deadline))
    argv = ["git", *args]
    log.debug("git %s", " ".join(args))
    handle = Git(str(cwd)).execute(
        argv,
        as_process=True,
        env=env,
        start_new_session=True,
    )
    proc: subprocess.Popen = handle.proc
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    try:
        while True:
            step = min(WATCH_INTERVAL, max(deadline.remaining(), 0.0))
            try:
                out, err = proc.communicate(timeout=step)
                out_chunks.append(out or b"")
                err_chunks.append(err or b"")
                break
            except subprocess.TimeoutExpired:
                if deadline.expired():
                    _kill_group(proc)
                    raise SourceTimeout(_timeout_message(what, deadline)) from None
                if watch is not None:
                    try:
                        watch()
                    except BaseException:
                        _kill_group(proc)
                        raise
    finally:
        if proc.poll() is None:
            _kill_group(proc)
    stderr = b"".join(err_chunks)[-MAX_STDERR:].decode("utf-8", "replace")
    stdout = b"".join(out_chunks).decode("utf-8", "surrogateescape")
    return GitResult(tuple(args), proc.returncode, stdout, stderr)


def _timeout_message(what: str, deadline: Deadline) -> str:
    return (
        f"{what} did not finish within the {deadline.seconds:g}s limit; the remote may be slow or "
        "unresponsive, or the repository too big to fetch in time. It will be retried; a persistently "
        "slow remote needs a longer source timeout"
    )
