"""Failures of the remote layer, each with the condition reason it maps to and
whether retrying can help.

Messages are written for a person and never contain key material: they are copied
into conditions and events.
"""

from __future__ import annotations


class RemoteError(Exception):
    """Base of every failure to reach or command a server."""

    reason = "RemoteError"
    retryable = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HostUnreachable(RemoteError):
    """No TCP connection, or the SSH handshake broke off: the network or sshd may come back."""

    reason = "HostUnreachable"


class ConnectTimeout(RemoteError):
    """The connection or a command did not answer in time."""

    reason = "Timeout"


class AuthenticationFailed(RemoteError):
    """The server refused the key (or the key could not be read). A person must act:
    fix authorized_keys on the server or the Secret; retrying the same key won't help."""

    reason = "AuthenticationFailed"
    retryable = False


class KeyUnavailable(AuthenticationFailed):
    """The Secret or its key is missing. It may appear later (GitOps applies in any
    order), so this one is worth retrying; until then reachability is unknown."""

    reason = "SecretNotFound"
    retryable = True


class HostKeyChanged(RemoteError):
    """The server presented a host key other than the pinned one: possibly a man in the
    middle. Nothing is run; a person must confirm and re-pin."""

    reason = "HostKeyChanged"
    retryable = False


class ConnectionLost(RemoteError):
    """The connection dropped while a command ran: its effect on the server is unknown
    (the step's observe finds out on the next run)."""

    reason = "HostUnreachable"


class EngineUnavailable(RemoteError):
    """The server's Docker engine stopped answering (restarted, crashed, the server
    rebooted). The Server's drift repair starts it again, so this is retried soon."""

    reason = "DockerUnavailable"


class CommandFailed(RemoteError):
    """A command exited with a status the caller did not accept."""

    reason = "CommandFailed"
    retryable = False

    def __init__(self, display: str, exit_status: int | None, stdout: str, stderr: str) -> None:
        tail = (stderr.strip() or stdout.strip())[-800:]
        super().__init__(f"`{display}` exited with {exit_status}: {tail}" if tail else f"`{display}` exited with {exit_status}")
        self.display = display
        self.exit_status = exit_status
        self.stdout = stdout
        self.stderr = stderr


class IncompleteWrite(CommandFailed):
    """A file write whose stream ended early (or arrived altered): the server checked
    length and sha256, removed the temporary file and kept the old file."""

    reason = "IncompleteWrite"
    retryable = True


class CommandTimeout(ConnectTimeout):
    """A command ran longer than its limit; its channel was closed."""


class MutationRefused(RemoteError):
    """A changing command was attempted in observe-only mode. This is a bug guard: a
    server under `management: ObserveOnly` must never be changed."""

    reason = "ObserveOnly"
    retryable = False
