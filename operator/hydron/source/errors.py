"""Errors of the source stage.

Every failure to get a source carries a ``reason`` that goes verbatim into the
Application's ``SourceReady`` condition (CamelCase, as the Kubernetes API conventions
ask), a message that says what to change, and ``retryable`` so the controller can pick
kopf's ``TemporaryError`` (retry with backoff) or ``PermanentError`` (wait for a new spec).

Messages are built from scrubbed text only; see :mod:`hydron.source.scrub`.
"""

from __future__ import annotations

from typing import ClassVar


class SourceError(Exception):
    """Base of all source failures: ``SourceError(reason, message)``."""

    REASON: ClassVar[str] = "FetchFailed"
    RETRYABLE: ClassVar[bool] = True

    def __init__(self, reason: str, message: str, retryable: bool | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.retryable = self.RETRYABLE if retryable is None else retryable

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reason={self.reason!r}, message={self.message!r}, retryable={self.retryable})"


class _Fixed(SourceError):
    """A subclass whose reason is fixed: ``RefNotFound(message)``."""

    def __init__(self, message: str, retryable: bool | None = None) -> None:
        super().__init__(self.REASON, message, retryable)


class FetchFailed(_Fixed):
    """Git failed for a reason we could not classify; retried, since most such are transient."""

    REASON = "FetchFailed"
    RETRYABLE = True


class InvalidURL(_Fixed):
    """The URL is malformed, uses a transport we refuse, or embeds credentials."""

    REASON = "InvalidURL"
    RETRYABLE = False


class InvalidPath(_Fixed):
    """``spec.source.git.path`` is absolute or leaves the repository."""

    REASON = "InvalidPath"
    RETRYABLE = False


class InvalidRef(_Fixed):
    """``spec.source.git.ref`` is not something git could take as a ref or sha."""

    REASON = "InvalidRef"
    RETRYABLE = False


class InvalidCredentials(_Fixed):
    """The credentials cannot be used as given (wrong kind for the URL, malformed)."""

    REASON = "InvalidCredentials"
    RETRYABLE = False


class RepositoryNotFound(_Fixed):
    REASON = "RepositoryNotFound"
    RETRYABLE = False


class AuthenticationFailed(_Fixed):
    REASON = "AuthenticationFailed"
    RETRYABLE = False


class HostKeyVerificationFailed(_Fixed):
    """The SSH server's host key is not the one in ``knownHosts``: possibly an attack."""

    REASON = "HostKeyVerificationFailed"
    RETRYABLE = False


class TLSVerificationFailed(_Fixed):
    REASON = "TLSVerificationFailed"
    RETRYABLE = False


class RefNotFound(_Fixed):
    REASON = "RefNotFound"
    RETRYABLE = False


class PathNotFound(_Fixed):
    REASON = "PathNotFound"
    RETRYABLE = False


class SourceTooLarge(_Fixed):
    REASON = "SourceTooLarge"
    RETRYABLE = False


class SourceTimeout(_Fixed):
    REASON = "SourceTimeout"
    RETRYABLE = True


class HostUnreachable(_Fixed):
    REASON = "HostUnreachable"
    RETRYABLE = True


ALL_ERRORS: tuple[type[_Fixed], ...] = (
    FetchFailed,
    InvalidURL,
    InvalidPath,
    InvalidRef,
    InvalidCredentials,
    RepositoryNotFound,
    AuthenticationFailed,
    HostKeyVerificationFailed,
    TLSVerificationFailed,
    RefNotFound,
    PathNotFound,
    SourceTooLarge,
    SourceTimeout,
    HostUnreachable,
)
