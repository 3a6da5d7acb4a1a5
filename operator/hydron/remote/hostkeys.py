"""Host keys in the one-line OpenSSH form (`ssh-ed25519 AAAA...`), as they appear in
spec.hostKey and status.hostKey."""

from __future__ import annotations

import asyncssh


class InvalidHostKey(ValueError):
    """spec.hostKey is not a public key in OpenSSH form."""


def parse(line: str) -> asyncssh.SSHKey:
    """The public key of a `ssh-... AAAA... [comment]` line."""
    try:
        return asyncssh.import_public_key(line.strip())
    except (asyncssh.KeyImportError, ValueError) as error:
        raise InvalidHostKey(f"host key is not an OpenSSH public key line: {error}") from None


def to_line(key: asyncssh.SSHKey) -> str:
    """`algorithm base64` without a comment: the form Hydron stores and compares."""
    algorithm, blob = key.export_public_key("openssh").decode().split()[:2]
    return f"{algorithm} {blob}"


def normalize(line: str) -> str:
    """Canonical form of a host key line (comment dropped)."""
    return to_line(parse(line))


def fingerprint(line: str) -> str:
    """`SHA256:...`, the fingerprint ssh-keygen -lf and ssh itself print."""
    return parse(line).get_fingerprint("sha256")
