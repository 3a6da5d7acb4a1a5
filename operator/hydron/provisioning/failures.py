"""Turn what went wrong into a condition reason, a message that says what to do, and
whether retrying can help. Pure: tests feed it error text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hydron.remote.errors import CommandFailed, IncompleteWrite, MutationRefused, RemoteError

STEP_FAILED = "StepFailed"
DISK_FULL = "DiskFull"
INVALID_SPEC_PART = "InvalidFirewallRule"
"""A step did its job without a part of the spec it set aside as invalid (spec_problems)."""


class StepError(Exception):
    """A step could not reach its goal; the message says why and what to do."""

    def __init__(self, message: str, *, retryable: bool = False, reason: str = STEP_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.reason = reason


@dataclass(frozen=True)
class StepFailure:
    step: str
    reason: str
    message: str
    retryable: bool


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    reason: str
    what: str
    hint: str
    retryable: bool


def _rule(pattern: str, reason: str, what: str, hint: str, retryable: bool) -> _Rule:
    return _Rule(re.compile(pattern, re.IGNORECASE), reason, what, hint, retryable)


# First match wins; more specific causes come first.
RULES = (
    _rule(r"No space left on device|not enough free space|You don't have enough free space", DISK_FULL,
          "the disk is full", "free space on the server's disk (old images: `docker system prune`; logs)", False),
    _rule(r"a password is required|no tty present|sudo: .*(not allowed|not in the sudoers)", STEP_FAILED,
          "sudo refused", "give the SSH user passwordless sudo (NOPASSWD) or log in as root", False),
    _rule(r"Could not get lock|Unable to acquire the dpkg frontend lock|dpkg frontend lock", STEP_FAILED,
          "another package manager holds the lock", "wait for it (often unattended-upgrades) to finish; Hydron retries", True),
    _rule(r"dpkg was interrupted", STEP_FAILED,
          "an earlier package install was interrupted", "Hydron runs `dpkg --configure -a` and retries", True),
    _rule(r"Unable to locate package|has no installation candidate|Package '.*' has no", STEP_FAILED,
          "package install failed", "check the server's apt sources (on Ubuntu the universe component must be enabled)", False),
    _rule(r"Temporary failure resolving|Could not resolve|Failed to fetch|Unable to connect to|Connection timed out|Network is unreachable",
          STEP_FAILED, "package download failed", "check the server's network and its apt sources; Hydron retries", True),
    _rule(r"\bE: |dpkg: error", STEP_FAILED,
          "package install failed", "check the server's apt sources and `dpkg --audit` on the server", False),
)


def classify(step: str, error: BaseException) -> StepFailure:
    """The failure of `step` caused by `error`."""
    if isinstance(error, StepError):
        return StepFailure(step, error.reason, f"{step}: {error.message}", error.retryable)
    if isinstance(error, MutationRefused):
        return StepFailure(step, STEP_FAILED, f"{step}: {error.message}", False)
    if isinstance(error, IncompleteWrite):
        return StepFailure(step, error.reason, f"{step}: {error.stderr.strip()[-400:]}", error.retryable)
    if isinstance(error, CommandFailed):
        text = f"{error.stderr}\n{error.stdout}"
        for rule in RULES:
            match = rule.pattern.search(text)
            if match:
                return StepFailure(step, rule.reason, f"{step}: {rule.what}: {_line_of(text, match)}; {rule.hint}", rule.retryable)
        return StepFailure(step, STEP_FAILED, f"{step}: {error.message}", False)
    if isinstance(error, RemoteError):
        return StepFailure(step, error.reason, f"{step}: {error.message}", error.retryable)
    return StepFailure(step, STEP_FAILED, f"{step}: unexpected {type(error).__name__}: {error}", False)


def _line_of(text: str, match: re.Match[str]) -> str:
    """The whole output line the match is on, trimmed: the apt error a person reads."""
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    return text[start : end if end != -1 else len(text)].strip()[:300]
